// RUN: trit-opt %s --trit-gpu-stream-order | FileCheck %s

// A private function's final host-blocking wait goes: its caller's later
// work comes after it on the runtime's one stream.
// CHECK-LABEL: func.func private @callee
// CHECK: %[[T:.*]] = gpu.alloc async
// CHECK-NOT: gpu.wait [
// CHECK: return
func.func private @callee(%n: index) -> memref<?xf32> {
  %t0 = gpu.wait async
  %m, %t1 = gpu.alloc async [%t0] (%n) : memref<?xf32>
  gpu.wait [%t1]
  return %m : memref<?xf32>
}

// An entry point keeps its wait: the host reads its results.
// CHECK-LABEL: func.func @entry
// CHECK: gpu.wait [%{{.*}}]
// CHECK-NEXT: return
func.func @entry(%n: index) -> memref<?xf32> {
  %t0 = gpu.wait async
  %m, %t1 = gpu.alloc async [%t0] (%n) : memref<?xf32>
  gpu.wait [%t1]
  return %m : memref<?xf32>
}

// Must not fire: a wait that is not the last op before the return, and an
// async wait (it blocks nothing).
// CHECK-LABEL: func.func private @other_waits
// CHECK: gpu.wait [%{{.*}}]
// CHECK: arith.addi
// CHECK: %{{.*}} = gpu.wait async [%{{.*}}]
// CHECK: return
func.func private @other_waits(%n: index) -> index {
  %t0 = gpu.wait async
  %m, %t1 = gpu.alloc async [%t0] (%n) : memref<?xf32>
  gpu.wait [%t1]
  %r = arith.addi %n, %n : index
  %t2 = gpu.wait async [%t1]
  return %r : index
}

// The host-blocking wait gpu-async-region puts before a call of a private
// function goes too (the callee's work follows on the same stream); the
// one before an external function's call stays (it may read the buffers on
// the host).
// CHECK-LABEL: func.func @caller
// CHECK: gpu.alloc async
// CHECK-NOT: gpu.wait [
// CHECK: call @callee2
// CHECK: gpu.wait [%{{.*}}]
// CHECK-NEXT: call @external
func.func private @callee2(%n: index) -> memref<?xf32> {
  %t0 = gpu.wait async
  %m, %t1 = gpu.alloc async [%t0] (%n) : memref<?xf32>
  return %m : memref<?xf32>
}
func.func private @external(memref<?xf32>)
func.func @caller(%n: index) -> memref<?xf32> {
  %t0 = gpu.wait async
  %m, %t1 = gpu.alloc async [%t0] (%n) : memref<?xf32>
  gpu.wait [%t1]
  %r = call @callee2(%n) : (index) -> memref<?xf32>
  %t2 = gpu.wait async
  %u, %t3 = gpu.alloc async [%t2] (%n) : memref<?xf32>
  gpu.wait [%t3]
  call @external(%u) : (memref<?xf32>) -> ()
  return %r : memref<?xf32>
}
