// RUN: trit-opt %s --split-input-file --trit-pack-weights --verify-diagnostics

// A "ternary" constant that holds a 2 cannot be packed: error at the constant.
func.func @not_ternary(%x: tensor<1x3xf32>, %g: f32) -> tensor<1x2xf32> {
  // expected-error @+1 {{ternary weight holds 2 at flat index 4; only -1, 0 and +1 can be packed}}
  %w = arith.constant dense<[[1, 0, -1], [0, 2, 0]]> : tensor<2x3xi8, #trit.ternary>
  %y = trit.bitlinear %x, %w, %g : tensor<1x3xf32>, tensor<2x3xi8, #trit.ternary> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
