// RUN: trit-opt %s -split-input-file --trit-interchange-loops | FileCheck %s
// RUN: trit-opt %s -split-input-file --trit-interchange-loops --convert-linalg-to-loops --trit-vectorize-loops | FileCheck %s --check-prefix=LOOPS

// attention's q k^T on buffers: (b, m, n, k) -> (b, m, k, n), the output
// row innermost. The body is batch_matmul's: out += a * b.
// CHECK-DAG: #[[$A:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[$B:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[$C:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @batch_matmul(
// CHECK: linalg.generic {indexing_maps = [#[[$A]], #[[$B]], #[[$C]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
// CHECK-SAME: ins(%arg0, %arg1 : memref<?x?x16xf32>, memref<?x16x?xf32>) outs(%arg2 : memref<?x?x?xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK-NOT: linalg.batch_matmul
//
// As loops: the k loop outside, the n loop inside as vectors.
// LOOPS-LABEL: func.func @batch_matmul(
// LOOPS: scf.for %[[B:.*]] = 
// LOOPS: scf.for %[[M:.*]] = 
// LOOPS: scf.for %[[K:.*]] = 
// LOOPS: scf.for %[[N:.*]] = {{.*}} step %c16
// LOOPS-NEXT: memref.load %arg0[%[[B]], %[[M]], %[[K]]]
// LOOPS-NEXT: vector.broadcast
// LOOPS-NEXT: vector.load %arg1[%[[B]], %[[K]], %[[N]]]
// LOOPS-NEXT: vector.load %arg2[%[[B]], %[[M]], %[[N]]]
// LOOPS-NEXT: arith.mulf {{.*}} : vector<16xf32>
// LOOPS-NEXT: arith.addf {{.*}} : vector<16xf32>
// LOOPS-NEXT: vector.store {{.*}}, %arg2[%[[B]], %[[M]], %[[N]]]
func.func @batch_matmul(%a: memref<?x?x16xf32>, %b: memref<?x16x?xf32>, %c: memref<?x?x?xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<?x?x16xf32>, memref<?x16x?xf32>) outs(%c : memref<?x?x?xf32>)
  return
}

// -----

// linalg.matmul: (m, n, k) -> (m, k, n).
// CHECK-LABEL: func.func @matmul(
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]
func.func @matmul(%a: memref<4x8xf32>, %b: memref<8x32xf32>, %c: memref<4x32xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x32xf32>) outs(%c : memref<4x32xf32>)
  return
}

// -----

// Must not fire: on tensors.
// CHECK-LABEL: func.func @on_tensors(
// CHECK: linalg.matmul
func.func @on_tensors(%a: tensor<4x8xf32>, %b: tensor<8x32xf32>, %c: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x32xf32>) outs(%c : tensor<4x32xf32>) -> tensor<4x32xf32>
  return %r : tensor<4x32xf32>
}

// -----

// Must not fire: the input that uses n has a non-unit innermost stride.
// CHECK-LABEL: func.func @strided_rhs(
// CHECK: linalg.matmul
func.func @strided_rhs(%a: memref<4x8xf32>, %b: memref<8x32xf32, strided<[1, 8]>>, %c: memref<4x32xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x32xf32, strided<[1, 8]>>) outs(%c : memref<4x32xf32>)
  return
}

// -----

// Must not fire: a reduction over the last dimension (no parallel
// dimension is the output's last index and the input's last too).
// CHECK-LABEL: func.func @row_sum(
// CHECK: linalg.reduce
func.func @row_sum(%a: memref<4x32xf32>, %c: memref<4xf32>) {
  linalg.reduce { arith.addf } ins(%a : memref<4x32xf32>) outs(%c : memref<4xf32>) dimensions = [1]
  return
}

// -----

// Must not fire: the innermost loop is already parallel.
// CHECK-LABEL: func.func @column_sum(
// CHECK: linalg.reduce
func.func @column_sum(%a: memref<32x4xf32>, %c: memref<4xf32>) {
  linalg.reduce { arith.addf } ins(%a : memref<32x4xf32>) outs(%c : memref<4xf32>) dimensions = [0]
  return
}
