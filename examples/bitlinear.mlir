// A BitLinear layer as the importer hands it to the compiler core: a ternary
// constant weight (N = 4 output features, K = 6 input features) with its
// absmean scale, applied to a batch of tokens.
func.func @bitlinear(%x: tensor<?x6xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<[[ 1,  0, -1,  1,  0,  0],
                             [ 0,  0,  0,  0, -1,  1],
                             [-1, -1,  1,  1,  0,  1],
                             [ 0,  1,  0, -1,  1, -1]]> : tensor<4x6xi8, #trit.ternary>
  %g = arith.constant 0.75 : f32
  %y = trit.bitlinear %x, %w, %g : tensor<?x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
