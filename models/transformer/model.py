"""Transformer blocks for the wse PyTorch export tests.

  encoder  nn.TransformerEncoderLayer(d_model 64, nhead 4, dim_feedforward 128,
           dropout 0, batch_first=True), input (batch 2, seq 16, 64)
  gpt2     the pre-LayerNorm causal block of models/gpt2 (models/gpt2/model.py):
           x + attn(ln_1(x)), then + mlp(ln_2(.)), with causal self-attention
           (4 heads, a torch.tril mask applied with masked_fill) and a GELU
           (tanh form, as GPT-2) MLP of width 4 d_model; input (2, 32, 64)

Both are built with deterministic weights for a seed and put in eval mode.
"""

import importlib.util
import os

import torch
from torch import nn

ENCODER = dict(d_model=64, nhead=4, dim_feedforward=128, batch=2, seq=16)
GPT2 = dict(d_model=64, n_head=4, seq=32, batch=2)


def make_encoder_layer(seed=0):
    torch.manual_seed(seed)
    layer = nn.TransformerEncoderLayer(
        d_model=ENCODER["d_model"], nhead=ENCODER["nhead"],
        dim_feedforward=ENCODER["dim_feedforward"], dropout=0.0,
        batch_first=True)
    randomize_layer_norms(layer)
    return layer.eval()


def randomize_layer_norms(module):
    """LayerNorm starts at weight 1, bias 0; non-trivial values let a test
    see a wrong scale or shift."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.LayerNorm):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


def _gpt2_block_class():
    """The pre-LayerNorm causal block of models/gpt2 (one definition)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "gpt2", "model.py")
    spec = importlib.util.spec_from_file_location("wse_gpt2_model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Block


GPT2Block = _gpt2_block_class()


def make_gpt2_block(seed=0):
    torch.manual_seed(seed)
    block = GPT2Block(GPT2["d_model"], GPT2["n_head"], GPT2["seq"])
    randomize_layer_norms(block)
    return block.eval()
