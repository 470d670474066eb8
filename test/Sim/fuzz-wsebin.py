"""Feeds truncated and bit-flipped copies of a .wsebin to wse-sim.

Every run must end with exit code 0 or 1 (a reported error), never a signal
or another code. Usage: fuzz-wsebin.py WSE_SIM PROGRAM.wsebin X.npy LABELS.npy
"""
import random
import subprocess
import sys

sim, program, x, labels = sys.argv[1:5]
data = open(program, "rb").read()
rng = random.Random(1234)
variants = []
for _ in range(150):
    variants.append(data[: rng.randrange(len(data))])
for _ in range(150):
    b = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
    variants.append(bytes(b))
counts = {"ok": 0, "error": 0}
for i, v in enumerate(variants):
    path = program + ".fuzz"
    open(path, "wb").write(v)
    r = subprocess.run([sim, path, "--steps", "2", "--quiet", "--input", "x=" + x,
                        "--input", "labels=" + labels], capture_output=True, timeout=60)
    if r.returncode == 1:
        counts["error"] += 1
        if b"error:" not in r.stderr:
            sys.exit(f"variant {i}: exit 1 without an error message")
    elif r.returncode == 0:
        counts["ok"] += 1
    else:
        sys.exit(f"variant {i}: wse-sim ended with {r.returncode}: {r.stderr[-500:]!r}")
print(f"{len(variants)} variants: {counts['ok']} ran, {counts['error']} rejected, 0 crashed")
