#!/usr/bin/env bash
#===- scripts/demo.sh - the main job, as far as it exists -----------------===#
#
# Shows a BitLinear module going through trit-opt: as written, with its
# ternary weight packed into the 2-bit layout, and lowered by
# trit-cpu-pipeline to the LLVM dialect (add/subtract loops, OpenMP). Then
# compiles a tiny BitNet model exported from PyTorch into an executable and
# compares its logits with PyTorch's.
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
echo "== a tiny BitNet b1.58 (2B-4T shape: GQA, squared ReLU, tied embeddings;"
echo "   random weights) from PyTorch through ONNX to a native executable"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PYTHON=/usr/bin/python3
PYTHONPATH="$ROOT/python_frontend" "$PYTHON" - "$WORK" <<'PY'
import sys, warnings
import numpy as np, torch
from trit.export import export_onnx
from trit.models import CONFIGS, BitNetModel
warnings.simplefilter("ignore")
work = sys.argv[1]
torch.manual_seed(0)
model = BitNetModel(CONFIGS["tiny-2b4t"])
export_onnx(model, f"{work}/model.onnx", form="training", dynamic=False)
ids = torch.randint(0, CONFIGS["tiny-2b4t"].vocab_size, (1, 8))
np.save(f"{work}/ids.npy", ids.numpy())
with torch.no_grad():
    np.save(f"{work}/reference.npy", model(ids).numpy())
print(f"exported {work}/model.onnx ({len(model.bitlinears())} BitLinear layers)")
PY
echo "   tritc --emit=trit: $("$BIN/tritc" "$WORK/model.onnx" --emit=trit |
  grep -c 'trit.bitlinear %') trit.bitlinear ops"
"$BIN/tritc" "$WORK/model.onnx" --emit=exe -o "$WORK/model"
echo "   compiled $WORK/model; running its forward pass"
"$WORK/model" --input "$WORK/ids.npy" --output "$WORK/logits.npy"
"$PYTHON" - "$WORK" <<'PY'
import sys
import numpy as np
work = sys.argv[1]
got, ref = np.load(f"{work}/logits.npy"), np.load(f"{work}/reference.npy")
print(f"   logits {got.shape}: max |trit - PyTorch| = {np.abs(got - ref).max():.2e}, "
      f"greedy tokens equal: {bool((got.argmax(-1) == ref.argmax(-1)).all())}")
PY
