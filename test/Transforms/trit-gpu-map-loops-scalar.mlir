// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops | FileCheck %s
// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops --convert-parallel-loops-to-gpu --trit-gpu-host-buffers | FileCheck %s --check-prefix=HOST

// A scalar read from a buffer outside any parallel loop, for host code (a
// size) or for a kernel (a divisor): a one-thread kernel reads it into a
// device scalar, which is copied into a host scalar (trit.host) that the
// rest reads. Bufferization makes this of a tensor.extract of a 0-d
// reduction.
// CHECK-LABEL: func.func @scalar_into_kernel
// CHECK-SAME: (%[[S:.*]]: memref<f32>, %[[A:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK: %[[DEV:.*]] = memref.alloc() : memref<f32>
// CHECK: scf.parallel
// CHECK-NEXT: %[[V:.*]] = memref.load %[[S]][] : memref<f32>
// CHECK-NEXT: memref.store %[[V]], %[[DEV]][] : memref<f32>
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x
// CHECK: %[[HBUF:.*]] = memref.alloca() {trit.host} : memref<f32>
// CHECK-NEXT: gpu.memcpy  %[[HBUF]], %[[DEV]] : memref<f32>, memref<f32>
// CHECK-NEXT: %[[MAX:.*]] = memref.load %[[HBUF]][] : memref<f32>
// CHECK: scf.parallel
// CHECK: arith.divf %{{.*}}, %[[MAX]] : f32
// The device scalar becomes device memory, freed at return; the host one
// stays on the host's stack.
// HOST-LABEL: func.func @scalar_into_kernel
// HOST: %[[DEV:.*]] = gpu.alloc  () : memref<f32>
// HOST: gpu.launch
// HOST: %[[HBUF:.*]] = memref.alloca() {trit.host} : memref<f32>
// HOST: gpu.memcpy  %[[HBUF]], %[[DEV]]
// HOST: memref.load %[[HBUF]][]
// HOST: gpu.launch
// HOST: gpu.dealloc  %[[DEV]]
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

// -----

// A serial loop's result that host code uses (returns): the same.
// CHECK-LABEL: func.func private @loop_result
// CHECK: %[[DEV:.*]] = memref.alloc() : memref<f32>
// CHECK: scf.parallel
// CHECK: %[[SUM:.*]] = scf.for
// CHECK: memref.store %[[SUM]], %[[DEV]][]
// CHECK: %[[HBUF:.*]] = memref.alloca() {trit.host} : memref<f32>
// CHECK-NEXT: gpu.memcpy  %[[HBUF]], %[[DEV]]
// CHECK-NEXT: %[[R:.*]] = memref.load %[[HBUF]][]
// CHECK-NEXT: return %[[R]] : f32
func.func private @loop_result(%a: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant 0.0 : f32
  %s = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %z) -> f32 {
    %v = memref.load %a[%i] : memref<8xf32>
    %t = arith.addf %acc, %v : f32
    scf.yield %t : f32
  }
  return %s : f32
}

// -----

// An index read for a size: host code allocates with it.
// CHECK-LABEL: func.func private @read_size
// CHECK: memref.alloc() : memref<index>
// CHECK: %[[HBUF:.*]] = memref.alloca() {trit.host} : memref<index>
// CHECK: %[[N:.*]] = memref.load %[[HBUF]][]
// CHECK: memref.alloc(%[[N]]) : memref<?xf32>
func.func private @read_size(%a: memref<4xindex>) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.load %a[%c0] : memref<4xindex>
  %b = memref.alloc(%n) : memref<?xf32>
  return %b : memref<?xf32>
}
