#!/usr/bin/env python3
"""Exports the language model of model.py to ONNX, with a training set.

  export.py --out model.onnx [--opset 17] [--seed SEED]
            [--data-dir DIR --steps 10 --data-seed 1] [--verbose]

The graph has one input `input_ids` [batch, seq] int64 and one output
`logits` [batch, seq, vocab] float32; a model whose CONFIG sets
returns_loss (models/moe) takes `labels` [batch, seq] int64 too and returns
its whole training loss, `loss` (a float32 scalar). Export uses do_constant_folding=False
(and eval mode), so every parameter is an initializer named after its torch
parameter. The model config (model.py's CONFIG) is stored in the model's
metadata_props under "wse.model_config" so train_torch.py rebuilds the same
module.

--data-dir writes input_ids.npy and labels.npy, both [steps, batch, seq]
int64: sequences of a fixed random permutation chain of the vocabulary
(s[t+1] = perm[s[t]], random start per row), labels the next token, so
the task is learnable and the loss falls.

Export quirks it reports (and train_torch.py handles):
  tied      parameters that are one tensor in torch (the LM head tied to the
            token embedding) become one initializer named after the first
            name in the state dict; the others do not appear.
  folded    in eval mode torch.onnx.export also merges *distinct* parameters
            that hold equal values (e.g. two LayerNorms still at weight 1):
            one initializer, and an Identity node per merged parameter whose
            output is named after it. The ONNX model then shares one tensor
            where torch has two (they would diverge in training), so the
            models initialize norms randomly to avoid it; --plain-norms
            keeps weight 1 / bias 0 to exercise it.

Shared by models/gpt2, models/llama and models/btlm: each directory's
export.py puts its model.py first on the import path and calls main().
"""

import argparse
import json
import os
import sys
import warnings

import numpy as np
import onnx
import torch

from model import CONFIG, SEED, make_model  # noqa: E402

CONFIG_KEY = "wse.model_config"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--out", default="model.onnx")
    p.add_argument("--opset", type=int, default=17)
    p.add_argument("--seed", type=int, default=SEED,
                   help="weight seed (default: model.py's SEED)")
    p.add_argument("--plain-norms", action="store_true",
                   help="norm weights 1 and biases 0 (export folds them)")
    p.add_argument("--data-dir", default=None,
                   help="also write input_ids.npy and labels.npy here")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--data-seed", type=int, default=1)
    p.add_argument("--verbose", action="store_true")
    p.add_argument("--set", action="append", default=[], metavar="KEY=NUM",
                   help="override a numeric field of model.py's CONFIG "
                        "(d_model, n_layer, n_head, seq, batch, vocab, ...)")
    return p.parse_args(argv)


def interface(config):
    """(input names, output names) of the exported graph."""
    if config.get("returns_loss"):
        return ["input_ids", "labels"], ["loss"]
    return ["input_ids"], ["logits"]


def export_onnx(model, config, out, opset):
    model.eval()
    ins, outs = interface(config)
    example = tuple(torch.zeros(config["batch"], config["seq"],
                                dtype=torch.int64) for _ in ins)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings on shape -> int
        torch.onnx.export(
            model, example, out,
            input_names=ins, output_names=outs,
            opset_version=opset, do_constant_folding=False,
            training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(out)
    entry = m.metadata_props.add()
    entry.key = CONFIG_KEY
    entry.value = json.dumps(config, sort_keys=True)
    onnx.save(m, out)


def tensor_shape(value_info):
    return [d.dim_value if d.HasField("dim_value") else d.dim_param
            for d in value_info.type.tensor_type.shape.dim]


def identity_aliases(graph):
    """{Identity output: initializer} for Identity nodes reading one."""
    inits = {t.name for t in graph.initializer}
    return {n.output[0]: n.input[0] for n in graph.node
            if n.op_type == "Identity" and n.input[0] in inits}


def export_quirks(model, graph):
    """(tied, folded): lists of (initializer, [other torch names])."""
    inits = [t.name for t in graph.initializer]
    groups = {}
    for name, tensor in model.state_dict(keep_vars=True).items():
        groups.setdefault(id(tensor), []).append(name)
    tied = [(g[0], g[1:]) for g in groups.values()
            if len(g) > 1 and g[0] in inits]
    folded = {}
    for alias, init in identity_aliases(graph).items():
        folded.setdefault(init, []).append(alias)
    return tied, sorted(folded.items())


def check_graph(path, model, config, verbose):
    """Raises ValueError unless the graph has the expected interface."""
    m = onnx.load(path)
    onnx.checker.check_model(m)
    g = m.graph
    init_names = {t.name for t in g.initializer}
    inputs = [i for i in g.input if i.name not in init_names]
    b, t, v = config["batch"], config["seq"], config["vocab"]
    ins, outs = interface(config)
    if [i.name for i in inputs] != ins:
        raise ValueError(f"{path}: graph inputs are {[i.name for i in inputs]}"
                         f", expected {ins}")
    for i in inputs:
        if (i.type.tensor_type.elem_type != onnx.TensorProto.INT64
                or tensor_shape(i) != [b, t]):
            raise ValueError(f"{path}: {i.name} is not int64 [{b}, {t}]")
    if [o.name for o in g.output] != outs:
        raise ValueError(f"{path}: graph outputs are not exactly {outs}")
    want = [] if config.get("returns_loss") else [b, t, v]
    if tensor_shape(g.output[0]) != want:
        raise ValueError(f"{path}: {outs[0]} shape "
                         f"{tensor_shape(g.output[0])}, expected {want}")
    tied, folded = export_quirks(model, g)
    if verbose:
        ops = {}
        for n in g.node:
            ops[n.op_type] = ops.get(n.op_type, 0) + 1
        print(f"{path}: opset {m.opset_import[0].version}, "
              f"{len(g.node)} nodes: " +
              ", ".join(f"{k} {c}" for k, c in sorted(ops.items())))
        for t_ in g.initializer:
            print(f"  initializer {t_.name} {list(t_.dims)} "
                  f"{onnx.TensorProto.DataType.Name(t_.data_type)}")
    for init, others in tied:
        print(f"export: tied: {', '.join(others)} is {init} in torch; "
              f"one initializer '{init}'")
    for init, aliases in folded:
        print(f"export: folded: {', '.join(aliases)} equal to {init} at "
              f"export; ONNX reads them as Identity('{init}')")


def make_data(steps, batch, seq, vocab, seed):
    """Permutation-chain sequences: (input_ids, labels), each
    [steps, batch, seq]."""
    rng = np.random.default_rng(seed)
    perm = rng.permutation(vocab)
    seqs = np.empty((steps, batch, seq + 1), dtype=np.int64)
    seqs[:, :, 0] = rng.integers(0, vocab, size=(steps, batch))
    for i in range(seq):
        seqs[:, :, i + 1] = perm[seqs[:, :, i]]
    return seqs[:, :, :-1].copy(), seqs[:, :, 1:].copy()


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    config = dict(CONFIG)
    numeric = [k for k, v in CONFIG.items() if isinstance(v, (int, float))]
    for kv in args.set:
        key, _, value = kv.partition("=")
        try:
            config[key] = type(CONFIG[key])(value) if key in numeric else None
        except ValueError:
            config[key] = None
        if config[key] is None:
            sys.exit(f"export: --set {kv}: expected KEY=NUM with KEY one of "
                     f"{', '.join(numeric)}")
    overrides = {k: v for k, v in config.items() if v != CONFIG[k]}
    model = make_model(args.seed, plain_norms=args.plain_norms, **overrides)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    export_onnx(model, config, args.out, args.opset)
    check_graph(args.out, model, config, args.verbose)
    if args.data_dir:
        os.makedirs(args.data_dir, exist_ok=True)
        ids, labels = make_data(args.steps, config["batch"], config["seq"],
                                config["vocab"], args.data_seed)
        np.save(os.path.join(args.data_dir, "input_ids.npy"), ids)
        np.save(os.path.join(args.data_dir, "labels.npy"), labels)
        if args.verbose:
            print(f"wrote {args.data_dir}/input_ids.npy and labels.npy "
                  f"{ids.shape} int64")
    return 0



def run():
    """Entry point of the per-model wrappers: errors are one line, exit 1."""
    try:
        sys.exit(main())
    except (ValueError, OSError) as e:
        print(f"export.py: error: {e}", file=sys.stderr)
        sys.exit(1)
