"""Times PyTorch eager training steps, the baseline of bench.py's speed table.

  torch_step.py mlp 64-128-10 --batch 32 --optimizer sgd --steps 20 --threads 1
  torch_step.py lm gpt2 --set d_model=128 ... --optimizer adamw --steps 3

Prints the median wall time of one step (forward, loss, backward,
optimizer) in milliseconds, after one untimed warm-up step. The weights
are random: only the time matters here.
"""
import argparse
import os
import statistics
import sys
import time

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kind", choices=("mlp", "lm"))
    ap.add_argument("what", help="mlp: sizes such as 64-128-10; lm: gpt2, llama or btlm")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=INT")
    ap.add_argument("--optimizer", choices=("sgd", "adamw"), default="adamw")
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.kind == "mlp":
        sizes = [int(s) for s in args.what.split("-")]
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers.append(torch.nn.ReLU())
        model = torch.nn.Sequential(*layers)
        x = torch.randn(args.batch, sizes[0])
        y = torch.randint(0, sizes[-1], (args.batch,))
        vocab = None
    else:
        sys.path.insert(0, os.path.join(ROOT, "models", args.what))
        from model import CONFIG, make_model  # noqa: E402
        config = dict(CONFIG)
        for kv in args.set:
            k, _, v = kv.partition("=")
            config[k] = int(v)
        model = make_model(**{k: v for k, v in config.items() if v != CONFIG[k]})
        vocab = config["vocab"]
        x = torch.randint(0, vocab, (config["batch"], config["seq"]))
        y = torch.randint(0, vocab, (config["batch"], config["seq"]))
    opt = (torch.optim.SGD(model.parameters(), lr=0.1) if args.optimizer == "sgd"
           else torch.optim.AdamW(model.parameters(), lr=1e-3, foreach=False))
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    times = []
    for i in range(args.steps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        out = model(x)
        loss = loss_fn(out.view(-1, vocab) if vocab else out, y.view(-1))
        loss.backward()
        opt.step()
        if i:
            times.append(time.perf_counter() - t0)
    print(f"{statistics.median(times) * 1e3:.3f}")


if __name__ == "__main__":
    main()
