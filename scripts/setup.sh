#!/usr/bin/env bash
#===- scripts/setup.sh - install trit's dependencies and build it ---------===#
#
# Idempotent set-up on a fresh Debian 12 machine: installs the apt packages
# trit needs (LLVM/MLIR 22 toolchain, libomp, ONNX, protobuf, GoogleTest,
# Python packages for the tests), then configures and builds into build/.
# Run as root (or with sudo). Set TRIT_SKIP_INSTALL=1 to only build.
#
#===----------------------------------------------------------------------===#
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${TRIT_BUILD_DIR:-$ROOT/build}"
LLVM_PREFIX=/usr/lib/llvm-22
# The project's one Python: Debian's, which sees apt's python3-* packages.
TRIT_PYTHON=/usr/bin/python3

APT_PACKAGES=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools clang-22 lld-22
  libomp-22-dev ninja-build cmake
  libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev
  python3 python3-numpy python3-torch python3-onnx
)

log() { printf '[setup] %s\n' "$*"; }

install_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
        grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "all apt packages present"
    return
  fi
  log "installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
    --no-install-recommends "${missing[@]}"
}

configure_and_build() {
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    log "configuring $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER="$LLVM_PREFIX/bin/clang" \
      -DCMAKE_CXX_COMPILER="$LLVM_PREFIX/bin/clang++" \
      -DLLVM_USE_LINKER=lld \
      -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
      -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit" \
      -DTRIT_PYTHON="$TRIT_PYTHON"
  fi
  log "building (ninja -j2)"
  cmake --build "$BUILD_DIR" -j 2
}

if [ "${TRIT_SKIP_INSTALL:-0}" != "1" ]; then
  install_packages
fi
configure_and_build
log "done: tools are in $BUILD_DIR/bin"
