// CUDA allows at most 65535 blocks along y and z. A loop over [70000, 8]
// (a 70000-token vocabulary's embedding table widened from f16, say) once
// launched 70000 blocks along y and cuLaunchKernel failed with
// CUDA_ERROR_INVALID_VALUE (seen on an H200); the outer dimension now takes
// blocks x.
// RUN: trit-opt %s --trit-gpu-map-loops --convert-parallel-loops-to-gpu --canonicalize | FileCheck %s

// Blocks y and z: constants (named %cN) of at most 65535.
// CHECK-LABEL: func.func @tall
// CHECK: gpu.launch blocks({{[^)]*}}) in (%{{[^,]*}}, %{{[^ ]*}} = %c{{([0-9]{1,4}|[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])(_[0-9]+)?}}, %{{[^ ]*}} = %c{{([0-9]{1,4}|[0-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])(_[0-9]+)?}})
func.func @tall(%a: memref<70000x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c70000 = arith.constant 70000 : index
  %z = arith.constant 0.5 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c70000, %c8) step (%c1, %c1) {
    memref.store %z, %a[%i, %j] : memref<70000x8xf32>
  }
  return
}
