#!/usr/bin/env python3
"""PyTorch export parity: torch.onnx.export -> wse-translate -> wse-sim.

For each model and each opset (13 and 17):
  1. builds the model (deterministic weights) in eval mode and a random
     normal input, and computes PyTorch's output under torch.no_grad()
  2. exports it with torch.onnx.export (do_constant_folding=False)
  3. wse-translate --import-onnx model.onnx -o model.mlir
  4. wse-sim model.mlir --input x=x.npy --dump-outputs out  (reference engine)
  5. compares out/output_0.npy with PyTorch's output: same shape, and
     np.allclose(got, want, rtol=1e-5, atol=1e-6), i.e. every element has
     |got - want| <= 1e-6 + 1e-5 * |want| (NaN anywhere fails)

Models:
  encoder  nn.TransformerEncoderLayer(64, nhead 4, ff 128, dropout 0,
           batch_first=True), input (2, 16, 64)   models/transformer/model.py
  gpt2     GPT-2-style causal block (LayerNorm, masked causal attention with
           4 heads, tanh-GELU MLP, residuals), input (2, 32, 64)
  mlp      the 64-128-10 MLP of models/mlp, input (32, 64)

Nothing is skipped: an export, import or simulation failure is a FAIL of
that case. Prints a table per model; exits 0 only if every case passes.
"""

import argparse
import importlib.util
import os
import shutil
import sys
import traceback
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from toolrun import StageFailed, run, tool  # noqa: E402
import torch

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MODELS_DIR = os.path.join(REPO_ROOT, "models")

RTOL, ATOL = 1e-5, 1e-6
OPSETS = (13, 17)
MODEL_NAMES = ("encoder", "gpt2", "mlp")


def load_module(path, name, deps=None):
    """Loads a file as module `name`; `deps` are visible to its imports
    (models/mlp and models/transformer both have a model.py)."""
    saved = {k: sys.modules.get(k) for k in (deps or {})}
    sys.modules.update(deps or {})
    try:
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        return mod
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v


def load_models():
    tdir = os.path.join(MODELS_DIR, "transformer")
    mdir = os.path.join(MODELS_DIR, "mlp")
    t_model = load_module(os.path.join(tdir, "model.py"), "wse_transformer_model")
    t_export = load_module(os.path.join(tdir, "export.py"),
                           "wse_transformer_export", {"model": t_model})
    m_model = load_module(os.path.join(mdir, "model.py"), "wse_mlp_model")
    m_export = load_module(os.path.join(mdir, "export.py"), "wse_mlp_export",
                           {"model": m_model})
    return t_export, m_model, m_export


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bin-dir", required=True,
                   help="directory holding wse-translate and wse-sim")
    p.add_argument("--work-dir", required=True)
    p.add_argument("--models", nargs="+", default=list(MODEL_NAMES),
                   choices=MODEL_NAMES)
    p.add_argument("--opsets", nargs="+", type=int, default=list(OPSETS))
    p.add_argument("--timeout", type=float, default=600.0,
                   help="seconds per tool run (default 600)")
    return p.parse_args(argv)


CaseFailed = StageFailed


def build(name, t_export, m_model, m_export):
    """(torch model in eval mode, input array, export function(path, opset))."""
    if name == "mlp":
        model = m_model.make_model(0, 64, 128, 10).eval()
        x = np.random.default_rng(1).standard_normal((32, 64)).astype(
            np.float32)

        def export(path, opset):
            m_export.export_onnx(model, 32, 64, path, opset)
            m_export.check_graph(path, False)
        return model, x, export, "x"
    model, shape = t_export.make(name, seed=0)
    x = t_export.example_input(shape, data_seed=1)

    def export(path, opset):
        t_export.export_onnx(model, x, path, opset)
    return model, x, export, "x"


def run_case(args, name, opset, built, translate, sim):
    """Returns a dict row of the table; raises nothing."""
    model, x, export, input_name = built
    row = {"opset": opset, "stage": "", "status": "FAIL", "detail": "",
           "shape": "", "max_abs": float("nan"), "max_rel": float("nan"),
           "ops": ""}
    case_dir = os.path.join(args.work_dir, f"{name}_opset{opset}")
    shutil.rmtree(case_dir, ignore_errors=True)
    os.makedirs(case_dir)
    try:
        with torch.no_grad():
            want = model(torch.from_numpy(x)).numpy()
        np.save(os.path.join(case_dir, "x.npy"), x)
        np.save(os.path.join(case_dir, "torch_y.npy"), want)
        onnx_path = os.path.join(case_dir, "model.onnx")
        print(f"== export: {name} at opset {opset} -> {onnx_path}", flush=True)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                export(onnx_path, opset)
        except Exception as e:
            raise CaseFailed("export", f"{type(e).__name__}: {e}")
        try:
            import onnx
            g = onnx.load(onnx_path).graph
            ops = sorted({n.op_type for n in g.node})
            row["ops"] = ",".join(ops)
        except Exception:
            pass
        run("import", [translate, "--import-onnx", onnx_path, "-o",
                       "model.mlir"], case_dir, args.timeout)
        out_dir = os.path.join(case_dir, "out")
        run("sim", [sim, "model.mlir", "--input", f"{input_name}=x.npy",
                    "--dump-outputs", "out"], case_dir, args.timeout)
        path = os.path.join(out_dir, "output_0.npy")
        if not os.path.isfile(path):
            raise CaseFailed("compare", "wse-sim wrote no output_0.npy")
        if os.path.isfile(os.path.join(out_dir, "output_1.npy")):
            raise CaseFailed("compare", "wse-sim wrote more than one output")
        got = np.load(path)
        row["shape"] = "x".join(map(str, got.shape))
        if got.shape != want.shape:
            raise CaseFailed("compare", f"shape {got.shape}, torch "
                             f"{want.shape}")
        if got.dtype.kind != "f":
            raise CaseFailed("compare", f"dtype {got.dtype}, torch float32")
        g64, w64 = got.astype(np.float64), want.astype(np.float64)
        diff = np.abs(g64 - w64)
        row["max_abs"] = float(np.max(diff))
        row["max_rel"] = float(np.max(diff / np.maximum(np.abs(w64), 1e-12)))
        if not np.allclose(got, want, rtol=RTOL, atol=ATOL):
            bad = ~np.isclose(got, want, rtol=RTOL, atol=ATOL)
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise CaseFailed("compare", f"{int(bad.sum())} of {want.size} "
                             f"elements off (first at {idx}: {got[idx]!r} vs "
                             f"torch {want[idx]!r})")
        row["status"], row["stage"] = "PASS", "done"
    except CaseFailed as e:
        row["stage"], row["detail"] = e.stage, e.message
    except Exception as e:  # a bug here must fail the case, not skip it
        traceback.print_exc()
        row["stage"], row["detail"] = "harness", f"{type(e).__name__}: {e}"
    print(f"   {name} opset {opset}: {row['status']}"
          + (f" at {row['stage']}: {row['detail']}" if row["detail"] else ""),
          flush=True)
    return row


def print_table(name, rows):
    print(f"\n{name}")
    print(f"  {'opset':>5}  {'status':<6}  {'stage':<8}  {'shape':<10}  "
          f"{'max|d|':>9}  {'max rel':>9}  detail")
    for r in rows:
        print(f"  {r['opset']:>5}  {r['status']:<6}  {r['stage']:<8}  "
              f"{r['shape']:<10}  {r['max_abs']:9.2e}  {r['max_rel']:9.2e}  "
              f"{r['detail']}")
    for r in rows:
        if r["ops"]:
            print(f"  opset {r['opset']} ONNX ops: {r['ops']}")


def main(argv=None):
    args = parse_args(argv)
    args.bin_dir = os.path.abspath(args.bin_dir)
    args.work_dir = os.path.abspath(args.work_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    try:
        translate = tool(args.bin_dir, "wse-translate")
        sim = tool(args.bin_dir, "wse-sim")
    except CaseFailed as e:
        print(f"torch_export_parity: FAIL: {e.message}", file=sys.stderr)
        return 1
    t_export, m_model, m_export = load_models()
    tables = {}
    for name in args.models:
        built = build(name, t_export, m_model, m_export)
        tables[name] = [run_case(args, name, opset, built, translate, sim)
                        for opset in args.opsets]
    print(f"\ncomparison: np.allclose(wse, torch, rtol={RTOL}, atol={ATOL})"
          f"; max rel = max |d| / max(|torch|, 1e-12)")
    for name, rows in tables.items():
        print_table(name, rows)
    rows = [r for t in tables.values() for r in t]
    failed = [r for r in rows if r["status"] != "PASS"]
    print()
    if failed:
        print(f"torch_export_parity: FAIL ({len(failed)} of {len(rows)} "
              f"cases)")
        return 1
    print(f"torch_export_parity: PASS ({len(rows)} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
