"""GPT-2-style causal language model for the wse training parity test.

  vocab 128, context 32, d_model 64, 4 heads, 2 pre-LayerNorm blocks,
  learned absolute positions, tanh-GELU MLP of width 4 d_model, final
  LayerNorm, LM head tied to the token embedding (no bias), no dropout;
  biases on c_proj, c_fc and the LayerNorms, none on the fused q/k/v
  projection c_attn (see CausalSelfAttention).

Causal self-attention uses a registered (persistent) lower-triangular bool
buffer `h.<i>.attn.mask`, applied with masked_fill(-inf) before softmax, as
GPT-2 does; torch.onnx.export writes it as a bool initializer (the second
block's as an Identity of the first: equal values are folded), then Slice,
Slice, Not, Cast, Where(cond, -inf, scores).

Weights are deterministic for a seed. Linear and embedding weights are N(0,
0.02) as in GPT-2; biases uniform(-0.02, 0.02), LayerNorm weights
uniform(0.8, 1.2) and biases uniform(-0.1, 0.1), not 0 and 1, so a wrong
bias or scale shows up and no two parameters hold equal values:
torch.onnx.export in eval mode folds equal-valued parameters into one
initializer (see export.py), which would tie them.
"""

import math

import torch
from torch import nn

CONFIG = dict(vocab=128, seq=32, d_model=64, n_head=4, n_layer=2,
              init_std=0.02, batch=2)

# The default weight seed. AdamW's first update of an element is lr * g / (|g|
# + eps): for |g| below ~1e-7, a float32 rounding difference dg in g (~1e-8 for
# these gradients) moves it by up to lr * dg / eps, here ~1e-3, 100 times the
# parity tolerance of 1e-4 * max|param| (~1e-5). Whether any element's gradient
# lands that close to 0 depends on the seed. Seeds 0-9 were trained 10 steps in
# float32 and float64 (data seed 1); this one gave a worst parameter difference
# of 0.16 tolerances, and 0.28 at most when the initial weights were perturbed
# by 1 ulp (4 draws), so the parity test compares implementations, not luck.
SEED = 5


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model, n_head, seq):
        super().__init__()
        assert d_model % n_head == 0
        self.n_head = n_head
        self.scale = 1.0 / math.sqrt(d_model // n_head)
        # No bias on the fused q/k/v projection (nanoGPT's bias=False
        # choice, here only for c_attn): a key bias adds q.b_k to a whole
        # row of scores, which softmax ignores, so its gradient is exactly
        # 0 and float32 gives +-3e-11 of noise that AdamW normalizes into
        # updates of up to ~lr * 3e-3 per step; the key bias would then
        # differ between any two float32 implementations (torch float32 vs
        # float64: 3.6x the parity tolerance) although both are right.
        self.c_attn = nn.Linear(d_model, 3 * d_model, bias=False)
        self.c_proj = nn.Linear(d_model, d_model)
        mask = torch.tril(torch.ones(seq, seq, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, seq, seq))

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


class Block(nn.Module):
    def __init__(self, d_model, n_head, seq):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = CausalSelfAttention(d_model, n_head, seq)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT2(nn.Module):
    def __init__(self, vocab=128, seq=32, d_model=64, n_head=4, n_layer=2,
                 **_):
        super().__init__()
        self.wte = nn.Embedding(vocab, d_model)
        self.wpe = nn.Embedding(seq, d_model)
        self.h = nn.ModuleList(Block(d_model, n_head, seq)
                               for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(d_model)
        self.lm_head = nn.Linear(d_model, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied

    def forward(self, input_ids):
        t = input_ids.shape[1]
        pos = torch.arange(t, device=input_ids.device)
        x = self.wte(input_ids) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def init_weights(model, std, plain_norms=False):
    """GPT-2 initialization with random biases and norm parameters."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                m.weight.normal_(0.0, std)
                if getattr(m, "bias", None) is not None:
                    m.bias.uniform_(-std, std)
            elif isinstance(m, nn.LayerNorm):
                if plain_norms:
                    m.weight.fill_(1.0)
                    m.bias.zero_()
                else:
                    m.weight.uniform_(0.8, 1.2)
                    m.bias.uniform_(-0.1, 0.1)


def make_model(seed=SEED, plain_norms=False, **config):
    """The model with deterministic weights for `seed`. plain_norms=True
    keeps LayerNorm at weight 1, bias 0 (equal values: export folds them)."""
    cfg = dict(CONFIG, **config)
    torch.manual_seed(seed)
    model = GPT2(**cfg)
    init_weights(model, cfg["init_std"], plain_norms)
    return model
