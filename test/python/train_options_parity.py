#!/usr/bin/env python3
"""Every wse-make-train-step option against PyTorch, on a small MLP.

For each configuration (losses, reductions, ignore_index, label smoothing,
SGD momentum / nesterov / weight decay, AdamW, clipping, freezing, a per-step
learning rate) the MLP exported by models/mlp/export.py trains 5 steps in
torch and on the reference engine (wse-translate, wse-opt, wse-sim). Losses
must agree to 1e-5 relative at every step and every final parameter to
max|wse - torch| <= 1e-5 * max|torch| + 1e-7.

Usage: train_options_parity.py --bin-dir DIR --work-dir DIR
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

STEPS, BATCH, IN, HIDDEN, CLASSES = 5, 8, 16, 32, 6

# name, wse-make-train-step options, torch setup
CONFIGS = [
    ("sgd_momentum_nesterov_wd", "optimizer=sgd lr=0.05 momentum=0.9 nesterov=true weight-decay=0.01",
     dict(opt="sgd", lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("sgd_momentum", "optimizer=sgd lr=0.05 momentum=0.5",
     dict(opt="sgd", lr=0.05, momentum=0.5)),
    ("adamw_clip", "optimizer=adamw lr=0.01 beta1=0.8 beta2=0.99 eps=1e-6 weight-decay=0.1 clip-norm=0.5",
     dict(opt="adamw", lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, clip=0.5)),
    ("ce_sum_smoothing_ignore", "optimizer=sgd lr=0.01 reduction=sum label-smoothing=0.1 ignore-index=-100",
     dict(opt="sgd", lr=0.01, reduction="sum", smoothing=0.1, ignore=-100)),
    ("ce_mean_ignore", "optimizer=sgd lr=0.1 ignore-index=-100",
     dict(opt="sgd", lr=0.1, ignore=-100)),
    ("mse", "loss=mse optimizer=sgd lr=0.1",
     dict(opt="sgd", lr=0.1, loss="mse")),
    ("freeze_fc1", "optimizer=sgd lr=0.1 freeze=fc1.*",
     dict(opt="sgd", lr=0.1, freeze=("fc1.weight", "fc1.bias"))),
    ("lr_input", "optimizer=sgd lr-input=true momentum=0.9",
     dict(opt="sgd", lr=0.1, momentum=0.9, lr_schedule=[0.1, 0.05, 0.02, 0.01, 0.005])),
]


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}\n{r.stderr.strip()}")
    return r


def torch_train(inits, x, labels, targets, cfg):
    model = MLP(IN, HIDDEN, CLASSES)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in inits.items()})
    frozen = cfg.get("freeze", ())
    params = [p for n, p in model.named_parameters() if n not in frozen]
    for n, p in model.named_parameters():
        p.requires_grad_(n not in frozen)
    if cfg["opt"] == "sgd":
        opt = torch.optim.SGD(params, lr=cfg["lr"], momentum=cfg.get("momentum", 0.0),
                              nesterov=cfg.get("nesterov", False),
                              weight_decay=cfg.get("weight_decay", 0.0))
    else:
        opt = torch.optim.AdamW(params, lr=cfg["lr"], betas=cfg["betas"], eps=cfg["eps"],
                                weight_decay=cfg["weight_decay"])
    if cfg.get("loss") == "mse":
        lossf = torch.nn.MSELoss()
    else:
        lossf = torch.nn.CrossEntropyLoss(reduction=cfg.get("reduction", "mean"),
                                          ignore_index=cfg.get("ignore", -100),
                                          label_smoothing=cfg.get("smoothing", 0.0))
    losses = []
    for i in range(STEPS):
        if "lr_schedule" in cfg:
            for g in opt.param_groups:
                g["lr"] = cfg["lr_schedule"][i]
        opt.zero_grad()
        out = model(torch.from_numpy(x[i]))
        target = torch.from_numpy(targets[i] if cfg.get("loss") == "mse" else labels[i])
        loss = lossf(out, target)
        loss.backward()
        if "clip" in cfg:
            torch.nn.utils.clip_grad_norm_(params, cfg["clip"])
        opt.step()
        losses.append(float(loss))
    return losses, {n: p.detach().numpy().copy() for n, p in model.named_parameters()}


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
    rng = np.random.default_rng(3)
    x = rng.standard_normal((STEPS, BATCH, IN)).astype(np.float32)
    labels = rng.integers(0, CLASSES, (STEPS, BATCH)).astype(np.int64)
    labels[:, 1] = -100  # ignored rows (only meaningful with ignore-index)
    plain_labels = np.abs(labels) % CLASSES
    targets = rng.standard_normal((STEPS, BATCH, CLASSES)).astype(np.float32)
    np.save(os.path.join(work, "x.npy"), x)
    np.save(os.path.join(work, "targets.npy"), targets)

    failures = 0
    print(f"{'configuration':28s} {'max loss rel':>12s} {'max param d/tol':>16s}  result")
    for name, options, cfg in CONFIGS:
        d = os.path.join(work, name)
        os.makedirs(d)
        lab = labels if "ignore" in cfg else plain_labels
        np.save(os.path.join(d, "labels.npy"), lab)
        np.save(os.path.join(d, "lr.npy"), np.array(cfg.get("lr_schedule", [cfg["lr"]] * STEPS),
                                                      dtype=np.float32))
        try:
            run([os.path.join(b, "wse-opt"), os.path.join(work, "mlp.mlir"),
                 f"--wse-make-train-step={options}", "-o", "train.mlir"], d)
            inputs = ["--input", f"x={work}/x.npy"]
            inputs += (["--input", f"targets={work}/targets.npy"] if cfg.get("loss") == "mse"
                       else ["--input", "labels=labels.npy"])
            if "lr_schedule" in cfg:
                inputs += ["--input", "lr=lr.npy"]
            run([os.path.join(b, "wse-sim"), "train.mlir", "--steps", str(STEPS), "--quiet",
                 "--report", "r.json", "--dump-params", "params"] + inputs, d)
            wl = [s["loss"] for s in json.load(open(os.path.join(d, "r.json")))["steps"]]
            tl, tp = torch_train(inits, x, lab, targets, cfg)
            lrel = max(abs(a - b) / abs(b) for a, b in zip(wl, tl))
            worst = 0.0
            for pname, tv in tp.items():
                wv = np.load(os.path.join(d, "params", pname + ".npy"))
                tol = 1e-5 * float(np.abs(tv).max()) + 1e-7
                worst = max(worst, float(np.abs(wv - tv).max()) / tol)
            ok = lrel <= 1e-5 and worst <= 1.0 and len(wl) == STEPS
            print(f"{name:28s} {lrel:12.2e} {worst:16.3f}  {'PASS' if ok else 'FAIL'}")
            failures += not ok
        except RuntimeError as e:
            print(f"{name:28s} {'':12s} {'':16s}  FAIL: {str(e).splitlines()[-1]}")
            failures += 1
    print(f"train_options_parity: {'PASS' if not failures else f'{failures} FAILED'} "
          f"({len(CONFIGS)} configurations, {STEPS} steps each)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
