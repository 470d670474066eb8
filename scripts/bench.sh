#!/usr/bin/env bash
# Builds and runs the benchmarks in bench/, printing a table with ratios
# against baselines measured in the same run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${WSE_BUILD_DIR:-$ROOT/build}"
# SKIP_BUILD=1 uses the tools already in $WSE_BUILD_DIR/bin (no install, no build).
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  "$ROOT/scripts/install-deps.sh"
  "$ROOT/scripts/build.sh"
fi
/usr/bin/python3 "$ROOT/bench/bench.py" --bin-dir "$BUILD/bin" "$@"
