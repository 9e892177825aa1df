// RUN: not trit-opt %s --trit-tile-matmul=weight-type=f16 2>&1 | FileCheck %s
// RUN: trit-opt %s --trit-tile-matmul=weight-type=bf16 | FileCheck %s --check-prefix=BF16
// RUN: not trit-opt %s --trit-tile-matmul=weight-type=f8 2>&1 | FileCheck %s --check-prefix=TYPE
// RUN: not trit-opt %s --trit-tile-matmul=kernel=simd 2>&1 | FileCheck %s --check-prefix=KERNEL
// RUN: not trit-opt %s --trit-tile-matmul="weight-type=f16 kernel=generic" 2>&1 | FileCheck %s

// A weight beyond f16's largest finite value (65504) would become inf: an
// error naming it, not a silent inf in the logits. bf16 has f32's range.
// CHECK: error: trit-tile-matmul: weight 7.000000e+04 is out of the range of f16 (use bf16 or f32 weights)
// BF16: call @__trit_matmul_bf16_1x16
// TYPE: error: trit-tile-matmul: weight-type must be f32, f16 or bf16, not 'f8'
// KERNEL: error: trit-tile-matmul: kernel must be vector or generic, not 'simd'
func.func @too_large(%x: tensor<2x16xf32>) -> tensor<2x1xf32> {
  %w = arith.constant dense_resource<big> : tensor<16x1xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x1xf32>
  %acc = linalg.fill ins(%z : f32) outs(%e : tensor<2x1xf32>) -> tensor<2x1xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x16xf32>, tensor<16x1xf32>) outs(%acc : tensor<2x1xf32>) -> tensor<2x1xf32>
  return %y : tensor<2x1xf32>
}
{-#
  dialect_resources: {
    builtin: {
      big: "0x040000000000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F0000803F00B88847"
    }
  }
#-}
