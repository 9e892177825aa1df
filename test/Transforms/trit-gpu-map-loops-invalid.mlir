// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops --verify-diagnostics
// RUN: not trit-opt %s --split-input-file --trit-gpu-map-loops=block-size=0 2>&1 | FileCheck %s --check-prefix=SIZE
// RUN: not trit-opt %s --split-input-file --trit-gpu-map-loops=block-size=1025 2>&1 | FileCheck %s --check-prefix=SIZE
// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops=block-size=1024 --verify-diagnostics

// SIZE: error: trit-gpu-map-loops: block-size must be in [1, 1024]

// A serial loop whose result host code uses but that is no scalar (a
// vector): only scalars are copied back from the device.
func.func @vector_result(%a: memref<8xf32>) -> vector<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant dense<0.0> : vector<4xf32>
  // expected-error @+1 {{'scf.for' op reads device memory into a value that host code uses; the GPU target cannot run it}}
  %s = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %z) -> vector<4xf32> {
    %v = memref.load %a[%i] : memref<8xf32>
    %b = vector.broadcast %v : f32 to vector<4xf32>
    %t = arith.addf %acc, %b : vector<4xf32>
    scf.yield %t : vector<4xf32>
  }
  // expected-note @+1 {{used here}}
  return %s : vector<4xf32>
}
