// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops=block-size=64 | FileCheck %s --check-prefix=B64
// What upstream's converter makes of the mapped loops: one gpu.launch each,
// with 256 threads x and the tile loop's dimensions as blocks.
// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops --convert-parallel-loops-to-gpu | FileCheck %s --check-prefix=LAUNCH
// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops --convert-parallel-loops-to-gpu --canonicalize | FileCheck %s --check-prefix=FOLD
// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops=block-size=64 --convert-parallel-loops-to-gpu --canonicalize | FileCheck %s --check-prefix=FOLD64

// A 2-D loop: the innermost dimension (unit stride) is tiled by block-size;
// the tile loop's dimensions become blocks x and y (the innermost y), the intra-tile loop's
// innermost dimension threads x and its other dimension a sequential loop
// (of one iteration).
// CHECK-LABEL: func.func @two_d
// CHECK-SAME: (%[[A:.*]]: memref<?x?xf32>, %[[B:.*]]: memref<?x?xf32>, %[[M:.*]]: index, %[[N:.*]]: index)
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%[[C0:c0[_0-9]*]], %[[C0]]) to (%[[M]], %[[N]]) step (%{{.*}}, %[[STEP:.*]]) {
// CHECK-NEXT: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %[[STEP]]) step (%[[ONE:c1[_0-9]*]], %[[ONE]]) {
// The tile's last block is partial: the body is guarded, not clipped.
// CHECK: arith.cmpi ult, %{{.*}}, %[[M]] : index
// CHECK: arith.cmpi ult, %{{.*}}, %[[N]] : index
// CHECK: scf.if
// CHECK: memref.load %[[A]]
// CHECK: memref.store %{{.*}}, %[[B]]
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = sequential, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = block_y, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK-NEXT: return
// B64-LABEL: func.func @two_d
// B64-NOT: 256
// B64: arith.constant 64 : index
// B64-NOT: 256
// B64: scf.parallel
// B64: processor = thread_x
// B64: processor = block_x{{.*}}processor = block_y
// LAUNCH-LABEL: func.func @two_d
// LAUNCH-SAME: %[[M:[^:]*]]: index, %[[N:[^:]*]]: index)
// LAUNCH-NOT: scf.parallel
// LAUNCH-DAG: %[[BM:.*]] = affine.apply #{{.*}}(%[[M]])
// LAUNCH-DAG: %[[BN:.*]] = affine.apply #{{.*}}(%[[N]])
// LAUNCH: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[BM]], %{{.*}} = %[[BN]], %{{.*}} = %[[ONE:[^)]*]]) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %{{.*}}, %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]])
// LAUNCH-NOT: scf.parallel
// LAUNCH: memref.load
// LAUNCH: memref.store
// LAUNCH: gpu.terminator
func.func @two_d(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%m, %n) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<?x?xf32>
    memref.store %v, %b[%i, %j] : memref<?x?xf32>
  }
  return
}

// -----

// A 4-D loop: blocks y, x, z for the three innermost dimensions (from the
// innermost out); the fourth (outermost) runs sequentially in each thread.
// CHECK-LABEL: func.func @four_d
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: memref.store
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = sequential, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = sequential, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = sequential, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = sequential, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = block_z, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = block_y, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// The sequential block dimension is a loop inside the kernel.
// LAUNCH-LABEL: func.func @four_d
// LAUNCH: gpu.launch
// LAUNCH: scf.for
// LAUNCH: memref.store
func.func @four_d(%a: memref<?x?x?x?xf32>, %d0: index, %d1: index, %d2: index, %d3: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i, %j, %k, %l) = (%c0, %c0, %c0, %c0) to (%d0, %d1, %d2, %d3) step (%c1, %c1, %c1, %c1) {
    memref.store %z, %a[%i, %j, %k, %l] : memref<?x?x?x?xf32>
  }
  return
}

// -----

// A 1-D loop: block x and thread x only.
// CHECK-LABEL: func.func @one_d
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// LAUNCH-LABEL: func.func @one_d
// LAUNCH: %[[BX:.*]] = affine.apply #{{.*}}(%c1000)
// LAUNCH: gpu.launch blocks({{[^)]*}}) in (%{{.*}} = %[[BX]], {{[^)]*}}) threads({{[^)]*}}) in (%{{.*}} = %{{.*}},
// Folded: 1000 elements are 4 blocks of 256 threads, or 16 of 64.
// FOLD-LABEL: func.func @one_d
// FOLD: gpu.launch blocks({{[^)]*}}) in (%{{.*}} = %c4, %{{.*}} = %c1, %{{.*}} = %c1) threads({{[^)]*}}) in (%{{.*}} = %c256, %{{.*}} = %c1, %{{.*}} = %c1)
// FOLD64-LABEL: func.func @one_d
// FOLD64: gpu.launch blocks({{[^)]*}}) in (%{{.*}} = %c16, %{{.*}} = %c1, %{{.*}} = %c1) threads({{[^)]*}}) in (%{{.*}} = %c64, %{{.*}} = %c1, %{{.*}} = %c1)
func.func @one_d(%a: memref<1000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1000 = arith.constant 1000 : index
  %z = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%c1000) step (%c1) {
    memref.store %z, %a[%i] : memref<1000xf32>
  }
  return
}

// -----

// A parallel loop nested in an outermost one runs sequentially in its
// thread, as an scf.for; it is not tiled.
// CHECK-LABEL: func.func @nested
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: scf.if
// CHECK: scf.for %{{.*}} = %{{.*}} to %c8 step %c1 {
// CHECK: memref.store
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK: } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
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

// -----

// Host code that touches memory outside any parallel loop (a lone store, a
// serial scf.for of loads and stores) runs as a one-thread kernel: each is
// wrapped, in place, into a one-iteration scf.parallel mapped to block x,
// which is not tiled. Ops that touch no memory stay on the host.
// CHECK-LABEL: func.func @serial
// CHECK-SAME: (%[[A:.*]]: memref<8xf32>, %[[B:.*]]: memref<f32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.parallel (%{{.*}}) = (%[[W0:c0[_0-9]*]]) to (%[[W1:c1[_0-9]*]]) step (%[[W1]]) {
// CHECK-NEXT: memref.store %[[ZERO]], %[[B]][] : memref<f32>
// CHECK-NEXT: scf.reduce
// CHECK-NEXT: } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK: scf.parallel (%{{.*}}) = (%[[V0:c0[_0-9]*]]) to (%[[V1:c1[_0-9]*]]) step (%[[V1]]) {
// CHECK-NEXT: scf.for
// CHECK-NEXT: memref.load %[[A]]
// CHECK-NEXT: memref.load %[[B]]
// CHECK-NEXT: arith.addf
// CHECK-NEXT: memref.store %{{.*}}, %[[B]]
// CHECK-NEXT: }
// CHECK-NEXT: scf.reduce
// CHECK-NEXT: } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK-NOT: scf.parallel
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NOT: scf.parallel
// CHECK: return %[[BUF]]
// The one-thread kernels: one block of one thread each.
// LAUNCH-LABEL: func.func @serial
// LAUNCH: gpu.launch blocks({{[^)]*}}) in (%{{.*}} = %{{.*}}, %{{.*}} = %[[ONE:[^,]*]], %{{.*}} = %[[ONE]]) threads({{[^)]*}}) in (%{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]], %{{.*}} = %[[ONE]])
// LAUNCH: memref.store
// LAUNCH: gpu.launch
// LAUNCH: scf.for
// LAUNCH-NOT: gpu.launch
// LAUNCH: memref.alloc
func.func @serial(%a: memref<8xf32>, %b: memref<f32>) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant 0.0 : f32
  memref.store %z, %b[] : memref<f32>
  %x = arith.addi %c8, %c8 : index
  scf.for %i = %c0 to %x step %c1 {
    %v = memref.load %a[%i] : memref<8xf32>
    %s = memref.load %b[] : memref<f32>
    %t = arith.addf %v, %s : f32
    memref.store %t, %b[] : memref<f32>
  }
  %buf = memref.alloc() : memref<4xf32>
  return %buf : memref<4xf32>
}

// -----

// Host control flow that holds a parallel loop stays on the host: the
// scf.if is not wrapped, the loop inside it is mapped.
// CHECK-LABEL: func.func @host_if
// CHECK: scf.if %{{.*}} {
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: memref.store
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK-NEXT: }
// CHECK-NEXT: return
// LAUNCH-LABEL: func.func @host_if
// LAUNCH: scf.if
// LAUNCH: gpu.launch
func.func @host_if(%a: memref<?xf32>, %n: index, %p: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  scf.if %p {
    scf.parallel (%i) = (%c0) to (%n) step (%c1) {
      memref.store %z, %a[%i] : memref<?xf32>
    }
  }
  return
}

// -----

// Host control flow around a parallel loop with a serial access beside it:
// the scf.for stays on the host, the access in it is wrapped on its own.
// CHECK-LABEL: func.func @host_for
// CHECK: scf.for
// CHECK: scf.parallel (%{{.*}}) = (%[[W0:c0[_0-9]*]]) to (%[[W1:c1[_0-9]*]]) step (%[[W1]]) {
// CHECK-NEXT: memref.store %{{.*}}, %{{.*}}[%c0] : memref<?xf32>
// CHECK-NEXT: scf.reduce
// CHECK-NEXT: } {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
func.func @host_for(%a: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %z = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c4 step %c1 {
    memref.store %z, %a[%c0] : memref<?xf32>
    scf.parallel (%i) = (%c0) to (%n) step (%c1) {
      memref.store %z, %a[%i] : memref<?xf32>
    }
  }
  return
}

// -----

// Ops that touch no memory (allocations, calls, scalar arithmetic) stay on
// the host, unwrapped.
// CHECK-LABEL: func.func @no_memory
// CHECK-NOT: scf.parallel
// CHECK: memref.alloc
// CHECK-NOT: scf.parallel
// CHECK: call @ext
// CHECK-NOT: scf.parallel
// CHECK: arith.muli
// CHECK-NOT: scf.parallel
// CHECK: return
// LAUNCH-LABEL: func.func @no_memory
// LAUNCH-NOT: gpu.launch
// LAUNCH: return
func.func private @ext(index) -> index

func.func @no_memory(%n: index) -> (memref<?xf32>, index) {
  %a = memref.alloc(%n) : memref<?xf32>
  %m = call @ext(%n) : (index) -> index
  %s = arith.muli %m, %n : index
  return %a, %s : memref<?xf32>, index
}
