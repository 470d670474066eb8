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
# PyTorch is a fair baseline only with an optimized BLAS: Debian's torch
# picks up OpenBLAS when it is installed, else runs the reference BLAS.
if ! dpkg-query -W -f='${Status}' libopenblas0-pthread 2>/dev/null | grep -q "install ok installed"; then
  echo "bench: installing libopenblas0-pthread (the PyTorch baseline's BLAS)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q libopenblas0-pthread
fi
/usr/bin/python3 "$ROOT/bench/bench.py" --bin-dir "$BUILD/bin" "$@"
