"""Compares two reference-engine runs of one training step computed two
ways (the whole batch at once, or in micro-batches whose gradients are
accumulated): the same numbers up to the order of the sums.

Usage: same-step.py A.json B.json A_PARAMS B_PARAMS

Losses agree to 1e-5 relative at every step and every --dump-params
tensor to 1e-6 absolute (compare.py's bounds), with equal names and shapes.
"""
import json
import os
import sys

import numpy as np

a, b = (json.load(open(p)) for p in sys.argv[1:3])
la = [s["loss"] for s in a["steps"]]
lb = [s["loss"] for s in b["steps"]]
assert la and len(la) == len(lb), (la, lb)
for step, (x, y) in enumerate(zip(la, lb), 1):
    assert np.isfinite(x) and abs(x - y) <= 1e-5 * abs(x), (step, x, y)
print(f"losses agree ({len(la)} steps)")
names = sorted(os.listdir(sys.argv[3]))
assert names and names == sorted(os.listdir(sys.argv[4])), names
for name in names:
    p = np.load(os.path.join(sys.argv[3], name))
    q = np.load(os.path.join(sys.argv[4], name))
    assert p.shape == q.shape, (name, p.shape, q.shape)
    d = np.abs(p.astype(np.float64) - q.astype(np.float64)).max()
    assert d <= 1e-6, (name, d)
print(f"params agree ({len(names)} tensors)")
print("micro_batches", a.get("micro_batches"), b.get("micro_batches"))
