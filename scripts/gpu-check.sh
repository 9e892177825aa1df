#!/bin/bash
# The GPU target's device check (tritc --target=cuda), in two halves:
#
#   scripts/gpu-check.sh prepare DIR   on the build machine (no GPU needed):
#       compiles the check models for sm_90 (--target=cuda) and for this CPU,
#       runs the CPU ones here for the reference logits and greedy tokens,
#       xz-compresses the big weights files and copies trit-run, the shared
#       libraries it needs and scripts/gpu-check-models.py into DIR
#       (under 60 MiB with the default models, so that it can be carried).
#   scripts/gpu-check.sh run DIR       on a machine with an NVIDIA GPU
#       (python3 with numpy; torch for the copy bandwidth; no LLVM needed):
#       unpacks the weights into a temporary folder and prints
#       - the device-to-device copy bandwidth (torch);
#       - per model: GPU logits against trit's CPU logits, greedy tokens,
#         prefill and decode speed;
#       - per GEMV shape: the W2A8 BitLinear GEMV kernel's time at batch 1
#         (the runtime's TRIT_CUDA_PROFILE table) and its bandwidth;
#       - the full model's decode speed against its bandwidth bound;
#       - the TRIT_CUDA_PROFILE table of a short generation by kernel.
#
# The models (GPU_CHECK_MODELS, default "tiny trained gemv full"):
#   tiny     the hand-written model of test/Driver/emit-levels.mlir;
#   trained  the project's tiny trained model (a Hugging Face directory);
#   gemv     a model that is BitLinear GEMVs only, of the shapes N x K in
#            GEMV_SHAPES (default 2560x2560 640x2560 6912x2560 2560x6912):
#            GEMV_ROUNDS (default 20) rounds of one GEMV per shape in one
#            chain, each with its own random ternary weight constant (219
#            MB in all, four times the H100's 50 MB L2 cache, so that no
#            call finds its weights there, as none would in a real model's
#            decode); trit-run --input of one token runs each once;
#   full     the 2B-4T shape (30 layers, hidden 2560, FFN 6912, vocabulary
#            128256, tied embeddings) with random weights made repetitive
#            (every layer holds layer 0's tensors, embedding row r is row
#            r % 64): what the GPU reads is as large as the real model's,
#            but it compresses to about one layer;
#   l2       two layers of the 2B-4T shape with a 1024-token vocabulary
#            (random, about 48 MB: with full it does not fit in 60 MiB).
# A model that fails to prepare is left out (prepare says FAILED and exits
# with status 1 at the end); in run, each step that fails says FAILED and
# the others go on.
# Environment: TRIT_BUILD_DIR (default build), PYTHON (prepare: default
# /usr/bin/python3; run: python3), GPU_ARCH (default sm_90),
# GPU_CHECK_MODELS, GEMV_SHAPES, GEMV_ROUNDS, LM_HEAD_TYPE (default f16,
# --target=cuda's default; the CPU reference is compiled with it too, so
# that the logits differ by the GPU code only); run: RUN_SECONDS (default
# 360: each GPU step is limited to what is left of it, the rest SKIPPED).
set -euo pipefail

mode=${1:-}
dir=${2:-}
if [[ -z "$mode" || -z "$dir" ]]; then
  echo "usage: $0 prepare|run DIR" >&2
  exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)

# Seconds since the epoch, with a fraction.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

prepare() {
  local build=${TRIT_BUILD_DIR:-$root/build}
  local python=${PYTHON:-/usr/bin/python3}
  local arch=${GPU_ARCH:-sm_90}
  local tritc=$build/bin/tritc run=$build/bin/trit-run
  local selected=${GPU_CHECK_MODELS:-tiny trained gemv full}
  local shapes=${GEMV_SHAPES:-2560x2560 640x2560 6912x2560 2560x6912}
  local rounds=${GEMV_ROUNDS:-20}
  local head=${LM_HEAD_TYPE:-f16}
  local helper=$root/scripts/gpu-check-models.py
  local log=$dir/prepare.log
  local m
  for m in $selected; do
    case $m in
      tiny|trained|l2|full|gemv) ;;
      *) echo "GPU_CHECK_MODELS: unknown model '$m'" \
           "(tiny, trained, l2, full, gemv)" >&2; exit 2 ;;
    esac
  done
  rm -rf "$dir"
  mkdir -p "$dir/bin" "$dir/lib" "$dir/work"
  cp "$run" "$dir/bin/"
  cp "$helper" "$dir/"
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
  "$python" -c 'import numpy' # the interpreter exists, with numpy
  : > "$log"
  # Runs a command, its time and peak memory (/usr/bin/time -v) in the log.
  timed() {
    local what=$1 start
    shift
    start=$(now)
    if [[ -x /usr/bin/time ]]; then
      /usr/bin/time -v -o "$work/time.txt" "$@" 2> "$work/stderr.txt" || {
        echo "$what: FAILED" | tee -a "$log" >&2
        tee -a "$log" < "$work/stderr.txt" >&2; return 1; }
      echo "$what: $(elapsed "$start") s, peak RSS $(awk \
        '/Maximum resident/ {printf "%.0f MB", $NF / 1024}' \
        "$work/time.txt")" | tee -a "$log" >&2
    else
      "$@" 2> "$work/stderr.txt" || {
        echo "$what: FAILED" | tee -a "$log" >&2
        tee -a "$log" < "$work/stderr.txt" >&2; return 1; }
      echo "$what: $(elapsed "$start") s" | tee -a "$log" >&2
    fi
    grep -v '^ *$' "$work/stderr.txt" | sed 's/^/  /' >> "$log" || true
  }

  # A model of the main table: NAME SOURCE EXTRA-FLAGS LOGITS-IDS
  # PROMPT-IDS TOKENS-TO-GENERATE.
  prepare_model() {
    local m=$1 src=$2 extra=$3 ids=$4 prompt=$5 generate=$6
    echo "prepare: $m" >&2
    # Both with the same LM head type: the difference is the GPU code's.
    # shellcheck disable=SC2086
    timed "$m: tritc --target=cuda" "$tritc" "$src" --target=cuda \
      --gpu-arch="$arch" --emit=lib --lm-head-type="$head" --time-phases \
      $extra -o "$dir/$m-cuda.so"
    # shellcheck disable=SC2086
    timed "$m: tritc (cpu)" "$tritc" "$src" --emit=lib --weights=external \
      --lm-head-type="$head" $extra -o "$work/$m-cpu.so"
    echo "$prompt" > "$dir/$m.prompt"
    echo "$generate" > "$dir/$m.generate"
    "$python" "$helper" ids "$dir/$m.ids.npy" "$ids"
    "$run" "$work/$m-cpu.so" --input "$dir/$m.ids.npy" \
      --output "$dir/$m.cpu-logits.npy"
    timed "$m: CPU generation" "$run" "$work/$m-cpu.so" \
      --generate "$generate" --prompt-ids "$prompt" > "$dir/$m.cpu-tokens.txt"
    rm -f "$work/$m-cpu.so" "$work/$m-cpu.so.weights"
    echo "$m" >> "$dir/models"
  }

  # One model's files in DIR (a subshell's work: exits at its first error).
  prepare_one() {
    local m=$1
    case $m in
      tiny)
        prepare_model tiny "$root/test/Driver/emit-levels.mlir" \
          "--context-length=16" 1,3,2 1,3,2 12
        ;;
      trained)
        PYTHONPATH="$root/python_frontend" "$python" -m trit.hf --trained \
          "$work/hf-trained" > /dev/null
        local p=76,105,99,101,110,115,111,114
        prepare_model trained "$work/hf-trained" "" $p $p 12
        rm -rf "$work/hf-trained"
        ;;
      l2)
        PYTHONPATH="$root/python_frontend" "$python" -m trit.hf \
          --config bitnet-2b-4t --random --layers 2 --vocab 1024 \
          "$work/hf-l2" > /dev/null
        local p=1,2,3,4,5,6,7,8
        prepare_model l2 "$work/hf-l2" "" $p $p 12
        rm -rf "$work/hf-l2"
        ;;
      full)
        echo "prepare: full (the 2B-4T shape, random, repetitive)" >&2
        timed "full: python -m trit.hf --random" env \
          PYTHONPATH="$root/python_frontend" "$python" -m trit.hf \
          --config bitnet-2b-4t --random "$work/hf-full" > /dev/null
        timed "full: layers := layer 0, embedding rows period 64" \
          "$python" "$helper" repeat "$work/hf-full" 64
        # What a decode step reads: the packed ternary weights and the
        # (tied) LM head in its type.
        "$python" "$helper" read-bytes "$work/hf-full" "$head" \
          > "$dir/full.read-bytes"
        local prompt
        prompt=$("$python" -c \
          'print(",".join(str((i * 7919 + 11) % 128256) for i in range(128)))')
        prepare_model full "$work/hf-full" "" 1,2,3,4,5,6,7,8 "$prompt" 32
        rm -rf "$work/hf-full"
        ;;
      gemv)
        local shape count=0
        for shape in $shapes; do count=$((count + 1)); done
        echo "prepare: gemv ($rounds rounds of $shapes)" >&2
        # shellcheck disable=SC2086
        "$python" "$helper" gemv "$work/gemv.mlir" "$rounds" $shapes
        timed "gemv: tritc --target=cuda ($((rounds * count)) GEMVs)" \
          "$tritc" "$work/gemv.mlir" --target=cuda --gpu-arch="$arch" \
          --emit=lib -o "$dir/gemv-cuda.so"
        # Which kernel of each BitLinear reads the weights (the GEMV).
        "$tritc" "$work/gemv.mlir" --target=cuda --gpu-arch="$arch" \
          --emit=gpu -o "$work/gemv.gpu.mlir"
        : > "$dir/gemv.shapes"
        for shape in $shapes; do
          echo "$shape $rounds $("$python" "$helper" gemv-kernel \
            "$work/gemv.gpu.mlir" "${shape%x*}" "${shape#*x}")" \
            >> "$dir/gemv.shapes"
        done
        rm -f "$work/gemv.gpu.mlir"
        timed "gemv: tritc (cpu)" "$tritc" "$work/gemv.mlir" --emit=lib \
          --weights=external -o "$work/gemv-cpu.so"
        "$python" "$helper" ids "$dir/gemv.ids.npy" 1
        "$run" "$work/gemv-cpu.so" --input "$dir/gemv.ids.npy" \
          --output "$dir/gemv.cpu-logits.npy"
        rm -f "$work/gemv.mlir" "$work/gemv-cpu.so" "$work/gemv-cpu.so.weights"
        ;;
    esac
  }

  # A model that fails is left out (FAILED), the others go on.
  local failed="" rc
  : > "$dir/models"
  for m in tiny trained l2 full gemv; do
    [[ " $selected " == *" $m "* ]] || continue
    set +e
    (set -e; prepare_one "$m")
    rc=$?
    set -e
    if (( rc != 0 )); then
      echo "prepare: $m FAILED (exit status $rc; see above)" |
        tee -a "$log" >&2
      failed+=" $m"
      sed -i "/^$m\$/d" "$dir/models"
      rm -rf "$dir/$m"-cuda.so* "$dir/$m".* "$work"
      mkdir -p "$work"
    fi
  done

  # Weights files over 4 MiB go to xz (LZMA2, a 256 MiB dictionary: repeats
  # megabytes apart collapse; python3's lzma unpacks it on the GPU machine).
  local f
  for f in "$dir"/*.weights; do
    [[ -f "$f" && $(stat -c %s "$f") -gt 4194304 ]] || continue
    "$python" "$helper" pack "$f" "$f.xz" | tee -a "$log" >&2
    rm "$f"
  done
  rm -rf "$work"
  du -sh "$dir" | tee -a "$log" >&2
  if [[ -n "$failed" ]]; then
    echo "prepare: FAILED:$failed (DIR holds the others)" | tee -a "$log" >&2
    exit 1
  fi
}

run() {
  export LD_LIBRARY_PATH="$dir/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  local run=$dir/bin/trit-run
  # The unpacked weights (gigabytes) and the outputs: removed at exit.
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  local python=${PYTHON:-python3}
  local helper=$dir/gpu-check-models.py
  # A command with a time limit (where timeout exists), within what is left
  # of RUN_SECONDS (default 360) for the whole run.
  local deadline=$(( $(date +%s) + ${RUN_SECONDS:-360} ))
  limit() {
    local want=$1 left=$(( deadline - $(date +%s) ))
    shift
    if (( left < 5 )); then
      echo "SKIPPED: the check's time (RUN_SECONDS) is up" >&2
      return 124
    fi
    if (( want > left )); then want=$left; fi
    if command -v timeout > /dev/null; then timeout "$want" "$@"; else "$@"; fi
  }
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true

  # The copy bandwidth first: the GEMV and decode figures are set against it.
  local copy
  copy=$(limit 60 "$python" - <<'PY' 2> "$out/copy.err" || true
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
print(f"{2 * x.numel() * 4 / seconds / 1e9:.0f}")
PY
)
  local copy_read=""
  if [[ "$copy" =~ ^[0-9]+$ ]]; then
    copy_read=$(( copy / 2 ))
    echo "device-to-device copy: $copy GB/s (bytes read + written), so" \
      "$copy_read GB/s read: the GEMV and decode figures below count bytes" \
      "read and compare with this read side"
  else
    echo "copy bandwidth: FAILED ($(tail -n 1 "$out/copy.err" | head -c 200))"
  fi

  # The weights: unpacked next to a copy of each model.
  local f m start
  start=$(now)
  for f in "$dir"/*-cuda.so.weights.xz; do
    [[ -f "$f" ]] || continue
    m=$(basename "$f" .so.weights.xz)
    cp "$dir/$m.so.tokenizer.json" "$out/" 2> /dev/null || true
    if ! cp "$dir/$m.so" "$out/" ||
       ! "$python" "$helper" unpack "$f" "$out/$m.so.weights" \
           2> "$out/unpack.err"; then
      echo "$m: unpacking its weights FAILED: $(tail -n 1 "$out/unpack.err")"
      rm -f "$out/$m.so"
    fi
  done
  echo "weights unpacked in $(elapsed "$start") s ($(du -sh "$out" | cut -f1))"
  # The model library: the unpacked copy, or the one in DIR.
  model() {
    if [[ -f "$out/$1-cuda.so" ]]; then echo "$out/$1-cuda.so"
    else echo "$dir/$1-cuda.so"; fi
  }

  local models=()
  if [[ -f "$dir/models" ]]; then
    read -r -a models <<< "$(tr '\n' ' ' < "$dir/models")"
  fi
  printf '\n%-8s %-20s %-12s %-16s %-14s %-14s\n' model "max|dGPU-CPU|/p0:" \
    "max|CPU|" tokens "prefill tok/s" "decode tok/s"
  local dec_full=""
  for m in "${models[@]}"; do
    local so diff="-" scale="-" tokens="-" pre="-" dec="-" generate seconds=60
    so=$(model "$m")
    if [[ $m == full ]]; then seconds=240; fi
    generate=$(cat "$dir/$m.generate" 2> /dev/null || echo 12)
    if limit "$seconds" "$run" "$so" --input "$dir/$m.ids.npy" \
         --output "$out/$m.npy" 2> "$out/$m.err"; then
      read -r diff scale < <("$python" "$helper" compare \
        "$dir/$m.cpu-logits.npy" "$out/$m.npy" 2> "$out/$m.cmp" ||
        echo "FAILED(compare) -") || true
    else
      diff="FAILED: $(head -c 200 "$out/$m.err" | tr '\n' ' ')"
    fi
    if limit "$seconds" "$run" "$so" --generate "$generate" \
         --prompt-ids "$(cat "$dir/$m.prompt")" \
         > "$out/$m.tokens" 2> "$out/$m.speed"; then
      # same; same up to ties (the full model's embedding rows, its LM
      # head's too, repeat with period 64: ids equal mod 64 tie); DIFFER@i.
      local period=0
      if [[ $m == full ]]; then period=64; fi
      tokens=$("$python" - "$dir/$m.cpu-tokens.txt" "$out/$m.tokens" \
               "$period" <<'PY' || echo "?"
import sys
a, b = (open(p).read().split() for p in sys.argv[1:3])
a, b = (",".join(x).split(",") for x in (a, b))
period = int(sys.argv[3])
if a == b:
    print("same")
elif period and len(a) == len(b) and all(
        int(x) % period == int(y) % period for x, y in zip(a, b)):
    print(f"same(mod{period})")
else:
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y),
             min(len(a), len(b)))
    print(f"DIFFER@{i}")
PY
)
      # "prefill 8 tokens in 0.01 s (800.0 tokens/s), decode ..."
      pre=$(grep -o 'prefill [^)]*' "$out/$m.speed" |
            sed -n 's/.*(\([0-9.]*\) tokens\/s.*/\1/p' | head -1 || true)
      dec=$(grep -o 'decode [^)]*' "$out/$m.speed" |
            sed -n 's/.*(\([0-9.]*\) tokens\/s.*/\1/p' | head -1 || true)
      if [[ $m == full ]]; then dec_full=${dec:-}; fi
    else
      tokens="FAILED: $(head -c 200 "$out/$m.speed" | tr '\n' ' ')"
    fi
    printf '%-8s %-20s %-12s %-16s %-14s %-14s\n' "$m" "$diff" "$scale" \
      "$tokens" "${pre:--}" "${dec:--}"
    if [[ $diff == FAILED* && -s "$out/$m.cmp" ]]; then
      echo "  ($m: $(tail -n 1 "$out/$m.cmp" | head -c 200))"
    fi
  done
  if [[ " ${models[*]} " == *" full "* ]]; then
    echo "(full: logits of 8 tokens; prefill of a 128-token prompt, then" \
      "$(cat "$dir/full.generate") tokens)"
  fi

  # The GEMV alone: one forward pass of one token runs each of the model's
  # GEMVs once (batch 1); three processes, the median of their averages.
  if [[ -s "$dir/gemv.shapes" ]]; then
    echo
    echo "W2A8 GEMV at batch 1 (TRIT_CUDA_PROFILE; GB/s = N*K/4 bytes of" \
      "packed weights / time; % of the copy's read side):"
    local so profiles=() i shape rounds kernel diff="" scale=""
    so=$(model gemv)
    for i in 1 2 3; do
      if TRIT_CUDA_PROFILE=1 limit 60 "$run" "$so" \
           --input "$dir/gemv.ids.npy" --output "$out/gemv.$i.npy" \
           > /dev/null 2> "$out/gemv.$i.prof"; then
        profiles+=("$out/gemv.$i.prof")
        if [[ -z "$diff" ]]; then
          read -r diff scale < <("$python" "$helper" compare \
            "$dir/gemv.cpu-logits.npy" "$out/gemv.$i.npy" 2> /dev/null ||
            echo "FAILED(compare) -") || true
        fi
      else
        echo "  gemv run $i FAILED:" \
          "$(grep -v '^ ' "$out/gemv.$i.prof" | head -c 300 | tr '\n' ' ')"
      fi
    done
    if [[ ${#profiles[@]} -gt 0 ]]; then
      while read -r shape rounds kernel; do
        COPY_READ_GBS=$copy_read "$python" "$helper" gemv-table \
          "${shape%x*}" "${shape#*x}" "${kernel:-}" "$rounds" \
          "${profiles[@]}" || echo "$shape: FAILED (gemv-table)"
      done < "$dir/gemv.shapes"
      echo "(the last GEMV's output, GPU against CPU: max|d| $diff of max $scale)"
    fi
  fi

  # The full model's decode against what the weights allow.
  if [[ -n "$dec_full" && -f "$dir/full.read-bytes" ]]; then
    echo
    COPY_READ_GBS=$copy_read "$python" - "$dec_full" \
      "$(cat "$dir/full.read-bytes")" \
      "$(stat -c %s "$out/full-cuda.so.weights" 2> /dev/null || echo 0)" <<'PY' ||
import os
import sys
dec = float(sys.argv[1])
ternary, head, head_type = sys.argv[2].split()
ternary, head = int(ternary), int(head)
wfile = int(sys.argv[3])
read = ternary + head
copy = float(os.environ.get("COPY_READ_GBS") or 0)
print(f"full decode: {dec:.1f} tok/s = {1e3 / dec:.2f} ms/token; reads per "
      f"token {read / 1e9:.3f} GB (packed ternary {ternary / 1e9:.3f} + "
      f"{head_type} LM head {head / 1e9:.3f}; the whole weights file, with "
      f"norms and the f32 embedding that is read a row per token: "
      f"{wfile / 1e9:.3f} GB)")
if copy > 0:
    bound = copy * 1e9 / read
    print(f"  bound at {copy:.0f} GB/s (copy, read side): {bound:.0f} tok/s "
          f"= {1e3 / bound:.2f} ms/token; decode reaches {100 * dec / bound:.1f} % "
          f"of it ({read * dec / 1e9:.0f} GB/s)")
PY
    echo "full decode bound: FAILED"
  fi

  # Where a step's time goes: the runtime's own profile (TRIT_CUDA_PROFILE)
  # of a short generation on the 2B-4T shape.
  local prof=""
  if [[ " ${models[*]} " == *" full "* ]]; then prof=full
  elif [[ " ${models[*]} " == *" l2 "* ]]; then prof=l2; fi
  if [[ -n "$prof" ]]; then
    echo
    echo "$prof, 8-token prompt + 16 tokens, by kernel (TRIT_CUDA_PROFILE=1):"
    TRIT_CUDA_PROFILE=1 limit 180 "$run" "$(model "$prof")" --generate 16 \
      --prompt-ids 1,2,3,4,5,6,7,8 2>&1 > /dev/null |
      grep -v '^trit-run' | head -24 || true
  fi
}

# (exit at once: bash reads a script as it runs, and one edited meanwhile
# would otherwise go on from a shifted offset.)
case $mode in
  prepare) prepare; exit 0 ;;
  run) run; exit 0 ;;
  *) echo "usage: $0 prepare|run DIR" >&2; exit 2 ;;
esac
