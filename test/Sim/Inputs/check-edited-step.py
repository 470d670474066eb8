"""Checks a hand-edited train step (Inputs/scale-grad.py) on both engines.

  check-edited-step.py INIT.mlir DATA_DIR PARAM FACTOR LR MOMENTUM \
      EDITED_REF_DIR EDITED_MESH_DIR PLAIN_DIR

Each *_DIR holds report.json and params/ from wse-sim. Prints a line per
check that holds and exits 1 on the first that does not:
  losses agree      edited step, mesh vs reference engine: 1e-5 relative
  params agree      max|mesh - ref| <= 1e-5 max|ref| per tensor
  matches torch     the reference engine's edited step vs torch SGD with
                    momentum whose PARAM gradient is multiplied by FACTOR
                    (a tensor hook): losses 1e-5 relative, params
                    max|d| <= 1e-5 max|torch| + 1e-7
  differs           the edited step's losses and PARAM differ from the
                    unedited step's by over 100 times those tolerances, so
                    an engine that dropped the edit would fail
"""
import ast
import json
import os
import re
import sys

import numpy as np

(init_path, data_dir, param, factor, lr, momentum,
 ref_dir, mesh_dir, plain_dir) = sys.argv[1:]
factor, lr, momentum = float(factor), float(lr), float(momentum)


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def load(d):
    rep = json.load(open(os.path.join(d, "report.json")))
    pd = os.path.join(d, "params")
    params = {f[:-4]: np.load(os.path.join(pd, f)).astype(np.float64)
              for f in sorted(os.listdir(pd)) if f.endswith(".npy")}
    return [float(s["loss"]) for s in rep["steps"]], params


def rel(a, b):
    return abs(a - b) / abs(b)


ref_l, ref_p = load(ref_dir)
mesh_l, mesh_p = load(mesh_dir)
plain_l, plain_p = load(plain_dir)
if not ref_l or len(ref_l) != len(mesh_l) or sorted(ref_p) != sorted(mesh_p):
    fail(f"runs differ in shape: {len(ref_l)} vs {len(mesh_l)} steps, "
         f"{sorted(ref_p)} vs {sorted(mesh_p)}")
if param not in ref_p:
    fail(f"no parameter {param} in {sorted(ref_p)}")

worst = max(rel(m, r) for m, r in zip(mesh_l, ref_l))
if not worst <= 1e-5:
    fail(f"mesh vs reference losses: worst rel err {worst:.3g} > 1e-5")
print(f"losses agree (worst rel err {worst:.2e})")
for name, r in ref_p.items():
    m = mesh_p[name]
    d = float(np.abs(m - r).max()) if m.shape == r.shape else float("inf")
    if not d <= 1e-5 * float(np.abs(r).max()):
        fail(f"mesh vs reference {name}: max|d| {d:.3g}")
print("params agree")

# The torch oracle: the MLP of INIT.mlir with the PARAM gradient scaled.
import torch  # noqa: E402

torch.set_num_threads(1)
text = open(init_path).read()
init = {}
for m in re.finditer(r'wse\.param = "([^"]+)", wse\.init = dense<(.*?)> : '
                     r'tensor<([0-9x]+)xf32>', text):
    shape = [int(s) for s in m.group(3).split("x")]
    init[m.group(1)] = np.broadcast_to(
        np.array(ast.literal_eval(m.group(2)), dtype=np.float32), shape).copy()
if sorted(init) != sorted(ref_p):
    fail(f"{init_path}: params {sorted(init)}, the runs have {sorted(ref_p)}")
fc1 = torch.nn.Linear(*init["fc1.weight"].shape[::-1])
fc2 = torch.nn.Linear(*init["fc2.weight"].shape[::-1])
model = torch.nn.Sequential(fc1, torch.nn.ReLU(), fc2)
named = {"fc1.weight": fc1.weight, "fc1.bias": fc1.bias,
         "fc2.weight": fc2.weight, "fc2.bias": fc2.bias}
with torch.no_grad():
    for n, t in named.items():
        t.copy_(torch.from_numpy(init[n]))
named[param].register_hook(lambda g: g * factor)
opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
x = np.load(os.path.join(data_dir, "x.npy"))
labels = np.load(os.path.join(data_dir, "labels.npy"))
torch_l = []
for i in range(len(ref_l)):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x[i])),
                                             torch.from_numpy(labels[i]))
    loss.backward()
    opt.step()
    torch_l.append(float(loss))
worst = max(rel(r, t) for r, t in zip(ref_l, torch_l))
if not worst <= 1e-5:
    fail(f"reference engine vs torch losses: worst rel err {worst:.3g}")
for n, t in named.items():
    t = t.detach().numpy().astype(np.float64)
    d = float(np.abs(ref_p[n] - t).max())
    if not d <= 1e-5 * float(np.abs(t).max()) + 1e-7:
        fail(f"reference engine vs torch {n}: max|d| {d:.3g}")
print(f"matches torch with the {param} gradient scaled by {factor!r} "
      f"(worst loss rel err {worst:.2e})")

loss_gap = max(rel(e, p) for e, p in zip(ref_l, plain_l))
d = float(np.abs(ref_p[param] - plain_p[param]).max())
tol = 1e-5 * float(np.abs(plain_p[param]).max())
if not loss_gap > 100 * 1e-5:
    fail(f"edited and unedited losses are too close: {loss_gap:.3g}")
if not d > 100 * tol:
    fail(f"edited and unedited {param} are too close: {d:.3g}")
if not rel(ref_l[0], plain_l[0]) <= 1e-6:
    fail("the edit changed the first loss (it must only change updates)")
print(f"differs from the unedited step (losses up to {loss_gap:.2e} rel, "
      f"{param} by {d:.2e} = {d / tol:.0f} tolerances)")
