// RUN: trit-opt %s --split-input-file --trit-gpu-host-buffers=kernel-constant-bytes=16 --verify-diagnostics

// Host code must not touch buffer contents: they live on the device.
func.func @host_load(%a: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.load' op accesses memory on the host; on the GPU target buffers live on the device (run trit-gpu-map-loops first)}}
  %v = memref.load %a[%c0] : memref<4xf32>
  return %v : f32
}

// -----

func.func @host_store(%a: memref<4xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.store' op accesses memory on the host}}
  memref.store %v, %a[%c0] : memref<4xf32>
  return
}

// -----

func.func @host_copy(%a: memref<4xf32>, %b: memref<4xf32>) {
  // expected-error @+1 {{'memref.copy' op accesses memory on the host}}
  memref.copy %a, %b : memref<4xf32> to memref<4xf32>
  return
}

// -----

// Scratch inside a kernel must have a static size.
func.func @dynamic_scratch(%n: index) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{'memref.alloc' op allocates a buffer of dynamic size inside a GPU kernel}}
    %s = memref.alloc(%n) : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

// A function returns fresh buffers only: not its argument (an entry point
// may: it returns its argument's device copy) ...
func.func private @returns_argument(%a: memref<4xf32>) -> memref<4xf32> {
  // expected-error @+1 {{'func.return' op returns a buffer that the function does not own (an argument, a constant or a view of one); the GPU target returns fresh buffers}}
  return %a : memref<4xf32>
}

// -----

// ... nor a view of its argument ...
func.func private @returns_view(%a: memref<2x4xf32>) -> memref<8xf32> {
  %v = memref.collapse_shape %a [[0, 1]] : memref<2x4xf32> into memref<8xf32>
  // expected-error @+1 {{'func.return' op returns a buffer that the function does not own}}
  return %v : memref<8xf32>
}

// -----

// ... nor a constant that is not copied (16 bytes: not below
// kernel-constant-bytes; a small one's device copy is fresh).
memref.global "private" constant @c : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
func.func private @returns_constant() -> memref<4xf32> {
  %g = memref.get_global @c : memref<4xf32>
  // expected-error @+1 {{'func.return' op returns a buffer that the function does not own}}
  return %g : memref<4xf32>
}

// -----

// One return, where the buffers are freed.
// expected-error @+1 {{'func.func' op needs exactly one return for the GPU target}}
func.func @two_returns(%p: i1) {
  cf.cond_br %p, ^a, ^b
^a:
  return
^b:
  return
}

// -----

// The GPU target allocates identity layouts only.
func.func @layout() {
  // expected-error @+1 {{'memref.alloc' op allocates a buffer with a layout; the GPU target allocates identity layouts only}}
  %a = memref.alloc() : memref<4xf32, strided<[2]>>
  return
}

// -----

// An entry point called from another: it would copy the caller's device
// buffer "in" again and hand back a host buffer.
func.func @inner(%a: memref<4xf32>) -> memref<4xf32> {
  %b = memref.alloc() : memref<4xf32>
  return %b : memref<4xf32>
}

func.func @outer(%a: memref<4xf32>) -> memref<4xf32> {
  // expected-error @+1 {{calls the entry point 'inner': on the GPU target an entry point copies its arguments to the device and its results back to the host}}
  %b = func.call @inner(%a) : (memref<4xf32>) -> memref<4xf32>
  return %b : memref<4xf32>
}

// -----

// A KV cache returned as the argument it came in as: the runtime would
// release the buffer it passes in again. Refused.
func.func @cache_passthrough(%ids: memref<?xf32>, %past: memref<?xf32> {trit.kv_cache})
    -> (memref<?xf32>, memref<?xf32> {trit.kv_cache}) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %ids, %c0 : memref<?xf32>
  %logits = memref.alloc(%n) : memref<?xf32>
  // expected-error @+1 {{'func.return' op returns a buffer that the function does not own}}
  return %logits, %past : memref<?xf32>, memref<?xf32>
}
