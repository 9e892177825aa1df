// RUN: trit-opt %s --split-input-file --trit-pack-weights --verify-diagnostics

// A "ternary" constant that holds a 2 cannot be packed: error at the constant.
func.func @not_ternary(%x: tensor<1x3xf32>, %g: f32) -> tensor<1x2xf32> {
  // expected-error @+1 {{ternary weight holds 2 at flat index 4; only -1, 0 and +1 can be packed}}
  %w = arith.constant dense<[[1, 0, -1], [0, 2, 0]]> : tensor<2x3xi8, #trit.ternary>
  %y = trit.bitlinear %x, %w, %g : tensor<1x3xf32>, tensor<2x3xi8, #trit.ternary> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// A dense_resource blob shorter than its type (5 bytes for 2x3) is an
// error at the constant, not a read past the blob's end.
func.func @short_blob(%x: tensor<1x3xf32>, %g: f32) -> tensor<1x2xf32> {
  // expected-error @+1 {{ternary weight blob 'short' holds 5 values; its type 'tensor<2x3xi8, #trit.ternary>' needs 6}}
  %w = arith.constant dense_resource<short> : tensor<2x3xi8, #trit.ternary>
  %y = trit.bitlinear %x, %w, %g : tensor<1x3xf32>, tensor<2x3xi8, #trit.ternary> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      short: "0x0100000001FF000100"
    }
  }
#-}
