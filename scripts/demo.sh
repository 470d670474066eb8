#!/usr/bin/env bash
# The main job: installs what is missing, builds, then trains a small MLP
# (64-128-10, batch 32) on a simulated 16x16 corner of a WSE-2 and prints
# its loss per step. It fits one batch (DATA=stream gives every step a fresh
# batch, where the loss falls more slowly and less evenly).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${WSE_BUILD_DIR:-$ROOT/build}"
STEPS="${STEPS:-20}"
MESH="${MESH:-16x16}"
"$ROOT/scripts/install-deps.sh"
"$ROOT/scripts/build.sh"
BIN="$BUILD/bin"
WORK="$BUILD/demo"
mkdir -p "$WORK"
cd "$WORK"
set -x
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
set +x
/usr/bin/python3 - <<'PY'
import json
r = json.load(open("report.json"))
print("regions:", ", ".join(f"{g['name']} {g['width']}x{g['height']} at ({g['x']},{g['y']})" for g in r["regions"]))
print(f"cycles {r['cycles']}, wavelet-hops {r['wavelets']}, max SRAM per PE {r['max_pe_sram_bytes']} bytes")
PY
