"""The numpy twin of #wse.random and a PyTorch version of make.py's graph,
for the parity test (test/python/gpt_make_parity.py)."""
import math

import numpy as np
import torch
import torch.nn.functional as F

MASK64 = (1 << 64) - 1


def _splitmix64(x):
    """splitmix64 over a uint64 array (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def random_init(dist, a, b, seed, shape):
    """The values #wse.random<dist ...> : tensor<shape> draws
    (wsert::math::randomInit in lib/Support/Math.cpp)."""
    n = int(np.prod(shape)) if shape else 1
    if dist == "constant":
        return np.full(shape, a, dtype=np.float32)
    key = _splitmix64(np.array([seed], dtype=np.uint64))[0]
    i = np.arange(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        k = key + np.uint64(2) * i
        u1 = (_splitmix64(k) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
        if dist == "normal":
            u2 = (_splitmix64(k + np.uint64(1)) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
            v = a + b * (np.sqrt(-2.0 * np.log(1.0 - u1)) * np.cos(2.0 * math.pi * u2))
        else:
            v = a + (b - a) * u1
    return v.astype(np.float32).reshape(shape)


def init_params(params, seed):
    """make.parameters(cfg) drawn as make.write does: name -> array."""
    return {name: random_init(dist, a, b, (seed << 20) + k, shape)
            for k, (name, shape, dist, a, b) in enumerate(params)}


def forward(p, ids, cfg):
    """make.py's graph in PyTorch: logits [batch, seq, vocab]."""
    B, T = ids.shape
    D, H = cfg["d_model"], cfg["heads"]
    x = p["wte.weight"][ids] + p["wpe.weight"][:T]
    causal = torch.ones(T, T, dtype=torch.bool).tril()
    for i in range(cfg["layers"]):
        h = f"h.{i}."
        y = F.layer_norm(x, (D,), p[h + "ln_1.weight"], p[h + "ln_1.bias"], 1e-5)
        qkv = F.linear(y, p[h + "attn.c_attn.weight"], p[h + "attn.c_attn.bias"])
        q, k, v = (t.view(B, T, H, D // H).transpose(1, 2) for t in qkv.split(D, dim=2))
        s = (q @ k.transpose(-1, -2)) / math.sqrt(D // H)
        a = torch.softmax(s.masked_fill(~causal, float("-inf")), dim=-1) @ v
        a = a.transpose(1, 2).reshape(B, T, D)
        x = x + F.linear(a, p[h + "attn.c_proj.weight"], p[h + "attn.c_proj.bias"])
        y = F.layer_norm(x, (D,), p[h + "ln_2.weight"], p[h + "ln_2.bias"], 1e-5)
        y = F.gelu(F.linear(y, p[h + "mlp.c_fc.weight"], p[h + "mlp.c_fc.bias"]),
                   approximate="tanh")
        x = x + F.linear(y, p[h + "mlp.c_proj.weight"], p[h + "mlp.c_proj.bias"])
    x = F.layer_norm(x, (D,), p["ln_f.weight"], p["ln_f.bias"], 1e-5)
    return x @ p["wte.weight"].T
