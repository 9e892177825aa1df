#!/usr/bin/env bash
#===- scripts/demo.sh - the main job, as far as it exists -----------------===#
#
# Shows a BitLinear module going through trit-opt: as written, with its
# ternary weight packed into the 2-bit layout, and lowered by
# trit-cpu-pipeline to the LLVM dialect (add/subtract loops, OpenMP).
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
