// RUN: trit-opt %s --split-input-file --trit-outline-loops | FileCheck %s

// Two nests that differ only in their buffers share one function; the third
// (another operation) gets its own. Constants are cloned into the function,
// buffers and sizes are its arguments, and it is noinline.
// CHECK-LABEL: func.func @graph(
// CHECK-SAME: %[[A:[^:]*]]: memref<?xf32>, %[[B:[^:]*]]: memref<?xf32>, %[[C:[^:]*]]: memref<?xf32>, %[[N:[^:]*]]: index)
// CHECK: call @__trit_loop_0(%[[N]], %[[A]], %[[B]]) : (index, memref<?xf32>, memref<?xf32>) -> ()
// CHECK-NEXT: call @__trit_loop_0(%[[N]], %[[B]], %[[C]])
// CHECK-NEXT: call @__trit_loop_1(%[[N]], %[[C]], %[[A]])
// CHECK-NEXT: return
// CHECK-LABEL: func.func private @__trit_loop_0(
// CHECK-SAME: %[[N0:[^:]*]]: index, %[[X:[^:]*]]: memref<?xf32>, %[[Y:[^:]*]]: memref<?xf32>) attributes {passthrough = ["noinline"]}
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %[[N0]]
// CHECK: arith.mulf %{{.*}}, %[[TWO]]
// CHECK-LABEL: func.func private @__trit_loop_1(
// CHECK: arith.addf
// CHECK-NOT: func.func private @__trit_loop_2
func.func @graph(%a: memref<?xf32>, %b: memref<?xf32>, %c: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %b[%i] : memref<?xf32>
  }
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %b[%i] : memref<?xf32>
    %y = arith.mulf %x, %two : f32
    memref.store %y, %c[%i] : memref<?xf32>
  }
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %c[%i] : memref<?xf32>
    %y = arith.addf %x, %two : f32
    memref.store %y, %a[%i] : memref<?xf32>
  }
  return
}

// -----

// Left alone: a nest that reads a vector defined outside it (not an
// argument type), and the nests of trit kernels (__trit_*).
// CHECK-LABEL: func.func @vector_capture(
// CHECK: scf.for
// CHECK-NOT: call
// CHECK-LABEL: func.func private @__trit_kernel(
// CHECK: scf.for
// CHECK-NOT: func.func private @__trit_loop
func.func @vector_capture(%a: memref<?xvector<4xf32>>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %v = arith.constant dense<1.0> : vector<4xf32>
  scf.for %i = %c0 to %n step %c1 {
    memref.store %v, %a[%i] : memref<?xvector<4xf32>>
  }
  return
}
func.func private @__trit_kernel(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    memref.store %z, %a[%i] : memref<?xf32>
  }
  return
}
