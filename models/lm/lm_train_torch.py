#!/usr/bin/env python3
"""Training oracle: trains model.py in torch from the ONNX initializers.

  train_torch.py --model model.onnx --input-ids input_ids.npy
                 --labels labels.npy [--steps 10] [--lr 1e-3 --beta1 0.9
                 --beta2 0.999 --eps 1e-8 --weight-decay 0.01]
                 [--out-dir DIR] [--float64] [--logits-out FILE]

Builds the module of model.py with the config stored in the ONNX model
(metadata "wse.model_config"), then sets every parameter and persistent
buffer from the ONNX initializers, so torch starts from exactly the tensors
wse imports. The initializer -> torch name map:
  * an initializer named like a state-dict entry sets it; tensors that are
    one object in torch (the tied LM head) share it;
  * an Identity node reading a float initializer and named like a
    state-dict entry (torch.onnx.export folds equal-valued parameters this
    way in eval mode) is its own parameter with the initializer's value, as
    wse imports it (and as the PyTorch model has it); an Identity of a
    non-float initializer (a mask buffer) shares it;
  * anything unmapped either way is an error.
The map is printed and written to param_map.json.

Trains --steps steps of torch.optim.AdamW (foreach=False) with
nn.CrossEntropyLoss on logits.view(-1, V) (or the model's own loss,
model(input_ids, labels), if its CONFIG sets returns_loss), step i on
input_ids[i] and labels[i]. Writes DIR/losses.json ({"steps": [{"step", "loss"}]}, the loss
of each step before its update) and DIR/params/<initializer>.npy for every
ONNX initializer after the last step (bool buffers unchanged).

Before training it checks torch's AdamW against a hand-written AdamW step
on a small tensor (check_adamw); a mismatch is an error. --float64 trains
in float64 (outputs still float32): comparing it with the float32 run
measures how far float32 rounding alone moves losses and parameters.

Shared by models/gpt2, models/llama and models/btlm: each directory's
train_torch.py puts its model.py first on the import path and calls main().
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

from model import CONFIG, make_model  # noqa: E402

CONFIG_KEY = "wse.model_config"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", default="model.onnx")
    p.add_argument("--input-ids", default="input_ids.npy")
    p.add_argument("--labels", default="labels.npy")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--beta1", type=float, default=0.9)
    p.add_argument("--beta2", type=float, default=0.999)
    p.add_argument("--eps", type=float, default=1e-8)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--out-dir", default=".")
    p.add_argument("--float64", action="store_true",
                   help="train in float64 (rounding-noise estimate)")
    p.add_argument("--logits-out", default=None,
                   help="write the untrained model's output on input_ids[0]"
                        " (float32 .npy: the logits, or the loss of a "
                        "model that returns it), to check the ONNX graph with")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--optimizer", choices=("adamw", "sgd"), default="adamw",
                   help="sgd: torch.optim.SGD with --lr, --momentum and "
                        "--weight-decay (the AdamW flags but --lr unused)")
    p.add_argument("--momentum", type=float, default=0.0)
    p.add_argument("--masks", default=None,
                   help="directory of <initializer>.npy bool masks "
                        "(wse-sim --dump-masks): masked weights start at "
                        "zero, their gradients are dropped before step() "
                        "and the weights masked after it")
    return p.parse_args(argv)


# --- the AdamW check -------------------------------------------------------

def adamw_reference(p, grads, lr, betas, eps, wd):
    """Hand-written AdamW (Loshchilov & Hutter, torch's formulation) on
    float64 numpy: decoupled decay, bias-corrected moments."""
    p = p.astype(np.float64).copy()
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    b1, b2 = betas
    for t, g in enumerate(grads, start=1):
        g = g.astype(np.float64)
        p = p * (1.0 - lr * wd)
        m = b1 * m + (1.0 - b1) * g
        v = b2 * v + (1.0 - b2) * g * g
        m_hat = m / (1.0 - b1 ** t)
        v_hat = v / (1.0 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


def check_adamw(lr, betas, eps, wd):
    """torch.optim.AdamW (as train() builds it) against adamw_reference on
    a 3x4 tensor over 4 steps, in float64 (must agree to 1e-12) and float32
    (to 1e-6 relative). Raises ValueError on a mismatch."""
    rng = np.random.default_rng(0)
    p0 = rng.standard_normal((3, 4))
    # Gradients spanning the regimes of Adam: large, tiny (~eps), zero.
    grads = [rng.standard_normal((3, 4)) * s
             for s in (1.0, 1e-3, 1e-8, 0.5)]
    grads[2][0, :] = 0.0
    want = adamw_reference(p0, grads, lr, betas, eps, wd)
    for dtype, tol in ((torch.float64, 1e-12), (torch.float32, 1e-6)):
        p = nn.Parameter(torch.tensor(p0, dtype=dtype))
        opt = make_optimizer([p], lr, betas, eps, wd)
        for g in grads:
            p.grad = torch.tensor(g, dtype=dtype)
            opt.step()
        got = p.detach().double().numpy()
        err = np.max(np.abs(got - want)) / np.max(np.abs(want))
        if not err <= tol:
            raise ValueError(f"torch AdamW ({dtype}) differs from the "
                             f"hand-written AdamW by {err:.3g} relative")
    # One step by hand: p1 = p0 (1 - lr wd) - lr g / (|g| + eps) exactly.
    g = grads[0]
    one = p0 * (1 - lr * wd) - lr * g / (np.abs(g) + eps)
    if not np.allclose(adamw_reference(p0, grads[:1], lr, betas, eps, wd),
                       one, rtol=1e-12, atol=0):
        raise ValueError("hand-written AdamW: first step is not "
                         "p (1 - lr wd) - lr g / (|g| + eps)")


def make_optimizer(params, lr, betas, eps, wd):
    return torch.optim.AdamW(params, lr=lr, betas=betas, eps=eps,
                             weight_decay=wd, amsgrad=False, foreach=False,
                             maximize=False)


# --- ONNX initializers -> torch parameters ---------------------------------

def load_onnx(path):
    """(config, {initializer: ndarray} in graph order,
    {Identity output: initializer})."""
    m = onnx.load(path)
    config = dict(CONFIG)
    for prop in m.metadata_props:
        if prop.key == CONFIG_KEY:
            config = json.loads(prop.value)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    aliases = {}
    for n in m.graph.node:
        if n.op_type == "Identity" and n.input[0] in inits:
            if inits[n.input[0]].dtype.kind == "f":
                # A folded float parameter: wse imports it as its own
                # parameter with the same value (torch's semantics), so the
                # oracle trains it apart too.
                inits[n.output[0]] = inits[n.input[0]].copy()
            else:
                aliases[n.output[0]] = n.input[0]
    return config, inits, aliases


def set_tensor(model, name, tensor):
    """Replaces parameter or buffer `name` (dotted) of `model`."""
    prefix, _, leaf = name.rpartition(".")
    module = model.get_submodule(prefix) if prefix else model
    if isinstance(tensor, nn.Parameter):
        setattr(module, leaf, tensor)  # registers in _parameters
    else:
        module._buffers[leaf] = tensor


def map_initializers(model, inits, aliases):
    """{initializer: [torch state-dict names]}; raises ValueError if a name
    has no initializer or an initializer no name."""
    groups = {}
    for name, tensor in model.state_dict(keep_vars=True).items():
        groups.setdefault(id(tensor), []).append(name)
    mapping = {init: [] for init in inits}
    for names in groups.values():
        sources = {n if n in inits else aliases.get(n) for n in names}
        sources.discard(None)
        if not sources:
            raise ValueError(f"torch tensor {' = '.join(names)} has no ONNX "
                             f"initializer (nor an Identity of one)")
        if len(sources) > 1:
            raise ValueError(f"torch tensor {' = '.join(names)} is several "
                             f"ONNX initializers: {sorted(sources)}")
        mapping[sources.pop()].extend(names)
    unused = [i for i, names in mapping.items() if not names]
    if unused:
        raise ValueError(f"ONNX initializers {unused} match no torch "
                         f"parameter or buffer")
    return mapping


def load_weights(model, inits, mapping, dtype):
    """Sets every torch tensor from its initializer; names mapped to one
    initializer become one tensor. Returns {initializer: torch tensor}."""
    state = model.state_dict(keep_vars=True)
    tensors = {}
    for init, names in mapping.items():
        value = inits[init]
        for n in names:
            if tuple(state[n].shape) != value.shape:
                raise ValueError(f"{n}: torch shape {tuple(state[n].shape)},"
                                 f" initializer {init} {value.shape}")
            if state[n].dtype.is_floating_point != (value.dtype.kind == "f"):
                raise ValueError(f"{n}: torch {state[n].dtype}, initializer "
                                 f"{init} {value.dtype}")
        t = torch.from_numpy(value.copy())
        if t.is_floating_point():
            t = t.to(dtype)
        if isinstance(state[names[0]], nn.Parameter):
            t = nn.Parameter(t)
        for n in names:
            set_tensor(model, n, t)
        tensors[init] = t
    # Every state-dict entry is now one of the loaded tensors.
    loaded = {id(t) for t in tensors.values()}
    for n, t in model.state_dict(keep_vars=True).items():
        if id(t) not in loaded:
            raise ValueError(f"internal: {n} was not loaded")
    return tensors


def describe_mapping(mapping, aliases, tensors):
    lines = []
    for init, names in mapping.items():
        others = [n for n in names if n != init]
        if not others:
            continue
        folded = [n for n in others if n in aliases]
        tied = [n for n in others if n not in aliases]
        if tied:
            lines.append(f"tied: initializer {init} is also torch "
                         f"{', '.join(tied)} (one tensor in torch)")
        if folded:
            what = ("trained as one shared tensor, as the ONNX graph says"
                    if isinstance(tensors[init], nn.Parameter)
                    else "a constant buffer")
            lines.append(f"folded: initializer {init} is also read as "
                         f"Identity -> {', '.join(folded)}; {what}")
    return lines


# --- training ---------------------------------------------------------------

def check_data(ids, labels, steps, config):
    b, t, v = config["batch"], config["seq"], config["vocab"]
    for what, a in (("input_ids", ids), ("labels", labels)):
        if a.ndim != 3 or a.shape[1:] != (b, t):
            raise ValueError(f"{what} has shape {a.shape}, expected "
                             f"[steps, {b}, {t}]")
        if a.shape[0] < steps:
            raise ValueError(f"{what} has {a.shape[0]} steps, {steps} "
                             f"requested")
        if a.min() < 0 or a.max() >= v:
            raise ValueError(f"{what} out of range [0, {v})")


def load_masks(mask_dir, tensors):
    """{torch tensor: float mask} for every initializer with a mask file."""
    masks = {}
    if not mask_dir:
        return masks
    for init, t in tensors.items():
        path = os.path.join(mask_dir, init + ".npy")
        if os.path.isfile(path):
            m = np.load(path)
            if m.dtype != np.bool_ or m.shape != tuple(t.shape):
                raise ValueError(f"mask {path}: {m.dtype} {m.shape}, expected "
                                 f"bool {tuple(t.shape)}")
            masks[t] = torch.from_numpy(m).to(t.dtype)
    if not masks:
        raise ValueError(f"no mask in {mask_dir} names an initializer")
    with torch.no_grad():
        for t, m in masks.items():
            t.mul_(m)
    return masks


def train(model, ids, labels, args, config, masks=None):
    masks = masks or {}
    if args.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=args.lr,
                              momentum=args.momentum,
                              weight_decay=args.weight_decay, foreach=False)
    else:
        opt = make_optimizer(model.parameters(), args.lr,
                             (args.beta1, args.beta2), args.eps,
                             args.weight_decay)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    model.train()
    for i in range(args.steps):
        x = torch.from_numpy(np.ascontiguousarray(ids[i], dtype=np.int64))
        y = torch.from_numpy(np.ascontiguousarray(labels[i], dtype=np.int64))
        opt.zero_grad(set_to_none=True)
        if config.get("returns_loss"):
            loss = model(x, y)  # the model's own training loss
        else:
            loss = loss_fn(model(x).view(-1, config["vocab"]), y.view(-1))
        loss.backward()
        for t, m in masks.items():
            t.grad.mul_(m)
        opt.step()
        with torch.no_grad():
            for t, m in masks.items():
                t.mul_(m)
        entry = {"step": i + 1, "loss": float(loss.item())}
        # Routing statistics a mixture of experts left (models/moe), named
        # as wse-raise-moe's metrics: <module>.gate.load, .gate.dropped.
        metrics = {f"{path}.{key}": v.tolist()
                   for path, m in model.named_modules()
                   for key, v in getattr(m, "routing", {}).items()}
        if metrics:
            entry["metrics"] = metrics
        losses.append(entry)
    return losses


def write_outputs(out_dir, losses, tensors, mapping):
    params_dir = os.path.join(out_dir, "params")
    os.makedirs(params_dir, exist_ok=True)
    with open(os.path.join(out_dir, "losses.json"), "w") as f:
        json.dump({"steps": losses}, f, indent=1)
    with open(os.path.join(out_dir, "param_map.json"), "w") as f:
        json.dump(mapping, f, indent=1)
    for init, t in tensors.items():
        a = t.detach().numpy()
        if a.dtype.kind == "f":
            a = a.astype(np.float32)
        np.save(os.path.join(params_dir, init + ".npy"), a)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    dtype = torch.float64 if args.float64 else torch.float32
    check_adamw(args.lr, (args.beta1, args.beta2), args.eps,
                args.weight_decay)
    config, inits, aliases = load_onnx(args.model)
    model = make_model(**config)  # weights come from the ONNX model
    mapping = map_initializers(model, inits, aliases)
    tensors = load_weights(model, inits, mapping, dtype)
    if not args.quiet:
        for line in describe_mapping(mapping, aliases, tensors):
            print(f"train_torch: {line}")
    ids = np.load(args.input_ids)
    labels = np.load(args.labels)
    check_data(ids, labels, args.steps, config)
    masks = load_masks(args.masks, tensors)
    if args.logits_out:
        feeds = [ids[0]] + ([labels[0]] if config.get("returns_loss") else [])
        with torch.no_grad():
            out = model(*(torch.from_numpy(f.astype(np.int64)) for f in feeds))
        np.save(args.logits_out, out.numpy().astype(np.float32))
    losses = train(model, ids, labels, args, config, masks)
    write_outputs(args.out_dir, losses, tensors, mapping)
    if not args.quiet:
        print("train_torch: losses " +
              " ".join(f"{e['loss']:.6f}" for e in losses))
    return 0



def run():
    """Entry point of the per-model wrappers: errors are one line, exit 1."""
    try:
        sys.exit(main())
    except (ValueError, OSError) as e:
        print(f"train_torch.py: error: {e}", file=sys.stderr)
        sys.exit(1)
