#!/usr/bin/env bash
# Installs the Debian packages wse builds and tests with, if any is missing.
set -euo pipefail
PACKAGES=(
  cmake ninja-build ccache git libfuzzer-22-dev libclang-rt-22-dev
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22
  libabsl-dev libprotobuf-dev protobuf-compiler libonnx-dev
  googletest libgtest-dev libbenchmark-dev
  python3-onnx python3-numpy python3-torch
)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
