// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops --verify-diagnostics
// RUN: not trit-opt %s --split-input-file --trit-gpu-map-loops=block-size=0 2>&1 | FileCheck %s --check-prefix=SIZE
// RUN: not trit-opt %s --split-input-file --trit-gpu-map-loops=block-size=1025 2>&1 | FileCheck %s --check-prefix=SIZE
// RUN: trit-opt %s --split-input-file --trit-gpu-map-loops=block-size=1024 --verify-diagnostics

// SIZE: error: trit-gpu-map-loops: block-size must be in [1, 1024]

// A value read from a buffer outside any parallel loop and used by host
// code: on this target the buffer is in device memory, which host code
// cannot read.
func.func @read_back(%a: memref<4xindex>) -> index {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'memref.load' op reads device memory into a value that host code uses; the GPU target cannot run it}}
  %n = memref.load %a[%c0] : memref<4xindex>
  // expected-note @+1 {{used here}}
  %m = arith.addi %n, %n : index
  return %m : index
}

// -----

// The same for a serial loop whose result host code uses.
func.func @loop_result(%a: memref<8xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %z = arith.constant 0.0 : f32
  // expected-error @+1 {{'scf.for' op reads device memory into a value that host code uses}}
  %s = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %z) -> f32 {
    %v = memref.load %a[%i] : memref<8xf32>
    %t = arith.addf %acc, %v : f32
    scf.yield %t : f32
  }
  // expected-note @+1 {{used here}}
  return %s : f32
}
