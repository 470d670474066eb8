"""Transformer blocks for the wse PyTorch export tests.

  encoder  nn.TransformerEncoderLayer(d_model 64, nhead 4, dim_feedforward 128,
           dropout 0, batch_first=True), input (batch 2, seq 16, 64)
  gpt2     a GPT-2-style pre-LayerNorm causal block written out in PyTorch:
           x + attn(ln_1(x)), then + mlp(ln_2(.)), with causal self-attention
           (4 heads, a torch.tril mask applied with masked_fill) and a GELU
           (tanh form, as GPT-2) MLP of width 4 d_model; input (2, 32, 64)

Both are built with deterministic weights for a seed and put in eval mode.
"""

import math

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


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model, n_head, max_seq):
        super().__init__()
        assert d_model % n_head == 0
        self.n_head = n_head
        self.scale = 1.0 / math.sqrt(d_model // n_head)
        self.c_attn = nn.Linear(d_model, 3 * d_model)
        self.c_proj = nn.Linear(d_model, d_model)
        mask = torch.tril(torch.ones(max_seq, max_seq, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, max_seq, max_seq))

    def forward(self, x):
        b, t, c = x.shape
        h = self.n_head
        q, k, v = self.c_attn(x).split(c, dim=2)
        q = q.view(b, t, h, c // h).transpose(1, 2)  # (b, h, t, hd)
        k = k.view(b, t, h, c // h).transpose(1, 2)
        v = v.view(b, t, h, c // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * self.scale
        att = att.masked_fill(~self.mask[:, :, :t, :t], float("-inf"))
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, d_model):
        super().__init__()
        self.c_fc = nn.Linear(d_model, 4 * d_model)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * d_model, d_model)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class GPT2Block(nn.Module):
    def __init__(self, d_model=64, n_head=4, max_seq=32):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head, max_seq)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


def make_gpt2_block(seed=0):
    torch.manual_seed(seed)
    block = GPT2Block(GPT2["d_model"], GPT2["n_head"], GPT2["seq"])
    randomize_layer_norms(block)
    return block.eval()
