// Known bug: a scalar read from a buffer outside any parallel loop and used
// only inside a parallel loop (device code, not host code) is refused with
// "reads device memory into a value that host code uses". Bufferization
// makes this of a tensor.extract of a 0-d reduction used in a linalg.generic
// body, which trit-cpu-pipeline compiles (tritc --target=cuda refuses it).
// The load could run in the kernels that use it. Remove the XFAIL when this
// passes.
// XFAIL: *
// RUN: trit-opt %s --trit-gpu-map-loops --convert-parallel-loops-to-gpu | FileCheck %s

// CHECK-LABEL: func.func @scalar_into_kernel
// CHECK-NOT: memref.load
// CHECK: gpu.launch
// CHECK: memref.load
// CHECK: arith.divf
func.func @scalar_into_kernel(%s: memref<f32>, %a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %max = memref.load %s[] : memref<f32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %a[%i] : memref<?xf32>
    %d = arith.divf %v, %max : f32
    memref.store %d, %a[%i] : memref<?xf32>
  }
  return
}
