// tritc --lm-head-type: the LM head (an f32 matmul by a constant) reads its
// weights as f16 or bf16; f32 by default on the CPU, f16 on the GPU (a
// generic over the [N, K] rows that extends each weight, not a kernel
// function); anything else is refused.
// RUN: tritc %s --emit=loops | FileCheck %s --check-prefix=F32
// RUN: tritc %s --emit=loops --lm-head-type=f16 | FileCheck %s --check-prefix=F16
// RUN: tritc %s --emit=loops --lm-head-type=bf16 | FileCheck %s --check-prefix=BF16
// RUN: not tritc %s --emit=loops --lm-head-type=f8 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: tritc --help | FileCheck %s --check-prefix=HELP
// RUN: tritc %s --target=cuda --emit=gpu | FileCheck %s --check-prefix=GPU-F16
// RUN: tritc %s --target=cuda --emit=gpu --lm-head-type=f32 | FileCheck %s --check-prefix=GPU-F32
// RUN: not tritc %s --target=cuda --lm-head-type=f8 2>&1 | FileCheck %s --check-prefix=BAD

// F32: func.func private @__trit_matmul_f32_3x16(%{{.*}}: memref<?x16xf32{{.*}}>, %{{.*}}: memref<3x16xf32{{.*}}>
// F16: func.func private @__trit_matmul_f16_3x16(%{{.*}}: memref<?x16xf32{{.*}}>, %{{.*}}: memref<3x16xf16{{.*}}>
// F16: arith.extf %{{.*}} : vector<16xf16> to vector<16xf32>
// BF16: func.func private @__trit_matmul_bf16_3x16(%{{.*}}: memref<?x16xf32{{.*}}>, %{{.*}}: memref<3x16xbf16{{.*}}>
// BAD: tritc: error: --lm-head-type=f8 is not a type (f32, f16 or bf16)
// HELP: --lm-head-type=<string> {{.*}}Element type of the LM head's weights
// GPU-F16-NOT: __trit_matmul
// GPU-F16: memref.global "private" constant @{{.*}} : memref<3x16xf16>
// GPU-F16: gpu.module
// GPU-F16: llvm.load %{{.*}} : !llvm.ptr -> f16
// GPU-F16: llvm.fpext %{{.*}} : f16 to f32
// GPU-F32-NOT: xf16>
// GPU-F32-NOT: __trit_matmul
// GPU-F32: memref.global "private" constant @{{.*}} : memref<3x16xf32>
// GPU-F32-NOT: f16
func.func @main(%x: tensor<2x16xf32>) -> tensor<2x3xf32> {
  %emb = arith.constant dense_resource<emb> : tensor<3x16xf32>
  %t0 = tensor.empty() : tensor<16x3xf32>
  %w = linalg.transpose ins(%emb : tensor<3x16xf32>) outs(%t0 : tensor<16x3xf32>) permutation = [1, 0]
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %acc = linalg.fill ins(%z : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x16xf32>, tensor<16x3xf32>) outs(%acc : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
{-#
  dialect_resources: {
    builtin: {
      emb: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041000050410000604100007041000080410000884100009041000098410000A0410000A8410000B0410000B8410000C0410000C8410000D0410000D8410000E0410000E8410000F0410000F84100000042000004420000084200000C4200001042000014420000184200001C4200002042000024420000284200002C4200003042000034420000384200003C42"
    }
  }
#-}
