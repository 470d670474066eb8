"""Compares a reference-engine run of a train step with a mesh-engine run.

Usage: compare.py REF.json MESH.json REF_PARAMS MESH_PARAMS [REF_OUT MESH_OUT]

Losses agree to 1e-5 relative at every step, every --dump-params tensor
(and, given the --dump-outputs directories, every result of the step:
loss, updated parameters, optimizer state) to 1e-6 absolute, with equal
shapes and names. The mesh report carries its cost model: cycles per step
summing to the total, wavelets (none on one PE), FLOPs, the largest PE SRAM, the PEs and
placed regions inside the machine.
"""
import json
import os
import sys

import numpy as np

ref, mesh = (json.load(open(p)) for p in sys.argv[1:3])
assert ref["engine"] == "reference" and mesh["engine"] == "mesh", (ref["engine"], mesh["engine"])
rl = [s["loss"] for s in ref["steps"]]
ml = [s["loss"] for s in mesh["steps"]]
assert len(rl) == len(ml) and rl, (rl, ml)
for step, (a, b) in enumerate(zip(rl, ml), 1):
    assert np.isfinite(a) and abs(a - b) <= 1e-5 * abs(a), (step, a, b)
print(f"losses agree ({len(rl)} steps)")


def same_tensors(a_dir, b_dir, what):
    names = sorted(os.listdir(a_dir))
    assert names and names == sorted(os.listdir(b_dir)), (names, os.listdir(b_dir))
    for name in names:
        a = np.load(os.path.join(a_dir, name))
        b = np.load(os.path.join(b_dir, name))
        assert a.shape == b.shape and a.dtype == b.dtype, (name, a.shape, b.shape, a.dtype, b.dtype)
        d = np.abs(a.astype(np.float64) - b.astype(np.float64)).max() if a.size else 0.0
        assert d <= 1e-6, (what, name, d)
    print(f"{what} agree ({len(names)} tensors)")


same_tensors(sys.argv[3], sys.argv[4], "params")
if len(sys.argv) > 6:
    same_tensors(sys.argv[5], sys.argv[6], "outputs")

steps = mesh["steps"]
assert all(s["cycles"] > 0 for s in steps), steps
assert sum(s["cycles"] for s in steps) == mesh["cycles"], (steps, mesh["cycles"])
# One PE moves nothing over links.
assert (mesh["wavelets"] > 0) == (mesh["pes"] > 1), (mesh["wavelets"], mesh["pes"])
assert mesh["flops_per_step"] > 0
assert 0 < mesh["utilization"] <= 1, mesh["utilization"]
assert 0 < mesh["max_pe_sram_bytes"] <= 48 * 1024, mesh["max_pe_sram_bytes"]
m = mesh["machine"]
pes = 0
assert mesh["regions"]
for r in mesh["regions"]:
    if r["host"]:  # weight streaming's host, off the mesh
        assert (r["width"], r["height"]) == (1, 1), r
        continue
    assert r["x"] >= 0 and r["y"] >= 0 and r["x"] + r["width"] <= m["width"] \
        and r["y"] + r["height"] <= m["height"], (r, m)
    pes += r["width"] * r["height"]
assert pes == mesh["pes"], (pes, mesh["pes"])
print("report has cycles wavelets flops max_pe_sram_bytes regions")
