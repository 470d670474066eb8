"""GPT-3-style forward graphs in the wse dialect, their weights as seeded
initializers (#wse.random), so a model of any size is a small module.

  make.py --preset gpt3-13b -o gpt3-13b.mlir [--batch 8] [--seq 2048] ...
  make.py --layers 2 --d-model 64 --heads 4 --seq 16 --vocab 128 --batch 2 -o tiny.mlir

The graph is GPT-2's (Radford et al. 2019), which GPT-3 keeps (Brown et al.
2020, section 2.1; its alternating sparse attention is not modelled): learned
token and position embeddings, pre-LayerNorm blocks of causal multi-head
attention and a 4 d_model tanh-GELU MLP, a final LayerNorm, and the LM head
tied to the token embedding. Input `input_ids` [batch, seq] i64, result the
logits [batch, seq, vocab].

Initialization (GPT-2's): embeddings and weights normal(0, 0.02), the two
projections into the residual stream (attn.c_proj, mlp.c_proj) normal(0,
0.02 / sqrt(2 layers)), biases 0, LayerNorm scales 1. Parameter k (in
argument order) draws from seed (seed << 20) + k.

Presets (GPT-3 paper, table 2.1; context 2048, GPT-2's vocabulary of 50257
tokens). Where the paper's heads do not divide d_model, the preset takes
Cerebras-GPT's shape (Dey et al. 2023, table 1): gpt3-1.3b has 16 heads of
128 (the paper lists 24 heads of 128 with d_model 2048) and gpt3-13b d_model
5120 (the paper's 5140 does not split over 40 heads).
"""
import argparse
import math
import sys

PRESETS = {
    "gpt3-125m": dict(layers=12, d_model=768, heads=12),
    "gpt3-350m": dict(layers=24, d_model=1024, heads=16),
    "gpt3-760m": dict(layers=24, d_model=1536, heads=16),
    "gpt3-1.3b": dict(layers=24, d_model=2048, heads=16),
    "gpt3-2.7b": dict(layers=32, d_model=2560, heads=32),
    "gpt3-6.7b": dict(layers=32, d_model=4096, heads=32),
    "gpt3-13b": dict(layers=40, d_model=5120, heads=40),
    "gpt3-175b": dict(layers=96, d_model=12288, heads=96),
}
DEFAULTS = dict(seq=2048, vocab=50257, batch=1)
INIT_STD = 0.02
LN_EPS = 1e-5


def config(args):
    """The preset's fields, overridden by any option given."""
    cfg = dict(DEFAULTS)
    if args.preset:
        cfg.update(PRESETS[args.preset])
    for key in ("layers", "d_model", "heads", "seq", "vocab", "batch"):
        value = getattr(args, key)
        if value is not None:
            cfg[key] = value
    missing = [k for k in ("layers", "d_model", "heads") if k not in cfg]
    if missing:
        sys.exit("make.py: give --preset or every one of --layers --d-model --heads "
                 f"(missing: {', '.join('--' + m.replace('_', '-') for m in missing)})")
    for key, value in cfg.items():
        if value < 1:
            sys.exit(f"make.py: --{key.replace('_', '-')} must be positive, not {value}")
    if cfg["d_model"] % cfg["heads"]:
        sys.exit(f"make.py: d_model {cfg['d_model']} does not split over "
                 f"{cfg['heads']} heads")
    return cfg


def parameters(cfg):
    """(name, shape, distribution, a, b) in argument order."""
    d, L = cfg["d_model"], cfg["layers"]
    proj_std = INIT_STD / math.sqrt(2 * L)
    ps = [("wte.weight", (cfg["vocab"], d), "normal", 0.0, INIT_STD),
          ("wpe.weight", (cfg["seq"], d), "normal", 0.0, INIT_STD)]
    for i in range(L):
        h = f"h.{i}."
        ps += [(h + "ln_1.weight", (d,), "constant", 1.0, 0.0),
               (h + "ln_1.bias", (d,), "constant", 0.0, 0.0),
               (h + "attn.c_attn.weight", (3 * d, d), "normal", 0.0, INIT_STD),
               (h + "attn.c_attn.bias", (3 * d,), "constant", 0.0, 0.0),
               (h + "attn.c_proj.weight", (d, d), "normal", 0.0, proj_std),
               (h + "attn.c_proj.bias", (d,), "constant", 0.0, 0.0),
               (h + "ln_2.weight", (d,), "constant", 1.0, 0.0),
               (h + "ln_2.bias", (d,), "constant", 0.0, 0.0),
               (h + "mlp.c_fc.weight", (4 * d, d), "normal", 0.0, INIT_STD),
               (h + "mlp.c_fc.bias", (4 * d,), "constant", 0.0, 0.0),
               (h + "mlp.c_proj.weight", (d, 4 * d), "normal", 0.0, proj_std),
               (h + "mlp.c_proj.bias", (d,), "constant", 0.0, 0.0)]
    ps += [("ln_f.weight", (d,), "constant", 1.0, 0.0),
           ("ln_f.bias", (d,), "constant", 0.0, 0.0)]
    return ps


def flt(v):
    """A float literal MLIR parses (it needs the digits around the point)."""
    return repr(float(v)) if "e" not in repr(float(v)) else f"{v:.9e}"


def tensor(shape, elem="f32"):
    return "tensor<" + "x".join(str(s) for s in shape) + "x" + elem + ">"


def init_attr(dist, a, b, seed, shape):
    if dist == "normal":
        body = f"normal mean = {flt(a)} std = {flt(b)} seed = {seed}"
    elif dist == "uniform":
        body = f"uniform low = {flt(a)} high = {flt(b)} seed = {seed}"
    else:
        body = f"constant value = {flt(a)}"
    return f"#wse.random<{body}> : {tensor(shape)}"


class Writer:
    def __init__(self):
        self.lines, self.n = [], 0

    def op(self, text):
        name = f"%{self.n}"
        self.n += 1
        self.lines.append(f"    {name} = {text}")
        return name


def write(cfg, seed):
    B, T, D, H, V = cfg["batch"], cfg["seq"], cfg["d_model"], cfg["heads"], cfg["vocab"]
    Dh = D // H
    params = parameters(cfg)
    args, arg = [], {}
    for k, (name, shape, dist, a, b) in enumerate(params):
        arg[name] = f"%arg{k}"
        args.append(f"%arg{k}: {tensor(shape)} {{wse.init = "
                    f"{init_attr(dist, a, b, (seed << 20) + k, shape)}, "
                    f'wse.param = "{name}"}}')
    ids = f"%arg{len(params)}"
    args.append(f'{ids}: {tensor((B, T), "i64")} {{wse.input = "input_ids"}}')

    w = Writer()
    x3 = tensor((B, T, D))
    heads = tensor((B, H, T, Dh))
    split = tensor((B, T, H, Dh))
    perm = "{perm = array<i64: 0, 2, 1, 3>}"

    def layer_norm(x, prefix):
        return w.op(f"wse.layer_norm {x} scale {arg[prefix + '.weight']} : {tensor((D,))} "
                    f"bias {arg[prefix + '.bias']} : {tensor((D,))} "
                    f"{{axis = 2 : i64, epsilon = {flt(LN_EPS)} : f32}} : {x3}")

    def linear(x, prefix, n_in, n_out):
        y = w.op(f"wse.matmul {x}, {arg[prefix + '.weight']} {{transpose_b = true}} : "
                 f"{tensor((B, T, n_in))}, {tensor((n_out, n_in))}")
        return w.op(f"wse.add {arg[prefix + '.bias']}, {y} : {tensor((n_out,))}, "
                    f"{tensor((B, T, n_out))}")

    tok = w.op(f"wse.gather {arg['wte.weight']}, {ids} {{axis = 0 : i64}} : "
               f"{tensor((V, D))}, {tensor((B, T), 'i64')}")
    x = w.op(f"wse.add {tok}, {arg['wpe.weight']} : {x3}, {tensor((T, D))}")
    for i in range(cfg["layers"]):
        h = f"h.{i}."
        qkv = linear(layer_norm(x, h + "ln_1"), h + "attn.c_attn", D, 3 * D)
        parts = []
        for j in range(3):
            s = w.op(f"wse.slice {qkv} {{limit = array<i64: {B}, {T}, {(j + 1) * D}>, "
                     f"start = array<i64: 0, 0, {j * D}>, stride = array<i64: 1, 1, 1>}} : "
                     f"{tensor((B, T, 3 * D))}")
            r = w.op(f"wse.reshape {s} : {x3} -> {split}")
            parts.append(w.op(f"wse.transpose {r} {perm} : {split}"))
        att = w.op(f"wse.attention {parts[0]}, {parts[1]}, {parts[2]} {{causal = true, "
                   f"num_heads = {H} : i64, num_kv_heads = {H} : i64, "
                   f"scale = {flt(1.0 / math.sqrt(Dh))} : f32}} : {heads}, {heads}, {heads}")
        merged = w.op(f"wse.transpose {att} {perm} : {heads}")
        flat = w.op(f"wse.reshape {merged} : {split} -> {x3}")
        x = w.op(f"wse.add {x}, {linear(flat, h + 'attn.c_proj', D, D)} : {x3}, {x3}")
        fc = linear(layer_norm(x, h + "ln_2"), h + "mlp.c_fc", D, 4 * D)
        act = w.op(f"wse.gelu {fc} {{approximate = true}} : {tensor((B, T, 4 * D))}")
        x = w.op(f"wse.add {x}, {linear(act, h + 'mlp.c_proj', 4 * D, D)} : {x3}, {x3}")
    final = layer_norm(x, "ln_f")
    logits = w.op(f"wse.matmul {final}, {arg['wte.weight']} {{transpose_b = true}} : "
                  f"{x3}, {tensor((V, D))}")
    head = (f"// {cfg}: {sum(math.prod(p[1]) for p in params):,} parameters\n"
            f"func.func @main(" + ",\n    ".join(args) + f") -> {tensor((B, T, V))} {{\n")
    return head + "\n".join(w.lines) + f"\n    return {logits} : {tensor((B, T, V))}\n}}\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS))
    ap.add_argument("--layers", type=int)
    ap.add_argument("--d-model", dest="d_model", type=int)
    ap.add_argument("--heads", type=int)
    ap.add_argument("--seq", type=int)
    ap.add_argument("--vocab", type=int)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--seed", type=int, default=0,
                    help="parameter k draws from (seed << 20) + k (default 0)")
    ap.add_argument("-o", dest="out", required=True)
    args = ap.parse_args()
    if not 0 <= args.seed < 2 ** 43:
        sys.exit("make.py: --seed must be in [0, 2^43) (parameter seeds are "
                 "(seed << 20) + k, 64-bit)")
    text = write(config(args), args.seed)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
