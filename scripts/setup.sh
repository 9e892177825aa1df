#!/usr/bin/env bash
#===- scripts/setup.sh - install trit's dependencies and build it ---------===#
#
# Idempotent set-up on a fresh Debian 12 machine: installs the apt packages
# trit needs (LLVM/MLIR 22 toolchain, libomp, ONNX, protobuf, GoogleTest,
# Python packages for the tests), makes a venv of the project's Python with
# PyPI's torch 2 for the torch-2 tests (python_frontend/
# requirements-torch2.txt, cached by its hash under ~/.cache/trit), then
# configures and builds into build/. Run as root (or with sudo). Set
# TRIT_SKIP_INSTALL=1 to only build, TRIT_SKIP_TORCH2=1 to go without the
# torch-2 venv (and its tests).
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
  libomp-22-dev libclang-rt-22-dev ninja-build cmake
  libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev
  nlohmann-json3-dev libpcre2-dev libsentencepiece-dev
  python3 python3-numpy python3-torch python3-onnx python3-venv
)
TORCH2_REQUIREMENTS="$ROOT/python_frontend/requirements-torch2.txt"
TORCH2_VENV="${TRIT_TORCH2_VENV:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/trit/venv-torch2}"
TORCH2_PYTHON=""

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

# The venv is reused while it was completed for the same requirements
# (their hash is written last); else it is made anew.
make_torch2_venv() {
  local stamp="$TORCH2_VENV/.trit-requirements"
  local want
  want="$(sha256sum "$TORCH2_REQUIREMENTS" | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
      [ -x "$TORCH2_VENV/bin/python" ]; then
    log "torch-2 venv up to date: $TORCH2_VENV"
  else
    log "making the torch-2 venv $TORCH2_VENV (PyPI: torch 2 and its CUDA" \
        "wheels, onnxscript, onnxruntime, transformers; a few GB)"
    if [ -e "$TORCH2_VENV" ] && [ ! -f "$TORCH2_VENV/pyvenv.cfg" ]; then
      echo "[setup] error: $TORCH2_VENV exists and is not a venv;" \
           "set TRIT_TORCH2_VENV elsewhere" >&2
      exit 1
    fi
    rm -rf "$TORCH2_VENV"
    mkdir -p "$(dirname "$TORCH2_VENV")"
    "$TRIT_PYTHON" -m venv "$TORCH2_VENV"
    "$TORCH2_VENV/bin/python" -m pip install --disable-pip-version-check \
      --no-input --progress-bar off -r "$TORCH2_REQUIREMENTS"
    echo "$want" > "$stamp"
  fi
  TORCH2_PYTHON="$TORCH2_VENV/bin/python"
}

configure_and_build() {
  # Configured every time (quick once configured): TRIT_TORCH2_PYTHON
  # follows whether this run made the torch-2 venv.
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    log "configuring $BUILD_DIR"
  fi
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER="$LLVM_PREFIX/bin/clang" \
      -DCMAKE_CXX_COMPILER="$LLVM_PREFIX/bin/clang++" \
      -DLLVM_USE_LINKER=lld \
      -DMLIR_DIR="$LLVM_PREFIX/lib/cmake/mlir" \
      -DLLVM_EXTERNAL_LIT="$LLVM_PREFIX/bin/lit" \
      -DTRIT_PYTHON="$TRIT_PYTHON" \
      -DTRIT_TORCH2_PYTHON="$TORCH2_PYTHON" > /dev/null
  log "building (ninja -j2)"
  cmake --build "$BUILD_DIR" -j 2
}

if [ "${TRIT_SKIP_INSTALL:-0}" != "1" ]; then
  install_packages
fi
if [ "${TRIT_SKIP_TORCH2:-0}" != "1" ]; then
  make_torch2_venv
fi
configure_and_build
log "done: tools are in $BUILD_DIR/bin"
