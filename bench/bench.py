"""wse benchmarks: compile scaling and simulator speed.

Every row is measured in this run and compared with a baseline measured in
the same run, so the ratio column means something on any machine:

- compile: the MLP 64-128-10 train step through --wse-train-pipeline and the
  export, for a 16x16 mesh (baseline), the whole WSE-2 and the whole WSE-3.
  The design rule is "scale with regions, not PEs": the ratios of time and
  sizes should stay near 1.
- simulate: 20 training steps on the mesh engine against the reference
  interpreter (baseline) on the same inputs.

Usage: bench.py --bin-dir build/bin [--repeat 5]
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{r.stderr}")
    return r


def best_time(cmd, cwd, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        run(cmd, cwd)
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20)
    args = ap.parse_args()
    b = os.path.abspath(args.bin_dir)
    opt, translate, sim = (os.path.join(b, t) for t in ("wse-opt", "wse-translate", "wse-sim"))
    work = tempfile.mkdtemp(prefix="wse-bench-")
    run([sys.executable, os.path.join(ROOT, "models/mlp/export.py"), "--out", "mlp.onnx",
         "--data-dir", ".", "--steps", str(args.steps)], work)
    run([translate, "--import-onnx", "mlp.onnx", "-o", "mlp.mlir"], work)

    rows = []
    configs = [("mesh16", "16x16 corner of wse2", "machine=wse2 mesh=16x16"),
               ("wse2", "whole wse2 (750x994)", "machine=wse2"),
               ("wse3", "whole wse3 (755x1174)", "machine=wse3")]
    base = None
    for tag, label, opts in configs:
        pipe = [opt, "mlp.mlir", f"--wse-train-pipeline=loss=cross-entropy optimizer=sgd lr=0.1 {opts}",
                "-o", f"{tag}.mlir"]
        export = [translate, "--export-wafer-program", f"{tag}.mlir", "-o", f"{tag}.wsebin"]
        t = best_time(pipe, work, args.repeat) + best_time(export, work, args.repeat)
        ir = os.path.getsize(os.path.join(work, f"{tag}.mlir"))
        binsz = os.path.getsize(os.path.join(work, f"{tag}.wsebin"))
        if base is None:
            base = (t, ir, binsz)
        rows.append(("compile", label, f"{t * 1e3:.1f} ms", f"{t / base[0]:.2f}",
                     f"{ir} B", f"{ir / base[1]:.3f}", f"{binsz} B", f"{binsz / base[2]:.3f}"))

    inputs = ["--input", "x=x.npy", "--input", "labels=labels.npy", "--steps", str(args.steps), "--quiet"]
    run([opt, "mlp.mlir", "--wse-make-train-step=loss=cross-entropy optimizer=sgd lr=0.1", "-o", "train.mlir"], work)
    t_ref = best_time([sim, "train.mlir"] + inputs, work, args.repeat)
    t_mesh = best_time([sim, "mesh16.wsebin"] + inputs, work, args.repeat)
    rows.append(("simulate", f"reference engine, {args.steps} steps", f"{t_ref * 1e3:.1f} ms", "1.00",
                 "", "", "", ""))
    rows.append(("simulate", f"mesh engine 16x16, {args.steps} steps", f"{t_mesh * 1e3:.1f} ms",
                 f"{t_mesh / t_ref:.2f}", "", "", "", ""))

    head = ("what", "configuration", "time", "ratio", "pe IR", "ratio", ".wsebin", "ratio")
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    print(fmt.format(*head))
    print(fmt.format(*("-" * w for w in widths)))
    for r in rows:
        print(fmt.format(*r))
    print(f"\n(best of {args.repeat}; baselines: the 16x16 compile and the reference engine; work dir {work})")


if __name__ == "__main__":
    main()
