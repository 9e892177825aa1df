#!/usr/bin/env bash
#===- scripts/bench-checkpoint.sh - a 2B-4T-shaped checkpoint, end to end --===#
#
# Writes a Hugging Face checkpoint of bitnet-b1.58-2B-4T's shape (30
# layers, hidden 2560, vocabulary 128256, random ternary weights packed as
# the release packs them, bf16 embedding; `python -m trit.hf --config
# bitnet-2b-4t --random`), compiles it with tritc (embedded and external
# weights) and prints compile time and peak memory against the
# checkpoint's size, then prefill and decode tokens/s from trit-run, and
# the tokenizer's throughput on a license text where the torch-2 venv can
# train a LLaMA-3-style tokenizer.
#
#   bash scripts/bench-checkpoint.sh [WORKDIR]      (default: a temp dir)
#   TRIT_BENCH_LAYERS=4 bash scripts/bench-checkpoint.sh   # a quick run
#
# Needs about 8 GB of memory and 6 GB of disk. Figures are for this machine
# and this moment: compare only numbers from one run.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${TRIT_BUILD_DIR:-$ROOT/build}/bin"
PYTHON=/usr/bin/python3
VENV_PYTHON="${TRIT_TORCH2_VENV:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/trit/venv-torch2}/bin/python"
WORK="${1:-$(mktemp -d)}"
mkdir -p "$WORK"
LAYERS=()
[ -n "${TRIT_BENCH_LAYERS:-}" ] && LAYERS=(--layers "$TRIT_BENCH_LAYERS")

echo "== checkpoint: $WORK/ckpt"
if [ ! -f "$WORK/ckpt/model.safetensors" ]; then
  PYTHONPATH="$ROOT/python_frontend" "$PYTHON" -m trit.hf \
    --config bitnet-2b-4t --random "${LAYERS[@]}" "$WORK/ckpt" > /dev/null
fi
ckpt_mb=$(( $(stat -c %s "$WORK/ckpt/model.safetensors") >> 20 ))
echo "   $ckpt_mb MiB"

compile() { # name, extra tritc flags...
  local name=$1; shift
  local log="$WORK/$name.time"
  /usr/bin/time -f '%e %M' -o "$log" \
    "$BIN/tritc" "$WORK/ckpt" --emit=lib -o "$WORK/$name.so" "$@"
  read -r seconds kb < "$log"
  printf '   %-26s %6.1f s  peak %5d MiB  (%.2f x the checkpoint)\n' \
    "$name ($*)" "$seconds" $((kb / 1024)) \
    "$(echo "$kb / 1024 / $ckpt_mb" | bc -l)"
}
echo "== tritc DIR --emit=lib"
compile external --weights=external
compile embedded --weights=embedded

echo "== trit-run (external weights): prefill 128 tokens, decode 32"
PROMPT=$(seq -s, 1 128)
for threads in 1 2; do
  printf '   %d thread(s): ' "$threads"
  "$BIN/trit-run" "$WORK/external.so" --prompt-ids "$PROMPT" --generate 32 \
    --threads "$threads" 2>&1 >/dev/null | grep -o 'prefill.*' || true
done

echo "== tokenizer throughput"
if "$VENV_PYTHON" -c "import tokenizers" 2>/dev/null; then
  "$VENV_PYTHON" - "$WORK/tokenizer.json" "$ROOT" <<'PY'
import sys
sys.path.insert(0, sys.argv[2] + "/python_frontend")
from tokenizers import Tokenizer, Regex, models, pre_tokenizers, trainers
from trit.hf import LLAMA3_PATTERN
import glob, os
files = sorted(f for f in glob.glob("/usr/share/common-licenses/*")
               if os.path.isfile(f) and not os.path.islink(f))
tok = Tokenizer(models.BPE(ignore_merges=True))
tok.pre_tokenizer = pre_tokenizers.Sequence([
    pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated"),
    pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
tok.train(files, trainers.BpeTrainer(
    vocab_size=8000, show_progress=False,
    initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
tok.save(sys.argv[1])
PY
  printf '   trit-tokenize on GPL-3 (LLaMA-3-style BPE, 8000 tokens): '
  "$BIN/trit-tokenize" "$WORK/tokenizer.json" \
    --file /usr/share/common-licenses/GPL-3 --bench 50 2>&1 >/dev/null |
    grep -o '[0-9.]* MB/s' || echo "?"
else
  echo "   skipped: the torch-2 venv has no tokenizers package to train one"
fi
