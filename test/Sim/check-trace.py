"""Checks a wse-sim --trace file against the run's --report.

A process per program (named "@<program>"), two threads per PE (its core
"PE (x, y)" and its out-ramp "PE (x, y) out-ramp", names distinct), and per
thread a sequence of complete ("X") slices that do not overlap (sends on
the out-ramp, everything else on the core), are timed at the machine's clock (args.cycles = dur * MHz)
and end by the run's last cycle in the per-PE model (pe_cycles), the last of
them exactly there; and flow
arrows ("s" to "f") from a send on an out-ramp to the receive it held up.
Usage: check-trace.py TRACE.json REPORT.json
"""
import collections
import json
import sys

trace = json.load(open(sys.argv[1]))
report = json.load(open(sys.argv[2]))
mhz = report["machine"]["clock_mhz"]
events = trace["traceEvents"]
procs = {e["pid"]: e["args"]["name"] for e in events
         if e["ph"] == "M" and e["name"] == "process_name"}
threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in events
           if e["ph"] == "M" and e["name"] == "thread_name"}
assert sorted(procs.values()) == sorted("@" + r["name"] for r in report["regions"]), procs
# Two threads per PE of every region (`pes` counts the mesh's; the
# host's region under weight streaming is one more).
region_pes = sum(r["width"] * r["height"] for r in report["regions"])
assert len(threads) == 2 * region_pes, (len(threads), region_pes)
assert len(set(threads.values())) == len(threads), "two threads share a PE name"
assert all(p in procs for p, _ in threads), "a thread outside every process"

slices = collections.defaultdict(list)
for e in events:
    if e["ph"] != "X":
        continue
    key = (e["pid"], e["tid"])
    assert key in threads, f"slice on an unnamed thread {key}"
    assert e["dur"] > 0, e
    assert abs(e["dur"] * mhz - e["args"]["cycles"]) < 1e-6 * max(1, e["args"]["cycles"]), e
    ramp = threads[key].endswith(" out-ramp") or threads[key] == "host links out"
    assert (e["name"] == "send") == ramp, f"{e['name']} on {threads[key]}"
    slices[key].append(e)

end = 0.0
for key, list_ in slices.items():
    list_.sort(key=lambda e: e["ts"])
    for a, b in zip(list_, list_[1:]):
        assert b["ts"] >= a["ts"] + a["dur"] - 1e-9, (
            f"{threads[key]}: instruction {b['args']['instruction']} at "
            f"{b['ts'] * mhz:.0f} cycles starts before instruction "
            f"{a['args']['instruction']} ends at "
            f"{(a['ts'] + a['dur']) * mhz:.0f}")
    end = max(end, list_[-1]["ts"] + list_[-1]["dur"])
total = report["pe_cycles"] / mhz
assert abs(end - total) <= 1e-9 * total, (
    f"the last slice ends at {end * mhz:.0f} cycles; the run took {report['pe_cycles']}")

# Flow arrows: each receive that waited for a sender starts one on the
# out-ramp slice of the send that decided its end and finishes it where
# the receive starts, no later than the data could have come in.
def holder(key, ts, name):
    for e in slices[key]:
        if e["ts"] - 1e-9 <= ts <= e["ts"] + e["dur"] + 1e-9 and e["name"] == name:
            return e
    raise AssertionError(f"no {name} slice on {threads[key]} at {ts * mhz:.0f} cycles")

starts = {e["id"]: e for e in events if e["ph"] == "s"}
ends = {e["id"]: e for e in events if e["ph"] == "f"}
assert starts.keys() == ends.keys(), "a flow arrow without its other end"
for i, s in starts.items():
    f = ends[i]
    assert threads[(s["pid"], s["tid"])].endswith((" out-ramp", "links out")), s
    holder((s["pid"], s["tid"]), s["ts"], "send")
    recv = [e for e in slices[(f["pid"], f["tid"])]
            if e["name"] == "recv" and abs(e["ts"] - f["ts"]) < 1e-9]
    assert len(recv) == 1 and s["ts"] < recv[0]["ts"] + recv[0]["dur"], (s, f)
print(f"{len(starts)} flow arrows from sends to the receives they held up")

names = collections.Counter(e["name"] for l in slices.values() for e in l)
print(f"{len(procs)} processes, {len(threads)} threads, "
      f"{sum(names.values())} slices, ending at cycle {report['pe_cycles']}")
print("instructions: " + ", ".join(sorted(names)))
