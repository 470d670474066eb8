#!/usr/bin/env python3
"""Exports a tiny GPT (token + position embeddings, causal self-attention,
GELU MLP, LayerNorm, tied-free LM head, cross-entropy loss) with
torch.onnx.export and writes its inputs and torch's outputs as .npy.

  torch-gpt.py OUTDIR [--opset N] [--dynamic] [--fold]

writes OUTDIR/gpt.onnx, OUTDIR/idx.npy, OUTDIR/targets.npy and
OUTDIR/expected/output_{0,1}.npy (logits, loss). --dynamic exports batch and
sequence as symbolic dims ("batch", "seq"); --fold lets torch fold constants.
"""
import argparse
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB, SEQ, DIM, HEADS, BATCH = 50, 16, 32, 4, 2


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(DIM), nn.LayerNorm(DIM)
        self.qkv, self.proj = nn.Linear(DIM, 3 * DIM), nn.Linear(DIM, DIM)
        self.fc1, self.fc2 = nn.Linear(DIM, 4 * DIM), nn.Linear(4 * DIM, DIM)
        self.register_buffer("mask", torch.tril(torch.ones(SEQ, SEQ, dtype=torch.bool)))

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, HEADS, c // HEADS).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(~self.mask[:t, :t], float("-inf"))
        y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).contiguous().view(b, t, c)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(VOCAB, DIM), nn.Embedding(SEQ, DIM)
        self.block, self.lnf = Block(), nn.LayerNorm(DIM)
        self.head = nn.Linear(DIM, VOCAB, bias=False)

    def forward(self, idx, targets):
        pos = torch.arange(0, idx.shape[1], dtype=torch.long).unsqueeze(0)
        logits = self.head(self.lnf(self.block(self.wte(idx) + self.wpe(pos))))
        loss = F.cross_entropy(logits.view(-1, VOCAB), targets.view(-1))
        return logits, loss


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--opset", type=int, default=14)
    p.add_argument("--dynamic", action="store_true")
    p.add_argument("--fold", action="store_true")
    a = p.parse_args()
    torch.manual_seed(0)
    model = GPT().eval()
    idx = torch.randint(0, VOCAB, (BATCH, SEQ))
    targets = torch.randint(0, VOCAB, (BATCH, SEQ))
    dyn = None
    if a.dynamic:
        dyn = {"idx": {0: "batch", 1: "seq"}, "targets": {0: "batch", 1: "seq"}}
    os.makedirs(os.path.join(a.out, "expected"), exist_ok=True)
    torch.onnx.export(model, (idx, targets), os.path.join(a.out, "gpt.onnx"),
                      opset_version=a.opset, input_names=["idx", "targets"],
                      output_names=["logits", "loss"], dynamic_axes=dyn,
                      do_constant_folding=a.fold)
    with torch.no_grad():
        outs = model(idx, targets)
    np.save(os.path.join(a.out, "idx.npy"), idx.numpy())
    np.save(os.path.join(a.out, "targets.npy"), targets.numpy())
    for i, o in enumerate(outs):
        np.save(os.path.join(a.out, "expected", f"output_{i}.npy"), o.numpy())


if __name__ == "__main__":
    import warnings
    warnings.filterwarnings("ignore")
    main()
