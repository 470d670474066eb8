#!/usr/bin/env bash
# Fuzzes wse's input paths with libFuzzer under ASan and UBSan:
#   onnx-import  the ONNX importer (wse-translate --import-onnx)
#   wsebin       the .wsebin loader and one simulated step (wse-sim)
#   npy          the .npy reader (wse-sim --input)
#   wse-opt      parse, verify and the train/mesh pipeline (wse-opt)
#
#   scripts/fuzz.sh [--time SECONDS | --runs N] [--build-dir DIR] [--no-build] [TARGET...]
#
# Default: every target for 60 seconds. Seeds come from the test inputs
# (ONNX text tests, compiled programs, numpy arrays, .mlir tests); what a
# run finds goes to DIR/fuzz/artifacts/TARGET/ and fails the script.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${WSE_SANITIZE_BUILD_DIR:-$ROOT/build-sanitize}"
LIMIT=(-max_total_time=60)
BUILD_FIRST=1
TARGETS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) LIMIT=(-max_total_time="$2"); shift 2 ;;
    --runs) LIMIT=(-runs="$2"); shift 2 ;;
    --build-dir) BUILD="$2"; shift 2 ;;
    --no-build) BUILD_FIRST=0; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "fuzz.sh: error: unknown option $1" >&2; exit 1 ;;
    *) TARGETS+=("$1"); shift ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(onnx-import wsebin npy wse-opt)
for t in "${TARGETS[@]}"; do
  case "$t" in onnx-import|wsebin|npy|wse-opt) ;;
    *) echo "fuzz.sh: error: unknown target '$t' (onnx-import, wsebin, npy, wse-opt)" >&2; exit 1 ;;
  esac
done

if [ "$BUILD_FIRST" = 1 ]; then
  "$ROOT/scripts/install-deps.sh"
  WSE_BUILD_DIR="$BUILD" WSE_CMAKE_FLAGS="-DWSE_SANITIZE=ON -DWSE_FUZZ=ON" \
    "$ROOT/scripts/build.sh"
fi
BIN="$BUILD/bin"
PY=/usr/bin/python3
# allow_user_poisoning=0: LLVM's headers poison allocator slabs in our
# instrumented code while the prebuilt libMLIR (not instrumented) hands out
# pieces of them unpoisoned; with it, ASan reports false use-after-poison.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allow_user_poisoning=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Seeds, made once per build directory from the repository's test inputs.
SEEDS="$BUILD/fuzz/seeds"
make_seeds() {
  # Several runs (ctest -j) may race here: each builds its own copy and the
  # first to finish wins.
  mkdir -p "$BUILD/fuzz"
  local tmp
  tmp="$(mktemp -d "$BUILD/fuzz/seeds.XXXXXX")"
  mkdir -p "$tmp"/{onnx-import,wsebin,npy,wse-opt}
  "$PY" - "$ROOT" "$tmp" <<'PYEOF'
import glob, os, sys
import numpy as np
root, out = sys.argv[1], sys.argv[2]
try:
    import onnx, onnx.parser
    for i, path in enumerate(sorted(glob.glob(f"{root}/test/Frontend/ONNX/*.onnxtext"))):
        text = "\n".join(l for l in open(path) if not l.lstrip().startswith("#"))
        try:
            model = onnx.parser.parse_model(text)
        except Exception:
            continue
        open(f"{out}/onnx-import/{i:03d}.onnx", "wb").write(model.SerializeToString())
except ImportError:
    pass
arrays = [np.zeros((2, 3), np.float32), np.arange(6, dtype=np.int64),
          np.array(3.5, np.float32), np.ones((2, 2, 2), np.int32),
          np.array([True, False]), np.zeros((0, 4), np.float32)]
for i, a in enumerate(arrays):
    np.save(f"{out}/npy/{i}.npy", a)
for i, path in enumerate(sorted(glob.glob(f"{root}/test/**/*.mlir", recursive=True))):
    if os.path.getsize(path) <= 16384:
        for j, chunk in enumerate(open(path).read().split("// -----")):
            open(f"{out}/wse-opt/{i:03d}-{j}.mlir", "w").write(chunk)
PYEOF
  "$BIN/wse-opt" "$ROOT/test/Inputs/mlp-init.mlir" \
    --wse-train-pipeline="lr=0.1 mesh=4x4" -o "$tmp/mlp.mlir"
  "$BIN/wse-translate" --export-wafer-program "$tmp/mlp.mlir" -o "$tmp/wsebin/mlp.wsebin"
  "$BIN/wse-opt" "$ROOT/test/Sim/Inputs/embedding.mlir" \
    --wse-mesh-pipeline="mesh=3x2" -o "$tmp/emb.mlir"
  "$BIN/wse-translate" --export-wafer-program "$tmp/emb.mlir" -o "$tmp/wsebin/emb.wsebin"
  "$BIN/wse-translate" --export-wafer-program-text "$tmp/emb.mlir" -o "$tmp/wsebin/emb.txt"
  rm -f "$tmp"/*.mlir
  mv -T "$tmp" "$SEEDS" 2>/dev/null || rm -rf "$tmp"
}
[ -d "$SEEDS" ] || make_seeds

status=0
for t in "${TARGETS[@]}"; do
  corpus="$BUILD/fuzz/corpus/$t" artifacts="$BUILD/fuzz/artifacts/$t/"
  mkdir -p "$corpus" "$artifacts"
  maxlen=65536
  [ "$t" = npy ] && maxlen=4096
  echo "fuzz.sh: $t (${LIMIT[*]})"
  if ! "$BIN/fuzz-$t" "${LIMIT[@]}" -max_len=$maxlen -timeout=30 \
      -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$artifacts" \
      "$corpus" "$SEEDS/$t" "$ROOT/test/fuzz/regressions/$t" \
      > "$BUILD/fuzz/$t.log" 2>&1; then
    echo "fuzz.sh: $t FAILED; log: $BUILD/fuzz/$t.log, inputs: $artifacts" >&2
    grep -a -E "ERROR|SUMMARY|runtime error" "$BUILD/fuzz/$t.log" | head -5 >&2 || true
    status=1
  else
    grep -a -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD/fuzz/$t.log" |
      sed "s/^/fuzz.sh: $t: /"
  fi
done
exit $status
