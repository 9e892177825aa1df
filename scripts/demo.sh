#!/usr/bin/env bash
#===- scripts/demo.sh - the main job, as far as it exists -----------------===#
#
# Shows a BitLinear module going through trit-opt: first as written, then
# with its ternary weight packed into the 2-bit layout.
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
