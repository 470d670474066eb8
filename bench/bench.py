"""wse benchmarks: compile scaling, simulator speed and per-model costs.

Every row is measured in this run and compared with a baseline measured in
the same run, so the ratio columns mean something on any machine:

- compile: the MLP 64-128-10 train step through --wse-train-pipeline and the
  export, for a 16x16 mesh (baseline), the whole WSE-2 and the whole WSE-3.
  The design rule is "scale with regions, not PEs": the ratios of time and
  sizes should stay near 1.
- compile gpt2: the same for the GPT-2-style LM of models/gpt2 (AdamW,
  attention raised), on a 64x64 corner of the WSE-2 (baseline) and on the
  whole WSE-2 (no mesh=): wse-opt and export time, pe IR and .wsebin size.
- simulate: 20 training steps of the MLP on the mesh engine (one thread,
  and every core) against the reference interpreter (baseline) on the
  same inputs.
- models: the MLP (SGD, 16x16 mesh) and the GPT-2-, Llama- and BTLM-style
  LMs (AdamW, attention raised, 32x32 mesh): wse-opt --wse-train-pipeline
  wall time (compile), and from the mesh engine's report cycles per step,
  flops_per_step and utilization; ratios against the MLP (baseline).
- sparsity: a 1024-1024-1024-10 MLP (batch 64, AdamW, 48x48 mesh, the
  smallest square mesh its dense step fits) and the GPT-2-style LM (AdamW,
  32x32) dense, then through --wse-sparsify (method=random) at densities 1,
  0.5, 0.25 and 0.1 on their weight matrices: cycles and wavelets per step,
  SRAM per PE and simulator wall time per step, each against dense
  (baseline).

- mixture of experts: models/moe (top-2, d_ff 128 per expert) at E = 4
  and E = 16 experts, as exported (one-hot dispatch and combine matmuls)
  and raised by --wse-raise-moe (wse.moe_route and row gathers), and
  models/switch (top-1, nn.Linear experts) at E = 8 and 16 and Mixtral's
  SwiGLU experts (models/moe expert_swiglu=1, top-2 of 8), raised, their
  experts stacked (wse-stack-experts) and apart, AdamW on 32x32: cycles
  and wavelets per step against the first E, SRAM per PE.

- large models, graph level: models/gpt/make.py's GPT-3 presets 125M
  (baseline), 1.3B, 13B and 175B at batch 8 x 2048 with seeded weights:
  the .mlir size, make.py's time, and wse-make-train-step (AdamW) wall time
  and peak memory. (Their activations at that batch do not fit the wafer
  without micro-batching, which is not built.)

- large models, whole WSE-2: the 125M (baseline), 1.3B and 13B presets at
  batch 1 x 2048 (13B also at 8 x 2048) through --wse-train-pipeline
  streamed with recompute=selective or full: compile wall time, peak
  memory and SRAM per PE (or the bytes per PE the step needed where it
  does not fit).

- timing-only: wse-sim --timing-only on two of those programs (1.3B at
  batch 1, the baseline; 13B at 8 x 2048 in 8 micro-batches): its wall
  time and memory, and the seconds per step, utilization, bottleneck and
  host bytes it estimates.

- weight streaming: the GPT-2-style LM and the 1024-2048-2048-10 MLP
  (batch 64, 16x16, whose parameters and AdamW state are 7x the mesh's
  SRAM) with execution=pipelined (baseline; the MLP does not fit) and
  execution=weight-streaming: cycles per step, host bytes in and out, the
  host links' busy share, SRAM per PE, compile and simulator wall time.

- speed against PyTorch: one training step of torch eager (OpenBLAS, 1
  thread and every core) against the reference and the mesh engine (1
  thread and every core), for the 64-128-10 MLP (SGD), two
  GPT-2-style LMs (d128 2 layers T64 batch 4 vocab 512; d256 4 layers T128
  batch 4 vocab 2048) and the repo's GPT-2 and Llama (AdamW): wall ms per
  step (the engines' own per-step progress lines, the first step left out)
  and each against torch at the same thread count.

Usage: bench.py --bin-dir build/bin [--repeat 5] [--steps 20]
                [--model-steps 2] [--work-dir DIR] [--skip-sparsity]
                [--skip-moe] [--skip-torch] [--skip-streaming]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADAMW = "loss=cross-entropy optimizer=adamw lr=0.001"
SGD = "loss=cross-entropy optimizer=sgd lr=0.1"
LM_MESH = "32x32"  # the docs' LM figures; on 16x16 they fit only nested (mapping.md)


def run(cmd, cwd):
    for attempt in range(30):  # a tool being relinked is briefly unrunnable
        try:
            r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
            break
        except OSError as e:
            if attempt == 29:
                sys.exit(f"bench: cannot run {cmd[0]}: {e}")
            time.sleep(2)
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{r.stderr}")
    return r


def timed(cmd, cwd):
    """Wall seconds and peak resident MB of one run of `cmd`."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{p.stderr.read().decode()}")
    return wall, usage.ru_maxrss / 1024


def large_model_rows(opt, work):
    """make.py presets through wse-make-train-step."""
    d = os.path.join(work, "gpt3")
    os.makedirs(d, exist_ok=True)
    rows, base = [], None
    for preset in ("gpt3-125m", "gpt3-1.3b", "gpt3-13b", "gpt3-175b"):
        src = f"{preset}.mlir"
        t_make, _ = timed([sys.executable, os.path.join(ROOT, "models", "gpt", "make.py"),
                           "--preset", preset, "--batch", "8", "-o", src], d)
        with open(os.path.join(d, src)) as f:
            params = f.readline().split(": ")[-1].split()[0]
        size = os.path.getsize(os.path.join(d, src))
        t_step, rss = timed([opt, src, f"--wse-make-train-step={ADAMW}", "-o", "/dev/null"], d)
        base = base or (size, t_step, rss)
        rows.append((preset, params, f"{size} B", ratio(size, base[0]),
                     f"{t_make * 1e3:.0f} ms", f"{t_step:.2f} s", ratio(t_step, base[1]),
                     f"{rss:.0f} MB", ratio(rss, base[2])))
    return rows


# (preset, batch, recompute, micro-batches) compiled for the whole WSE-2 by
# whole_wafer_rows.
WHOLE_WAFER = (("gpt3-125m", 1, "selective", 1), ("gpt3-1.3b", 1, "selective", 1),
               ("gpt3-1.3b", 1, "full", 1), ("gpt3-13b", 1, "selective", 1),
               ("gpt3-13b", 1, "full", 1), ("gpt3-13b", 8, "full", 1),
               ("gpt3-13b", 8, "full", 2), ("gpt3-13b", 8, "full", 8))


# Whole-WSE-2 programs (of WHOLE_WAFER) whose step estimate_rows times.
ESTIMATED = (("gpt3-1.3b", 1, "full", 1), ("gpt3-13b", 8, "full", 8))


def whole_wafer_rows(opt, work, configs=WHOLE_WAFER, keep=None):
    """GPT-3 presets compiled for the whole WSE-2, streamed: compile wall
    time, peak memory and the highest buffer end on a mesh PE, or how many
    bytes per PE the step needed."""
    d = os.path.join(work, "gpt3")
    os.makedirs(d, exist_ok=True)
    keep = {} if keep is None else keep
    rows, base = [], None
    for preset, batch, recompute, micro in configs:
        src = f"{preset}-b{batch}.mlir"
        out = f"{preset}-b{batch}-{recompute}-m{micro}.program.mlir"
        if not os.path.exists(os.path.join(d, src)):
            run([sys.executable, os.path.join(ROOT, "models", "gpt", "make.py"),
                 "--preset", preset, "--batch", str(batch), "-o", src], d)
        cmd = [opt, src, f"--wse-train-pipeline={ADAMW} machine=wse2 "
               f"execution=weight-streaming recompute={recompute} "
               f"micro-batches={micro}", "-o", out]
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = p.stderr.read().decode()
        _, status, usage = os.wait4(p.pid, 0)
        wall, rss = time.perf_counter() - t0, usage.ru_maxrss / 1024
        base = base or (wall, rss)
        if status == 0:
            sram, on_mesh = 0, False
            for line in open(os.path.join(d, out)):
                if "pe.program" in line:
                    on_mesh = "host" not in line
                elif on_mesh and "pe.buffer" in line:
                    length = int(line.split("[")[1].split("]")[0])
                    sram = max(sram, int(line.split(" at ")[1]) + 4 * length)
            fits = f"{sram} B"
            if (preset, batch, recompute, micro) in ESTIMATED:
                keep[(preset, batch, recompute, micro)] = os.path.join(d, out)
            else:
                os.remove(os.path.join(d, out))  # 13B's is about 50 MB
        else:
            needs = re.search(r"does not fit: the step needs (\d+) bytes", err)
            if not needs:
                sys.exit(f"bench: {' '.join(cmd)} failed:\n{err}")
            fits = f"does not fit ({needs.group(1)} B needed)"
        rows.append((preset, f"{batch} x 2048", recompute, micro, f"{wall:.1f} s",
                     ratio(wall, base[0]), f"{rss:.0f} MB", ratio(rss, base[1]), fits))
    return rows


def estimate_rows(tools, programs):
    """wse-sim --timing-only on whole-WSE-2 programs kept by
    whole_wafer_rows: its own wall time and memory, and the step it
    estimates."""
    _, translate, sim = tools
    rows, base = [], None
    for (preset, batch, recompute, micro), mlir in sorted(programs.items()):
        d = os.path.dirname(mlir)
        binary = mlir[:-len(".mlir")] + ".wsebin"
        run([translate, "--export-wafer-program", mlir, "-o", binary], d)
        os.remove(mlir)
        cmd = [sim, binary, "--timing-only", "--quiet", "--report", "estimate.json"]
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        err = p.stderr.read().decode()
        _, status, usage = os.wait4(p.pid, 0)
        wall, rss = time.perf_counter() - t0, usage.ru_maxrss / 1024
        if status != 0:
            sys.exit(f"bench: {' '.join(cmd)} failed:\n{err}")
        os.remove(binary)
        rep = json.load(open(os.path.join(d, "estimate.json")))
        base = base or (wall, rss)
        step = rep["steps"][0]
        rows.append((preset, f"{batch} x 2048", recompute, micro, f"{wall:.1f} s",
                     ratio(wall, base[0]), f"{rss:.0f} MB",
                     f"{rep['seconds_per_step_estimate']:.2f} s", f"{rep['utilization']:.4f}",
                     rep["bottleneck"], f"{step['host_bytes_in'] / 1e12:.2f} TB"))
    return rows


def best_time(cmd, cwd, repeat):
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        run(cmd, cwd)
        best = min(best, time.perf_counter() - t0)
    return best


def ratio(v, base, spec=".2f"):
    return format(v / base, spec) if base else "-"


def print_table(head, rows):
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    print(fmt.format(*head))
    print(fmt.format(*("-" * w for w in widths)))
    for r in rows:
        print(fmt.format(*r))


def compile_row(what, label, tools, work, src, tag, opts, repeat, base, passes=()):
    """Times wse-opt --wse-train-pipeline and the export (best of `repeat`
    each); returns (row, (time, ir bytes, wsebin bytes))."""
    opt, translate = tools
    pipe = [opt, src, *passes, f"--wse-train-pipeline={opts}", "-o", f"{tag}.mlir"]
    export = [translate, "--export-wafer-program", f"{tag}.mlir", "-o", f"{tag}.wsebin"]
    t_opt = best_time(pipe, work, repeat)
    t = t_opt + best_time(export, work, repeat)
    ir = os.path.getsize(os.path.join(work, f"{tag}.mlir"))
    binsz = os.path.getsize(os.path.join(work, f"{tag}.wsebin"))
    base = base or (t, ir, binsz)
    return ((what, label, f"{t * 1e3:.1f} ms", ratio(t, base[0]), f"{ir} B",
             ratio(ir, base[1], ".3f"), f"{binsz} B", ratio(binsz, base[2], ".3f")),
            (t, ir, binsz), t_opt)


def export_mlp(sizes, batch, steps, work):
    """An MLP of nn.Linear layers with ReLU between, exported to ONNX, and
    `steps` batches of synthetic data."""
    import numpy as np
    import torch
    torch.manual_seed(0)
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    torch.onnx.export(torch.nn.Sequential(*layers), torch.zeros(batch, sizes[0]),
                      os.path.join(work, "model.onnx"), input_names=["x"],
                      output_names=["logits"], opset_version=13,
                      do_constant_folding=False)
    rng = np.random.default_rng(1)
    np.save(os.path.join(work, "x.npy"),
            rng.standard_normal((steps, batch, sizes[0])).astype(np.float32))
    np.save(os.path.join(work, "labels.npy"),
            rng.integers(0, sizes[-1], (steps, batch)).astype(np.int64))


def sparsity_rows(tools, d, src, passes, opts, mesh, feeds, steps, label):
    """Dense, then --wse-sparsify at each density: mesh-engine cycles and
    wavelets per step, SRAM per PE and simulator wall time per step."""
    opt, translate, sim = tools
    rows, base = [], None
    for density in (None, 1, 0.5, 0.25, 0.1):
        sparsify = [] if density is None else [
            f"--wse-sparsify=density={density} method=random seed=1"]
        run([opt, src, *passes, *sparsify,
             f"--wse-train-pipeline={opts} machine=wse2 mesh={mesh}", "-o", "sp.mlir"], d)
        run([translate, "--export-wafer-program", "sp.mlir", "-o", "sp.wsebin"], d)
        t0 = time.perf_counter()
        run([sim, "sp.wsebin", "--steps", str(steps), "--quiet", "--report", "sp.json"]
            + feeds, d)
        wall = (time.perf_counter() - t0) / steps
        rep = json.load(open(os.path.join(d, "sp.json")))
        m = (rep["steps"][0]["cycles"], rep["wavelets"] / steps, rep["max_pe_sram_bytes"], wall)
        base = base or m
        rows.append((label, "dense" if density is None else f"{density:g}",
                     str(m[0]), ratio(m[0], base[0]), f"{m[1]:.0f}", ratio(m[1], base[1]),
                     f"{m[2]} B", ratio(m[2], base[2]), f"{m[3] * 1e3:.0f} ms",
                     ratio(m[3], base[3])))
    return rows


def step_ms(cmd, cwd):
    """Median wall ms of a wse-sim run's steps after the first, from its
    progress lines on stderr."""
    r = run(cmd, cwd)
    ms = [float(line.split(": ")[2].split(" ms")[0])
          for line in r.stderr.splitlines() if line.startswith("wse-sim: step ")]
    ms = ms[1:] or ms
    ms.sort()
    return ms[len(ms) // 2]


OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-pthread"


def torch_ms(args, threads, cwd):
    """torch_step.py's step time, on OpenBLAS whichever BLAS the machine
    selected (scripts/bench.sh installs it)."""
    if not os.path.isfile(os.path.join(OPENBLAS_DIR, "libblas.so.3")):
        sys.exit(f"bench: no OpenBLAS in {OPENBLAS_DIR}: install libopenblas0-pthread "
                 "(scripts/bench.sh does)")
    env = dict(os.environ, LD_LIBRARY_PATH=OPENBLAS_DIR)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "torch_step.py"), *args,
                        "--threads", str(threads)], cwd=cwd, capture_output=True, text=True,
                       env=env)
    if r.returncode != 0:
        sys.exit(f"bench: torch_step.py {' '.join(args)} failed:\n{r.stderr}")
    return float(r.stdout.strip())


def speed_rows(tools, work, cores):
    """Per model: torch eager vs the reference and mesh engines."""
    opt, translate, sim = tools
    lm_small = ["d_model=128", "n_layer=2", "seq=64", "batch=4", "vocab=512"]
    lm_large = ["d_model=256", "n_layer=4", "seq=128", "batch=4", "vocab=2048"]
    models = [
        # name, torch args, export dir/setup, train options, mesh, feeds, steps
        ("mlp 64-128-10, sgd, batch 32", ["mlp", "64-128-10", "--batch", "32",
                                          "--optimizer", "sgd", "--steps", "20"],
         "mlp", SGD, "16x16", ["--input", "x=x.npy", "--input", "labels=labels.npy"], 20),
        ("lm d128 L2 T64 b4 v512, adamw", ["lm", "gpt2", *sum((["--set", k] for k in lm_small), [])],
         ("gpt2", lm_small), ADAMW, None, None, 6),
        ("lm d256 L4 T128 b4 v2048, adamw", ["lm", "gpt2", *sum((["--set", k] for k in lm_large), [])],
         ("gpt2", lm_large), ADAMW, None, None, 5),
        ("gpt2 (repo config), adamw", ["lm", "gpt2"], ("gpt2", []), ADAMW, LM_MESH, None, 3),
        ("llama (repo config), adamw", ["lm", "llama"], ("llama", []), ADAMW, LM_MESH, None, 3),
    ]
    rows = []
    for name, targs, setup, opts, mesh, feeds, steps in models:
        if setup == "mlp":
            d, src, passes = work, "mlp.mlir", ()
        else:
            lm, sets = setup
            d = os.path.join(work, "speed-" + lm + "-" + "-".join(s.split("=")[1] for s in sets))
            os.makedirs(d, exist_ok=True)
            run([sys.executable, os.path.join(ROOT, "models", lm, "export.py"), "--out",
                 "model.onnx", "--data-dir", ".", "--steps", str(steps),
                 *sum((["--set", s] for s in sets), [])], d)
            run([translate, "--import-onnx", "model.onnx", "-o", "model.mlir"], d)
            src, passes = "model.mlir", ("--wse-raise-attention",)
            feeds = ["--input", "input_ids=input_ids.npy", "--input", "labels=labels.npy"]
        run([opt, src, *passes, f"--wse-make-train-step={opts}", "-o", "speed-train.mlir"], d)
        # As many torch steps as the engines run (the MLP's are in targs).
        if "--steps" not in targs:
            targs = targs + ["--steps", str(steps)]
        t1 = torch_ms(targs, 1, d)
        tn = torch_ms(targs, cores, d)
        ref1 = step_ms([sim, "speed-train.mlir", "--steps", str(steps), "--threads", "1"]
                       + feeds, d)
        refn = step_ms([sim, "speed-train.mlir", "--steps", str(steps), "--threads",
                        str(cores)] + feeds, d)
        mesh_cols = ("-",) * 4
        if mesh:
            run([opt, src, *passes, f"--wse-train-pipeline={opts} machine=wse2 mesh={mesh}",
                 "-o", "speed-mesh.mlir"], d)
            run([translate, "--export-wafer-program", "speed-mesh.mlir", "-o", "speed.wsebin"], d)
            m1 = step_ms([sim, "speed.wsebin", "--steps", str(steps), "--threads", "1"] + feeds, d)
            mn = step_ms([sim, "speed.wsebin", "--steps", str(steps), "--threads", str(cores)]
                         + feeds, d)
            mesh_cols = (f"{m1:.1f}", f"{m1 / t1:.1f}", f"{mn:.1f}", f"{mn / tn:.1f}")
        rows.append((name, mesh or "-", f"{t1:.1f}", f"{tn:.1f}", f"{ref1:.1f}",
                     f"{ref1 / t1:.1f}", f"{refn:.1f}", f"{refn / tn:.1f}", *mesh_cols))
    return rows


def streaming_rows(tools, work, steps):
    """Pipelined against weight streaming on the mesh engine."""
    opt, translate, sim = tools
    md = os.path.join(work, "streamed-mlp")
    os.makedirs(md, exist_ok=True)
    run([sys.executable, os.path.join(ROOT, "models/mlp/export.py"), "--out", "model.onnx",
         "--in-features", "1024", "--hidden", "2048,2048", "--classes", "10", "--batch", "64",
         "--data-dir", ".", "--steps", str(steps)], md)
    run([translate, "--import-onnx", "model.onnx", "-o", "model.mlir"], md)
    cases = [("gpt2", os.path.join(work, "gpt2"), LM_MESH, ("--wse-raise-attention",),
              ["--input", "input_ids=input_ids.npy", "--input", "labels=labels.npy"]),
             ("mlp 1024-2048-2048-10, b64", md, "16x16", (),
              ["--input", "x=x.npy", "--input", "labels=labels.npy"])]
    rows = []
    for name, d, mesh, passes, feeds in cases:
        base = None
        for execution in ("pipelined", "weight-streaming"):
            cmd = [opt, "model.mlir", *passes, f"--wse-train-pipeline={ADAMW} machine=wse2 "
                   f"mesh={mesh} execution={execution}", "-o", "s.mlir"]
            t0 = time.perf_counter()
            r = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
            t_opt = time.perf_counter() - t0
            if r.returncode != 0:
                rows.append((name, mesh, execution, "does not fit", "", "", "", "", "", "", ""))
                continue
            run([translate, "--export-wafer-program", "s.mlir", "-o", "s.wsebin"], d)
            t0 = time.perf_counter()
            run([sim, "s.wsebin", "--steps", str(steps), "--quiet", "--report", "s.json"]
                + feeds, d)
            wall = (time.perf_counter() - t0) / steps
            rep = json.load(open(os.path.join(d, "s.json")))
            step = rep["steps"][0]
            cyc = step["cycles"]
            base = base or cyc
            mb = lambda k: f"{step[k] / 1e6:.2f} MB" if k in step else "-"
            share = rep.get("host_link_share")
            rows.append((name, mesh, rep["execution"], str(cyc), ratio(cyc, base),
                         mb("host_bytes_in"), mb("host_bytes_out"),
                         "-" if share is None else f"{share:.3f}",
                         f"{rep['max_pe_sram_bytes']} B", f"{t_opt:.2f} s",
                         f"{wall * 1e3:.0f} ms"))
    return rows


def moe_rows(tools, work, steps):
    """models/moe at E = 4 and 16 experts (same top-k and d_ff per expert),
    as exported and raised (rows moved by scatters from their holders, the
    default, and by gathers: routed-scatters=false), and models/switch
    (nn.Linear experts) at E = 8 and 16 and Mixtral-style SwiGLU experts at
    E = 8, raised, with their
    experts stacked (the pipeline's default) and kept apart
    (stack-experts=false): the mesh engine's cycles, wavelets and SRAM."""
    opt, translate, sim = tools
    rows, base = [], {}
    stacking = (("raised, apart", ["--wse-raise-moe"], " stack-experts=false"),
                ("raised, stacked", ["--wse-raise-moe"], ""))
    # name: (models/ dir, extra export settings, expert counts, forms)
    variants = {
        "moe": ("moe", [], (4, 16), (("one-hot", [], ""), ("raised", ["--wse-raise-moe"], ""),
                                     ("raised, gathers", ["--wse-raise-moe"],
                                      " routed-scatters=false"))),
        "switch": ("switch", [], (8, 16), stacking),
        "mixtral": ("moe", ["expert_swiglu=1"], (8,), stacking),
    }
    runs = [(name, src, sets, e, forms)
            for name, (src, sets, counts, forms) in variants.items() for e in counts]
    for model, src, sets, experts, forms in runs:
        d = os.path.join(work, f"{model}{experts}")
        os.makedirs(d, exist_ok=True)
        run([sys.executable, os.path.join(ROOT, f"models/{src}/export.py"), "--out",
             "model.onnx", "--data-dir", ".", "--steps", str(steps), "--set",
             f"experts={experts}", *sum((["--set", s] for s in sets), [])], d)
        run([translate, "--import-onnx", "model.onnx", "-o", "model.mlir"], d)
        for label, passes, extra in forms:
            run([opt, "model.mlir", *passes, "--wse-train-pipeline=loss=output "
                 f"optimizer=adamw lr=0.001 machine=wse2 mesh={LM_MESH}{extra}", "-o",
                 "p.mlir"], d)
            run([translate, "--export-wafer-program", "p.mlir", "-o", "p.wsebin"], d)
            t0 = time.perf_counter()
            run([sim, "p.wsebin", "--steps", str(steps), "--quiet", "--report", "r.json",
                 "--input", "input_ids=input_ids.npy", "--input", "labels=labels.npy"], d)
            wall = (time.perf_counter() - t0) / steps
            rep = json.load(open(os.path.join(d, "r.json")))
            cyc, wav = rep["steps"][0]["cycles"], rep["wavelets"] / steps
            b = base.setdefault((model, label), (cyc, wav))
            rows.append((model, str(experts), label, str(cyc), ratio(cyc, b[0]), f"{wav:.0f}",
                         ratio(wav, b[1]), f"{rep['max_pe_sram_bytes']} B",
                         f"{wall * 1e3:.0f} ms"))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--steps", type=int, default=20,
                    help="MLP steps for the simulate rows")
    ap.add_argument("--model-steps", type=int, default=2,
                    help="steps simulated per model for the models table "
                         "(cycles per step do not depend on it)")
    ap.add_argument("--work-dir", default=None)
    ap.add_argument("--skip-sparsity", action="store_true",
                    help="leave out the sparsity table (about a minute)")
    ap.add_argument("--skip-moe", action="store_true",
                    help="leave out the mixture-of-experts table")
    ap.add_argument("--skip-torch", action="store_true",
                    help="leave out the speed table against PyTorch (minutes)")
    ap.add_argument("--skip-streaming", action="store_true",
                    help="leave out the weight-streaming table (a minute)")
    args = ap.parse_args()
    b = os.path.abspath(args.bin_dir)
    opt, translate, sim = (os.path.join(b, t) for t in ("wse-opt", "wse-translate", "wse-sim"))
    work = os.path.abspath(args.work_dir) if args.work_dir else tempfile.mkdtemp(prefix="wse-bench-")
    os.makedirs(work, exist_ok=True)
    py = sys.executable
    run([py, os.path.join(ROOT, "models/mlp/export.py"), "--out", "mlp.onnx",
         "--data-dir", ".", "--steps", str(args.steps)], work)
    run([translate, "--import-onnx", "mlp.onnx", "-o", "mlp.mlir"], work)
    lm_steps = max(args.model_steps, 1)
    for lm in ("gpt2", "llama", "btlm"):
        d = os.path.join(work, lm)
        os.makedirs(d, exist_ok=True)
        run([py, os.path.join(ROOT, "models", lm, "export.py"), "--out", "model.onnx",
             "--data-dir", ".", "--steps", str(lm_steps)], d)
        run([translate, "--import-onnx", "model.onnx", "-o", "model.mlir"], d)

    # --- compile scaling and simulator speed ---------------------------------
    rows = []
    base = None
    for tag, label, opts in [("mesh16", "mlp: 16x16 corner of wse2", "machine=wse2 mesh=16x16"),
                             ("wse2", "mlp: whole wse2 (750x994)", "machine=wse2"),
                             ("wse3", "mlp: whole wse3 (755x1174)", "machine=wse3")]:
        row, m, _ = compile_row("compile", label, (opt, translate), work, "mlp.mlir", tag,
                                f"{SGD} {opts}", args.repeat, base)
        base = base or m
        rows.append(row)

    gd = os.path.join(work, "gpt2")
    base = None
    for tag, label, opts in [("mesh64", "gpt2: 64x64 corner of wse2", "machine=wse2 mesh=64x64"),
                             ("wse2", "gpt2: whole wse2 (750x994)", "machine=wse2")]:
        row, m, _ = compile_row("compile", label, (opt, translate), gd, "model.mlir", tag,
                                f"{ADAMW} {opts}", args.repeat, base,
                                passes=("--wse-raise-attention",))
        base = base or m
        rows.append(row)

    inputs = ["--input", "x=x.npy", "--input", "labels=labels.npy", "--steps", str(args.steps), "--quiet"]
    run([opt, "mlp.mlir", f"--wse-make-train-step={SGD}", "-o", "train.mlir"], work)
    t_ref = best_time([sim, "train.mlir"] + inputs, work, args.repeat)
    t_mesh1 = best_time([sim, "mesh16.wsebin", "--threads", "1"] + inputs, work, args.repeat)
    t_mesh = best_time([sim, "mesh16.wsebin"] + inputs, work, args.repeat)
    rows.append(("simulate", f"reference engine, {args.steps} steps", f"{t_ref * 1e3:.1f} ms", "1.00",
                 "", "", "", ""))
    rows.append(("simulate", f"mesh engine 16x16, {args.steps} steps, 1 thread",
                 f"{t_mesh1 * 1e3:.1f} ms", f"{t_mesh1 / t_ref:.2f}", "", "", "", ""))
    rows.append(("simulate", f"mesh engine 16x16, {args.steps} steps, {os.cpu_count()} threads",
                 f"{t_mesh * 1e3:.1f} ms", f"{t_mesh / t_ref:.2f}", "", "", "", ""))
    print_table(("what", "configuration", "time", "ratio", "pe IR", "ratio", ".wsebin", "ratio"), rows)
    print(f"\n(best of {args.repeat}; baselines: the MLP 16x16 compile, the GPT-2 64x64 compile "
          f"and the reference engine)\n")

    # --- per-model costs ------------------------------------------------------
    models = [("mlp", "64-128-10 MLP, sgd", work, "mlp.mlir", "16x16", SGD, (),
               ["--input", "x=x.npy", "--input", "labels=labels.npy"], args.steps)]
    for lm, label in (("gpt2", "GPT-2-style LM, adamw"), ("llama", "Llama-style LM, adamw"),
                      ("btlm", "BTLM-style LM, adamw")):
        models.append((lm, label, os.path.join(work, lm), "model.mlir", LM_MESH, ADAMW,
                       ("--wse-raise-attention",),
                       ["--input", "input_ids=input_ids.npy", "--input", "labels=labels.npy"],
                       lm_steps))
    rows, base = [], None
    for name, label, d, src, mesh, opts, passes, feeds, steps in models:
        pipe = [opt, src, *passes, f"--wse-train-pipeline={opts} machine=wse2 mesh={mesh}",
                "-o", "bench-model.mlir"]
        t_opt = best_time(pipe, d, args.repeat)
        run([translate, "--export-wafer-program", "bench-model.mlir", "-o", "bench-model.wsebin"], d)
        t0 = time.perf_counter()
        run([sim, "bench-model.wsebin", "--steps", str(steps), "--quiet",
             "--report", "bench-model.json"] + feeds, d)
        t_sim = (time.perf_counter() - t0) / steps
        rep = json.load(open(os.path.join(d, "bench-model.json")))
        cyc = rep["steps"][0]["cycles"]
        flops, util = rep["flops_per_step"], rep["utilization"]
        m = (t_opt, cyc, flops, util, t_sim)
        base = base or m
        rows.append((name, label, f"{mesh} ({rep['pes']} PEs)",
                     f"{t_opt * 1e3:.1f} ms", ratio(t_opt, base[0]),
                     str(cyc), ratio(cyc, base[1]),
                     str(flops), ratio(flops, base[2], ".1f"),
                     f"{util:.3f}", ratio(util, base[3]),
                     f"{t_sim * 1e3:.0f} ms"))
    print_table(("model", "what", "mesh", "compile", "ratio", "cycles/step", "ratio",
                 "flops/step", "ratio", "utilization", "ratio", "sim wall/step"), rows)
    print(f"\n(compile: wse-opt --wse-train-pipeline wall time, best of {args.repeat}; cycles/step, "
          f"flops/step, utilization: the mesh engine's report; sim wall/step: one run of "
          f"{lm_steps} steps ({args.steps} for the MLP) divided by the steps; baseline: the MLP; "
          f"work dir {work})")
    print()
    print_table(("model", "parameters", "wse .mlir", "ratio", "make.py", "train step",
                 "ratio", "peak memory", "ratio"), large_model_rows(opt, work))
    print("\n(models/gpt/make.py --preset NAME --batch 8 (context 2048), weights as "
          "#wse.random; train step: wse-opt --wse-make-train-step (AdamW) wall time and peak "
          "resident memory; baseline: gpt3-125m)")
    print()
    kept = {}
    print_table(("model", "batch", "recompute", "micro-batches", "compile", "ratio",
                 "peak memory", "ratio",
                 "SRAM/PE"), whole_wafer_rows(opt, work, keep=kept))
    print("\n(wse-opt --wse-train-pipeline (AdamW, machine=wse2, the whole 750 x 994 wafer, "
          "execution=weight-streaming recompute=R micro-batches=N) wall time and peak "
          "resident memory; "
          "SRAM/PE: the highest buffer end on a mesh PE, of 40960 B for data; baseline: "
          "gpt3-125m)")
    print()
    print_table(("model", "batch", "recompute", "micro-batches", "timing-only", "ratio",
                 "peak memory", "s/step estimate", "utilization", "bottleneck",
                 "host in/step"), estimate_rows((opt, translate, sim), kept))
    print("\n(wse-sim --timing-only on the programs above: the region cost model without "
          "data; its wall time and peak resident memory, and the step it estimates; "
          "baseline: gpt3-1.3b)")
    if not args.skip_moe:
        print()
        print_table(("model", "experts", "routing", "cycles/step", "ratio", "wavelets/step",
                     "ratio", "SRAM/PE", "sim wall/step"),
                    moe_rows((opt, translate, sim), work, lm_steps))
        print(f"\n(models/moe: top-2 of E experts, d_ff 128 per expert, capacity factor "
              f"1.25, AdamW, loss=output, {LM_MESH}; one-hot: the exported dense dispatch "
              f"and combine; raised: --wse-raise-moe (gathers: routed-scatters=false, the "
              f"forward row gathers kept); ratio: against the first E with the "
              f"same routing. models/switch: top-1, nn.Linear experts; mixtral: models/moe "
              f"with expert_swiglu=1, top-2 of a ModuleList of SwiGLU experts; stacked: "
              f"wse-stack-experts (the pipeline's default), apart: stack-experts=false)")
    if not args.skip_streaming:
        print()
        print_table(("model", "mesh", "execution", "cycles/step", "ratio", "host in/step",
                     "host out/step", "link share", "SRAM/PE", "compile", "sim wall/step"),
                    streaming_rows((opt, translate, sim), work, lm_steps))
        print("\n(AdamW; execution=pipelined is the baseline where it fits; host in/out: "
              "bytes over the host links per step; link share: the share of the step the "
              "busier direction of the links was busy; compile: wse-opt "
              "--wse-train-pipeline wall time)")
    if not args.skip_torch:
        cores = os.cpu_count() or 1
        rows = speed_rows((opt, translate, sim), work, cores)
        print()
        print_table(("model", "mesh", "torch 1t ms", f"torch {cores}t ms", "ref 1t ms",
                     "ref/torch 1t", f"ref {cores}t ms", f"ref/torch {cores}t", "mesh 1t ms",
                     "mesh/torch 1t",
                     f"mesh {cores}t ms", f"mesh/torch {cores}t"), rows)
        print(f"\n(one training step, wall ms: torch eager with OpenBLAS (median of its steps "
              f"after a warm-up), the reference and the mesh engine at 1 and {cores} threads "
              f"(median of their steps after the first); ratios against torch at the same "
              f"thread count; the two "
              f"LMs of issue 11 fit no mesh below 128x128 (16,384 PEs), where the mesh engine "
              f"takes minutes to plan and about 18 GB, so it is not run on them)")
    if args.skip_sparsity:
        return

    # --- static weight sparsity ----------------------------------------------
    sd = os.path.join(work, "sparse-mlp")
    os.makedirs(sd, exist_ok=True)
    export_mlp([1024, 1024, 1024, 10], 64, 2, sd)
    run([translate, "--import-onnx", "model.onnx", "-o", "model.mlir"], sd)
    tools = (opt, translate, sim)
    rows = sparsity_rows(tools, sd, "model.mlir", (), ADAMW, "48x48",
                         ["--input", "x=x.npy", "--input", "labels=labels.npy"], 2,
                         "mlp 1024-1024-1024-10, 48x48")
    rows += sparsity_rows(tools, os.path.join(work, "gpt2"), "model.mlir",
                          ("--wse-raise-attention",), ADAMW, LM_MESH,
                          ["--input", "input_ids=input_ids.npy", "--input",
                           "labels=labels.npy"], lm_steps, f"gpt2, {LM_MESH}")
    print()
    print_table(("model", "density", "cycles/step", "ratio", "wavelets/step", "ratio",
                 "SRAM/PE", "ratio", "sim wall/step", "ratio"), rows)
    print("\n(--wse-sparsify method=random on every weight matrix, AdamW; a density-1 mask "
          "keeps every entry and compiles to the dense step; SRAM/PE: the highest buffer end "
          "on any PE; baseline: each model dense)")


if __name__ == "__main__":
    main()
