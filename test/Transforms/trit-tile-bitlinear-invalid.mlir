// RUN: trit-opt %s --split-input-file --trit-tile-bitlinear --verify-diagnostics
// RUN: not trit-opt %s --trit-tile-bitlinear=tile-n=0 2>&1 | FileCheck %s --check-prefix=TILE

// TILE: trit-tile-bitlinear: tile-n must be positive and tile-rows, tile-tokens not negative
// RUN: not trit-opt %s --trit-tile-bitlinear=kernel=mul 2>&1 | FileCheck %s --check-prefix=KERNEL
// KERNEL: trit-tile-bitlinear: unknown kernel 'mul' (expected 'addsub', 'dot' or 'dp4a')

// An unpacked (non-constant) weight cannot be tiled.
func.func @unpacked(%x: tensor<1x8xf32>, %w: tensor<4x8xi8, #trit.ternary>, %g: f32) -> tensor<1x4xf32> {
  // expected-error @+1 {{'trit.bitlinear' op needs a packed weight to be lowered; run trit-pack-weights first (only constant weights can be packed at compile time)}}
  %y = trit.bitlinear %x, %w, %g : tensor<1x8xf32>, tensor<4x8xi8, #trit.ternary> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// A packed weight of dynamic shape cannot be tiled.
func.func @dynamic_weight(%x: tensor<1x8xf32>, %w: tensor<?x64xi8, #trit.packed<i2>>, %g: f32) -> tensor<1x?xf32> {
  // expected-error @+1 {{'trit.bitlinear' op needs a weight of static shape to be lowered}}
  %y = trit.bitlinear %x, %w, %g : tensor<1x8xf32>, tensor<?x64xi8, #trit.packed<i2>> -> tensor<1x?xf32>
  return %y : tensor<1x?xf32>
}

// -----

// A dynamic K cannot be tiled.
func.func @dynamic_k(%x: tensor<1x?xf32>, %w: tensor<4x64xi8, #trit.packed<i2>>, %g: f32) -> tensor<1x4xf32> {
  // expected-error @+1 {{'trit.bitlinear' op needs a static number of input features}}
  %y = trit.bitlinear %x, %w, %g : tensor<1x?xf32>, tensor<4x64xi8, #trit.packed<i2>> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
