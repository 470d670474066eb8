"""Compares two wse-sim runs: losses to 1e-5 relative, params to 1e-6 absolute."""
import json
import os
import sys

import numpy as np

ref, mesh = (json.load(open(p)) for p in sys.argv[1:3])
rl = [s["loss"] for s in ref["steps"]]
ml = [s["loss"] for s in mesh["steps"]]
assert len(rl) == len(ml), (rl, ml)
for a, b in zip(rl, ml):
    assert abs(a - b) <= 1e-5 * abs(a), (a, b)
print("losses agree")
for name in sorted(os.listdir(sys.argv[3])):
    a = np.load(os.path.join(sys.argv[3], name))
    b = np.load(os.path.join(sys.argv[4], name))
    assert a.shape == b.shape and np.abs(a - b).max() <= 1e-6, (name, np.abs(a - b).max())
print("params agree")
assert mesh["cycles"] > 0 and mesh["wavelets"] > 0 and mesh["max_pe_sram_bytes"] > 0
assert [r["name"] for r in mesh["regions"]] == ["fc1", "fc2", "loss"]
print("report has cycles wavelets max_pe_sram_bytes regions")
