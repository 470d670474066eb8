#!/usr/bin/env python3
"""Unstructured weight sparsity (wse-sparsify) against PyTorch on an MLP.

The MLP exported by models/mlp/export.py is sparsified on its weight
matrices (magnitude at density 0.25, random at 0.1), then trains 10 steps
with SGD (momentum) and with AdamW three ways:
  torch      the same mask: weights masked at the start, gradients masked
             before step(), weights masked after it
  reference  wse-opt --wse-sparsify, --wse-make-train-step, wse-sim (.mlir)
  mesh       wse-opt --wse-sparsify, --wse-train-pipeline, wse-sim (.wsebin)
The mask comes from the reference run's --dump-masks (the mesh run's must
be the same). Losses must agree with
torch to 1e-5 relative at every step, parameters to max|wse - torch| <=
1e-5 * max|torch| + 1e-7, masked entries must be exactly 0.0 in every dump,
and each mask must keep round(density x numel) entries (the largest |w| for
magnitude).

Usage: sparse_parity.py --bin-dir DIR --work-dir DIR
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models", "mlp"))
from model import MLP  # noqa: E402

STEPS, BATCH, IN, HIDDEN, CLASSES = 10, 8, 24, 40, 6
WEIGHTS = ("fc1.weight", "fc2.weight")

SPARSITY = [("magnitude", 0.25), ("random", 0.1)]
OPTIMIZERS = [
    ("sgd", "optimizer=sgd lr=0.1 momentum=0.9",
     lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9)),
    ("adamw", "optimizer=adamw lr=0.01",
     lambda ps: torch.optim.AdamW(ps, lr=0.01)),
]


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}\n{r.stderr.strip()}")
    return r


def torch_train(inits, masks, x, labels, make_opt):
    model = MLP(IN, HIDDEN, CLASSES)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in inits.items()})
    named = dict(model.named_parameters())
    with torch.no_grad():
        for n, m in masks.items():
            named[n].mul_(torch.from_numpy(m.astype(np.float32)))
    opt = make_opt(list(model.parameters()))
    lossf = torch.nn.CrossEntropyLoss()
    losses = []
    for i in range(STEPS):
        opt.zero_grad()
        loss = lossf(model(torch.from_numpy(x[i])), torch.from_numpy(labels[i]))
        loss.backward()
        for n, m in masks.items():
            named[n].grad.mul_(torch.from_numpy(m.astype(np.float32)))
        opt.step()
        with torch.no_grad():
            for n, m in masks.items():
                named[n].mul_(torch.from_numpy(m.astype(np.float32)))
        losses.append(float(loss))
    return losses, {n: p.detach().numpy().copy() for n, p in named.items()}


def check_mask(name, mask, init, method, density):
    """round(density x numel) kept; for magnitude, no dropped |w| above a
    kept one. Returns a failure message or ''."""
    keep = max(1, int(np.floor(density * mask.size + 0.5)))
    if int(mask.sum()) != keep:
        return f"{name}: {int(mask.sum())} kept, expected {keep}"
    if method == "magnitude":
        kept, dropped = np.abs(init[mask]), np.abs(init[~mask])
        if dropped.size and kept.size and dropped.max() > kept.min():
            return f"{name}: a dropped |w| {dropped.max()} exceeds a kept {kept.min()}"
    return ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--work-dir", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    b = os.path.abspath(args.bin_dir)
    work = os.path.abspath(args.work_dir)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    run([sys.executable, os.path.join(ROOT, "models/mlp/export.py"), "--out", "mlp.onnx",
         "--batch", str(BATCH), "--in-features", str(IN), "--hidden", str(HIDDEN),
         "--classes", str(CLASSES)], work)
    run([os.path.join(b, "wse-translate"), "--import-onnx", "mlp.onnx", "-o", "mlp.mlir"], work)
    inits = {t.name: numpy_helper.to_array(t).astype(np.float32)
             for t in onnx.load(os.path.join(work, "mlp.onnx")).graph.initializer}
    rng = np.random.default_rng(5)
    x = rng.standard_normal((STEPS, BATCH, IN)).astype(np.float32)
    labels = rng.integers(0, CLASSES, (STEPS, BATCH)).astype(np.int64)
    np.save(os.path.join(work, "x.npy"), x)
    np.save(os.path.join(work, "labels.npy"), labels)
    inputs = ["--input", f"x={work}/x.npy", "--input", f"labels={work}/labels.npy"]

    failures = 0
    print(f"{'configuration':26s} {'engine':9s} {'max loss rel':>12s} {'max param d/tol':>16s}  result")
    for method, density in SPARSITY:
        for opt_name, opt_options, make_opt in OPTIMIZERS:
            name = f"{method}{density}_{opt_name}"
            d = os.path.join(work, name)
            os.makedirs(d)
            sparsify = f"--wse-sparsify=density={density} method={method} seed=7"
            try:
                run([os.path.join(b, "wse-opt"), os.path.join(work, "mlp.mlir"), sparsify,
                     f"--wse-make-train-step={opt_options}", "-o", "train.mlir"], d)
                run([os.path.join(b, "wse-opt"), os.path.join(work, "mlp.mlir"), sparsify,
                     f"--wse-train-pipeline={opt_options} mesh=8x8", "-o", "program.mlir"], d)
                run([os.path.join(b, "wse-translate"), "--export-wafer-program", "program.mlir",
                     "-o", "program.wsebin"], d)
                run([os.path.join(b, "wse-sim"), "train.mlir", "--steps", str(STEPS), "--quiet",
                     "--report", "ref.json", "--dump-params", "ref", "--dump-masks", "masks"]
                    + inputs, d)
                run([os.path.join(b, "wse-sim"), "program.wsebin", "--steps", str(STEPS), "--quiet",
                     "--report", "mesh.json", "--dump-params", "mesh", "--dump-masks",
                     "mesh-masks"] + inputs, d)
                masks = {n: np.load(os.path.join(d, "masks", n + ".npy")) for n in WEIGHTS}
                for n, m in masks.items():
                    if not np.array_equal(np.load(os.path.join(d, "mesh-masks", n + ".npy")), m):
                        raise RuntimeError(f"mask {n}: the mesh engine dumps another mask")
                for n, m in masks.items():
                    if m.dtype != np.bool_ or m.shape != inits[n].shape:
                        raise RuntimeError(f"mask {n}: {m.dtype} {m.shape}")
                    if msg := check_mask(n, m, inits[n], method, density):
                        raise RuntimeError(msg)
                tl, tp = torch_train(inits, masks, x, labels, make_opt)
                for engine in ("ref", "mesh"):
                    wl = [s["loss"] for s in json.load(open(os.path.join(d, engine + ".json")))["steps"]]
                    lrel = max(abs(a - t) / abs(t) for a, t in zip(wl, tl))
                    worst, zeros = 0.0, True
                    for pname, tv in tp.items():
                        wv = np.load(os.path.join(d, engine, pname + ".npy"))
                        tol = 1e-5 * float(np.abs(tv).max()) + 1e-7
                        worst = max(worst, float(np.abs(wv - tv).max()) / tol)
                        if pname in masks:
                            # Masked entries are exactly 0.0 (not -0.0 or tiny).
                            off = wv[~masks[pname]]
                            zeros &= bool(np.all(off.view(np.uint32) == 0))
                    ok = lrel <= 1e-5 and worst <= 1.0 and zeros and len(wl) == STEPS
                    print(f"{name:26s} {engine:9s} {lrel:12.2e} {worst:16.3f}  "
                          f"{'PASS' if ok else 'FAIL'}{'' if zeros else ' (masked entries not 0.0)'}")
                    failures += not ok
            except RuntimeError as e:
                print(f"{name:26s} {'':9s} {'':12s} {'':16s}  FAIL: {str(e).splitlines()[-1]}")
                failures += 1
    print(f"sparse_parity: {'PASS' if not failures else f'{failures} FAILED'} "
          f"({len(SPARSITY) * len(OPTIMIZERS)} configurations, 2 engines, {STEPS} steps each)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
