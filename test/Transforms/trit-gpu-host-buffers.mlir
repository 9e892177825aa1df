// RUN: trit-opt %s --split-input-file --trit-gpu-host-buffers=kernel-constant-bytes=16 | FileCheck %s
// The default threshold (4096 bytes) sinks every constant here.
// RUN: trit-opt %s --split-input-file --trit-gpu-host-buffers | FileCheck %s --check-prefix=DEFAULT

memref.global "private" constant @small : memref<3xf32> = dense<[1.0, 2.0, 3.0]>
memref.global "private" constant @large : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
memref.global "private" constant @splat : memref<64xf32> = dense<2.0>

// An entry point (public): its argument is copied to the device on entry,
// its allocations become gpu.alloc, the small and the splat constant move
// into the launch that reads them while the large one stays a pointer, a
// static allocation in the kernel becomes per-thread scratch (memref.alloca,
// its dealloc dropped), the result is copied back into a host buffer tagged
// trit.host, and every device buffer is freed before the return (the
// function's own dealloc is dropped).
// CHECK-LABEL: func.func @entry
// CHECK-SAME: (%[[ARG:.*]]: memref<?xf32>) -> memref<?xf32>
// CHECK-NEXT: %[[C0:.*]] = arith.constant 0 : index
// CHECK-NEXT: %[[ARGN:.*]] = memref.dim %[[ARG]], %[[C0]] : memref<?xf32>
// CHECK-NEXT: %[[IN:.*]] = gpu.alloc  (%[[ARGN]]) : memref<?xf32>
// CHECK-NEXT: gpu.memcpy  %[[IN]], %[[ARG]] : memref<?xf32>, memref<?xf32>
// CHECK: %[[N:.*]] = memref.dim %[[IN]], %{{.*}} : memref<?xf32>
// CHECK-NEXT: %[[TMP:.*]] = gpu.alloc  (%[[N]]) : memref<?xf32>
// CHECK-NEXT: %[[OUT:.*]] = gpu.alloc  (%[[N]]) : memref<?xf32>
// CHECK-NEXT: %[[LARGE:.*]] = memref.get_global @large : memref<4xf32>
// CHECK-NOT: memref.get_global
// CHECK: gpu.launch
// CHECK-DAG: %[[SMALL:.*]] = memref.get_global @small : memref<3xf32>
// CHECK-DAG: %[[SPLAT:.*]] = memref.get_global @splat : memref<64xf32>
// CHECK: %[[SCRATCH:.*]] = memref.alloca() : memref<4xf32>
// CHECK-NOT: memref.alloc(
// CHECK-NOT: memref.alloc()
// CHECK: memref.load %[[IN]]
// CHECK: memref.load %[[SMALL]]
// CHECK: memref.load %[[LARGE]]
// CHECK: memref.load %[[SPLAT]]
// CHECK: memref.store %{{.*}}, %[[SCRATCH]]
// CHECK: memref.store %{{.*}}, %[[TMP]]
// CHECK: memref.store %{{.*}}, %[[OUT]]
// CHECK-NOT: memref.dealloc
// CHECK: gpu.terminator
// CHECK-NOT: memref.dealloc
// CHECK: %[[HOSTN:.*]] = memref.dim %[[OUT]], %{{.*}} : memref<?xf32>
// CHECK-NEXT: %[[HOST:.*]] = memref.alloc(%[[HOSTN]]) {trit.host} : memref<?xf32>
// CHECK-NEXT: gpu.memcpy  %[[HOST]], %[[OUT]] : memref<?xf32>, memref<?xf32>
// CHECK-DAG: gpu.dealloc  %[[TMP]] : memref<?xf32>
// CHECK-DAG: gpu.dealloc  %[[OUT]] : memref<?xf32>
// CHECK-DAG: gpu.dealloc  %[[IN]] : memref<?xf32>
// CHECK-NOT: dealloc
// CHECK: return %[[HOST]] : memref<?xf32>
// DEFAULT-LABEL: func.func @entry
// DEFAULT-NOT: memref.get_global
// DEFAULT: gpu.launch
// DEFAULT-DAG: memref.get_global @small
// DEFAULT-DAG: memref.get_global @large
// DEFAULT-DAG: memref.get_global @splat
// DEFAULT: gpu.terminator
func.func @entry(%a: memref<?xf32>) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xf32>
  %tmp = memref.alloc(%n) : memref<?xf32>
  %out = memref.alloc(%n) : memref<?xf32>
  %s = memref.get_global @small : memref<3xf32>
  %l = memref.get_global @large : memref<4xf32>
  %p = memref.get_global @splat : memref<64xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %scratch = memref.alloc() : memref<4xf32>
    %v = memref.load %a[%bx] : memref<?xf32>
    %w = memref.load %s[%c0] : memref<3xf32>
    %u = memref.load %l[%c0] : memref<4xf32>
    %t = memref.load %p[%c0] : memref<64xf32>
    memref.store %w, %scratch[%c0] : memref<4xf32>
    %x = arith.addf %v, %w : f32
    %y = arith.addf %x, %u : f32
    %z = arith.addf %y, %t : f32
    memref.store %z, %tmp[%bx] : memref<?xf32>
    memref.store %z, %out[%bx] : memref<?xf32>
    memref.dealloc %scratch : memref<4xf32>
    gpu.terminator
  }
  memref.dealloc %tmp : memref<?xf32>
  return %out : memref<?xf32>
}

// -----

memref.global "private" constant @small : memref<3xf32> = dense<[1.0, 2.0, 3.0]>
memref.global "private" constant @large : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>

// A private function (a kernel function the entry calls) keeps the buffer
// it returns and frees the rest; its arguments are device buffers already.
// CHECK-LABEL: func.func private @callee
// CHECK-SAME: (%[[X:.*]]: memref<3xf32>) -> memref<3xf32>
// CHECK-NOT: gpu.memcpy
// CHECK: %[[R:.*]] = gpu.alloc  () : memref<3xf32>
// CHECK: %[[T:.*]] = gpu.alloc  () : memref<3xf32>
// CHECK: gpu.launch
// CHECK: memref.load %[[X]]
// CHECK: gpu.terminator
// CHECK-NEXT: }
// CHECK-NEXT: gpu.dealloc  %[[T]] : memref<3xf32>
// CHECK-NEXT: return %[[R]] : memref<3xf32>
func.func private @callee(%x: memref<3xf32>) -> memref<3xf32> {
  %c1 = arith.constant 1 : index
  %r = memref.alloc() : memref<3xf32>
  %t = memref.alloca() : memref<3xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%tx] : memref<3xf32>
    memref.store %v, %t[%tx] : memref<3xf32>
    memref.store %v, %r[%tx] : memref<3xf32>
    gpu.terminator
  }
  return %r : memref<3xf32>
}

// A small constant that host code passes to a callee gets a device copy
// (freed at the return); a large one is passed as it is (a weight, which the
// runtime has copied to the device). A buffer a callee returns is the
// caller's to free. A function without memref results or arguments copies
// nothing.
// CHECK-LABEL: func.func @caller()
// CHECK-NOT: gpu.memcpy
// CHECK: %[[S:.*]] = memref.get_global @small : memref<3xf32>
// CHECK-NEXT: %[[COPY:.*]] = gpu.alloc  () : memref<3xf32>
// CHECK-NEXT: gpu.memcpy  %[[COPY]], %[[S]] : memref<3xf32>, memref<3xf32>
// CHECK-NEXT: %[[R1:.*]] = call @callee(%[[COPY]])
// CHECK-NEXT: %[[L:.*]] = memref.get_global @large : memref<4xf32>
// CHECK-NEXT: %[[R2:.*]] = call @callee4(%[[L]])
// CHECK-DAG: gpu.dealloc  %[[R1]] : memref<3xf32>
// CHECK-DAG: gpu.dealloc  %[[R2]] : memref<4xf32>
// CHECK-DAG: gpu.dealloc  %[[COPY]] : memref<3xf32>
// CHECK-NOT: gpu.dealloc
// CHECK: return
// CHECK-NOT: gpu.dealloc
func.func @caller() {
  %s = memref.get_global @small : memref<3xf32>
  %r1 = call @callee(%s) : (memref<3xf32>) -> memref<3xf32>
  %l = memref.get_global @large : memref<4xf32>
  %r2 = call @callee4(%l) : (memref<4xf32>) -> memref<4xf32>
  return
}

func.func private @callee4(%x: memref<4xf32>) -> memref<4xf32>

// -----

// A public function returning a view of a buffer it owns: the view goes
// back to the host, the buffer is freed.
// CHECK-LABEL: func.func @view_result
// CHECK: %[[BUF:.*]] = gpu.alloc  () : memref<2x4xf32>
// CHECK: %[[VIEW:.*]] = memref.collapse_shape %[[BUF]]
// CHECK: %[[HOST:.*]] = memref.alloc() {trit.host} : memref<8xf32>
// CHECK-NEXT: gpu.memcpy  %[[HOST]], %[[VIEW]] : memref<8xf32>, memref<8xf32>
// CHECK-NEXT: gpu.dealloc  %[[BUF]] : memref<2x4xf32>
// CHECK-NEXT: return %[[HOST]] : memref<8xf32>
func.func @view_result() -> memref<8xf32> {
  %buf = memref.alloc() : memref<2x4xf32>
  %view = memref.collapse_shape %buf [[0, 1]] : memref<2x4xf32> into memref<8xf32>
  return %view : memref<8xf32>
}

// -----

// An entry point may return its argument: the device copy goes back.
// CHECK-LABEL: func.func @echo
// CHECK-SAME: (%[[ARG:.*]]: memref<4xf32>)
// CHECK-NEXT: %[[IN:.*]] = gpu.alloc  () : memref<4xf32>
// CHECK-NEXT: gpu.memcpy  %[[IN]], %[[ARG]]
// CHECK-NEXT: %[[HOST:.*]] = memref.alloc() {trit.host} : memref<4xf32>
// CHECK-NEXT: gpu.memcpy  %[[HOST]], %[[IN]]
// CHECK-NEXT: gpu.dealloc  %[[IN]]
// CHECK-NEXT: return %[[HOST]]
func.func @echo(%a: memref<4xf32>) -> memref<4xf32> {
  return %a : memref<4xf32>
}

// -----

// A module without launches or buffers: nothing to do.
// CHECK-LABEL: func.func @scalars
// CHECK-NEXT: arith.addi
// CHECK-NEXT: return
func.func @scalars(%a: index) -> index {
  %b = arith.addi %a, %a : index
  return %b : index
}

// -----

// An entry point's KV cache (marked trit.kv_cache by trit-export-model)
// stays on the device: the cache argument is read in place (no copy in, no
// dealloc: the runtime owns it), and the new cache is returned as the
// device buffer itself (no copy out, no dealloc). The ids still come in and
// the logits still go out.
// CHECK-LABEL: func.func @cached
// CHECK-SAME: (%[[IDS:.*]]: memref<?xf32>, %[[PAST:.*]]: memref<?xf32> {trit.kv_cache}) -> (memref<?xf32>, memref<?xf32> {trit.kv_cache})
// CHECK: %[[IDSD:.*]] = gpu.alloc
// CHECK-NEXT: gpu.memcpy  %[[IDSD]], %[[IDS]]
// CHECK-NOT: gpu.memcpy
// CHECK: %[[LOGITS:.*]] = gpu.alloc
// CHECK: %[[PRESENT:.*]] = gpu.alloc
// CHECK: gpu.launch
// CHECK: memref.load %[[IDSD]]
// CHECK: memref.load %[[PAST]]
// CHECK: gpu.terminator
// CHECK: %[[HOST:.*]] = memref.alloc(%{{.*}}) {trit.host}
// CHECK-NEXT: gpu.memcpy  %[[HOST]], %[[LOGITS]]
// CHECK-NOT: gpu.memcpy
// CHECK-DAG: gpu.dealloc  %[[LOGITS]]
// CHECK-DAG: gpu.dealloc  %[[IDSD]]
// CHECK-NOT: gpu.dealloc
// CHECK: return %[[HOST]], %[[PRESENT]] : memref<?xf32>, memref<?xf32>
func.func @cached(%ids: memref<?xf32>, %past: memref<?xf32> {trit.kv_cache})
    -> (memref<?xf32>, memref<?xf32> {trit.kv_cache}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %ids, %c0 : memref<?xf32>
  %logits = memref.alloc(%n) : memref<?xf32>
  %present = memref.alloc(%n) : memref<?xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %i = memref.load %ids[%bx] : memref<?xf32>
    %p = memref.load %past[%bx] : memref<?xf32>
    %s = arith.addf %i, %p : f32
    memref.store %s, %logits[%bx] : memref<?xf32>
    memref.store %s, %present[%bx] : memref<?xf32>
    gpu.terminator
  }
  return %logits, %present : memref<?xf32>, memref<?xf32>
}
