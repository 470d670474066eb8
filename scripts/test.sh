#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test
# (lit, GoogleTest, Python parity) through ctest.
#
#   scripts/test.sh [--sanitize] [CTEST ARGS...]
#
# --sanitize builds into build-sanitize with AddressSanitizer,
# UndefinedBehaviorSanitizer (leaks included) and the libFuzzer targets,
# and runs the same suite there plus a short run of each fuzz target.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${WSE_BUILD_DIR:-$ROOT/build}"
if [ "${1:-}" = "--sanitize" ]; then
  shift
  BUILD="${WSE_SANITIZE_BUILD_DIR:-$ROOT/build-sanitize}"
  export WSE_CMAKE_FLAGS="-DWSE_SANITIZE=ON -DWSE_FUZZ=ON"
  # allow_user_poisoning=0: LLVM's headers poison allocator slabs in our
  # instrumented code while the prebuilt libMLIR (not instrumented) hands
  # out pieces of them unpoisoned: false use-after-poison reports.
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allow_user_poisoning=0}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi
"$ROOT/scripts/install-deps.sh"
WSE_BUILD_DIR="$BUILD" "$ROOT/scripts/build.sh"
cd "$BUILD"
ctest --output-on-failure -j"$(nproc)" "$@"
