#!/usr/bin/env python3
"""Exports a transformer block of model.py to ONNX, with an example input.

  export.py --model encoder|gpt2 --opset 13|17 --out block.onnx \
            [--input-npy x.npy --output-npy y.npy] [--seed 0 --data-seed 1]

The graph input is named "x" and the output "y". --input-npy writes a random
normal input of the model's shape, --output-npy PyTorch's output for it.
"""

import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import ENCODER, GPT2, make_encoder_layer, make_gpt2_block  # noqa

MODELS = {
    "encoder": (make_encoder_layer,
                (ENCODER["batch"], ENCODER["seq"], ENCODER["d_model"])),
    "gpt2": (make_gpt2_block, (GPT2["batch"], GPT2["seq"], GPT2["d_model"])),
}


def make(name, seed=0):
    """(model in eval mode, input shape)."""
    factory, shape = MODELS[name]
    return factory(seed), shape


def example_input(shape, data_seed=1):
    rng = np.random.default_rng(data_seed)
    return rng.standard_normal(shape).astype(np.float32)


def export_onnx(model, x, out, opset):
    torch.onnx.export(
        model, (torch.from_numpy(x),), out,
        input_names=["x"], output_names=["y"],
        opset_version=opset, do_constant_folding=False,
        training=torch.onnx.TrainingMode.EVAL)


def torch_output(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", choices=sorted(MODELS), required=True)
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--out", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data-seed", type=int, default=1)
    p.add_argument("--input-npy")
    p.add_argument("--output-npy")
    args = p.parse_args(argv)
    model, shape = make(args.model, args.seed)
    x = example_input(shape, args.data_seed)
    export_onnx(model, x, args.out, args.opset)
    if args.input_npy:
        np.save(args.input_npy, x)
    if args.output_npy:
        np.save(args.output_npy, torch_output(model, x))
    return 0


if __name__ == "__main__":
    sys.exit(main())
