// A packed weight that is a splat dense<> constant (trit-pack-weights
// writes dense_resource blobs, but hand-written IR may hold one): as words
// it is a splat of the byte repeated four times (it once crashed: the
// splat's one raw byte was read as a [6, 16] i32 buffer).
// RUN: trit-opt %s --trit-tile-bitlinear=kernel=dp4a | FileCheck %s

// 0x55: every code 1 (weight 0); as words, 0x55555555.
// CHECK-LABEL: func.func @splat_packed
// CHECK: arith.constant dense<1431655765> : tensor<6x16xi32>
// CHECK: call @__trit_bitlinear_i2_dp4a_6x130
func.func @splat_packed(%x: tensor<?x130xf32>, %g: f32) -> tensor<?x6xf32> {
  %w = arith.constant dense<85> : tensor<6x64xi8, #trit.packed<i2>>
  %y = trit.bitlinear %x, %w, %g : tensor<?x130xf32>, tensor<6x64xi8, #trit.packed<i2>> -> tensor<?x6xf32>
  return %y : tensor<?x6xf32>
}
