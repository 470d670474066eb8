#!/usr/bin/env bash
# The main job: installs what is missing, builds, then trains a model on a
# simulated corner of a WSE-2 and prints its loss per step and the mesh
# report (regions, cycles, wavelet-hops, max SRAM per PE, flops per step,
# utilization).
#
#   MODEL=mlp (default)  a small MLP (64-128-10, batch 32), SGD lr 0.1, on a
#                        16x16 corner, 20 steps. It fits one batch
#                        (DATA=stream gives every step a fresh batch, where
#                        the loss falls more slowly and less evenly).
#   MODEL=gpt2           the GPT-2-style LM of models/gpt2 (2 blocks, d_model
#                        64, context 32, batch 2), attention raised into
#                        wse.attention, AdamW lr 1e-3, on a 32x32 corner,
#                        10 steps on the exported next-token data.
#
# STEPS and MESH override the defaults. SKIP_BUILD=1 uses the tools already
# in $WSE_BUILD_DIR/bin (no install, no build); DEMO_DIR sets the work
# directory (default $WSE_BUILD_DIR/demo).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${WSE_BUILD_DIR:-$ROOT/build}"
MODEL="${MODEL:-mlp}"
case "$MODEL" in
  mlp)  STEPS="${STEPS:-20}"; MESH="${MESH:-16x16}" ;;
  gpt2) STEPS="${STEPS:-10}"; MESH="${MESH:-32x32}" ;;
  *) echo "demo.sh: MODEL must be mlp or gpt2, not '$MODEL'" >&2; exit 2 ;;
esac
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  "$ROOT/scripts/install-deps.sh"
  "$ROOT/scripts/build.sh"
fi
BIN="$BUILD/bin"
WORK="${DEMO_DIR:-$BUILD/demo}"
mkdir -p "$WORK"
cd "$WORK"
set -x
if [ "$MODEL" = mlp ]; then
  ONE_BATCH="--one-batch"
  if [ "${DATA:-one}" = "stream" ]; then ONE_BATCH=""; fi
  /usr/bin/python3 "$ROOT/models/mlp/export.py" --out mlp.onnx --data-dir . --steps "$STEPS" $ONE_BATCH
  "$BIN/wse-translate" --import-onnx mlp.onnx -o mlp.mlir
  "$BIN/wse-opt" mlp.mlir \
    --wse-train-pipeline="loss=cross-entropy optimizer=sgd lr=0.1 machine=wse2 mesh=$MESH" \
    -o program.mlir
  "$BIN/wse-translate" --export-wafer-program program.mlir -o program.wsebin
  "$BIN/wse-sim" program.wsebin --steps "$STEPS" --input x=x.npy --input labels=labels.npy \
    --report report.json --dump-params params
else
  /usr/bin/python3 "$ROOT/models/gpt2/export.py" --out gpt2.onnx --data-dir . --steps "$STEPS"
  "$BIN/wse-translate" --import-onnx gpt2.onnx -o gpt2.mlir
  "$BIN/wse-opt" gpt2.mlir --wse-raise-attention \
    --wse-train-pipeline="loss=cross-entropy optimizer=adamw lr=0.001 machine=wse2 mesh=$MESH" \
    -o program.mlir
  "$BIN/wse-translate" --export-wafer-program program.mlir -o program.wsebin
  "$BIN/wse-sim" program.wsebin --steps "$STEPS" --input input_ids=input_ids.npy \
    --input labels=labels.npy --report report.json --dump-params params
fi
set +x
/usr/bin/python3 - <<'PY'
import json
r = json.load(open("report.json"))
m = r.get("machine", {})
print(f"machine {m.get('name')} {m.get('width')}x{m.get('height')} ({r['pes']} PEs)")
print("regions:", ", ".join(f"{g['name']} {g['width']}x{g['height']} at ({g['x']},{g['y']})" for g in r["regions"]))
steps = r["steps"]
print(f"loss {steps[0]['loss']:.6f} -> {steps[-1]['loss']:.6f} over {len(steps)} steps")
print(f"cycles {r['cycles']} ({steps[0]['cycles']} per step), wavelet-hops {r['wavelets']}, "
      f"max SRAM per PE {r['max_pe_sram_bytes']} bytes")
print(f"flops per step {r['flops_per_step']}, utilization {r['utilization']:.3f}, "
      f"bound by {r['bottleneck']} (the last PE computes {r['compute_share']:.0%} of a step)")
PY
