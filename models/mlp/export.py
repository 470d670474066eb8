#!/usr/bin/env python3
"""Exports the MLP to ONNX and optionally writes a synthetic training set.

The graph is checked to be exactly Gemm(transB=1) -> Relu -> Gemm with the
initializers named after the torch parameters, since the wse ONNX importer
and the parity test rely on that shape and on those names.
"""

import argparse
import os
import sys

import numpy as np
import onnx
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import make_model  # noqa: E402

def expected_ops(layers):
    return ["Gemm", "Relu"] * (layers - 1) + ["Gemm"]


def expected_initializers(layers):
    return [f"fc{i}.{p}" for i in range(1, layers + 1) for p in ("weight", "bias")]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--out", default="model.onnx")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--in-features", type=int, default=64)
    p.add_argument("--hidden", default="128",
                   help="hidden width, or comma-separated widths, one per "
                        "hidden layer (e.g. 2048,2048)")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--opset", type=int, default=13)
    p.add_argument("--data-dir", default=None,
                   help="if given, also write x.npy and labels.npy here")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--data-seed", type=int, default=1)
    p.add_argument("--one-batch", action="store_true",
                   help="write one batch (no step dimension), used at every step")
    p.add_argument("--verbose", action="store_true")
    return p.parse_args(argv)


def export_onnx(model, batch, in_features, out, opset):
    model.eval()
    example = torch.zeros(batch, in_features, dtype=torch.float32)
    torch.onnx.export(
        model, example, out,
        input_names=["x"], output_names=["logits"],
        opset_version=opset, do_constant_folding=False,
        training=torch.onnx.TrainingMode.EVAL)


def gemm_trans_b(node):
    for attr in node.attribute:
        if attr.name == "transB":
            return attr.i
    return 0


def check_graph(path, verbose, layers=2):
    """Raises ValueError if the exported graph is not the expected MLP."""
    EXPECTED_OPS = expected_ops(layers)
    EXPECTED_INITIALIZERS = expected_initializers(layers)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    g = m.graph
    ops = [n.op_type for n in g.node]
    if verbose:
        for n in g.node:
            print(f"  {n.op_type:6s} {list(n.input)} -> {list(n.output)}")
    if ops != EXPECTED_OPS:
        raise ValueError(f"{path}: expected ops {EXPECTED_OPS}, got {ops}")
    for n in g.node:
        if n.op_type == "Gemm" and gemm_trans_b(n) != 1:
            raise ValueError(f"{path}: Gemm {n.name} does not have transB=1")
    names = [t.name for t in g.initializer]
    if sorted(names) != sorted(EXPECTED_INITIALIZERS):
        raise ValueError(f"{path}: expected initializers "
                         f"{EXPECTED_INITIALIZERS}, got {names}")
    if [i.name for i in g.input if i.name not in names] != ["x"]:
        raise ValueError(f"{path}: graph inputs are not exactly ['x']")
    if [o.name for o in g.output] != ["logits"]:
        raise ValueError(f"{path}: graph outputs are not exactly ['logits']")


def make_data(steps, batch, in_features, classes, seed):
    """Gaussian inputs labelled by a fixed random linear teacher.

    A teacher (rather than random labels) makes the task learnable, so the
    loss reliably goes down across fresh batches.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, batch, in_features)).astype(np.float32)
    teacher = rng.standard_normal((in_features, classes)).astype(np.float32)
    labels = np.argmax(x @ teacher, axis=-1).astype(np.int64)
    return x, labels


def main(argv=None):
    args = parse_args(argv)
    model = make_model(args.seed, args.in_features, args.hidden, args.classes)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    export_onnx(model, args.batch, args.in_features, args.out, args.opset)
    if args.verbose:
        print(f"wrote {args.out}:")
    check_graph(args.out, args.verbose, model.layers)

    if args.data_dir:
        os.makedirs(args.data_dir, exist_ok=True)
        x, labels = make_data(args.steps, args.batch, args.in_features,
                              args.classes, args.data_seed)
        if args.one_batch:
            x, labels = x[0], labels[0]
        np.save(os.path.join(args.data_dir, "x.npy"), x)
        np.save(os.path.join(args.data_dir, "labels.npy"), labels)
        if args.verbose:
            print(f"wrote {args.data_dir}/x.npy {x.shape} {x.dtype}, "
                  f"labels.npy {labels.shape} {labels.dtype}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except ValueError as e:
        print(f"export.py: error: {e}", file=sys.stderr)
        sys.exit(1)
