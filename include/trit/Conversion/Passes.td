//===- Passes.td - trit conversion passes -------------------*- tablegen -*-===//

#ifndef TRIT_CONVERSION_PASSES_TD
#define TRIT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertTritToLLVMPass : Pass<"convert-trit-to-llvm"> {
  let summary = "Lower the vector-level trit ops for a CPU";
  let description = [{
    Lowers `trit.dot_codes`. With `vnni` set (the target has AVX512-VNNI)
    a 64-byte (or 32-byte) dot becomes one `llvm.x86.avx512.vpdpbusd`
    intrinsic call; otherwise it is expanded into vector arithmetic
    (zero-/sign-extension to i32, multiply, a reduction over groups of four)
    that any target can run. Runs after bufferization, because the
    intrinsic call has no declared memory effects.

    It also gives private functions with a body (the BitLinear kernels,
    deallocation helpers) internal linkage, so that two compiled models in
    one process do not clash.

    Example (`vnni=true`):

    ```mlir
    %r = trit.dot_codes %acc, %c, %x : vector<64xi8> into vector<16xi32>
    // becomes
    %r = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%acc, %c, %x)
        : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
    ```
  }];
  let options = [
    Option<"vnni", "vnni", "bool", /*default=*/"false",
           "Emit AVX512-VNNI vpdpbusd for trit.dot_codes">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // TRIT_CONVERSION_PASSES_TD
