#!/bin/bash
# The GPU target's device check (tritc --target=cuda), in two halves:
#
#   scripts/gpu-check.sh prepare DIR   on the build machine (no GPU needed):
#       compiles the check models for sm_90 (--target=cuda) and for this CPU,
#       runs the CPU ones here for the reference logits and greedy tokens,
#       and copies trit-run and the shared libraries it needs into DIR.
#   scripts/gpu-check.sh run DIR       on a machine with an NVIDIA GPU:
#       runs the CUDA models from DIR and prints a table: GPU logits against
#       trit's CPU logits, greedy tokens, decode and prefill speed, each
#       kernel's time (the runtime's TRIT_CUDA_PROFILE table)
#       and the device-to-device
#       copy bandwidth measured in the same run.
#
# The models: the hand-written tiny model of test/Driver/emit-levels.mlir,
# the project's tiny trained model (a Hugging Face directory), and two
# layers of the 2B-4T shape (hidden 2560, FFN 6912, 20/5 heads, random
# packed weights) with a 1024-token vocabulary, small enough to carry.
# Environment: TRIT_BUILD_DIR (default build), PYTHON (prepare: default
# /usr/bin/python3), GPU_ARCH (default sm_90).
set -euo pipefail

mode=${1:-}
dir=${2:-}
if [[ -z "$mode" || -z "$dir" ]]; then
  echo "usage: $0 prepare|run DIR" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)

models=(tiny trained l2)

prepare() {
  local build=${TRIT_BUILD_DIR:-$root/build}
  local python=${PYTHON:-/usr/bin/python3}
  local arch=${GPU_ARCH:-sm_90}
  local tritc=$build/bin/tritc run=$build/bin/trit-run
  rm -rf "$dir"
  mkdir -p "$dir/bin" "$dir/lib" "$dir/work"
  cp "$run" "$dir/bin/"
  # trit-run's shared libraries that a CUDA machine may lack.
  for lib in $(ldd "$run" | awk '/=> \// {print $3}'); do
    case $(basename "$lib") in
      libc.so*|libm.so*|libgcc_s.so*|libstdc++.so*) ;;
      *) cp -L "$lib" "$dir/lib/" ;;
    esac
  done
  for lib in $(ldd "$dir/lib/libsentencepiece.so.0" | awk '/=> \// {print $3}'); do
    case $(basename "$lib") in
      libc.so*|libm.so*|libgcc_s.so*|libstdc++.so*) ;;
      *) cp -L -n "$lib" "$dir/lib/" ;;
    esac
  done
  local work=$dir/work
  "$python" -c 'import sys' # the interpreter exists
  PYTHONPATH="$root/python_frontend" "$python" -m trit.hf --trained \
    "$work/hf-trained" > /dev/null
  PYTHONPATH="$root/python_frontend" "$python" -m trit.hf \
    --config bitnet-2b-4t --random --layers 2 --vocab 1024 \
    "$work/hf-l2" > /dev/null
  declare -A source=([tiny]="$root/test/Driver/emit-levels.mlir"
                     [trained]="$work/hf-trained" [l2]="$work/hf-l2")
  declare -A extra=([tiny]="--context-length=16" [trained]="" [l2]="")
  declare -A prompt=([tiny]="1,3,2" [trained]="76,105,99,101,110,115,111,114"
                     [l2]="1,2,3,4,5,6,7,8")
  for m in "${models[@]}"; do
    echo "prepare: $m" >&2
    # shellcheck disable=SC2086
    "$tritc" "${source[$m]}" --target=cuda --gpu-arch="$arch" --emit=lib \
      ${extra[$m]} -o "$dir/$m-cuda.so"
    # shellcheck disable=SC2086
    "$tritc" "${source[$m]}" --emit=lib --weights=external ${extra[$m]} \
      -o "$work/$m-cpu.so"
    echo "${prompt[$m]}" > "$dir/$m.prompt"
    "$python" - "$dir/$m.ids.npy" "${prompt[$m]}" <<'PY'
import sys
import numpy as np
ids = [int(t) for t in sys.argv[2].split(",")]
np.save(sys.argv[1], np.array([ids], dtype=np.int64))
PY
    "$run" "$work/$m-cpu.so" --input "$dir/$m.ids.npy" \
      --output "$dir/$m.cpu-logits.npy"
    "$run" "$work/$m-cpu.so" --generate 12 --prompt-ids "${prompt[$m]}" \
      > "$dir/$m.cpu-tokens.txt" 2> /dev/null
  done
  rm -rf "$work"
  du -sh "$dir" >&2
}

run() {
  export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local run=$dir/bin/trit-run out
  out=$(mktemp -d)
  local python=${PYTHON:-python3}
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
  printf '\n%-8s %-14s %-12s %-10s %-14s %-14s\n' model "max|dGPU-CPU|" \
    "max|CPU|" tokens "prefill tok/s" "decode tok/s"
  for m in "${models[@]}"; do
    local so=$dir/$m-cuda.so diff="-" scale="-" tokens="-" pre="-" dec="-"
    if "$run" "$so" --input "$dir/$m.ids.npy" --output "$out/$m.npy" \
         2> "$out/$m.err"; then
      read -r diff scale < <("$python" - "$dir/$m.cpu-logits.npy" \
                             "$out/$m.npy" <<'PY'
import sys
import numpy as np
cpu, gpu = np.load(sys.argv[1]), np.load(sys.argv[2])
assert cpu.shape == gpu.shape, (cpu.shape, gpu.shape)
print(f"{np.abs(cpu - gpu).max():.3g} {np.abs(cpu).max():.3g}")
PY
)
    else
      diff="FAILED: $(head -c 200 "$out/$m.err")"
    fi
    if "$run" "$so" --generate 12 --prompt-ids "$(cat "$dir/$m.prompt")" \
         > "$out/$m.tokens" 2> "$out/$m.speed"; then
      if cmp -s "$out/$m.tokens" "$dir/$m.cpu-tokens.txt"; then
        tokens=same
      else
        tokens=DIFFER
      fi
      # "prefill 8 tokens in 0.01 s (800.0 tokens/s), decode ..."
      pre=$(grep -o 'prefill [^)]*' "$out/$m.speed" |
            sed -n 's/.*(\([0-9.]*\) tokens\/s.*/\1/p' | head -1 || true)
      dec=$(grep -o 'decode [^)]*' "$out/$m.speed" |
            sed -n 's/.*(\([0-9.]*\) tokens\/s.*/\1/p' | head -1 || true)
    else
      tokens="FAILED: $(head -c 200 "$out/$m.speed")"
    fi
    printf '%-8s %-14s %-12s %-10s %-14s %-14s\n' "$m" "$diff" "$scale" \
      "$tokens" "${pre:--}" "${dec:--}"
  done

  # Where a step's time goes: the runtime's own profile (TRIT_CUDA_PROFILE)
  # of a short generation on the 2B-4T layers.
  echo
  echo "l2, 8-token prompt + 16 tokens, by kernel (TRIT_CUDA_PROFILE=1):"
  TRIT_CUDA_PROFILE=1 "$run" "$dir/l2-cuda.so" --generate 16 \
    --prompt-ids "$(cat "$dir/l2.prompt")" 2>&1 > /dev/null |
    grep -v '^trit-run' | head -24 || true
  echo
  "$python" - <<'PY' || echo "copy bandwidth: torch unavailable"
import torch
x = torch.empty(1 << 28, dtype=torch.float32, device="cuda")
y = torch.empty_like(x)
for _ in range(3):
    y.copy_(x)
torch.cuda.synchronize()
start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
start.record()
for _ in range(10):
    y.copy_(x)
end.record()
torch.cuda.synchronize()
seconds = start.elapsed_time(end) / 1e3 / 10
print(f"device-to-device copy: {2 * x.numel() * 4 / seconds / 1e9:.0f} GB/s "
      "(bytes read + written)")
PY
  rm -rf "$out"
}

case $mode in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
