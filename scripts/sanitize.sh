#!/usr/bin/env bash
#===- scripts/sanitize.sh - the checked configuration ----------------------===#
#
# Builds trit a second time into build-san/ with AddressSanitizer,
# UndefinedBehaviorSanitizer (every report fatal) and LeakSanitizer, plus
# libFuzzer coverage (TRIT_SANITIZE=address,undefined, TRIT_FUZZ=ON), then
# runs there: the GoogleTests, every lit test (the importer, driver,
# runtime and tokenizer included, with sanitized tools) and each fuzz
# target from its seed corpus for TRIT_FUZZ_SECONDS (default 20) with a
# fixed seed. Needs scripts/setup.sh's packages (libclang-rt-22-dev: the
# sanitizer and libFuzzer runtimes). .ci/run runs it after the main tests.
#
#===----------------------------------------------------------------------===#
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${TRIT_SAN_BUILD_DIR:-$ROOT/build-san}"
LLVM_PREFIX=/usr/lib/llvm-22
log() { printf '[sanitize] %s\n' "$*"; }

log "configuring $BUILD_DIR (address,undefined + fuzzer coverage)"
# -O1 with line tables: reports name lines, and the build stays quick.
cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_FLAGS_RELEASE="-O1 -gline-tables-only" \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" \
    -DCMAKE_C_COMPILER="$LLVM_PREFIX/bin/clang" \
    -DCMAKE_CXX_COMPILER="$LLVM_PREFIX/bin/clang++" \
    -DLLVM_USE_LINKER=lld \
    -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
    -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit" \
    -DTRIT_PYTHON=/usr/bin/python3 \
    -DTRIT_TORCH2_PYTHON= \
    -DTRIT_SANITIZE=address,undefined \
    -DTRIT_FUZZ=ON \
    -DTRIT_FUZZ_SECONDS="${TRIT_FUZZ_SECONDS:-20}" > /dev/null
log "building (ninja -j2)"
cmake --build "$BUILD_DIR" -j 2

# Reports go to stderr with a stack; any report fails its test.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
log "GoogleTests, lit tests and fuzz targets under the sanitizers"
# The Python tests load libraries into an uninstrumented interpreter:
# they run in the main build only.
ctest --test-dir "$BUILD_DIR" --output-on-failure -E '^(python-frontend|lit-verify-roundtrip)'
log "done"
