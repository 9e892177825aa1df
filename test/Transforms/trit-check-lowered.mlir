// RUN: trit-opt %s --split-input-file --trit-check-lowered --verify-diagnostics | FileCheck %s

// A module of llvm and omp ops passes untouched.
// CHECK-LABEL: llvm.func @lowered
// CHECK: omp.parallel
module {
  llvm.func @lowered() {
    omp.parallel {
      omp.terminator
    }
    llvm.return
  }
}

// -----

// A func.func that was not converted fails the check.
module {
  // expected-error @+1 {{'func.func' was not lowered to the LLVM dialect}}
  func.func @not_lowered() {
    // expected-error @+1 {{'func.return' was not lowered to the LLVM dialect}}
    return
  }
}

// -----

// A trit op left over says why it could not be lowered.
module {
  // expected-error @+1 {{'func.func' was not lowered to the LLVM dialect}}
  func.func @weights(%w: tensor<4x8xf32>) {
    // expected-error @+1 {{'trit.quantize_weights' was not lowered: weight quantization is only evaluated at compile time, on a constant weight (trit-fuse-quantization)}}
    %wq, %g = trit.quantize_weights %w : tensor<4x8xf32> -> tensor<4x8xi8, #trit.ternary>
    // expected-error @+1 {{'func.return' was not lowered to the LLVM dialect}}
    return
  }
}
