#!/usr/bin/env bash
# Configures and builds wse into ${WSE_BUILD_DIR:-build} (Release, Ninja, ccache).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${WSE_BUILD_DIR:-$ROOT/build}"
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
    -DWSE_PYTHON=/usr/bin/python3 ${WSE_CMAKE_FLAGS:-}
fi
cmake --build "$BUILD" -- -j"$(nproc)"
