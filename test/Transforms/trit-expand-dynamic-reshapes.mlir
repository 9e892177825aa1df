// RUN: trit-opt %s --split-input-file --trit-expand-dynamic-reshapes | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-expand-dynamic-reshapes --expand-strided-metadata | FileCheck %s --check-prefix=EXPANDED

// Tokens back into [batch, sequence]: two dynamic sizes in one group become
// a reinterpret_cast of the base buffer with strides [T * 64, 64, 1].
// CHECK-LABEL: func.func @split_tokens(
// CHECK-SAME: %[[M:.*]]: memref<?x64xf32>, %[[B:.*]]: index, %[[T:.*]]: index)
// CHECK: %[[BASE:.*]], %{{.*}}, %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata %[[M]]
// CHECK: %[[S:.*]] = arith.muli %{{.*}}, %[[T]]
// CHECK: memref.reinterpret_cast %[[BASE]] to offset: [0], sizes: [%[[B]], %[[T]], 64], strides: [%[[S]], 64, 1]
// CHECK-NOT: memref.expand_shape
// EXPANDED-LABEL: func.func @split_tokens(
// EXPANDED-NOT: memref.expand_shape
func.func @split_tokens(%m: memref<?x64xf32>, %b: index, %t: index) -> memref<?x?x64xf32> {
  %e = memref.expand_shape %m [[0, 1], [2]] output_shape [%b, %t, 64] : memref<?x64xf32> into memref<?x?x64xf32>
  return %e : memref<?x?x64xf32>
}

// -----

// A strided source (a slice of rows 128 apart): the outer strides build on
// the source's stride, and its offset is kept.
// CHECK-LABEL: func.func @strided_source(
// CHECK: %[[BASE:.*]], %[[OFF:.*]], %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata
// CHECK: memref.reinterpret_cast %[[BASE]] to offset: [%[[OFF]]], sizes: [%{{.*}}, %{{.*}}, 64], strides: [%{{.*}}, 128, 1]
// EXPANDED-LABEL: func.func @strided_source(
// EXPANDED-NOT: memref.expand_shape
func.func @strided_source(%m: memref<?x64xf32, strided<[128, 1], offset: ?>>, %b: index, %t: index) -> memref<?x?x64xf32, strided<[?, 128, 1], offset: ?>> {
  %e = memref.expand_shape %m [[0, 1], [2]] output_shape [%b, %t, 64] : memref<?x64xf32, strided<[128, 1], offset: ?>> into memref<?x?x64xf32, strided<[?, 128, 1], offset: ?>>
  return %e : memref<?x?x64xf32, strided<[?, 128, 1], offset: ?>>
}

// -----

// One dynamic size per group: expand-strided-metadata handles it; left alone.
// CHECK-LABEL: func.func @one_dynamic_per_group(
// CHECK: memref.expand_shape
// CHECK-NOT: memref.reinterpret_cast
func.func @one_dynamic_per_group(%m: memref<?x64xf32>, %b: index) -> memref<?x4x16xf32> {
  %e = memref.expand_shape %m [[0], [1, 2]] output_shape [%b, 4, 16] : memref<?x64xf32> into memref<?x4x16xf32>
  return %e : memref<?x4x16xf32>
}
