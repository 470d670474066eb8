#!/usr/bin/env python3
"""End-to-end parity test: torch vs the wse reference and mesh engines.

Trains the example MLP for N SGD steps three ways and checks that the
per-step losses and the final parameters agree:
  torch        models/mlp/train_torch.py (the oracle)
  reference    wse-opt --wse-make-train-step, wse-sim on the MLIR
  mesh         wse-opt --wse-train-pipeline, wafer binary, wse-sim
It then reruns the mesh simulation to check it is bit-for-bit deterministic
(--no-rerun skips that). Exits 0 only if every check holds.

The widths (--in-features, --hidden, --classes), the batch, the mesh and
the optimizer (--optimizer sgd|adamw, --momentum, --weight-decay) are
options; the defaults are the 64-128-10 MLP at batch 32 on a 16x16 mesh
with plain SGD. Losses must agree with torch to 1e-4 relative at every
step, and the final parameters to max|wse - torch| <= --param-rtol *
max|torch| + --param-atol per tensor (defaults 0 and 1e-5: absolute).
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys

import numpy as np

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MODEL_DIR = os.path.join(REPO_ROOT, "models", "mlp")

LOSS_RTOL = 1e-4
MESH_REPORT_KEYS = ("cycles", "wavelets", "max_pe_sram_bytes", "regions")
REGION_KEYS = ("name", "x", "y", "width", "height")


class CommandError(Exception):
    """A tool failed or produced unusable output; stops the test."""


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bin-dir", required=True,
                   help="directory holding wse-translate, wse-opt, wse-sim")
    p.add_argument("--work-dir", required=True)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--mesh", default="16x16")
    p.add_argument("--machine", default="wse2")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--in-features", type=int, default=64)
    p.add_argument("--hidden", default="128",
                   help="hidden width, or widths comma-separated")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--optimizer", choices=("sgd", "adamw"), default="sgd")
    p.add_argument("--momentum", type=float, default=0.0, help="sgd")
    p.add_argument("--weight-decay", type=float, default=None,
                   help="default: 0 for sgd, 0.01 for adamw")
    p.add_argument("--eps", type=float, default=None,
                   help="adamw's eps (default: 1e-8, as in torch)")
    p.add_argument("--param-rtol", type=float, default=0.0)
    p.add_argument("--param-atol", type=float, default=1e-5)
    p.add_argument("--one-batch", action="store_true",
                   help="train on one batch at every step (export.py "
                        "--one-batch) instead of a fresh batch per step")
    p.add_argument("--no-rerun", action="store_true",
                   help="skip the determinism rerun of the mesh engine")
    p.add_argument("--execution", default=None,
                   choices=("pipelined", "weight-streaming", "auto"),
                   help="the pipeline's execution= (default: its own)")
    p.add_argument("--expect-execution", default=None,
                   choices=("pipelined", "weight-streaming"),
                   help="the mode the mesh report must say it ran; with "
                        "weight-streaming, each step must stream at least "
                        "every parameter in and its gradient out, and "
                        "execution=pipelined must be refused")
    return p.parse_args(argv)


# --- running tools ---------------------------------------------------------

class Runner:
    """Runs commands inside the work dir so printed commands are replayable."""

    def __init__(self, work_dir):
        self.work_dir = work_dir

    def run(self, title, cmd):
        print(f"== {title}: {shlex.join(cmd)}", flush=True)
        try:
            subprocess.run(cmd, cwd=self.work_dir, check=True,
                           capture_output=True, text=True)
        except FileNotFoundError as e:
            raise CommandError(f"{title}: cannot run {cmd[0]}: {e}")
        except subprocess.CalledProcessError as e:
            where = shlex.quote(self.work_dir)
            raise CommandError(
                f"{title} failed with exit code {e.returncode}\n"
                f"  command: cd {where} && {shlex.join(cmd)}\n"
                f"  stdout:\n{indent(e.stdout)}\n"
                f"  stderr:\n{indent(e.stderr)}")


def indent(text):
    text = (text or "").rstrip()
    lines = text.splitlines() or ["<empty>"]
    return "\n".join("    " + line for line in lines)


def tool(bin_dir, name):
    path = os.path.join(bin_dir, name)
    if not os.access(path, os.X_OK):
        raise CommandError(f"{name} not found or not executable at {path}")
    return path


def script(name):
    return [sys.executable, os.path.join(MODEL_DIR, name)]


def fresh_dir(path):
    """Removes stale dumps so an engine that writes nothing cannot pass."""
    shutil.rmtree(path, ignore_errors=True)


def sim_cmd(sim, program, steps, report, params_dir):
    return [sim, program, "--steps", str(steps),
            "--input", "x=x.npy", "--input", "labels=labels.npy",
            "--report", report, "--dump-params", params_dir]


def run_pipeline(args, runner):
    """Runs every tool; all files land in the work dir."""
    translate = tool(args.bin_dir, "wse-translate")
    opt = tool(args.bin_dir, "wse-opt")
    sim = tool(args.bin_dir, "wse-sim")
    lr = repr(args.lr)
    train_opts = f"loss=cross-entropy optimizer={args.optimizer} lr={lr}"
    oracle_opts = ["--optimizer", args.optimizer]
    if args.momentum:
        train_opts += f" momentum={args.momentum!r}"
        oracle_opts += ["--momentum", repr(args.momentum)]
    if args.weight_decay is not None:
        train_opts += f" weight-decay={args.weight_decay!r}"
        oracle_opts += ["--weight-decay", repr(args.weight_decay)]
    if args.eps is not None:
        train_opts += f" eps={args.eps!r}"
        oracle_opts += ["--eps", repr(args.eps)]
    for d in ("torch", "ref_params", "mesh_params", "mesh_params2"):
        fresh_dir(os.path.join(runner.work_dir, d))

    runner.run("export", script("export.py") + [
        "--out", "model.onnx", "--batch", str(args.batch),
        "--in-features", str(args.in_features), "--hidden", str(args.hidden),
        "--classes", str(args.classes), "--seed", "0",
        "--data-dir", ".", "--steps", str(args.steps), "--data-seed", "1"]
        + (["--one-batch"] if args.one_batch else []))
    runner.run("torch oracle", script("train_torch.py") + [
        "--model", "model.onnx", "--x", "x.npy", "--labels", "labels.npy",
        "--steps", str(args.steps), "--lr", lr, "--out-dir", "torch"]
        + oracle_opts)
    runner.run("import onnx",
               [translate, "--import-onnx", "model.onnx", "-o", "model.mlir"])

    runner.run("reference train step",
               [opt, "model.mlir", f"--wse-make-train-step={train_opts}",
                "-o", "train.mlir"])
    runner.run("reference sim", sim_cmd(sim, "train.mlir", args.steps,
                                        "ref.json", "ref_params"))

    pipeline_opts = (f"{train_opts} machine={args.machine} mesh={args.mesh}")
    if args.execution:
        pipeline_opts += f" execution={args.execution}"
    if args.expect_execution == "weight-streaming":
        refused = subprocess.run(
            [opt, "model.mlir", f"--wse-train-pipeline={train_opts} "
             f"machine={args.machine} mesh={args.mesh} execution=pipelined",
             "-o", os.devnull], cwd=runner.work_dir, capture_output=True,
            text=True)
        if (refused.returncode == 0 or
                "execution=weight-streaming" not in refused.stderr):
            raise CommandError("execution=pipelined was not refused with a "
                               "suggestion of weight streaming:\n"
                               + refused.stderr)
    runner.run("mesh pipeline",
               [opt, "model.mlir", f"--wse-train-pipeline={pipeline_opts}",
                "-o", "program.mlir"])
    runner.run("export wafer program",
               [translate, "--export-wafer-program", "program.mlir",
                "-o", "program.wsebin"])
    runner.run("mesh sim", sim_cmd(sim, "program.wsebin", args.steps,
                                   "mesh.json", "mesh_params"))
    if not args.no_rerun:
        runner.run("mesh sim (rerun)", sim_cmd(sim, "program.wsebin",
                                               args.steps, "mesh2.json",
                                               "mesh_params2"))


# --- loading results -------------------------------------------------------

def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise CommandError(f"cannot read report {path}: {e}")


def report_losses(report, path, steps):
    """Returns [loss of step 1, ..., loss of step N] from a report."""
    entries = report.get("steps") if isinstance(report, dict) else None
    if not isinstance(entries, list):
        raise CommandError(f"{path}: missing 'steps' list")
    got = [e.get("step") for e in entries if isinstance(e, dict)]
    if got != list(range(1, steps + 1)):
        raise CommandError(f"{path}: expected steps 1..{steps}, got {got}")
    try:
        return [float(e["loss"]) for e in entries]
    except (KeyError, TypeError, ValueError) as e:
        raise CommandError(f"{path}: bad loss entry: {e}")


def load_params(params_dir, names):
    """Loads <name>.npy for every expected parameter name."""
    params = {}
    for name in names:
        path = os.path.join(params_dir, name + ".npy")
        if not os.path.isfile(path):
            raise CommandError(f"missing parameter dump {path}")
        try:
            params[name] = np.load(path)
        except (OSError, ValueError) as e:
            raise CommandError(f"cannot read {path}: {e}")
    return params


def torch_param_names(torch_dir):
    params_dir = os.path.join(torch_dir, "params")
    names = sorted(f[:-len(".npy")] for f in os.listdir(params_dir)
                   if f.endswith(".npy"))
    if not names:
        raise CommandError(f"torch oracle wrote no parameters in {params_dir}")
    return names


# --- checks (collect every failure, do not stop at the first) --------------

def rel_err(value, expected):
    return abs(value - expected) / max(abs(expected), 1e-12)


def check_losses(engine, losses, oracle, failures):
    for step, (got, want) in enumerate(zip(losses, oracle), start=1):
        err = rel_err(got, want)
        if not err <= LOSS_RTOL:  # also catches NaN
            failures.append(f"{engine}: step {step} loss {got!r} vs torch "
                            f"{want!r} (rel err {err:.3g} > {LOSS_RTOL})")


def param_diffs(engine, params, oracle, failures, rtol, atol):
    """Returns {name: max abs diff} and records shape/tolerance failures:
    max|got - torch| <= rtol * max|torch| + atol per tensor."""
    diffs = {}
    for name, want in oracle.items():
        got = params[name]
        if got.shape != want.shape:
            failures.append(f"{engine}: {name} shape {got.shape} vs torch "
                            f"{want.shape}")
            diffs[name] = float("inf")
            continue
        diff = float(np.max(np.abs(got.astype(np.float64) -
                                   want.astype(np.float64)), initial=0.0))
        diffs[name] = diff
        tol = rtol * float(np.max(np.abs(want), initial=0.0)) + atol
        if not diff <= tol:
            failures.append(f"{engine}: {name} max abs diff {diff:.3g} > "
                            f"{tol:.3g}")
    return diffs


def check_decreasing(engine, losses, failures):
    if not losses[-1] < losses[0]:
        failures.append(f"{engine}: loss did not go down "
                        f"({losses[0]!r} -> {losses[-1]!r})")


def check_mesh_report(report, failures):
    for key in MESH_REPORT_KEYS:
        if key not in report:
            failures.append(f"mesh report: missing key '{key}'")
    regions = report.get("regions")
    if not isinstance(regions, list) or not regions:
        failures.append("mesh report: 'regions' must be a non-empty list")
        return
    for i, region in enumerate(regions):
        missing = [k for k in REGION_KEYS
                   if not isinstance(region, dict) or k not in region]
        if missing:
            failures.append(f"mesh report: region {i} lacks {missing}")


def check_execution(report, mode, param_count, failures):
    """The report names the mode; weight streaming moves every parameter in
    and every gradient out over the host links each step."""
    if report.get("execution") != mode:
        failures.append(f"mesh report: execution {report.get('execution')!r}, "
                        f"expected {mode!r}")
    if mode != "weight-streaming":
        return
    for s in report.get("steps", []):
        bytes_in, bytes_out = s.get("host_bytes_in"), s.get("host_bytes_out")
        if not (isinstance(bytes_in, int) and bytes_in >= 4 * param_count and
                isinstance(bytes_out, int) and bytes_out >= 4 * param_count):
            failures.append(f"mesh report: step {s.get('step')} moved "
                            f"{bytes_in} bytes in and {bytes_out} out over "
                            f"the host links, less than the {4 * param_count} "
                            f"bytes of the parameters")


def check_deterministic(work_dir, losses1, losses2, failures):
    if losses1 != losses2:
        failures.append("determinism: mesh losses differ between two runs")
    dir1 = os.path.join(work_dir, "mesh_params")
    dir2 = os.path.join(work_dir, "mesh_params2")
    files1, files2 = sorted(os.listdir(dir1)), sorted(os.listdir(dir2))
    if files1 != files2:
        failures.append(f"determinism: dumped files differ: {files1} vs "
                        f"{files2}")
        return
    for name in files1:
        with open(os.path.join(dir1, name), "rb") as a, \
                open(os.path.join(dir2, name), "rb") as b:
            if a.read() != b.read():
                failures.append(f"determinism: {name} is not bit-identical")


# --- reporting -------------------------------------------------------------

def print_tables(torch_losses, ref_losses, mesh_losses, ref_diffs, mesh_diffs):
    print()
    print(f"{'step':>4}  {'torch':>12}  {'ref':>12}  {'mesh':>12}  "
          f"{'ref rel':>9}  {'mesh rel':>9}")
    for i, (t, r, m) in enumerate(zip(torch_losses, ref_losses, mesh_losses)):
        print(f"{i + 1:>4}  {t:12.7f}  {r:12.7f}  {m:12.7f}  "
              f"{rel_err(r, t):9.2e}  {rel_err(m, t):9.2e}")
    print()
    print(f"{'parameter':<12}  {'ref max|d|':>11}  {'mesh max|d|':>11}")
    for name in ref_diffs:
        print(f"{name:<12}  {ref_diffs[name]:11.3e}  {mesh_diffs[name]:11.3e}")
    print()


def compare(args):
    """Runs all result checks; returns the list of failures."""
    w = args.work_dir
    failures = []
    torch_losses = report_losses(load_json(os.path.join(w, "torch",
                                                        "losses.json")),
                                 "torch/losses.json", args.steps)
    ref_losses = report_losses(load_json(os.path.join(w, "ref.json")),
                               "ref.json", args.steps)
    mesh_report = load_json(os.path.join(w, "mesh.json"))
    mesh_losses = report_losses(mesh_report, "mesh.json", args.steps)
    mesh2_losses = (None if args.no_rerun else
                    report_losses(load_json(os.path.join(w, "mesh2.json")),
                                  "mesh2.json", args.steps))

    names = torch_param_names(os.path.join(w, "torch"))
    torch_params = load_params(os.path.join(w, "torch", "params"), names)
    ref_params = load_params(os.path.join(w, "ref_params"), names)
    mesh_params = load_params(os.path.join(w, "mesh_params"), names)

    check_losses("ref", ref_losses, torch_losses, failures)
    check_losses("mesh", mesh_losses, torch_losses, failures)
    tols = (args.param_rtol, args.param_atol)
    ref_diffs = param_diffs("ref", ref_params, torch_params, failures, *tols)
    mesh_diffs = param_diffs("mesh", mesh_params, torch_params, failures,
                             *tols)
    for engine, losses in (("torch", torch_losses), ("ref", ref_losses),
                           ("mesh", mesh_losses)):
        check_decreasing(engine, losses, failures)
    if isinstance(mesh_report, dict):
        check_mesh_report(mesh_report, failures)
        if args.expect_execution:
            check_execution(mesh_report, args.expect_execution,
                            sum(int(np.asarray(p).size)
                                for p in torch_params.values()), failures)
    if mesh2_losses is not None:
        check_deterministic(w, mesh_losses, mesh2_losses, failures)

    print_tables(torch_losses, ref_losses, mesh_losses, ref_diffs, mesh_diffs)
    if isinstance(mesh_report, dict):
        print_mesh_summary(mesh_report, torch_losses, mesh_losses)
    return failures


def print_mesh_summary(rep, torch_losses, mesh_losses):
    steps = rep.get("steps") or [{}]
    regions = rep.get("regions") or []
    worst = max(rel_err(m, t) for m, t in zip(mesh_losses, torch_losses))
    print(f"mesh: {rep.get('pes')} PEs, regions "
          + ", ".join(f"{g.get('name')} {g.get('width')}x{g.get('height')}"
                      for g in regions if isinstance(g, dict))
          + f"; {steps[0].get('cycles')} cycles/step, flops/step "
          f"{rep.get('flops_per_step')}, utilization "
          f"{rep.get('utilization')}, max SRAM/PE "
          f"{rep.get('max_pe_sram_bytes')} B, wavelet-hops "
          f"{rep.get('wavelets')}; worst mesh loss rel err {worst:.2e}")
    print()


def main(argv=None):
    args = parse_args(argv)
    if args.steps < 2:
        print("mlp_parity: error: --steps must be at least 2", file=sys.stderr)
        return 2
    args.bin_dir = os.path.abspath(args.bin_dir)
    args.work_dir = os.path.abspath(args.work_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    try:
        run_pipeline(args, Runner(args.work_dir))
        failures = compare(args)
    except CommandError as e:
        print(f"mlp_parity: FAIL: {e}", file=sys.stderr)
        return 1
    if failures:
        print(f"mlp_parity: FAIL ({len(failures)} problems):", file=sys.stderr)
        for f in failures:
            print(f"  - {f}", file=sys.stderr)
        return 1
    print(f"mlp_parity: PASS ({args.in_features}-{args.hidden}-"
          f"{args.classes} MLP, batch {args.batch}, {args.optimizer}, "
          f"{args.steps} steps, machine={args.machine}, mesh={args.mesh})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
