// RUN: trit-opt %s --split-input-file --trit-copies-to-loops | FileCheck %s

// A copy between strided memrefs becomes linalg.copy (and later loops).
// CHECK-LABEL: func.func @strided_copy
// CHECK-SAME: (%[[A:.*]]: memref<2x4xf32, strided<[8, 1], offset: 2>>, %[[B:.*]]: memref<2x4xf32>)
// CHECK-NEXT: linalg.copy ins(%[[A]] : memref<2x4xf32, strided<[8, 1], offset: 2>>) outs(%[[B]] : memref<2x4xf32>)
// CHECK-NOT: memref.copy
func.func @strided_copy(%a: memref<2x4xf32, strided<[8, 1], offset: 2>>, %b: memref<2x4xf32>) {
  memref.copy %a, %b : memref<2x4xf32, strided<[8, 1], offset: 2>> to memref<2x4xf32>
  return
}

// -----

// Nothing else changes.
// CHECK-LABEL: func.func @no_copy
// CHECK-NOT: linalg.copy
// CHECK: memref.load
func.func @no_copy(%a: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %v = memref.load %a[%c0] : memref<4xf32>
  return %v : f32
}
