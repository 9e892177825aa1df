// RUN: trit-opt %s --split-input-file --trit-tile-bitlinear=kernel=dp4a --verify-diagnostics

// The dp4a kernel reads i2 codes only.
func.func @tq1(%x: tensor<1x160xf32>, %w: tensor<3x64xi8, #trit.packed<tq1>>, %g: f32) -> tensor<1x3xf32> {
  // expected-error @+1 {{'trit.bitlinear' op the dp4a kernel takes the i2 layout only, not tq1}}
  %y = trit.bitlinear %x, %w, %g : tensor<1x160xf32>, tensor<3x64xi8, #trit.packed<tq1>> -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// It reads the packed weight as 32-bit words of a constant.
func.func @argument(%x: tensor<?x130xf32>, %w: tensor<6x64xi8, #trit.packed<i2>>, %g: f32) -> tensor<?x6xf32> {
  // expected-error @+1 {{'trit.bitlinear' op the dp4a kernel needs a constant weight}}
  %y = trit.bitlinear %x, %w, %g : tensor<?x130xf32>, tensor<6x64xi8, #trit.packed<i2>> -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}
