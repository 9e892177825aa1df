// RUN: trit-opt %s --split-input-file --trit-cpu-pipeline=tile-n=2 | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-cpu-pipeline="layout=tq1 tile-n=8" | FileCheck %s --check-prefix=TQ1
// RUN: trit-opt %s --split-input-file --trit-cpu-pipeline="kernel=dot vnni=1" | FileCheck %s --check-prefix=VNNI

// A BitLinear with a constant ternary weight goes all the way to the LLVM
// dialect: the weight becomes a global of packed bytes, the tile loop an
// OpenMP worksharing loop, and no op of a higher level is left.
// CHECK-LABEL: llvm.mlir.global private constant @{{.*}}(dense_resource<trit_packed_0> : tensor<4x64xi8>) {{.*}} : !llvm.array<4 x array<64 x i8>>
// CHECK-LABEL: llvm.func @bitlinear
// CHECK: llvm.intr.roundeven
// CHECK: omp.parallel
// CHECK: omp.wsloop
// CHECK-NOT: trit.{{[a-z]}}
// CHECK-NOT: #trit
// CHECK-NOT: func.func
// CHECK-NOT: scf.
// With layout=tq1 the kernel is the tq1 one: it reads each base-3 digit by
// multiplying the byte by 3 (mod 256, as x + x + x) and comparing it with
// 171 (-85 as i8) and 86, and the blob holds tq1 bytes: row 0 (+1, 0, -1,
// +1 ...) starts D5 80 2B D5 (i2 would be 56 55 54 56).
// TQ1-LABEL: llvm.mlir.global private constant @{{.*}}(dense_resource<trit_packed_0> : tensor<4x64xi8>)
// TQ1: llvm.func @bitlinear
// TQ1: llvm.call @__trit_bitlinear_tq1_addsub_4x6(
// TQ1: llvm.func internal @__trit_bitlinear_tq1_addsub_4x6(
// TQ1-DAG: %[[HIGH:.*]] = llvm.mlir.constant(dense<-85> : vector<32xi8>)
// TQ1-DAG: %[[LOW:.*]] = llvm.mlir.constant(dense<86> : vector<32xi8>)
// TQ1: %[[TWICE:.*]] = llvm.add %[[BYTE:.*]], %[[BYTE]] : vector<32xi8>
// TQ1-NEXT: %[[THRICE:.*]] = llvm.add %[[TWICE]], %[[BYTE]] : vector<32xi8>
// TQ1-NEXT: llvm.icmp "uge" %[[THRICE]], %[[HIGH]] : vector<32xi8>
// TQ1-NEXT: llvm.icmp "ult" %[[THRICE]], %[[LOW]] : vector<32xi8>
// TQ1: trit_packed_0: "0x01000000D5802BD5
func.func @bitlinear(%x: tensor<?x6xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<[[ 1,  0, -1,  1,  0,  0],
                             [ 0,  0,  0,  0, -1,  1],
                             [-1, -1,  1,  1,  0,  1],
                             [ 0,  1,  0, -1,  1, -1]]> : tensor<4x6xi8, #trit.ternary>
  %g = arith.constant 0.75 : f32
  %y = trit.bitlinear %x, %w, %g : tensor<?x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}

// -----

// quantize_activations on its own lowers too (rounding in LLVM's roundeven).
// CHECK-LABEL: llvm.func @quantize
// CHECK: llvm.intr.roundeven
// CHECK-NOT: trit.{{[a-z]}}
// TQ1-LABEL: llvm.func @quantize
func.func @quantize(%x: tensor<3x8xf32>) -> (tensor<3x8xi8>, tensor<3xf32>) {
  %q, %s = trit.quantize_activations %x : tensor<3x8xf32> -> tensor<3x8xi8>, tensor<3xf32>
  return %q, %s : tensor<3x8xi8>, tensor<3xf32>
}

// -----

// kernel=dot with vnni: the dot steps become vpdpbusd calls.
// CHECK-LABEL: llvm.func @dot_kernel
// TQ1-LABEL: llvm.func @dot_kernel
func.func @dot_kernel(%x: tensor<2x300xf32>, %w: tensor<5x128xi8, #trit.packed<i2>>, %g: f32) -> tensor<2x5xf32> {
  %y = trit.bitlinear %x, %w, %g : tensor<2x300xf32>, tensor<5x128xi8, #trit.packed<i2>> -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}
// VNNI-LABEL: llvm.func @dot_kernel
// VNNI: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"
// VNNI-NOT: trit.{{[a-z]}}

// -----

// A rank-3 input with a dynamic sequence: the collapse/expand reshapes need
// affine.apply, which must be lowered too.
// CHECK-LABEL: llvm.func @rank3_dynamic
// CHECK-NOT: affine.apply
// CHECK-NOT: unrealized_conversion_cast
// TQ1-LABEL: llvm.func @rank3_dynamic
func.func @rank3_dynamic(%x: tensor<1x?x64xf32>) -> tensor<1x?x3xf32> {
  %w = arith.constant dense<1> : tensor<3x64xi8, #trit.ternary>
  %g = arith.constant 0.5 : f32
  %y = trit.bitlinear %x, %w, %g : tensor<1x?x64xf32>, tensor<3x64xi8, #trit.ternary> -> tensor<1x?x3xf32>
  return %y : tensor<1x?x3xf32>
}
