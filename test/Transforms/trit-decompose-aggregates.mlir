// RUN: trit-opt %s --split-input-file --trit-decompose-aggregates | FileCheck %s

// linalg.softmax on tensors becomes reductions and elementwise generics:
// max, exp(x - max), sum, division.
// CHECK-LABEL: func.func @softmax
// CHECK-NOT: linalg.softmax
// CHECK: arith.maxnumf
// CHECK: math.exp
// CHECK: arith.addf
// CHECK: arith.divf
func.func @softmax(%x: tensor<2x?x4xf32>, %out: tensor<2x?x4xf32>) -> tensor<2x?x4xf32> {
  %y = linalg.softmax dimension(2) ins(%x : tensor<2x?x4xf32>) outs(%out : tensor<2x?x4xf32>) -> tensor<2x?x4xf32>
  return %y : tensor<2x?x4xf32>
}

// -----

// Other linalg ops are left alone.
// CHECK-LABEL: func.func @matmul
// CHECK-NEXT: linalg.matmul
func.func @matmul(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>, %c: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x4xf32>) outs(%c : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}
