#!/usr/bin/env bash
#===- scripts/demo.sh - the main job, as far as it exists -----------------===#
#
# Shows a BitLinear module going through trit-opt: as written, with its
# ternary weight packed into the 2-bit layout, and lowered by
# trit-cpu-pipeline to the LLVM dialect (add/subtract loops, OpenMP). Then
# writes the project's tiny trained BitNet as a Hugging Face directory
# (packed 2B-4T layout, tokenizer.json), compiles it with tritc into an
# executable and generates text from a text prompt, checked against
# PyTorch's greedy text. Last, the same model exported from PyTorch with its
# KV cache through ONNX, its logits and perplexity compared with PyTorch's.
#
#===----------------------------------------------------------------------===#
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${TRIT_BUILD_DIR:-$ROOT/build}/bin"
EXAMPLE="$ROOT/examples/bitlinear.mlir"

echo "== $EXAMPLE, parsed and verified by trit-opt"
"$BIN/trit-opt" "$EXAMPLE"
echo
echo "== after --trit-pack-weights=layout=i2 (weights in a dense_resource blob)"
"$BIN/trit-opt" --trit-pack-weights=layout=i2 "$EXAMPLE"
echo
echo "== after --trit-pack-weights --trit-tile-bitlinear: the block loop"
# (awk reads everything: an early exit would break the pipe under pipefail)
"$BIN/trit-opt" --trit-pack-weights --trit-tile-bitlinear "$EXAMPLE" |
  awk '/scf.for .*-> \(index, index, vector<32xi16>/{p=1}
       p && n < 60 {print; n++}
       p && /scf.yield/ {p=0; n=60}' 
echo
LOWERED="$("$BIN/trit-opt" --trit-cpu-pipeline "$EXAMPLE")"
echo "== after --trit-cpu-pipeline: $(printf '%s\n' "$LOWERED" | wc -l) lines" \
     "of LLVM dialect; operations used:"
printf '%s\n' "$LOWERED" | grep -oE '^ *(%[^=]*= )?(llvm|omp)\.[a-z_.]+' |
  sed -E 's/^ *(%[^=]*= )?//' | sort | uniq -c | sort -rn | awk 'NR <= 15' 

echo
echo "== the project's tiny trained BitNet b1.58 (2B-4T shape: GQA, squared"
echo "   ReLU, sub-norms, tied embeddings; trained on Debian's license texts,"
echo "   python_frontend/trit/trained.py) as a Hugging Face directory: config.json,"
echo "   model.safetensors in bitnet-b1.58-2B-4T's packed 2-bit layout and a"
echo "   byte-level tokenizer.json; tritc compiles it into an executable that"
echo "   talks text"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PYTHON=/usr/bin/python3
PYTHONPATH="$ROOT/python_frontend" "$PYTHON" -m trit.hf --trained "$WORK/hf" > /dev/null
echo "   $ ls $WORK/hf:" $(ls "$WORK/hf")
echo "   $ tritc $WORK/hf --emit=exe -o $WORK/model-hf"
"$BIN/tritc" "$WORK/hf" --emit=exe -o "$WORK/model-hf"
PROMPT="Licensor means "
echo "   $ $WORK/model-hf --prompt \"$PROMPT\" --generate 96"
"$WORK/model-hf" --prompt "$PROMPT" --generate 96 > "$WORK/generated-hf.txt" 2> "$WORK/timing-hf.txt"
printf '%s' "$PROMPT" | cat - "$WORK/generated-hf.txt" | sed 's/^/   | /'
echo
sed 's/^/   /' "$WORK/timing-hf.txt"
PYTHONPATH="$ROOT/python_frontend" "$PYTHON" - "$PROMPT" "$WORK/generated-hf.txt" <<'PY'
import sys
import torch
from trit.trained import load_trained
prompt = list(sys.argv[1].encode())
text = open(sys.argv[2], "rb").read()
got = list(text[:-1] if text.endswith(b"\n") else text)  # trit-run's newline
model, seq = load_trained(), list(prompt)
with torch.no_grad():
    for _ in got:
        seq.append(int(model(torch.tensor([seq]))[0, -1].argmax()))
same = seq[len(prompt):] == got
print(f"   PyTorch's greedy text is {'the same' if same else 'DIFFERENT'}")
PY
echo
echo "== the same model from PyTorch, with its KV cache, through ONNX to a"
echo "   native executable, checked against PyTorch"
PYTHONPATH="$ROOT/python_frontend" "$PYTHON" - "$WORK" <<'PY'
import sys, warnings
import numpy as np, torch
from trit.export import export_onnx
from trit.trained import held_out_text, load_trained
warnings.simplefilter("ignore")
work = sys.argv[1]
model = load_trained()
export_onnx(model, f"{work}/model.onnx", form="inference", kv_cache=True)
# A window of held-out text (MPL-2.0, which training never saw; past its
# title and rule of '=' signs).
ids = np.frombuffer(held_out_text()[1024:1152], dtype=np.uint8).astype(np.int64)
np.save(f"{work}/ids.npy", ids[None])
with torch.no_grad():
    np.save(f"{work}/reference.npy", model(torch.from_numpy(ids[None])).numpy())
print(f"   exported {work}/model.onnx ({len(model.bitlinears())} BitLinear layers)")
PY
echo "   tritc --emit=trit: $("$BIN/tritc" "$WORK/model.onnx" --emit=trit |
  grep -c 'trit.bitlinear %') trit.bitlinear ops"
"$BIN/tritc" "$WORK/model.onnx" --emit=exe -o "$WORK/model"
echo "   compiled $WORK/model; its forward pass on 128 held-out bytes:"
"$WORK/model" --input "$WORK/ids.npy" --output "$WORK/logits.npy"
"$PYTHON" - "$WORK" <<'PY'
import sys
import numpy as np
work = sys.argv[1]
ids = np.load(f"{work}/ids.npy")[0]
got, ref = np.load(f"{work}/logits.npy")[0], np.load(f"{work}/reference.npy")[0]
def perplexity(logits):
    z = logits[:-1].astype(np.float64)
    z -= z.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return float(np.exp(-logp[np.arange(len(ids) - 1), ids[1:]].mean()))
close = (np.abs(got - ref).max(-1) <= 1e-4).mean()
rel = np.linalg.norm(got - ref) / np.linalg.norm(ref)
print(f"   {close:.0%} of positions within 1e-4 of PyTorch (int8 rounding can "
      f"flip on a 1-ulp difference), relative L2 {rel:.1e};\n"
      f"   perplexity per byte: trit {perplexity(got):.4f}, "
      f"PyTorch {perplexity(ref):.4f}")
PY
PROMPT="Licensor means "
PROMPT_IDS="$("$PYTHON" -c 'import sys; print(",".join(str(b) for b in sys.argv[1].encode()))' "$PROMPT")"
echo "   generating 96 bytes after \"$PROMPT\" (greedy, KV cache):"
"$WORK/model" --generate 96 --prompt-ids "$PROMPT_IDS" > "$WORK/generated.txt" 2> "$WORK/timing.txt"
PYTHONPATH="$ROOT/python_frontend" "$PYTHON" - "$PROMPT" "$WORK/generated.txt" <<'PY'
import sys
import torch
from trit.trained import load_trained
ids = [int(x) for x in open(sys.argv[2]).read().strip().split(",")]
prompt = list(sys.argv[1].encode())
text = bytes(prompt + ids).decode("utf-8", "replace")
print("   | " + "\n   | ".join(line.rstrip() for line in text.splitlines()))
model, seq = load_trained(), list(prompt)
with torch.no_grad():
    for _ in ids:
        seq.append(int(model(torch.tensor([seq]))[0, -1].argmax()))
print(f"   PyTorch's greedy bytes are {'the same' if seq[len(prompt):] == ids else 'DIFFERENT'}")
PY
sed 's/^/   /' "$WORK/timing.txt"
