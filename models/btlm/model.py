"""BTLM-style causal language model for the wse training parity test.

After Cerebras' BTLM (GPT-2 layout with ALiBi, SwiGLU and muP multipliers):
  vocab 128, context 32, d_model 64, 2 pre-LayerNorm blocks, no position
  embedding; each block x = x + attn(ln_1(x)), x = x + mlp(ln_2(x)).
  attention: 4 heads of 16; scores q k^T scaled by 1/head_dim (muP's 1/d,
    not 1/sqrt(d)), plus the ALiBi bias -slope_h * (i - j) with slope_h =
    2^(-8 (h + 1) / H) (a [1, H, T, T] non-persistent buffer: a Constant
    in the export), then causally masked with masked_fill(-inf) by a non-
    persistent lower-triangular bool buffer (the trace evaluates the slice
    and ~ on it: a Constant, Cast, Where), softmax, c_proj with bias; the
    fused q/k/v projection c_attn has no bias (a key bias has an exactly-
    zero gradient under softmax, which AdamW turns into float32 noise; see
    models/gpt2/model.py).
  mlp: SwiGLU, c_proj(silu(c_fc2(x)) * c_fc(x)), hidden 160, with biases.
  final LayerNorm, untied LM head without bias; the embedding output is
  multiplied by 10 and the logits by 0.5 (muP-style constant multipliers).

Weights are deterministic for a seed: Linear and embedding weights
N(0, 0.02), biases uniform(-0.02, 0.02), LayerNorm weight uniform(0.8, 1.2)
and bias uniform(-0.1, 0.1) (plain_norms=True keeps 1 and 0, which the
export folds into one initializer per value).
"""

import torch
from torch import nn
import torch.nn.functional as F

CONFIG = dict(vocab=128, seq=32, d_model=64, n_head=4, hidden=160, n_layer=2,
              embeddings_scale=10.0, output_logits_scale=0.5, init_std=0.02,
              batch=2)

# The default weight seed. AdamW's first update of an element is lr * g / (|g|
# + eps): for |g| below ~1e-7, a float32 rounding difference dg in g (~1e-8 for
# these gradients) moves it by up to lr * dg / eps, here ~1e-3, 100 times the
# parity tolerance of 1e-4 * max|param| (~1e-5). Whether any element's gradient
# lands that close to 0 depends on the seed. Seeds 0-9 were trained 10 steps in
# float32 and float64 (data seed 1); this one gave a worst parameter difference
# of 0.12 tolerances, and 0.14 at most when the initial weights were perturbed
# by 1 ulp (4 draws), so the parity test compares implementations, not luck.
SEED = 6


def alibi_slopes(n_head):
    return [2.0 ** (-8.0 * (h + 1) / n_head) for h in range(n_head)]


def alibi_bias(n_head, seq):
    """[1, H, T, T]: -slope_h * (i - j) (query i, key j; > 0 above the
    diagonal, which the causal mask removes)."""
    slopes = torch.tensor(alibi_slopes(n_head), dtype=torch.float64)
    pos = torch.arange(seq, dtype=torch.float64)
    dist = pos[:, None] - pos[None, :]  # i - j
    return (-slopes[:, None, None] * dist).float().unsqueeze(0)


class Attention(nn.Module):
    def __init__(self, d_model, n_head, seq):
        super().__init__()
        self.n_head = n_head
        self.head_dim = d_model // n_head
        self.c_attn = nn.Linear(d_model, 3 * d_model, bias=False)
        self.c_proj = nn.Linear(d_model, d_model)
        self.register_buffer("alibi", alibi_bias(n_head, seq),
                             persistent=False)
        causal = torch.tril(torch.ones(seq, seq, dtype=torch.bool))
        self.register_buffer("causal", causal, persistent=False)

    def forward(self, x):
        b, t, c = x.shape
        h, hd = self.n_head, self.head_dim
        q, k, v = self.c_attn(x).split(c, dim=2)
        q = q.view(b, t, h, hd).transpose(1, 2)
        k = k.view(b, t, h, hd).transpose(1, 2)
        v = v.view(b, t, h, hd).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / hd)
        att = att + self.alibi[:, :, :t, :t]
        att = att.masked_fill(~self.causal[:t, :t], float("-inf"))
        att = torch.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, c)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, d_model, hidden):
        super().__init__()
        self.c_fc = nn.Linear(d_model, hidden)
        self.c_fc2 = nn.Linear(d_model, hidden)
        self.c_proj = nn.Linear(hidden, d_model)

    def forward(self, x):
        return self.c_proj(F.silu(self.c_fc2(x)) * self.c_fc(x))


class Block(nn.Module):
    def __init__(self, d_model, n_head, hidden, seq):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d_model)
        self.attn = Attention(d_model, n_head, seq)
        self.ln_2 = nn.LayerNorm(d_model)
        self.mlp = MLP(d_model, hidden)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class BTLM(nn.Module):
    def __init__(self, **config):
        super().__init__()
        cfg = dict(CONFIG, **config)
        self.embeddings_scale = cfg["embeddings_scale"]
        self.output_logits_scale = cfg["output_logits_scale"]
        self.wte = nn.Embedding(cfg["vocab"], cfg["d_model"])
        self.h = nn.ModuleList(
            Block(cfg["d_model"], cfg["n_head"], cfg["hidden"], cfg["seq"])
            for _ in range(cfg["n_layer"]))
        self.ln_f = nn.LayerNorm(cfg["d_model"])
        self.lm_head = nn.Linear(cfg["d_model"], cfg["vocab"], bias=False)

    def forward(self, input_ids):
        x = self.wte(input_ids) * self.embeddings_scale
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x)) * self.output_logits_scale


def init_weights(model, std, plain_norms=False):
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
    """The model with deterministic weights for `seed`."""
    cfg = dict(CONFIG, **config)
    torch.manual_seed(seed)
    model = BTLM(**cfg)
    init_weights(model, cfg["init_std"], plain_norms)
    return model
