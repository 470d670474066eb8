"""Checks that a --timing-only report times the step as the functional
run's did: the same region-model cycles per step and in total, wavelets,
FLOPs, utilization, bottleneck and host bytes, and no data (no losses).
Prints one line per compared report.
Usage: same-timing.py FUNCTIONAL.json TIMING.json
"""
import json
import sys

f = json.load(open(sys.argv[1]))
t = json.load(open(sys.argv[2]))
assert t["engine"] == "timing-only" and f["engine"] == "mesh", (t["engine"], f["engine"])
keys = ["cycles", "wavelets", "flops_per_step", "utilization", "bottleneck",
        "compute_share", "seconds_per_step_estimate", "execution",
        "micro_batches", "max_pe_sram_bytes", "pes"]
for k in keys:
    assert f.get(k) == t.get(k), f"{k}: functional {f.get(k)}, timing-only {t.get(k)}"
assert len(f["steps"]) == len(t["steps"])
for a, b in zip(f["steps"], t["steps"]):
    for k in ("cycles", "host_bytes_in", "host_bytes_out"):
        assert a.get(k) == b.get(k), f"step {a['step']} {k}: {a.get(k)} vs {b.get(k)}"
    assert "loss" not in b and "metrics" not in b, b
print(f"same timing: {f['execution']}, {t['cycles']} cycles, "
      f"per-PE {f['pe_cycles']}")
