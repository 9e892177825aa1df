// RUN: trit-opt %s --split-input-file --trit-tile-matmul | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-tile-matmul=tile-n=4 | FileCheck %s --check-prefix=TILE4
// RUN: trit-opt %s --split-input-file --trit-tile-matmul=weight-type=f16 | FileCheck %s --check-prefix=F16
// RUN: trit-opt %s --split-input-file --trit-tile-matmul=weight-type=bf16 | FileCheck %s --check-prefix=BF16
// RUN: trit-opt %s --split-input-file --trit-tile-matmul="weight-type=f16 kernel=generic" | FileCheck %s --check-prefix=GENERIC

// An LM head [M, 16] x [16, 3] by a constant: the weight is transposed at
// compile time to [3, 16] rows (w[k][n] = 3k + n, so row n holds n, 3 + n,
// 6 + n, ...), and the matmul becomes a call of the shared kernel: a forall
// over tiles of output features, 16-lane FMAs over K, 4 rows at a time.
// kernel=generic (the GPU target): the same [3, 16] rows (in f16 here), read
// by one linalg.generic into the matmul's zero fill that extends each weight;
// no kernel function.
// GENERIC-LABEL: func.func @lm_head(
// GENERIC-SAME: %[[X:.*]]: tensor<?x16xf32>)
// GENERIC: %[[W:.*]] = arith.constant dense_resource<{{.*}}> : tensor<3x16xf16>
// GENERIC: %[[FILL:.*]] = linalg.fill
// GENERIC: linalg.generic {indexing_maps = [#[[$MK:.*]], #[[$NK:.*]], #[[$MN:.*]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %[[W]] : tensor<?x16xf32>, tensor<3x16xf16>) outs(%[[FILL]] : tensor<?x3xf32>)
// GENERIC: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f16, %[[ACC:.*]]: f32):
// GENERIC-NEXT: %[[E:.*]] = arith.extf %[[B]] : f16 to f32
// GENERIC-NEXT: %[[P:.*]] = arith.mulf %[[A]], %[[E]] : f32
// GENERIC-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// GENERIC-NEXT: linalg.yield %[[S]] : f32
// GENERIC-NOT: func.func private @__trit_matmul
// CHECK-LABEL: func.func @lm_head(
// CHECK-SAME: %[[X:.*]]: tensor<?x16xf32>)
// CHECK: %[[W:.*]] = arith.constant dense_resource<[[$ROWS:trit_matmul_rows_[0-9]+]]> : tensor<3x16xf32>
// CHECK: %[[Y:.*]] = call @__trit_matmul_f32_3x16(%[[X]], %[[W]]) : (tensor<?x16xf32>, tensor<3x16xf32>) -> tensor<?x3xf32>
// CHECK-NOT: linalg.matmul
// CHECK: return %[[Y]]
// CHECK-LABEL: func.func private @__trit_matmul_f32_3x16(
// CHECK: scf.forall (%{{.*}}) in (1)
// CHECK: scf.for {{.*}} step %c16
// CHECK: vector.transfer_read {{.*}} : tensor<?x16xf32>, vector<16xf32>
// CHECK: vector.fma
// CHECK: vector.reduction <add>
// CHECK: tensor.parallel_insert_slice
// CHECK: [[$ROWS]]: "0x0400000000000000000040400000C040000010410000404100007041000090410000A8410000C0410000D8410000F041000004420000104200001C4200002842000034420000803F000080400000E040000020410000504100008041000098410000B0410000C8410000E0410000F84100000842000014420000204200002C4200003842000000400000A040000000410000304100006041000088410000A0410000B8410000D0410000E8410000004200000C4200001842000024420000304200003C42"
// TILE4: scf.forall (%{{.*}}) in (1)
func.func @lm_head(%x: tensor<?x16xf32>) -> tensor<?x3xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x16xf32>
  %w = arith.constant dense_resource<w> : tensor<16x3xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty(%m) : tensor<?x3xf32>
  %acc = linalg.fill ins(%z : f32) outs(%e : tensor<?x3xf32>) -> tensor<?x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x16xf32>, tensor<16x3xf32>) outs(%acc : tensor<?x3xf32>) -> tensor<?x3xf32>
  return %y : tensor<?x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041000050410000604100007041000080410000884100009041000098410000A0410000A8410000B0410000B8410000C0410000C8410000D0410000D8410000E0410000E8410000F0410000F84100000042000004420000084200000C4200001042000014420000184200001C4200002042000024420000284200002C4200003042000034420000384200003C42"
    }
  }
#-}

// -----

// A tied LM head: the weight is the transpose of the [N, K] embedding, which
// the kernel takes as it is (no copy); two matmuls of one shape share one
// kernel.
// CHECK-LABEL: func.func @tied(
// CHECK: %[[E:.*]] = arith.constant dense_resource<emb> : tensor<3x16xf32>
// CHECK: call @__trit_matmul_f32_3x16(%{{.*}}, %[[E]])
// CHECK: call @__trit_matmul_f32_3x16(%{{.*}}, %[[E]])
// CHECK-COUNT-1: func.func private @__trit_matmul_f32_3x16(
// CHECK-NOT: func.func private
// F16-LABEL: func.func @tied(
// F16: %[[E:.*]] = arith.constant dense_resource<emb> : tensor<3x16xf32>
// F16: %[[H:.*]] = arith.constant dense_resource<trit_matmul_rows_f16_{{[0-9]+}}> : tensor<3x16xf16>
// F16: call @__trit_matmul_f16_3x16(%{{.*}}, %[[H]])
// F16: call @__trit_matmul_f16_3x16(%{{.*}}, %[[H]])
func.func @tied(%x: tensor<2x16xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %emb = arith.constant dense_resource<emb> : tensor<3x16xf32>
  %t0 = tensor.empty() : tensor<16x3xf32>
  %w = linalg.transpose ins(%emb : tensor<3x16xf32>) outs(%t0 : tensor<16x3xf32>) permutation = [1, 0]
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %acc = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x16xf32>, tensor<16x3xf32>) outs(%acc : tensor<2x3xf32>) -> tensor<2x3xf32>
  %x2 = arith.addf %x, %x : tensor<2x16xf32>
  %y3 = linalg.matmul ins(%x2, %w : tensor<2x16xf32>, tensor<16x3xf32>) outs(%acc : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y, %y3 : tensor<2x3xf32>, tensor<2x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      emb: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041000050410000604100007041000080410000884100009041000098410000A0410000A8410000B0410000B8410000C0410000C8410000D0410000D8410000E0410000E8410000F0410000F84100000042000004420000084200000C4200001042000014420000184200001C4200002042000024420000284200002C4200003042000034420000384200003C42"
    }
  }
#-}

// -----

// weight-type=f16 / bf16: the [16, 1] weight becomes [1, 16] rows of that
// type, each rounded to nearest even: 0.1 -> 0x2E66 (f16) / 0x3DCD (bf16),
// 1/3 -> 0x3555 / 0x3EAB, 1e-8 -> 0 in f16, 6.1e-5 -> the largest f16
// subnormal 0x03FF, 65504 (the largest f16) stays finite. The kernel
// extends each 16-lane load to f32 (exactly) before the f32 FMAs.
// CHECK-LABEL: func.func @half_weights(
// CHECK: call @__trit_matmul_f32_1x16(
// F16-LABEL: func.func @half_weights(
// F16: %[[W:.*]] = arith.constant dense_resource<[[$H:trit_matmul_rows_f16_[0-9]+]]> : tensor<1x16xf16>
// F16: call @__trit_matmul_f16_1x16(%{{.*}}, %[[W]]) : (tensor<?x16xf32>, tensor<1x16xf16>) -> tensor<?x1xf32>
// F16-LABEL: func.func private @__trit_matmul_f16_1x16(
// F16-SAME: tensor<?x16xf32>, %{{.*}}: tensor<1x16xf16>) -> tensor<?x1xf32>
// F16: %[[V:.*]] = vector.transfer_read {{.*}} : tensor<1x16xf16>, vector<16xf16>
// F16: %[[E:.*]] = arith.extf %[[V]] : vector<16xf16> to vector<16xf32>
// F16: vector.fma %{{.*}}, %[[E]], %{{.*}} : vector<16xf32>
// F16: [[$H]]: "0x02000000662E553500C10000FF7B00000080003CF70140C76632D0630004FF03404ACDB4"
// BF16-LABEL: func.func @half_weights(
// BF16: %[[W:.*]] = arith.constant dense_resource<[[$B:trit_matmul_rows_bf16_[0-9]+]]> : tensor<1x16xbf16>
// BF16: call @__trit_matmul_bf16_1x16(%{{.*}}, %[[W]])
// BF16: arith.extf %{{.*}} : vector<16xbf16> to vector<16xf32>
// BF16: [[$B]]: "0x02000000CD3DAB3E20C02C32804700000080803FFC37E8C04D3E7A448038803848419ABE"
func.func @half_weights(%x: tensor<?x16xf32>) -> tensor<?x1xf32> {
  %c0 = arith.constant 0 : index
  %m = tensor.dim %x, %c0 : tensor<?x16xf32>
  %w = arith.constant dense_resource<w16> : tensor<16x1xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty(%m) : tensor<?x1xf32>
  %acc = linalg.fill ins(%z : f32) outs(%e : tensor<?x1xf32>) -> tensor<?x1xf32>
  %y = linalg.matmul ins(%x, %w : tensor<?x16xf32>, tensor<16x1xf32>) outs(%acc : tensor<?x1xf32>) -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w16: "0x04000000CDCCCC3DABAAAA3E000020C077CC2B3200E07F4700000000000000800000803F82A8FB370000E8C0CDCC4C3E66067A440000803840DA7F38000048419A9999BE"
    }
  }
#-}

// -----

// Must not fire: K = 12 is not a multiple of 16; the weight is an argument;
// the accumulator is not zero. Nor with kernel=generic.
// GENERIC-LABEL: func.func @not_tiled(
// GENERIC-COUNT-3: linalg.matmul
// GENERIC-NOT: linalg.generic
// CHECK-LABEL: func.func @not_tiled(
// CHECK-COUNT-3: linalg.matmul
// CHECK-NOT: call
func.func @not_tiled(%x: tensor<2x12xf32>, %x16: tensor<2x16xf32>, %warg: tensor<16x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %w12 = arith.constant dense<1.0> : tensor<12x3xf32>
  %w16 = arith.constant dense<1.0> : tensor<16x3xf32>
  %z = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %acc = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %acc1 = linalg.fill ins(%one : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %a = linalg.matmul ins(%x, %w12 : tensor<2x12xf32>, tensor<12x3xf32>) outs(%acc : tensor<2x3xf32>) -> tensor<2x3xf32>
  %b = linalg.matmul ins(%x16, %warg : tensor<2x16xf32>, tensor<16x3xf32>) outs(%acc : tensor<2x3xf32>) -> tensor<2x3xf32>
  %c = linalg.matmul ins(%x16, %w16 : tensor<2x16xf32>, tensor<16x3xf32>) outs(%acc1 : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %a, %b, %c : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// tile-n below the 4-row block is refused.
// RUN: not trit-opt %s --split-input-file --trit-tile-matmul=tile-n=2 2>&1 | FileCheck %s --check-prefix=BADTILE
// BADTILE: error: trit-tile-matmul: tile-n must be at least 4
