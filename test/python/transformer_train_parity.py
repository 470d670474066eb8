#!/usr/bin/env python3
"""Transformer training parity: PyTorch AdamW vs wse, 10 steps.

For each model (models/gpt2, models/llama, models/btlm, and the mixtures of
experts models/moe and models/switch, which return their own training loss
and train with loss=output):
  1. export.py --out model.onnx --opset 17 --data-dir . --steps N
     (torch.onnx.export, do_constant_folding=False; input_ids.npy and
     labels.npy [N, B, T] int64: next-token targets of a permutation chain)
  2. onnx check: a small numpy evaluator in this file runs model.onnx on
     input_ids[0] in float64 and must match the untrained torch model's
     logits (np.allclose(rtol=1e-4, atol=1e-5)), so a failure later on is
     not the export's
  3. torch oracle: train_torch.py (weights read from the ONNX initializers,
     torch.optim.AdamW, CrossEntropyLoss on logits.view(-1, V)) in float32,
     and again in float64 to show how far float32 rounding alone moves each
     tensor (the "f32 floor" column; informational)
  4. wse-translate --import-onnx model.onnx -o model.mlir, then
     wse-sim model.mlir on input_ids[0]: the forward logits must match
     torch's (np.allclose(rtol=1e-4, atol=1e-5)); this separates forward
     from backward/optimizer problems
  5. wse-opt model.mlir [--wse-raise-attention] --wse-make-train-step=
     "loss=cross-entropy optimizer=adamw lr=0.001 beta1=0.9 beta2=0.999
     eps=1e-8 weight-decay=0.01" -o train.mlir
  6. wse-sim train.mlir --steps N --input input_ids=input_ids.npy
     --input labels=labels.npy --report wse.json --dump-params wse_params
  7. compare with the float32 oracle:
       loss    |wse - torch| <= 1e-4 * |torch| at every step
       params  per tensor, for every float initializer of model.onnx:
               max|wse - torch| <= 1e-4 * max|torch| + 1e-6

With --engine mesh (and --mesh WxH) the same train step is also mapped onto
a simulated WSE-2 corner and trained by the mesh engine:
  8. wse-opt model.mlir [--wse-raise-attention] --wse-train-pipeline=
     "<the same options> machine=wse2 mesh=WxH" -o program.mlir;
     wse-translate --export-wafer-program program.mlir -o program.wsebin
  9. wse-sim program.wsebin --steps N ... --report mesh.json
     --dump-params mesh_params
 10. the mesh engine's losses and parameters meet the same bounds against
     torch as the reference engine's, its losses are within 1e-5 relative
     of the reference engine's at every step, and its report names the
     machine and mesh and has cycles, wavelets, max_pe_sram_bytes > 0.

A model that fails anywhere (export, oracle, import, train step, sim,
compare) is a FAIL, reported with its stage and first error line. Prints a
table per model; exits 0 only if every model passes.
"""

import argparse
import json
import math
import os
import shutil
import sys
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import toolrun  # noqa: E402
from toolrun import StageFailed, first_error, tool  # noqa: E402

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MODELS_DIR = os.path.join(REPO_ROOT, "models")
MODEL_NAMES = ("gpt2", "llama", "btlm", "moe", "switch")

LOSS_RTOL = 1e-4
MESH_VS_REF_LOSS_RTOL = 1e-5
PARAM_RTOL, PARAM_ATOL = 1e-4, 1e-6
ONNX_CHECK_RTOL, ONNX_CHECK_ATOL = 1e-4, 1e-5
ADAMW = dict(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01)
SGD = dict(lr=0.05, momentum=0.9, weight_decay=0.0)
OPTIMIZER = "adamw"  # --optimizer


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bin-dir", required=True,
                   help="directory holding wse-translate, wse-opt, wse-sim")
    p.add_argument("--work-dir", required=True)
    p.add_argument("--models", default=",".join(MODEL_NAMES),
                   help="comma-separated subset of " + ",".join(MODEL_NAMES))
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--plain-norms", action="store_true",
                   help="export with fresh (equal) norm weights, which "
                        "torch.onnx.export folds into one initializer plus "
                        "Identity nodes; wse must train them apart")
    p.add_argument("--raise-attention", action="store_true",
                   help="run --wse-raise-attention before the train step")
    p.add_argument("--raise-moe", action="store_true",
                   help="run --wse-raise-moe before the train step; a "
                        "mixture-of-experts model must get a raised gate "
                        "in every block")
    p.add_argument("--decompose-attention", action="store_true",
                   help="with --raise-attention, also run "
                        "--wse-decompose-attention before the train step")
    p.add_argument("--engine", choices=("reference", "mesh"),
                   default="reference",
                   help="reference: the graph-level train step on the "
                        "reference engine; mesh: also train it on the mesh "
                        "engine (--wse-train-pipeline) and compare both")
    p.add_argument("--mesh", default="32x32",
                   help="with --engine mesh: the WSE-2 corner, WxH "
                        "(default 32x32)")
    p.add_argument("--execution", default=None,
                   choices=("pipelined", "weight-streaming", "auto"),
                   help="with --engine mesh: the pipeline's execution=; "
                        "weight-streaming also trains the pipelined program "
                        "and requires the same losses within 1e-6 relative")
    p.add_argument("--recompute", default=None, choices=("none", "selective", "full"),
                   help="with --engine mesh: the pipeline's recompute=; the "
                        "report must say it (the usual bounds against torch "
                        "and the reference engine hold)")
    p.add_argument("--micro-batches", type=int, default=None,
                   help="with --engine mesh: the pipeline's micro-batches= "
                        "(gradient accumulation over slices of the batch); "
                        "the report must say it and torch trains the whole "
                        "batch at once (the usual bounds hold)")
    p.add_argument("--no-float64", action="store_true",
                   help="skip the float64 oracle (the f32 floor column)")
    p.add_argument("--sparsify", default=None,
                   help="wse-sparsify options (e.g. 'density=0.1 "
                        "method=random'): both engines and the torch oracle "
                        "train with the mask wse-sim --dump-masks writes")
    p.add_argument("--optimizer", choices=("adamw", "sgd"), default="adamw",
                   help="sgd: SGD with momentum (lr 0.05, momentum 0.9) on "
                        "both sides instead of AdamW")
    p.add_argument("--timeout", type=float, default=600.0,
                   help="seconds per command (default 600)")
    args = p.parse_args(argv)
    global OPTIMIZER
    OPTIMIZER = args.optimizer
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in args.models if m not in MODEL_NAMES]
    if bad or not args.models:
        p.error(f"--models: unknown {bad}; choose from {list(MODEL_NAMES)}")
    if args.steps < 2:
        p.error("--steps must be at least 2")
    return args


# --- running commands -------------------------------------------------------

Failed = StageFailed


def run(stage, cmd, cwd, timeout):
    return toolrun.run(stage, cmd, cwd, timeout,
                       echo_prefixes=("export:", "train_torch:"))


def load_json(path, stage):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise Failed(stage, f"cannot read {path}: {e}")


def report_losses(path, steps, stage):
    report = load_json(path, stage)
    entries = report.get("steps") if isinstance(report, dict) else None
    if not isinstance(entries, list):
        raise Failed(stage, f"{path}: no 'steps' list")
    got = [e.get("step") for e in entries if isinstance(e, dict)]
    if got != list(range(1, steps + 1)):
        raise Failed(stage, f"{path}: expected steps 1..{steps}, got {got}")
    try:
        return [float(e["loss"]) for e in entries]
    except (KeyError, TypeError, ValueError) as e:
        raise Failed(stage, f"{path}: bad loss entry: {e}")


# --- a small numpy ONNX evaluator (float64) ---------------------------------
#
# Enough of opset 13-17 for the exported models: it checks that the ONNX
# file computes what torch computes, independently of wse.

def _np_dtype(onnx_type):
    import onnx
    if onnx_type == onnx.TensorProto.FLOAT:
        return np.float64  # evaluate in float64
    try:
        return onnx.helper.tensor_dtype_to_np_dtype(onnx_type)
    except AttributeError:  # onnx < 1.13
        return onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type]


def _as_eval(a):
    a = np.asarray(a)
    return a.astype(np.float64) if a.dtype == np.float32 else a


def _binary(f):
    return lambda n, a, x, y: [f(x, y)]


def _div(n, a, x, y):
    if np.issubdtype(x.dtype, np.integer):
        return [(np.trunc(x / y)).astype(x.dtype)]
    return [x / y]


def _slice(n, a, data, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes
    steps = [1] * len(starts) if steps is None else steps
    idx = [slice(None)] * data.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        dim = data.shape[ax]
        s, e, st = int(s), int(e), int(st)
        s = max(-dim - 1, min(dim, s))
        e = max(-dim - 1, min(dim, e))
        if st > 0:
            s, e = (s + dim if s < 0 else s), (e + dim if e < 0 else e)
            s, e = max(0, s), max(0, e)
            idx[ax] = slice(s, e, st)
        else:
            s = s + dim if s < 0 else min(s, dim - 1)
            e = e + dim if e < 0 else e
            idx[ax] = slice(s, e if e >= 0 else None, st)
    return [data[tuple(idx)]]


def _reshape(n, a, data, shape):
    shape = [int(d) for d in shape]
    if not a.get("allowzero", 0):
        shape = [data.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return [data.reshape(shape)]


def _split(n, a, x, split=None):
    axis = a.get("axis", 0)
    if split is None:
        k = a.get("num_outputs", len(n.output))
        split = [x.shape[axis] // k] * k
    points = np.cumsum([int(s) for s in split])[:-1]
    return list(np.split(x, points, axis=axis))


def _unsqueeze(n, a, x, axes=None):
    axes = a.get("axes") if axes is None else axes
    rank = x.ndim + len(axes)
    for ax in sorted(int(v) % rank for v in axes):
        x = np.expand_dims(x, ax)
    return [x]


def _squeeze(n, a, x, axes=None):
    axes = a.get("axes") if axes is None else axes
    if axes is None:
        return [np.squeeze(x)]
    return [np.squeeze(x, axis=tuple(int(v) % x.ndim for v in axes))]


def _softmax(n, a, x):
    axis = a.get("axis", -1)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return [e / np.sum(e, axis=axis, keepdims=True)]


def _layer_norm(n, a, x, scale, bias=None):
    axis = a.get("axis", -1) % x.ndim
    eps = a.get("epsilon", 1e-5)
    axes = tuple(range(axis, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    inv = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True)
                        + eps)
    y = (x - mean) * inv * scale
    if bias is not None:
        y = y + bias
    return [y, mean, inv]


def _reduce(f):
    def op(n, a, x, axes=None):
        axes = a.get("axes") if axes is None else axes
        keep = bool(a.get("keepdims", 1))
        if axes is None or len(axes) == 0:
            if a.get("noop_with_empty_axes", 0):
                return [x]
            return [f(x, axis=None, keepdims=keep)]
        return [f(x, axis=tuple(int(v) for v in axes), keepdims=keep)]
    return op


def _gemm(n, a, x, w, c=None):
    x = x.T if a.get("transA", 0) else x
    w = w.T if a.get("transB", 0) else w
    y = a.get("alpha", 1.0) * (x @ w)
    if c is not None:
        y = y + a.get("beta", 1.0) * c
    return [y]


def _constant(n, a):
    from onnx import numpy_helper
    for attr in n.attribute:
        if attr.name == "value":
            return [_as_eval(numpy_helper.to_array(attr.t))]
        if attr.name == "value_float":
            return [np.array(attr.f, dtype=np.float64)]
        if attr.name == "value_floats":
            return [np.array(list(attr.floats), dtype=np.float64)]
        if attr.name == "value_int":
            return [np.array(attr.i, dtype=np.int64)]
        if attr.name == "value_ints":
            return [np.array(list(attr.ints), dtype=np.int64)]
    raise ValueError(f"Constant {n.name}: unsupported attribute")


def _constant_of_shape(n, a, shape):
    from onnx import numpy_helper
    value = np.zeros(1, dtype=np.float64)
    for attr in n.attribute:
        if attr.name == "value":
            value = _as_eval(numpy_helper.to_array(attr.t))
    return [np.full([int(d) for d in shape], value.reshape(-1)[0],
                    dtype=value.dtype)]


def _erf(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


OPS = {
    "Identity": lambda n, a, x: [x],
    "Constant": _constant,
    "ConstantOfShape": _constant_of_shape,
    "Shape": lambda n, a, x: [np.array(x.shape[a.get("start", 0):
                                               a.get("end", x.ndim)],
                                       dtype=np.int64)],
    "Cast": lambda n, a, x: [x.astype(_np_dtype(a["to"]))],
    "Gather": lambda n, a, x, i: [np.take(x, i, axis=a.get("axis", 0))],
    "Slice": _slice,
    "Reshape": _reshape,
    "Flatten": lambda n, a, x: [x.reshape(
        int(np.prod(x.shape[:a.get("axis", 1)])), -1)],
    "Transpose": lambda n, a, x: [np.transpose(x, a.get("perm"))],
    "Split": _split,
    "Concat": lambda n, a, *xs: [np.concatenate(xs, axis=a["axis"])],
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Expand": lambda n, a, x, s: [x * np.ones([int(d) for d in s],
                                              dtype=x.dtype)],
    "MatMul": _binary(np.matmul),
    "Gemm": _gemm,
    "Add": _binary(np.add),
    "Sub": _binary(np.subtract),
    "Mul": _binary(np.multiply),
    "Div": _div,
    "Pow": _binary(lambda x, y: np.power(x, y).astype(x.dtype)),
    "Equal": _binary(np.equal),
    "Less": _binary(np.less),
    "Greater": _binary(np.greater),
    "And": _binary(np.logical_and),
    "Or": _binary(np.logical_or),
    "Not": lambda n, a, x: [np.logical_not(x)],
    "Where": lambda n, a, c, x, y: [np.where(c, x, y)],
    "Neg": lambda n, a, x: [-x],
    "Sqrt": lambda n, a, x: [np.sqrt(x)],
    "Reciprocal": lambda n, a, x: [1.0 / x],
    "Exp": lambda n, a, x: [np.exp(x)],
    "Tanh": lambda n, a, x: [np.tanh(x)],
    "Erf": lambda n, a, x: [_erf(x)],
    "Sigmoid": lambda n, a, x: [1.0 / (1.0 + np.exp(-x))],
    "Relu": lambda n, a, x: [np.maximum(x, 0)],
    "Softmax": _softmax,
    "LayerNormalization": _layer_norm,
    "ReduceMean": _reduce(np.mean),
    "ReduceSum": _reduce(np.sum),
    "ReduceMax": _reduce(np.max),
}


def onnx_eval(path, feeds):
    """Runs the ONNX model at `path` on {input name: array}; returns the
    outputs in graph order (float64)."""
    import onnx
    from onnx import helper, numpy_helper
    model = onnx.load(path)
    g = model.graph
    env = {t.name: _as_eval(numpy_helper.to_array(t)) for t in g.initializer}
    env.update({k: _as_eval(v) for k, v in feeds.items()})
    for n in g.node:
        if n.domain not in ("", "ai.onnx"):
            raise ValueError(f"node {n.name}: domain {n.domain}")
        op = OPS.get(n.op_type)
        if op is None:
            raise ValueError(f"numpy evaluator: no {n.op_type} (node "
                             f"{n.name})")
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if "perm" in attrs:
            attrs["perm"] = list(attrs["perm"])
        args = [env[i] if i else None for i in n.input]
        while args and args[-1] is None:
            args.pop()
        try:
            outs = op(n, attrs, *args)
        except Exception as e:
            raise ValueError(f"numpy evaluator: {n.op_type} node {n.name}: "
                             f"{type(e).__name__}: {e}")
        for name, value in zip(n.output, outs):
            if name:
                env[name] = np.asarray(value)
    return [env[o.name] for o in g.output]


def onnx_summary(path):
    """(node count, sorted op types, {initializer: dtype name}, loss): loss
    is "output" for a model that returns its own training loss (its config
    sets returns_loss, models/moe), else "cross-entropy" on its logits."""
    import onnx
    m = onnx.load(path)
    g = m.graph
    ops = sorted({n.op_type for n in g.node})
    inits = {t.name: onnx.TensorProto.DataType.Name(t.data_type)
             for t in g.initializer}
    config = {p.key: p.value for p in m.metadata_props}.get("wse.model_config")
    own = config and json.loads(config).get("returns_loss")
    return len(g.node), ops, inits, "output" if own else "cross-entropy"


# --- one model --------------------------------------------------------------

def train_opts(loss="cross-entropy"):
    if OPTIMIZER == "sgd":
        return (f"loss={loss} optimizer=sgd lr={SGD['lr']} "
                f"momentum={SGD['momentum']} weight-decay={SGD['weight_decay']}")
    return (f"loss={loss} optimizer=adamw "
            f"lr={ADAMW['lr']} beta1={ADAMW['beta1']} "
            f"beta2={ADAMW['beta2']} eps={ADAMW['eps']} "
            f"weight-decay={ADAMW['weight_decay']}")


def oracle_opts():
    if OPTIMIZER == "sgd":
        return ["--optimizer", "sgd", "--lr", repr(SGD["lr"]), "--momentum",
                repr(SGD["momentum"]), "--weight-decay", repr(SGD["weight_decay"])]
    return ["--lr", repr(ADAMW["lr"]), "--beta1", repr(ADAMW["beta1"]),
            "--beta2", repr(ADAMW["beta2"]), "--eps", repr(ADAMW["eps"]),
            "--weight-decay", repr(ADAMW["weight_decay"])]


def script(model, name):
    return [sys.executable, os.path.join(MODELS_DIR, model, name)]


def load_params(d, names, stage):
    out = {}
    for name in names:
        path = os.path.join(d, name + ".npy")
        if not os.path.isfile(path):
            raise Failed(stage, f"no parameter dump {path}")
        try:
            out[name] = np.load(path)
        except (OSError, ValueError) as e:
            raise Failed(stage, f"cannot read {path}: {e}")
    return out


def check_masked_zero(d, params, engine, failures):
    """Entries a mask drops are exactly 0.0 (bit pattern 0) after training."""
    mask_dir = os.path.join(d, "masks")
    names = sorted(f[:-4] for f in os.listdir(mask_dir) if f.endswith(".npy"))
    if not names:
        failures.append("sparsify: no masks were dumped")
    for name in names:
        mask = np.load(os.path.join(mask_dir, name + ".npy"))
        off = params[name][~mask].astype(np.float32)
        if not np.all(off.view(np.uint32) == 0):
            failures.append(f"{engine} {name}: a masked entry is not 0.0")
    return len(names)


def param_tol(want):
    return PARAM_RTOL * float(np.max(np.abs(want), initial=0.0)) + PARAM_ATOL


def max_diff(got, want):
    return float(np.max(np.abs(got.astype(np.float64) -
                               want.astype(np.float64)), initial=0.0))


def check_routing(d, mesh, fails):
    """The raised gates' metrics (expert load, dropped choices) equal the
    torch model's routing at every step, on each engine."""
    want = [s.get("metrics", {}) for s in
            load_json(os.path.join(d, "torch", "losses.json"), "torch")["steps"]]
    for engine, path in [("reference", "wse.json")] + (
            [("mesh", "mesh.json")] if mesh else []):
        got = [s.get("metrics", {}) for s in
               load_json(os.path.join(d, path), engine)["steps"]]
        for step, (g, w) in enumerate(zip(got, want), 1):
            if not w or g != w:
                fails.append(f"{engine}: step {step} routing metrics {g} vs "
                             f"torch {w}")
                break
    print(f"   routing metrics (expert load, dropped) checked against torch",
          flush=True)


def check_moe_raised(opt, module, d, t):
    """--wse-raise-moe raises every gate of the model (one per block): a
    parity run of a model it silently left alone would prove nothing."""
    import subprocess
    p = subprocess.run([opt, module, "--wse-raise-moe", "-o", os.devnull],
                       cwd=d, capture_output=True, text=True, timeout=t)
    raised = p.stderr.count("wse-raise-moe: raised")
    if p.returncode or raised == 0 or "not raised" in p.stderr:
        raise Failed("raise moe", f"{raised} gates raised; "
                     f"{first_error(p.stderr) or 'no remark'}")
    print(f"   wse-raise-moe raised {raised} gates", flush=True)


def run_model(args, name):
    """Returns a result dict; raises nothing."""
    res = {"name": name, "status": "FAIL", "stage": "", "detail": "",
           "torch": None, "torch64": None, "wse": None, "params": [],
           "nodes": 0, "ops": [], "failures": [], "forward": None,
           "mesh": None, "mesh_report": None, "loss": "cross-entropy"}
    d = os.path.join(args.work_dir, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    t = args.timeout
    try:
        run("export", script(name, "export.py") + [
            "--out", "model.onnx", "--opset", str(args.opset),
            "--data-dir", ".", "--steps", str(args.steps)]
            + (["--plain-norms"] if args.plain_norms else []), d, t)
        try:
            res["nodes"], res["ops"], inits, res["loss"] = onnx_summary(
                os.path.join(d, "model.onnx"))
        except Exception as e:
            raise Failed("export", f"cannot read model.onnx: {e}")
        param_names = [n for n, ty in inits.items() if ty == "FLOAT"]

        translate, opt, sim = (tool(args.bin_dir, n) for n in
                               ("wse-translate", "wse-opt", "wse-sim"))
        module = "model.mlir"
        ids = np.load(os.path.join(d, "input_ids.npy"))
        np.save(os.path.join(d, "input_ids_0.npy"), ids[0])
        # A model that returns its loss reads the labels in its forward.
        feeds0 = ["--input", "input_ids=input_ids_0.npy"]
        if res["loss"] == "output":
            np.save(os.path.join(d, "labels_0.npy"),
                    np.load(os.path.join(d, "labels.npy"))[0])
            feeds0 += ["--input", "labels=labels_0.npy"]
        masks = []
        run("import", [translate, "--import-onnx", "model.onnx", "-o",
                       "model.mlir"], d, t)
        if args.sparsify:
            # The mask first: the oracle trains with the same one.
            run("sparsify", [opt, "model.mlir",
                             f"--wse-sparsify={args.sparsify}", "-o",
                             "sparse.mlir"], d, t)
            run("masks", [sim, "sparse.mlir", *feeds0, "--dump-masks",
                          "masks"], d, t)
            module = "sparse.mlir"
            masks = ["--masks", "masks"]
        oracle = script(name, "train_torch.py") + masks + [
            "--model", "model.onnx", "--input-ids", "input_ids.npy",
            "--labels", "labels.npy", "--steps", str(args.steps)] + oracle_opts()
        run("torch oracle", oracle + ["--out-dir", "torch",
                                      "--logits-out", "torch_logits.npy"],
            d, t)
        res["torch"] = report_losses(os.path.join(d, "torch", "losses.json"),
                                     args.steps, "torch oracle")
        torch_params = load_params(os.path.join(d, "torch", "params"),
                                   param_names, "torch oracle")
        if not res["torch"][-1] < res["torch"][0]:
            raise Failed("torch oracle", f"loss did not fall: "
                         f"{res['torch'][0]} -> {res['torch'][-1]}")
        torch64_params = None
        if not args.no_float64:
            run("torch oracle f64", oracle + ["--out-dir", "torch64",
                                              "--float64", "--quiet"], d, t)
            res["torch64"] = report_losses(
                os.path.join(d, "torch64", "losses.json"), args.steps,
                "torch oracle f64")
            torch64_params = load_params(os.path.join(d, "torch64", "params"),
                                         param_names, "torch oracle f64")
        res["params"] = [{"name": n, "shape": torch_params[n].shape,
                          "tol": param_tol(torch_params[n]), "diff": None,
                          "floor": (max_diff(torch_params[n],
                                             torch64_params[n])
                                    if torch64_params else None)}
                         for n in param_names]

        want = np.load(os.path.join(d, "torch_logits.npy"))
        # model.onnx holds the dense weights; with a mask only the wse
        # forward below compares with torch's (masked) logits.
        if res["loss"] == "output":
            print("== onnx check: skipped (the numpy evaluator has the dense "
                  "LMs' ops, not the router's)", flush=True)
        elif not args.sparsify:
            print(f"== onnx check: numpy evaluator on model.onnx vs torch",
                  flush=True)
            try:
                (got,) = onnx_eval(os.path.join(d, "model.onnx"),
                                   {"input_ids": ids[0]})
            except ValueError as e:
                raise Failed("onnx check", str(e))
            if got.shape != want.shape or not np.allclose(
                    got, want, rtol=ONNX_CHECK_RTOL, atol=ONNX_CHECK_ATOL):
                err = (max_diff(got, want) if got.shape == want.shape
                       else f"shape {got.shape} vs {want.shape}")
                raise Failed("onnx check", f"ONNX graph (numpy) differs from "
                             f"torch: max|d| {err}")
            print(f"   logits max|onnx - torch| = {max_diff(got, want):.2e}")

        passes = (["--wse-raise-attention"] if args.raise_attention else [])
        if args.raise_moe:
            passes.append("--wse-raise-moe")
            if res["loss"] == "output":
                check_moe_raised(opt, module, d, t)
        if args.decompose_attention:
            passes.append("--wse-decompose-attention")
        run("forward sim", [sim, module, *feeds0, "--dump-outputs",
                            "forward"], d, t)
        path = os.path.join(d, "forward", "output_0.npy")
        if not os.path.isfile(path):
            raise Failed("forward sim", "wse-sim wrote no output_0.npy")
        got = np.load(path)
        if got.shape != want.shape or not np.allclose(
                got, want, rtol=ONNX_CHECK_RTOL, atol=ONNX_CHECK_ATOL):
            err = (max_diff(got, want) if got.shape == want.shape
                   else f"shape {got.shape} vs {want.shape}")
            raise Failed("forward sim", f"forward output differs from torch: "
                         f"max|d| {err}")
        res["forward"] = max_diff(got, want)
        print(f"   logits max|wse - torch| = {res['forward']:.2e}")
        run("train step", [opt, module] + passes +
            [f"--wse-make-train-step={train_opts(res['loss'])}", "-o",
             "train.mlir"],
            d, t)
        run("sim", [sim, "train.mlir", "--steps", str(args.steps),
                    "--input", "input_ids=input_ids.npy",
                    "--input", "labels=labels.npy", "--report", "wse.json",
                    "--dump-params", "wse_params"], d, t)
        res["wse"] = report_losses(os.path.join(d, "wse.json"), args.steps,
                                   "sim")
        wse_params = load_params(os.path.join(d, "wse_params"), param_names,
                                 "sim")
        mesh_params = None
        if args.engine == "mesh":
            mesh_params = run_mesh(args, d, passes, res, param_names, module)
        if args.sparsify:
            n = check_masked_zero(d, wse_params, "reference", res["failures"])
            if mesh_params is not None:
                check_masked_zero(d, mesh_params, "mesh", res["failures"])
            print(f"   {n} masked parameters; masked entries checked for 0.0")

        fails = res["failures"]
        for step, (w, tl) in enumerate(zip(res["wse"], res["torch"]), 1):
            if not abs(w - tl) <= LOSS_RTOL * abs(tl):  # NaN fails
                fails.append(f"step {step} loss {w!r} vs torch {tl!r}")
        for p in res["params"]:
            got, want = wse_params[p["name"]], torch_params[p["name"]]
            if got.shape != want.shape:
                fails.append(f"{p['name']}: shape {got.shape} vs torch "
                             f"{want.shape}")
                p["diff"] = float("inf")
                continue
            p["diff"] = max_diff(got, want)
            if not p["diff"] <= p["tol"]:
                fails.append(f"{p['name']}: max|d| {p['diff']:.3g} > tol "
                             f"{p['tol']:.3g}")
        if mesh_params is not None:
            check_mesh(res, mesh_params, torch_params, wse_params)
        if args.raise_moe and res["loss"] == "output":
            check_routing(d, args.engine == "mesh", fails)
        if fails:
            raise Failed("compare", f"{len(fails)} checks off; first: "
                         f"{fails[0]}")
        res["status"], res["stage"] = "PASS", "done"
    except Failed as e:
        res["stage"], res["detail"] = e.stage, e.message
    except Exception as e:  # a harness bug fails the model, never skips it
        traceback.print_exc()
        res["stage"], res["detail"] = "harness", f"{type(e).__name__}: {e}"
    print(f"   {name}: {res['status']}" +
          (f" at {res['stage']}: {res['detail']}" if res["detail"] else ""),
          flush=True)
    return res


# --- the mesh engine --------------------------------------------------------

MESH_REPORT_KEYS = ("cycles", "wavelets", "max_pe_sram_bytes", "pes",
                    "regions", "flops_per_step", "utilization")


def run_mesh(args, d, passes, res, param_names, module="model.mlir"):
    """Maps the train step onto the mesh, trains it on the mesh engine;
    returns its parameters and fills res["mesh"], res["mesh_report"]."""
    t = args.timeout
    translate, opt, sim = (tool(args.bin_dir, n) for n in
                           ("wse-translate", "wse-opt", "wse-sim"))
    shutil.rmtree(os.path.join(d, "mesh_params"), ignore_errors=True)
    execution = f" execution={args.execution}" if args.execution else ""
    if args.recompute:
        execution += f" recompute={args.recompute}"
    if args.micro_batches:
        execution += f" micro-batches={args.micro_batches}"
    run("mesh pipeline", [opt, module] + passes +
        [f"--wse-train-pipeline={train_opts(res['loss'])} machine=wse2 "
         f"mesh={args.mesh}{execution}", "-o", "program.mlir"], d, t)
    run("export wafer program", [translate, "--export-wafer-program",
                                 "program.mlir", "-o", "program.wsebin"],
        d, t)
    run("mesh sim", [sim, "program.wsebin", "--steps", str(args.steps),
                     "--input", "input_ids=input_ids.npy",
                     "--input", "labels=labels.npy", "--report", "mesh.json",
                     "--dump-params", "mesh_params"], d, t)
    res["mesh"] = report_losses(os.path.join(d, "mesh.json"), args.steps,
                                "mesh sim")
    res["mesh_report"] = load_json(os.path.join(d, "mesh.json"), "mesh sim")
    if args.recompute and (not isinstance(res["mesh_report"], dict) or
                           res["mesh_report"].get("recompute") != args.recompute):
        res["failures"].append(f"mesh report: recompute is not {args.recompute}")
    if args.micro_batches and (
            not isinstance(res["mesh_report"], dict) or
            res["mesh_report"].get("micro_batches") != args.micro_batches):
        res["failures"].append(
            f"mesh report: micro_batches is not {args.micro_batches}")
    if args.execution == "weight-streaming":
        compare_pipelined(args, d, passes, res, module)
    return load_params(os.path.join(d, "mesh_params"), param_names,
                       "mesh sim")


def compare_pipelined(args, d, passes, res, module):
    """Weight streaming runs the same kernels as pipelined execution: the
    streamed program says so in its report and trains to the pipelined
    program's losses within 1e-6 relative."""
    t = args.timeout
    translate, opt, sim = (tool(args.bin_dir, n) for n in
                           ("wse-translate", "wse-opt", "wse-sim"))
    run("pipelined mesh pipeline", [opt, module] + passes +
        [f"--wse-train-pipeline={train_opts(res['loss'])} machine=wse2 "
         f"mesh={args.mesh} execution=pipelined"
         + (f" micro-batches={args.micro_batches}" if args.micro_batches
            else ""), "-o", "pipelined.mlir"],
        d, t)
    run("export pipelined", [translate, "--export-wafer-program",
                             "pipelined.mlir", "-o", "pipelined.wsebin"], d, t)
    run("pipelined mesh sim", [sim, "pipelined.wsebin", "--steps",
                               str(args.steps), "--input",
                               "input_ids=input_ids.npy", "--input",
                               "labels=labels.npy", "--report",
                               "pipelined.json"], d, t)
    piped = report_losses(os.path.join(d, "pipelined.json"), args.steps,
                          "pipelined mesh sim")
    rep = res["mesh_report"]
    if not isinstance(rep, dict) or rep.get("execution") != "weight-streaming":
        res["failures"].append("mesh report: execution is not "
                               "weight-streaming")
    for step, (s, p) in enumerate(zip(res["mesh"], piped), 1):
        if not abs(s - p) <= 1e-6 * abs(p):
            res["failures"].append(f"weight streaming: step {step} loss "
                                   f"{s!r} vs pipelined {p!r} (> 1e-6 rel)")
    worst = max(abs(s - p) / abs(p) for s, p in zip(res["mesh"], piped))
    print(f"   weight streaming vs pipelined: worst loss rel diff {worst:.2e}")


def check_mesh(res, mesh_params, torch_params, ref_params):
    """Mesh engine vs torch (the same bounds as the reference engine) and vs
    the reference engine (losses 1e-5 relative); appends to failures."""
    fails = res["failures"]
    for step, (m, tl, r) in enumerate(zip(res["mesh"], res["torch"],
                                          res["wse"]), 1):
        if not abs(m - tl) <= LOSS_RTOL * abs(tl):  # NaN fails
            fails.append(f"mesh: step {step} loss {m!r} vs torch {tl!r}")
        if not abs(m - r) <= MESH_VS_REF_LOSS_RTOL * abs(r):
            fails.append(f"mesh: step {step} loss {m!r} vs reference "
                         f"engine {r!r} (> {MESH_VS_REF_LOSS_RTOL:g} rel)")
    for p in res["params"]:
        got, want = mesh_params[p["name"]], torch_params[p["name"]]
        if got.shape != want.shape:
            fails.append(f"mesh: {p['name']}: shape {got.shape} vs torch "
                         f"{want.shape}")
            p["mesh_diff"] = float("inf")
            continue
        p["mesh_diff"] = max_diff(got, want)
        p["mesh_ref_diff"] = max_diff(got, ref_params[p["name"]])
        if not p["mesh_diff"] <= p["tol"]:
            fails.append(f"mesh: {p['name']}: max|d| {p['mesh_diff']:.3g} > "
                         f"tol {p['tol']:.3g}")
    rep = res["mesh_report"]
    if not isinstance(rep, dict):
        fails.append("mesh report: not a JSON object")
        return
    missing = [k for k in MESH_REPORT_KEYS if k not in rep]
    if missing:
        fails.append(f"mesh report: missing {missing}")
    for k in ("cycles", "wavelets", "max_pe_sram_bytes", "flops_per_step"):
        if not (isinstance(rep.get(k), (int, float)) and rep[k] > 0):
            fails.append(f"mesh report: {k} = {rep.get(k)!r}, expected > 0")
    u = rep.get("utilization")
    if not (isinstance(u, (int, float)) and 0 < u <= 1):
        fails.append(f"mesh report: utilization = {u!r}, expected in (0, 1]")


# --- reporting --------------------------------------------------------------

def fmt(v, spec):
    """format(v, spec), or "-" right-aligned to the spec's width."""
    if v is not None:
        return format(v, spec)
    width = spec.split(".")[0]
    return "-".rjust(int(width) if width.isdigit() else 0)


def print_model(res):
    print(f"\n{res['name']}: {res['status']}" +
          (f" at {res['stage']}: {res['detail']}" if res["detail"] else ""))
    if res["ops"]:
        print(f"  ONNX: {res['nodes']} nodes; ops: {', '.join(res['ops'])}")
    if res["forward"] is not None:
        print(f"  forward (untrained, input_ids[0]): max|wse - torch| logits "
              f"{res['forward']:.2e}")
    rep = res.get("mesh_report")
    if isinstance(rep, dict):
        m = rep.get("machine") or {}
        steps = rep.get("steps") or [{}]
        print(f"  mesh engine: {m.get('name')} {m.get('width')}x"
              f"{m.get('height')}, {rep.get('pes')} PEs, "
              f"{len(rep.get('regions') or [])} regions, "
              f"{steps[0].get('cycles')} cycles/step, "
              f"{rep.get('flops_per_step')} flops/step, utilization "
              f"{fmt(rep.get('utilization'), '.3f')}, max SRAM/PE "
              f"{rep.get('max_pe_sram_bytes')} B, wavelet-hops "
              f"{rep.get('wavelets')}")
    mesh = res.get("mesh") is not None
    if res["torch"]:
        n = len(res["torch"])
        t64 = res["torch64"] or [None] * n
        w = res["wse"] or [None] * n
        ms = res["mesh"] or [None] * n
        print(f"  {'step':>4}  {'torch':>11}  {'wse':>11}  {'rel err':>9}  "
              f"{'f32 floor':>9}" +
              (f"  {'mesh':>11}  {'mesh rel':>9}  {'mesh/ref':>9}"
               if mesh else ""))
        for i, (tl, wl, dl, ml) in enumerate(zip(res["torch"], w, t64, ms),
                                             1):
            rel = None if wl is None else abs(wl - tl) / abs(tl)
            floor = None if dl is None else abs(tl - dl) / abs(dl)
            line = (f"  {i:>4}  {tl:11.7f}  {fmt(wl, '11.7f')}  "
                    f"{fmt(rel, '9.2e')}  {fmt(floor, '9.2e')}")
            if mesh:
                mrel = None if ml is None else abs(ml - tl) / abs(tl)
                mref = (None if ml is None or wl is None
                        else abs(ml - wl) / abs(wl))
                line += (f"  {fmt(ml, '11.7f')}  {fmt(mrel, '9.2e')}  "
                         f"{fmt(mref, '9.2e')}")
            print(line)
    if res["params"]:
        width = max(len(p["name"]) for p in res["params"])
        print(f"  {'parameter':<{width}}  {'shape':<10}  {'max|d|':>9}  "
              f"{'tol':>9}  {'d/tol':>7}  {'floor/tol':>9}" +
              (f"  {'mesh d/tol':>10}  {'mesh-ref':>9}" if mesh else ""))
        for p in res["params"]:
            ratio = None if p["diff"] is None else p["diff"] / p["tol"]
            floor = None if p["floor"] is None else p["floor"] / p["tol"]
            shape = "x".join(map(str, p["shape"]))
            line = (f"  {p['name']:<{width}}  {shape:<10}  "
                    f"{fmt(p['diff'], '9.2e')}  {p['tol']:9.2e}  "
                    f"{fmt(ratio, '7.3f')}  {fmt(floor, '9.3f')}")
            if mesh:
                md = p.get("mesh_diff")
                mratio = None if md is None else md / p["tol"]
                line += (f"  {fmt(mratio, '10.3f')}  "
                         f"{fmt(p.get('mesh_ref_diff'), '9.2e')}")
            print(line)
    for f in res["failures"][:20]:
        print(f"  - {f}")
    if len(res["failures"]) > 20:
        print(f"  - ... {len(res['failures']) - 20} more")


def main(argv=None):
    args = parse_args(argv)
    args.bin_dir = os.path.abspath(args.bin_dir)
    args.work_dir = os.path.abspath(args.work_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    results = [run_model(args, name) for name in args.models]
    print(f"\ncriteria (against the float32 torch oracle): loss |wse - torch|"
          f" <= {LOSS_RTOL:g} |torch| at every step; per parameter tensor "
          f"max|wse - torch| <= {PARAM_RTOL:g} max|torch| + {PARAM_ATOL:g} "
          f"(tol). f32 floor: the same distance between the float32 and "
          f"float64 torch oracles (rounding alone; informational). "
          f"{train_opts()} (loss=output for models returning their loss), "
          f"{args.steps} steps" +
          (", --wse-raise-attention" if args.raise_attention else "") +
          (", --wse-raise-moe" if args.raise_moe else "") +
          (", --wse-decompose-attention" if args.decompose_attention else "")
          + (f"; mesh engine (machine=wse2 mesh={args.mesh}): the same "
             f"bounds against torch, and losses within "
             f"{MESH_VS_REF_LOSS_RTOL:g} relative of the reference engine "
             f"(mesh/ref); mesh-ref: max|mesh - reference| per tensor "
             f"(informational)" if args.engine == "mesh" else ""))
    for res in results:
        print_model(res)
    failed = [r for r in results if r["status"] != "PASS"]
    print()
    for r in results:
        print(f"  {r['name']:<6} {r['status']}" +
              (f" at {r['stage']}: {r['detail']}" if r["detail"] else ""))
    if failed:
        print(f"transformer_train_parity: FAIL ({len(failed)} of "
              f"{len(results)} models)")
        return 1
    print(f"transformer_train_parity: PASS ({len(results)} models)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
