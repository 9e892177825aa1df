// RUN: not trit-opt %s --trit-gpu-pipeline 2>&1 | FileCheck %s

// A weight that is a function argument cannot be packed at compile time:
// the GPU pipeline stops with the error the CPU pipeline gives.
// CHECK: error: 'trit.bitlinear' op needs a packed weight to be lowered; run trit-pack-weights first
func.func @argument_weight(%x: tensor<1x8xf32>, %w: tensor<4x8xi8, #trit.ternary>, %g: f32) -> tensor<1x4xf32> {
  %y = trit.bitlinear %x, %w, %g : tensor<1x8xf32>, tensor<4x8xi8, #trit.ternary> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}
