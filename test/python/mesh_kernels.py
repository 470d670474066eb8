#!/usr/bin/env python3
"""Every kernel family of the mesh against the reference interpreter.

Each case is a tiny wse-dialect function @train_step whose arguments are
inputs ({wse.input}) and whose results the host reads back: no loss, so
both engines run it once. The reference engine runs the .mlir; the mesh
engine runs it after `wse-opt --wse-mesh-pipeline="machine=wse2 mesh=WxH"`
and `wse-translate --export-wafer-program`, on every mesh of --meshes
(one PE, odd and prime sides, and grids larger than every dim). Both dump
their results (--dump-outputs) and each result must agree:

  compute (elementwise, reductions, matmuls, norms, scatter-add):
      np.allclose(mesh, reference, rtol=1e-5, atol=1e-6)
  data movement (reshape, transpose, broadcast_to, slice, concat,
  insert_slice, gather, casts, comparisons): bit-identical values

with the same shape. Shapes come from a seeded generator (odd, prime and
size-1 dims, broadcasting, batch broadcasting, every transpose form).

Families: elementwise (unary, binary with NumPy broadcasting, integer ops,
comparisons and logic, select, casts), reductions (sum, max, mean over
various axes, keep_dims both ways), matmul (every transpose and batch form,
a batch-broadcast operand, bias/alpha/beta), movement (reshape, transpose,
broadcast_to, slice with negative strides, concat, insert_slice, chains),
rows (gather, scatter_add, with rank-2 indices and tables), norms
(softmax, log_softmax, layer_norm, rms_norm; decomposed for the mesh),
routing (top_k with ties, argmax/argmin, cumsum, moe_route; decomposed).

Usage: mesh_kernels.py --bin-dir DIR --work-dir DIR [--meshes 1x1 3x5 ...]
       [--filter REGEX] [--seed N] [--jobs N]
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from toolrun import first_error, tool  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6
MESHES = ["1x1", "3x5", "7x2", "16x16", "2x13"]
SIZES = [1, 2, 3, 5, 7, 11, 13, 16, 17]
# Dims of tensors that go through the mesh: every one fits a 1x1 mesh.
MAX_ELEMENTS = 1200


def ttype(shape, et="f32"):
    return "tensor<" + "".join(f"{d}x" for d in shape) + et + ">"


class Case:
    """A function @train_step(args) -> results, with its input data."""

    def __init__(self, name, family, exact=False):
        self.name, self.family, self.exact = name, family, exact
        self.args = []     # (name, shape, et, values)
        self.body = []
        self.results = []  # (ssa, shape, et, label)
        self.n = 0

    def arg(self, shape, values, et="f32"):
        name = f"a{len(self.args)}"
        self.args.append((name, tuple(shape), et, values))
        return "%" + name, tuple(shape), et

    def op(self, text, shape, et="f32"):
        """Appends `%vN = text` and returns %vN with its shape and type."""
        v = f"%v{self.n}"
        self.n += 1
        self.body.append(f"  {v} = {text}")
        return v, tuple(shape), et

    def ret(self, value, label):
        v, shape, et = value
        self.results.append((v, shape, et, label))

    def mlir(self):
        params = ",\n    ".join(
            f"%{n}: {ttype(s, et)} {{wse.input = \"{n}\"}}"
            for n, s, et, _ in self.args)
        types = ", ".join(ttype(s, et) for _, s, et, _ in self.results)
        vals = ", ".join(v for v, _, _, _ in self.results)
        return (f"// {self.family}: {self.name}\n"
                f"func.func @train_step({params})\n    -> ({types}) {{\n"
                + "\n".join(self.body)
                + f"\n  return {vals} : {types}\n}}\n")


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

class Gen:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def dims(self, rank, cap=MAX_ELEMENTS, sizes=SIZES):
        while True:
            shape = [self.pick(sizes) for _ in range(rank)]
            if int(np.prod(shape)) <= cap and (rank == 0 or max(shape) > 1):
                return shape

    def normal(self, shape, scale=1.0):
        return (self.rng.standard_normal(shape) * scale).astype(np.float32)

    def positive(self, shape):
        return self.rng.uniform(0.25, 3.0, shape).astype(np.float32)

    def nonzero(self, shape):
        s = self.rng.choice([-1.0, 1.0], shape)
        return (s * self.rng.uniform(0.5, 2.0, shape)).astype(np.float32)

    def ints(self, shape, lo, hi):
        return self.rng.integers(lo, hi, shape).astype(np.int64)

    def broadcast_operand(self, out):
        """A shape that broadcasts to `out`: a suffix, some dims set to 1."""
        k = int(self.rng.integers(0, len(out) + 1))
        shape = list(out[len(out) - k:])
        for i in range(len(shape)):
            if self.rng.random() < 0.35:
                shape[i] = 1
        return shape


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

UNARY = [  # op, attributes, input data
    ("neg", "", "normal"), ("abs", "", "normal"), ("sign", "", "normal"),
    ("exp", "", "normal"), ("log", "", "positive"), ("sqrt", "", "positive"),
    ("rsqrt", "", "positive"), ("reciprocal", "", "nonzero"),
    ("tanh", "", "normal"), ("erf", "", "normal"), ("sigmoid", "", "normal"),
    ("softplus", "", "normal"), ("silu", "", "normal"), ("sin", "", "normal"),
    ("cos", "", "normal"), ("floor", "", "normal"), ("ceil", "", "normal"),
    ("relu", "", "normal"), ("gelu", "", "normal"),
    ("gelu", "{approximate = true}", "normal"),
    ("leaky_relu", "{alpha = 0.125 : f32}", "normal"),
    ("elu", "{alpha = 0.75 : f32}", "normal"),
    ("clamp", "{min = -0.5 : f64, max = 0.75 : f64}", "normal"),
    ("clamp", "{min = -0.25 : f64}", "normal"),
    ("clamp", "{max = 0.5 : f64}", "normal"),
]

BINARY = [("add", "normal"), ("sub", "normal"), ("mul", "normal"),
          ("div", "nonzero"), ("pow", "positive"), ("max", "normal"),
          ("min", "normal")]
COMPARE = ["equal", "less", "less_equal", "greater", "greater_equal"]


def data(g, kind, shape):
    return {"normal": g.normal, "positive": g.positive,
            "nonzero": g.nonzero}[kind](shape)


def elementwise_cases(g):
    cases = []
    # Unary ops, four to a case, each case on its own random shape.
    for i in range(0, len(UNARY), 4):
        c = Case(f"unary{i // 4}", "elementwise")
        shape = g.dims(int(g.rng.integers(1, 4)))
        for op, attrs, kind in UNARY[i:i + 4]:
            x = c.arg(shape, data(g, kind, shape) * (2.0 if kind == "normal" else 1.0))
            a = f" {attrs}" if attrs else ""
            c.ret(c.op(f"wse.{op} {x[0]}{a} : {ttype(shape)}", shape),
                  f"{op}{a}")
        cases.append(c)
    # Binary ops with NumPy broadcasting, in both operand orders.
    for op, kind in BINARY:
        for j in range(2):
            c = Case(f"{op}_bcast{j}", "elementwise")
            out = g.dims(int(g.rng.integers(1, 4)))
            other = g.broadcast_operand(out)
            sa, sb = (out, other) if j == 0 else (other, out)
            if j == 1 and g.rng.random() < 0.5:
                # Both operands broadcast: [a, 1, c] against [b, 1].
                sa = list(out)
                sa[-1] = 1
            res = list(np.broadcast_shapes(tuple(sa), tuple(sb)))
            a = c.arg(sa, data(g, kind, sa))
            if op == "pow":  # positive bases, small exponents
                b = c.arg(sb, g.rng.uniform(-2.0, 2.0, sb).astype(np.float32))
            else:
                b = c.arg(sb, data(g, kind, sb))
            c.ret(c.op(f"wse.{op} {a[0]}, {b[0]} : {ttype(sa)}, {ttype(sb)}",
                       res), f"{op} {sa} {sb}")
            cases.append(c)
    # Integer arithmetic and comparisons with broadcasting.
    c = Case("int_ops", "elementwise", exact=True)
    out = g.dims(3, cap=400)
    sb = g.broadcast_operand(out)
    a = c.arg(out, g.ints(out, -50, 50), "i64")
    b = c.arg(sb, g.ints(sb, -50, 50), "i64")
    res = list(np.broadcast_shapes(tuple(out), tuple(sb)))
    for op in ("add", "sub", "max", "min"):
        c.ret(c.op(f"wse.{op} {a[0]}, {b[0]} : {ttype(out, 'i64')}, {ttype(sb, 'i64')}",
                   res, "i64"), f"{op} i64")
    c.ret(c.op(f"wse.neg {a[0]} : {ttype(out, 'i64')}", out, "i64"), "neg i64")
    c.ret(c.op(f"wse.abs {a[0]} : {ttype(out, 'i64')}", out, "i64"), "abs i64")
    c.ret(c.op(f"wse.equal {a[0]}, {b[0]} : {ttype(out, 'i64')}, {ttype(sb, 'i64')}",
               res, "i1"), "equal i64")
    cases.append(c)
    # Comparisons, logic and select.
    for j in range(2):
        c = Case(f"compare_logic{j}", "elementwise", exact=True)
        out = g.dims(int(g.rng.integers(1, 4)))
        sb = g.broadcast_operand(out)
        res = list(np.broadcast_shapes(tuple(out), tuple(sb)))
        # Few distinct values, so equal and <= are exercised on ties.
        a = c.arg(out, g.ints(out, -2, 3).astype(np.float32))
        b = c.arg(sb, g.ints(sb, -2, 3).astype(np.float32))
        masks = []
        for op in COMPARE:
            m = c.op(f"wse.{op} {a[0]}, {b[0]} : {ttype(out)}, {ttype(sb)}", res, "i1")
            c.ret(m, op)
            masks.append(m)
        r1 = ttype(res, "i1")
        for op, (x, y) in (("and", (masks[1], masks[4])), ("or", (masks[0], masks[3])),
                           ("xor", (masks[2], masks[3]))):
            c.ret(c.op(f"wse.{op} {x[0]}, {y[0]} : {r1}, {r1}", res, "i1"), op)
        c.ret(c.op(f"wse.not {masks[0][0]} : {r1}", res, "i1"), "not")
        cases.append(c)
    for j in range(3):
        c = Case(f"select{j}", "elementwise")
        out = g.dims(int(g.rng.integers(1, 4)))
        sc, sl, sr = (g.broadcast_operand(out) for _ in range(3))
        sl = out if j == 0 else sl
        res = list(np.broadcast_shapes(tuple(sc), tuple(sl), tuple(sr)))
        p = c.arg(sc, g.normal(sc))
        zero = c.op(f"wse.constant dense<0.0> : {ttype([])}", [])
        cond = c.op(f"wse.greater {p[0]}, {zero[0]} : {ttype(sc)}, {ttype([])}", sc, "i1")
        l = c.arg(sl, g.normal(sl))
        r = c.arg(sr, g.normal(sr))
        c.ret(c.op(f"wse.select {cond[0]}, {l[0]}, {r[0]} : {ttype(sc, 'i1')}, "
                   f"{ttype(sl)}, {ttype(sr)}", res), f"select {sc} {sl} {sr}")
        cases.append(c)
    c = Case("relu_grad_casts", "elementwise")
    shape = g.dims(2)
    d = c.arg(shape, g.normal(shape))
    x = c.arg(shape, g.normal(shape) * 3)
    c.ret(c.op(f"wse.relu_grad {d[0]}, {x[0]} : {ttype(shape)}", shape), "relu_grad")
    c.ret(c.op(f"wse.cast {x[0]} : {ttype(shape)} -> {ttype(shape, 'i64')}",
               shape, "i64"), "cast f32->i64")
    i = c.arg(shape, g.ints(shape, -9, 9), "i64")
    c.ret(c.op(f"wse.cast {i[0]} : {ttype(shape, 'i64')} -> {ttype(shape)}", shape),
          "cast i64->f32")
    b = c.op(f"wse.cast {i[0]} : {ttype(shape, 'i64')} -> {ttype(shape, 'i1')}",
             shape, "i1")
    c.ret(b, "cast i64->i1")
    c.ret(c.op(f"wse.cast {b[0]} : {ttype(shape, 'i1')} -> {ttype(shape)}", shape),
          "cast i1->f32")
    cases.append(c)
    # A chain of elementwise ops feeding each other with a scalar constant.
    c = Case("chain", "elementwise")
    shape = g.dims(3, cap=600)
    x = c.arg(shape, g.normal(shape))
    k = c.op(f"wse.constant dense<1.5> : {ttype([])}", [])
    t = c.op(f"wse.mul {x[0]}, {k[0]} : {ttype(shape)}, {ttype([])}", shape)
    t = c.op(f"wse.tanh {t[0]} : {ttype(shape)}", shape)
    row = [shape[-1]]
    bias = c.arg(row, g.normal(row))
    t = c.op(f"wse.add {t[0]}, {bias[0]} : {ttype(shape)}, {ttype(row)}", shape)
    c.ret(c.op(f"wse.gelu {t[0]} : {ttype(shape)}", shape), "gelu(tanh(1.5x)+b)")
    cases.append(c)
    return cases


def reduction_cases(g):
    cases = []
    for j, op in enumerate(["reduce_sum", "reduce_max", "reduce_mean"] * 4):
        rank = 1 + j % 4
        c = Case(f"{op}_r{rank}_{j}", "reductions")
        shape = g.dims(rank)
        x = c.arg(shape, g.normal(shape))
        for keep in (False, True):
            axes = sorted(int(a) for a in g.rng.choice(
                rank, int(g.rng.integers(1, rank + 1)), replace=False))
            out = [1 if d in axes else s for d, s in enumerate(shape)] if keep \
                else [s for d, s in enumerate(shape) if d not in axes]
            attrs = f"{{axes = array<i64: {', '.join(map(str, axes))}>"
            attrs += ", keep_dims = true}" if keep else "}"
            c.ret(c.op(f"wse.{op} {x[0]} {attrs} : {ttype(shape)}", out),
                  f"{op} axes {axes} keep {keep}")
        cases.append(c)
    # Every axis at once, and no axis at all.
    c = Case("reduce_all_and_none", "reductions")
    shape = g.dims(3)
    x = c.arg(shape, g.normal(shape))
    c.ret(c.op(f"wse.reduce_sum {x[0]} {{axes = array<i64: 0, 1, 2>}} : {ttype(shape)}",
               []), "sum all")
    c.ret(c.op(f"wse.reduce_max {x[0]} {{axes = array<i64: 0, 1, 2>, keep_dims = true}}"
               f" : {ttype(shape)}", [1, 1, 1]), "max all keep")
    c.ret(c.op(f"wse.reduce_sum {x[0]} {{axes = array<i64>}} : {ttype(shape)}", shape),
          "sum no axes")
    cases.append(c)
    # Ties and negative values for max.
    c = Case("reduce_max_ties", "reductions")
    shape = g.dims(2)
    x = c.arg(shape, -g.ints(shape, 1, 3).astype(np.float32))
    c.ret(c.op(f"wse.reduce_max {x[0]} {{axes = array<i64: 1>}} : {ttype(shape)}",
               shape[:1]), "max of negatives with ties")
    cases.append(c)
    return cases


def matmul_cases(g):
    cases = []

    def mm(name, sa, sb, ta, tb, extra="", bias=None, exact=False):
        c = Case(name, "matmul", exact)
        a = c.arg(sa, g.normal(sa))
        b = c.arg(sb, g.normal(sb))
        m = sa[-1] if ta else sa[-2]
        n = sb[-2] if tb else sb[-1]
        batch = list(np.broadcast_shapes(tuple(sa[:-2]), tuple(sb[:-2])))
        out = batch + [m, n]
        attrs = []
        if ta:
            attrs.append("transpose_a = true")
        if tb:
            attrs.append("transpose_b = true")
        if extra:
            attrs.append(extra)
        at = f" {{{', '.join(attrs)}}}" if attrs else ""
        operands, types = f"{a[0]}, {b[0]}", f"{ttype(sa)}, {ttype(sb)}"
        if bias is not None:
            bb = c.arg(bias, g.normal(bias))
            operands += f", {bb[0]}"
            types += f", {ttype(bias)}"
        c.ret(c.op(f"wse.matmul {operands}{at} : {types}", out),
              f"matmul {sa} {sb} ta={ta} tb={tb} {extra}")
        cases.append(c)

    def mk(ta, tb, batch_a, batch_b, m, n, k):
        sa = list(batch_a) + ([k, m] if ta else [m, k])
        sb = list(batch_b) + ([n, k] if tb else [k, n])
        return sa, sb

    small = [1, 2, 3, 5, 7, 11, 13, 16, 17]
    for ta in (False, True):
        for tb in (False, True):
            for j in range(2):
                m, n, k = (g.pick(small) for _ in range(3))
                sa, sb = mk(ta, tb, [], [], m, n, k)
                mm(f"mm_t{int(ta)}{int(tb)}_{j}", sa, sb, ta, tb)
    forms = [  # batch dims of a and b
        ("batch", lambda B, C: ([B], [B])),
        ("batch_b2d", lambda B, C: ([B], [])),
        ("batch_a2d", lambda B, C: ([], [B])),
        ("batch_bcast_a1", lambda B, C: ([1], [B])),
        ("batch_bcast_b1", lambda B, C: ([B], [1])),
        ("batch2", lambda B, C: ([C, B], [C, B])),
        ("batch2_bcast", lambda B, C: ([C, 1], [B])),
    ]
    for name, f in forms:
        for i, (ta, tb) in enumerate(((False, False), (bool(g.rng.integers(2)),
                                                       bool(g.rng.integers(2))))):
            B, C = g.pick([2, 3, 5]), g.pick([2, 3])
            m, n, k = (g.pick([1, 2, 3, 5, 7, 11]) for _ in range(3))
            ba, bb = f(B, C)
            sa, sb = mk(ta, tb, ba, bb, m, n, k)
            mm(f"mm_{name}{i}_t{int(ta)}{int(tb)}", sa, sb, ta, tb)
    # Gemm: bias broadcast, alpha and beta (decomposed for the mesh).
    m, n, k = 7, 5, 3
    mm("gemm_bias", [m, k], [n, k], False, True, bias=[n])
    mm("gemm_alpha_beta", [k, m], [k, n], True, False,
       extra="alpha = 0.5 : f32, beta = 2.0 : f32", bias=[m, 1])
    mm("gemm_batch_bias", [3, m, k], [k, n], False, False, bias=[n])
    # A long contraction.
    mm("mm_long_k", [3, 300], [300, 2], False, False)
    return cases


def movement_cases(g):
    cases = []
    for j in range(4):
        c = Case(f"reshape{j}", "movement", exact=True)
        shape = g.dims(int(g.rng.integers(2, 5)))
        n = int(np.prod(shape))
        # Factor n into a random new shape.
        new, rest = [], n
        for p in (2, 3, 5, 7, 11, 13, 17):
            while rest % p == 0 and g.rng.random() < 0.7:
                new.append(p)
                rest //= p
        new.append(rest)
        g.rng.shuffle(new)
        x = c.arg(shape, g.normal(shape))
        c.ret(c.op(f"wse.reshape {x[0]} : {ttype(shape)} -> {ttype(new)}", new),
              f"reshape {shape} -> {new}")
        cases.append(c)
    for j in range(5):
        rank = 2 + j % 3
        c = Case(f"transpose{j}", "movement", exact=True)
        shape = g.dims(rank)
        perm = [int(p) for p in g.rng.permutation(rank)]
        if perm == sorted(perm):
            perm = perm[::-1]
        et = "i64" if j == 4 else "f32"
        x = c.arg(shape, g.ints(shape, -99, 99) if et == "i64" else g.normal(shape), et)
        out = [shape[p] for p in perm]
        c.ret(c.op(f"wse.transpose {x[0]} {{perm = array<i64: {', '.join(map(str, perm))}>}}"
                   f" : {ttype(shape, et)}", out, et), f"transpose {shape} {perm}")
        cases.append(c)
    for j in range(4):
        c = Case(f"broadcast_to{j}", "movement", exact=True)
        out = g.dims(int(g.rng.integers(1, 4)))
        src = g.broadcast_operand(out)
        x = c.arg(src, g.normal(src))
        c.ret(c.op(f"wse.broadcast_to {x[0]} : {ttype(src)} -> {ttype(out)}", out),
              f"broadcast_to {src} -> {out}")
        cases.append(c)
    for j in range(5):
        c = Case(f"slice{j}", "movement", exact=True)
        shape = g.dims(int(g.rng.integers(1, 4)))
        start, limit, stride, out = [], [], [], []
        for d in shape:
            s = int(g.rng.integers(1, 4)) * (-1 if g.rng.random() < 0.3 else 1)
            if s > 0:
                a = int(g.rng.integers(0, d))
                b = int(g.rng.integers(a + 1, d + 1))
                size = -(-(b - a) // s)
            else:
                a = int(g.rng.integers(0, d))
                b = int(g.rng.integers(-1, a))
                size = -(-(a - b) // -s)
            start.append(a), limit.append(b), stride.append(s), out.append(size)
        x = c.arg(shape, g.normal(shape))
        j_ = lambda v: ", ".join(map(str, v))  # noqa: E731
        c.ret(c.op(f"wse.slice {x[0]} {{start = array<i64: {j_(start)}>, limit = "
                   f"array<i64: {j_(limit)}>, stride = array<i64: {j_(stride)}>}} : "
                   f"{ttype(shape)}", out),
              f"slice {shape} {start}:{limit}:{stride}")
        cases.append(c)
    for j in range(4):
        c = Case(f"concat{j}", "movement", exact=True)
        shape = g.dims(int(g.rng.integers(1, 4)), cap=300)
        axis = int(g.rng.integers(len(shape)))
        parts = []
        for _ in range(2 + j % 2):
            s = list(shape)
            s[axis] = g.pick([1, 2, 3, 5, 7])
            parts.append(c.arg(s, g.normal(s)))
        out = list(shape)
        out[axis] = sum(p[1][axis] for p in parts)
        c.ret(c.op(f"wse.concat {', '.join(p[0] for p in parts)} {{axis = {axis}}} : "
                   f"{', '.join(ttype(p[1]) for p in parts)}", out),
              f"concat axis {axis} of {[list(p[1]) for p in parts]}")
        cases.append(c)
    for j in range(3):
        c = Case(f"insert_slice{j}", "movement", exact=True)
        dest = g.dims(int(g.rng.integers(1, 4)))
        src = [int(g.rng.integers(1, d + 1)) for d in dest]
        start = [int(g.rng.integers(0, d - s + 1)) for d, s in zip(dest, src)]
        dv = c.arg(dest, g.normal(dest))
        sv = c.arg(src, g.normal(src))
        j_ = lambda v: ", ".join(map(str, v))  # noqa: E731
        c.ret(c.op(f"wse.insert_slice {sv[0]} into {dv[0]} {{start = array<i64: "
                   f"{j_(start)}>, stride = array<i64: {j_([1] * len(dest))}>}} : "
                   f"{ttype(src)} into {ttype(dest)}", dest),
              f"insert {src} into {dest} at {start}")
        cases.append(c)
    # Movements feeding compute and each other: transpose -> reshape ->
    # matmul; a slice of a computed value; the same value out twice.
    c = Case("movement_chain", "movement")
    a, b = g.pick([2, 3, 5]), g.pick([3, 7])
    x = c.arg([b, a, 4], g.normal([b, a, 4]))
    t = c.op(f"wse.transpose {x[0]} {{perm = array<i64: 1, 0, 2>}} : {ttype([b, a, 4])}",
             [a, b, 4])
    r = c.op(f"wse.reshape {t[0]} : {ttype([a, b, 4])} -> {ttype([a, b * 4])}", [a, b * 4])
    w = c.arg([b * 4, 5], g.normal([b * 4, 5]))
    y = c.op(f"wse.matmul {r[0]}, {w[0]} : {ttype([a, b * 4])}, {ttype([b * 4, 5])}", [a, 5])
    c.ret(y, "matmul(reshape(transpose x))")
    e = c.op(f"wse.exp {y[0]} : {ttype([a, 5])}", [a, 5])
    s = c.op(f"wse.slice {e[0]} {{start = array<i64: 0, 4>, limit = array<i64: {a}, -1>, "
             f"stride = array<i64: 1, -2>}} : {ttype([a, 5])}", [a, 3])
    c.ret(s, "slice(exp y) reversed")
    c.ret(r, "reshape(transpose x)")
    c.ret(x, "x itself")
    cases.append(c)
    return cases


def rows_cases(g):
    cases = []
    for j in range(4):
        c = Case(f"gather{j}", "rows", exact=True)
        v, d, n = g.pick([2, 5, 7, 13, 17]), g.pick([1, 3, 4, 11]), g.pick([1, 6, 7, 19])
        t = c.arg([v, d], g.normal([v, d]))
        ids = c.arg([n], g.ints([n], 0, v), "i64")
        c.ret(c.op(f"wse.gather {t[0]}, {ids[0]} {{axis = 0}} : {ttype([v, d])}, "
                   f"{ttype([n], 'i64')}", [n, d]), f"gather [{v},{d}] at [{n}]")
        cases.append(c)
    c = Case("gather_rank2", "rows", exact=True)
    v = 11
    t = c.arg([v, 2, 3], g.normal([v, 2, 3]))
    ids = c.arg([4, 5], g.ints([4, 5], 0, v), "i64")
    c.ret(c.op(f"wse.gather {t[0]}, {ids[0]} {{axis = 0}} : {ttype([v, 2, 3])}, "
               f"{ttype([4, 5], 'i64')}", [4, 5, 2, 3]), "gather [11,2,3] at [4,5]")
    ti = c.arg([v, 3], g.ints([v, 3], -1000, 1000), "i64")
    ids1 = c.arg([7], g.ints([7], 0, v), "i64")
    c.ret(c.op(f"wse.gather {ti[0]}, {ids1[0]} {{axis = 0}} : {ttype([v, 3], 'i64')}, "
               f"{ttype([7], 'i64')}", [7, 3], "i64"), "gather of an i64 table")
    cases.append(c)
    for j in range(3):
        c = Case(f"scatter_add{j}", "rows")
        v, d, n = g.pick([3, 5, 7, 13]), g.pick([1, 2, 5, 11]), g.pick([4, 9, 17])
        ids = c.arg([n], g.ints([n], 0, v), "i64")  # repeats accumulate
        u = c.arg([n, d], g.normal([n, d]))
        z = c.op(f"wse.constant dense<0.0> : {ttype([v, d])}", [v, d])
        c.ret(c.op(f"wse.scatter_add {u[0]} into {z[0]} at {ids[0]} {{axis = 0}} : "
                   f"{ttype([n, d])} into {ttype([v, d])} at {ttype([n], 'i64')}", [v, d]),
              f"scatter_add [{n},{d}] into zeros [{v},{d}]")
        cases.append(c)
    c = Case("scatter_add_dest_rank2", "rows")
    v = 7
    dest = c.arg([v, 2, 3], g.normal([v, 2, 3]))
    ids = c.arg([3, 4], g.ints([3, 4], 0, v), "i64")
    u = c.arg([3, 4, 2, 3], g.normal([3, 4, 2, 3]))
    c.ret(c.op(f"wse.scatter_add {u[0]} into {dest[0]} at {ids[0]} {{axis = 0}} : "
               f"{ttype([3, 4, 2, 3])} into {ttype([v, 2, 3])} at {ttype([3, 4], 'i64')}",
               [v, 2, 3]), "scatter_add [3,4,2,3] into an input [7,2,3] at [3,4]")
    cases.append(c)
    # The embedding pair of a language model: look up, then the gradient.
    c = Case("embedding_pair", "rows")
    v, d, n = 13, 5, 9
    table = c.arg([v, d], g.normal([v, d]))
    ids = c.arg([n], g.ints([n], 0, v), "i64")
    e = c.op(f"wse.gather {table[0]}, {ids[0]} {{axis = 0}} : {ttype([v, d])}, "
             f"{ttype([n], 'i64')}", [n, d])
    sq = c.op(f"wse.mul {e[0]}, {e[0]} : {ttype([n, d])}, {ttype([n, d])}", [n, d])
    z = c.op(f"wse.constant dense<0.0> : {ttype([v, d])}", [v, d])
    c.ret(c.op(f"wse.scatter_add {sq[0]} into {z[0]} at {ids[0]} {{axis = 0}} : "
               f"{ttype([n, d])} into {ttype([v, d])} at {ttype([n], 'i64')}", [v, d]),
          "scatter_add(gather(table)^2)")
    cases.append(c)
    return cases


def norm_cases(g):
    cases = []
    for j in range(3):
        for op in ("softmax", "log_softmax"):
            c = Case(f"{op}{j}", "norms")
            shape = g.dims(1 + j)
            axis = int(g.rng.integers(len(shape)))
            x = c.arg(shape, g.normal(shape, 3.0))
            c.ret(c.op(f"wse.{op} {x[0]} {{axis = {axis}}} : {ttype(shape)}", shape),
                  f"{op} {shape} axis {axis}")
            cases.append(c)
    for j in range(3):
        c = Case(f"layer_norm{j}", "norms")
        shape = g.dims(2 + j % 2)
        axis = int(g.rng.integers(1, len(shape)))
        x = c.arg(shape, g.normal(shape, 2.0) + 1.0)
        tail = shape[axis:]
        s = c.arg(tail, g.normal(tail))
        b = c.arg(tail, g.normal(tail))
        c.ret(c.op(f"wse.layer_norm {x[0]} scale {s[0]} : {ttype(tail)} bias {b[0]} : "
                   f"{ttype(tail)} {{axis = {axis} : i64, epsilon = 1.0e-05 : f32}} : "
                   f"{ttype(shape)}", shape), f"layer_norm {shape} axis {axis}")
        c.ret(c.op(f"wse.layer_norm {x[0]} {{axis = {len(shape) - 1} : i64, epsilon = "
                   f"1.0e-03 : f32}} : {ttype(shape)}", shape), "layer_norm, no scale or bias")
        cases.append(c)
    for j in range(2):
        c = Case(f"rms_norm{j}", "norms")
        shape = g.dims(2 + j)
        axis = len(shape) - 1 - j
        x = c.arg(shape, g.normal(shape))
        tail = shape[axis:]
        s = c.arg(tail, g.normal(tail))
        c.ret(c.op(f"wse.rms_norm {x[0]} scale {s[0]} : {ttype(tail)} {{axis = {axis} : "
                   f"i64, epsilon = 1.0e-06 : f32}} : {ttype(shape)}", shape),
              f"rms_norm {shape} axis {axis}")
        cases.append(c)
    return cases


def routing_cases(g):
    """top_k, argmax/argmin, cumsum and moe_route: what a mixture of experts
    routes with (decomposed for the mesh into reductions, compares, selects,
    a triangular matmul and a row scatter-add)."""
    cases = []
    for j in range(4):
        c = Case(f"top_k{j}", "routing", exact=True)
        shape = g.dims(2 + j % 2, cap=300)
        axis = int(g.rng.integers(len(shape)))
        k = int(g.rng.integers(1, min(shape[axis], 4) + 1))
        # Small integers in half the cases: ties must come in index order.
        x = c.arg(shape, g.normal(shape) if j % 2 else
                  g.rng.integers(-2, 3, shape).astype(np.float32))
        out = list(shape)
        out[axis] = k
        largest = "true" if j != 2 else "false"
        c.body.append(f"  %tv{j}, %ti{j} = wse.top_k {x[0]} {{axis = {axis} : i64, k = {k} : "
                      f"i64, largest = {largest}}} : {ttype(shape)}")
        c.ret((f"%tv{j}", tuple(out), "f32"), f"top_k values {shape} axis {axis} k {k}")
        c.ret((f"%ti{j}", tuple(out), "i64"), f"top_k indices {shape} axis {axis} k {k}")
        cases.append(c)
    for op in ("argmax", "argmin"):
        c = Case(op, "routing", exact=True)
        shape = g.dims(3, cap=300)
        x = c.arg(shape, g.rng.integers(-3, 4, shape).astype(np.float32))
        red = [d for a, d in enumerate(shape) if a != 1]
        c.ret(c.op(f"wse.{op} {x[0]} {{axis = 1 : i64, keep_dims = false}} : "
                   f"{ttype(shape)}", red, "i64"), f"{op} {shape} axis 1 (ties)")
        cases.append(c)
    for j, (excl, rev) in enumerate([(False, False), (True, False), (False, True),
                                     (True, True)]):
        c = Case(f"cumsum{j}", "routing")
        shape = g.dims(2, cap=200)
        axis = j % 2
        x = c.arg(shape, g.normal(shape))
        c.ret(c.op(f"wse.cumsum {x[0]} {{axis = {axis} : i64, exclusive = "
                   f"{str(excl).lower()}, reverse = {str(rev).lower()}}} : {ttype(shape)}",
                   shape), f"cumsum {shape} axis {axis} exclusive {excl} reverse {rev}")
        cases.append(c)
    # Past 128 a running sum goes by blocks of about sqrt(n) (a triangle
    # within the blocks, one over their totals); a router's counts are
    # small integers, summed exactly however the blocks split them.
    for j, (excl, rev) in enumerate([(False, False), (True, False), (False, True),
                                     (True, True)]):
        c = Case(f"cumsum_long{j}", "routing", exact=True)
        n = int(g.rng.integers(129, 700))
        shape = [n, int(g.pick([1, 3]))] if j % 2 == 0 else [2, n]
        axis = 0 if j % 2 == 0 else 1
        x = c.arg(shape, g.rng.integers(0, 2, shape).astype(np.float32))
        c.ret(c.op(f"wse.cumsum {x[0]} {{axis = {axis} : i64, exclusive = "
                   f"{str(excl).lower()}, reverse = {str(rev).lower()}}} : {ttype(shape)}",
                   shape), f"cumsum {shape} axis {axis} exclusive {excl} reverse {rev}")
        cases.append(c)
    for j, (cm, em) in enumerate([(True, True), (False, True), (True, False),
                                  (False, False)]):
        c = Case(f"moe_route{j}", "routing", exact=True)
        n, e = g.pick([5, 9, 16]), g.pick([2, 3, 5])
        k = min(e, 1 + j % 2)
        cap = g.pick([1, 2, max(1, (k * n) // e)])
        choices = np.stack([g.rng.permutation(e)[:k] for _ in range(n)])
        if j == 1:
            choices[: n // 2] = np.arange(k)  # overflow expert 0
        ch = c.arg([n, k], choices.astype(np.int64), "i64")
        c.body.append(f"  %slot{j}, %src{j} = wse.moe_route {ch[0]} {{capacity = {cap} : i64, "
                      f"experts = {e} : i64, choice_major = {str(cm).lower()}, "
                      f"expert_major = {str(em).lower()}}} : {ttype([n, k], 'i64')}")
        c.ret((f"%slot{j}", (n, k), "i64"), f"moe_route slot, {n} tokens top-{k} of {e}, cap {cap}")
        c.ret((f"%src{j}", (e * cap,), "i64"), "moe_route src")
        cases.append(c)
    return cases


FAMILIES = [elementwise_cases, reduction_cases, matmul_cases, movement_cases,
            rows_cases, norm_cases, routing_cases]


# ---------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------

def run(cmd, cwd, timeout=300):
    """None on success, else the failure and the tool's first error line."""
    for attempt in range(60):
        try:
            r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                               errors="replace", timeout=timeout)
            break
        except subprocess.TimeoutExpired:
            return f"no exit after {timeout} s"
        except OSError as e:
            # The tool is being rebuilt: wait for it, as toolrun.tool does.
            if attempt == 59:
                return f"cannot run {cmd[0]}: {e}"
            time.sleep(2)
    if r.returncode != 0:
        how = (f"killed by signal {-r.returncode}" if r.returncode < 0
               else f"exit code {r.returncode}")
        return f"{how}: {first_error(r.stderr or r.stdout)}"
    return None


def compare(case, ref_dir, mesh_dir):
    """Returns (ok, max |mesh - reference|, what differs)."""
    worst = 0.0
    for i, (_, shape, et, label) in enumerate(case.results):
        a = np.load(os.path.join(ref_dir, f"output_{i}.npy"))
        b = np.load(os.path.join(mesh_dir, f"output_{i}.npy"))
        if a.shape != tuple(shape) or b.shape != a.shape:
            return False, float("inf"), f"result {i} ({label}): shape {b.shape}, reference {a.shape}"
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        d = float(np.abs(a64 - b64).max()) if a.size else 0.0
        exact = case.exact or et != "f32"
        ok = np.array_equal(a64, b64) if exact else np.allclose(b64, a64, rtol=RTOL, atol=ATOL)
        if not ok:
            bad = np.argwhere(~np.isclose(b64, a64, rtol=0 if exact else RTOL,
                                          atol=0 if exact else ATOL))
            at = tuple(int(v) for v in bad[0])
            return False, d, (f"result {i} ({label}): {len(bad)} of {a.size} differ, "
                              f"first at {list(at)}: mesh {b64[at]!r}, reference {a64[at]!r}")
        worst = max(worst, d)
    return True, worst, ""


def run_case(args, case, tools):
    opt, translate, sim = tools
    d = os.path.join(args.work_dir, case.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, "case.mlir"), "w") as f:
        f.write(case.mlir())
    inputs = []
    for name, shape, et, values in case.args:
        values = np.asarray(values).reshape(shape)
        np.save(os.path.join(d, f"{name}.npy"), values)
        inputs += ["--input", f"{name}={name}.npy"]
    rows = []
    err = run([sim, "case.mlir", "--dump-outputs", "ref", "--quiet"] + inputs, d)
    if err:
        return [dict(case=case, mesh="-", status="ERROR", stage="reference",
                     diff=float("nan"), detail=err)]
    for mesh in args.meshes:
        tag = f"m{mesh}"
        stages = [
            ("wse-opt", [opt, "case.mlir",
                         f"--wse-mesh-pipeline=machine=wse2 mesh={mesh}",
                         "-o", f"{tag}.mlir"]),
            ("export", [translate, "--export-wafer-program", f"{tag}.mlir",
                        "-o", f"{tag}.wsebin"]),
            ("wse-sim", [sim, f"{tag}.wsebin", "--dump-outputs", f"{tag}.out",
                         "--report", f"{tag}.json", "--quiet"] + inputs),
        ]
        row = dict(case=case, mesh=mesh, status="PASS", stage="", diff=0.0, detail="")
        for stage, cmd in stages:
            err = run(cmd, d)
            if err:
                row.update(status="ERROR", stage=stage, diff=float("nan"), detail=err)
                break
        else:
            ok, diff, detail = compare(case, os.path.join(d, "ref"),
                                       os.path.join(d, f"{tag}.out"))
            row.update(status="PASS" if ok else "FAIL", stage="" if ok else "compare",
                       diff=diff, detail=detail)
        rows.append(row)
    return rows


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--bin-dir", required=True, help="holds wse-opt, wse-translate, wse-sim")
    p.add_argument("--work-dir", required=True)
    p.add_argument("--meshes", nargs="+", default=MESHES)
    p.add_argument("--filter", default="", help="regex on case names")
    p.add_argument("--seed", type=int, default=20261128)
    p.add_argument("--jobs", type=int, default=max(1, min(8, os.cpu_count() or 1)))
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    args.bin_dir = os.path.abspath(args.bin_dir)
    args.work_dir = os.path.abspath(args.work_dir)
    os.makedirs(args.work_dir, exist_ok=True)
    tools = tuple(tool(args.bin_dir, n) for n in ("wse-opt", "wse-translate", "wse-sim"))
    g = Gen(args.seed)
    cases = [c for family in FAMILIES for c in family(g)]
    names = [c.name for c in cases]
    assert len(set(names)) == len(names), "case names repeat"
    cases = [c for c in cases if re.search(args.filter, c.name)]
    start = time.time()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda c: run_case(args, c, tools), cases))
    rows = [r for rs in results for r in rs]
    print(f"mesh_kernels: {len(cases)} cases x meshes {' '.join(args.meshes)}, "
          f"seed {args.seed}; compute at np.allclose(rtol={RTOL}, atol={ATOL}), "
          f"data movement, integers and masks exact; {time.time() - start:.1f} s")
    families = {}
    for r in rows:
        f = families.setdefault(r["case"].family, [0, 0])
        f[0] += r["status"] == "PASS"
        f[1] += 1
    for name, (ok, n) in families.items():
        print(f"  {name:<12} {ok}/{n} pass")
    failed = [r for r in rows if r["status"] != "PASS"]
    if failed:
        print("\nfailures (inputs, case.mlir and each mesh's program under "
              f"{args.work_dir}/<case>):")
        for r in failed:
            c = r["case"]
            print(f"  {c.name:<22} mesh {r['mesh']:<6} {r['status']:<5} "
                  f"{r['stage']:<9} {r['detail']}")
        print(f"\nmesh_kernels: FAIL ({len(failed)} of {len(rows)} runs)")
        return 1
    worst = max(r["diff"] for r in rows)
    print(f"mesh_kernels: PASS ({len(rows)} runs, largest |mesh - reference| {worst:.2e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
