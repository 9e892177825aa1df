// A parallel loop nested in an outermost one: the tiling
// (scf::tileParallelLoop with noMinMaxBounds) puts the body, nested loop
// included, under an scf.if guard, and upstream's
// convert-parallel-loops-to-gpu does not convert mapped loops inside an
// scf.if (it would leave the whole nest on the host). trit-gpu-map-loops
// makes nested parallel loops scf.for nests, so the whole nest is one
// kernel.
// RUN: trit-opt %s --trit-gpu-map-loops --convert-parallel-loops-to-gpu | FileCheck %s

// CHECK-LABEL: func.func @nested
// CHECK-NOT: scf.parallel
// CHECK: gpu.launch
// CHECK-NOT: scf.parallel
// CHECK: memref.store
// CHECK: gpu.terminator
func.func @nested(%a: memref<?x8xf32>, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%m) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c8) step (%c1) {
      memref.store %z, %a[%i, %j] : memref<?x8xf32>
    }
  }
  return
}
