#!/usr/bin/env python3
"""Training oracle: trains the MLP in torch starting from the ONNX weights.

SGD (with --momentum/--nesterov/--weight-decay) or AdamW (--optimizer
adamw, --beta1/--beta2/--eps/--weight-decay), CrossEntropyLoss (mean).

The initial weights are read from the ONNX initializers (not regenerated from
a seed) so the oracle and the wse engines start from bit-identical params.
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import MLP  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", default="model.onnx")
    p.add_argument("--x", default="x.npy")
    p.add_argument("--labels", default="labels.npy")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--lr", type=float, default=0.1)
    p.add_argument("--optimizer", choices=("sgd", "adamw"), default="sgd")
    p.add_argument("--momentum", type=float, default=0.0, help="sgd")
    p.add_argument("--nesterov", action="store_true", help="sgd")
    p.add_argument("--weight-decay", type=float, default=None,
                   help="default: 0 for sgd, 0.01 for adamw (as in torch "
                        "and wse-make-train-step)")
    p.add_argument("--beta1", type=float, default=0.9, help="adamw")
    p.add_argument("--beta2", type=float, default=0.999, help="adamw")
    p.add_argument("--eps", type=float, default=1e-8, help="adamw")
    p.add_argument("--out-dir", default=".")
    return p.parse_args(argv)


def load_initializers(path):
    """Returns {initializer name: float32 ndarray} in graph order."""
    graph = onnx.load(path).graph
    return {t.name: numpy_helper.to_array(t).astype(np.float32)
            for t in graph.initializer}


def build_model(inits):
    """Builds an MLP whose parameters are exactly the ONNX initializers."""
    layers = 0
    while f"fc{layers + 1}.weight" in inits:
        layers += 1
    if layers < 2:
        raise ValueError("initializers fc1.weight and fc2.weight missing "
                         "from the model")
    in_features = inits["fc1.weight"].shape[1]
    hidden = [inits[f"fc{i}.weight"].shape[0] for i in range(1, layers)]
    classes = inits[f"fc{layers}.weight"].shape[0]
    model = MLP(in_features, hidden, classes)
    state = model.state_dict()
    if set(state) != set(inits):
        raise ValueError(f"initializers {sorted(inits)} do not match torch "
                         f"parameters {sorted(state)}")
    for name, value in inits.items():
        if tuple(state[name].shape) != value.shape:
            raise ValueError(f"{name}: shape {value.shape} != "
                             f"{tuple(state[name].shape)}")
    model.load_state_dict({k: torch.from_numpy(v.copy())
                           for k, v in inits.items()})
    return model


def step_batch(x, labels, i):
    """Step i's batch; arrays without a leading step dim are reused."""
    xi = x[i] if x.ndim == 3 else x
    li = labels[i] if labels.ndim == 2 else labels
    return torch.from_numpy(np.ascontiguousarray(xi, dtype=np.float32)), \
        torch.from_numpy(np.ascontiguousarray(li, dtype=np.int64))


def check_data(x, labels, steps):
    if x.ndim not in (2, 3) or labels.ndim != x.ndim - 1:
        raise ValueError(f"bad data shapes x{x.shape} labels{labels.shape}")
    if x.ndim == 3 and min(x.shape[0], labels.shape[0]) < steps:
        raise ValueError(f"data has {x.shape[0]} steps, {steps} requested")


def make_optimizer(model, args):
    if args.optimizer == "sgd":
        wd = 0.0 if args.weight_decay is None else args.weight_decay
        return torch.optim.SGD(model.parameters(), lr=args.lr,
                               momentum=args.momentum,
                               nesterov=args.nesterov, weight_decay=wd)
    wd = 0.01 if args.weight_decay is None else args.weight_decay
    return torch.optim.AdamW(model.parameters(), lr=args.lr,
                             betas=(args.beta1, args.beta2), eps=args.eps,
                             weight_decay=wd)


def train(model, x, labels, steps, opt):
    """Runs `steps` optimizer steps; returns the forward loss of each."""
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    model.train()
    for i in range(steps):
        xi, li = step_batch(x, labels, i)
        opt.zero_grad()
        loss = loss_fn(model(xi), li)
        loss.backward()
        opt.step()
        losses.append({"step": i + 1, "loss": float(loss.item())})
    return losses


def write_outputs(out_dir, losses, model, names):
    params_dir = os.path.join(out_dir, "params")
    os.makedirs(params_dir, exist_ok=True)
    with open(os.path.join(out_dir, "losses.json"), "w") as f:
        json.dump({"steps": losses}, f, indent=1)
    state = model.state_dict()
    for name in names:
        arr = state[name].detach().numpy().astype(np.float32)
        np.save(os.path.join(params_dir, name + ".npy"), arr)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float32)
    inits = load_initializers(args.model)
    model = build_model(inits)
    x = np.load(args.x).astype(np.float32)
    labels = np.load(args.labels).astype(np.int64)
    check_data(x, labels, args.steps)
    losses = train(model, x, labels, args.steps,
                   make_optimizer(model, args))
    write_outputs(args.out_dir, losses, model, list(inits))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ValueError, OSError) as e:
        print(f"train_torch.py: error: {e}", file=sys.stderr)
        sys.exit(1)
