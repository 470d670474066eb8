"""Hand-edits a train step: scales one parameter's gradient before its update.

  scale-grad.py IN.mlir OUT.mlir PARAM FACTOR

Finds the argument of @train_step whose wse.param is PARAM, then the update
op that takes it first (wse.sgd_update, wse.sgd_momentum_update,
wse.adamw_update, ...), and inserts before that op

  %hand_scale = wse.constant dense<FACTOR> : tensor<f32>
  %hand_grad = wse.mul %G, %hand_scale : T, tensor<f32>

replacing the update's gradient operand %G by %hand_grad. Fails unless
exactly one update op matched.
"""
import re
import sys

src, dst, param, factor = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
text = open(src).read()

# "%arg0: tensor<16x8xf32> {... wse.param = "fc1.weight" ...}"
arg = None
for m in re.finditer(r'(%[\w$.-]+): (tensor<[^>]*>) \{([^{}]*)\}', text):
    if re.search(r'wse\.param = "%s"' % re.escape(param), m.group(3)):
        arg, ty = m.group(1), m.group(2)
        break
if arg is None:
    sys.exit(f"scale-grad.py: no argument with wse.param = \"{param}\"")

update = re.compile(r'^(\s*)(.*= wse\.\w+_update )%s, (%%[\w$.-]+)(,.*)$' % re.escape(arg))
lines, hits = [], 0
for line in text.splitlines():
    m = update.match(line)
    if m:
        indent, head, grad, rest = m.groups()
        lines.append(f"{indent}%hand_scale = wse.constant dense<{factor!r}> : tensor<f32>")
        lines.append(f"{indent}%hand_grad = wse.mul {grad}, %hand_scale : {ty}, tensor<f32>")
        line = f"{indent}{head}{arg}, %hand_grad{rest}"
        hits += 1
    lines.append(line)
if hits != 1:
    sys.exit(f"scale-grad.py: expected one update of {arg} ({param}), found {hits}")
open(dst, "w").write("\n".join(lines) + "\n")
print(f"scaled the gradient of {param} ({arg}) by {factor!r}")
