//===- TritDialect.td - trit dialect definition ------------*- tablegen -*-===//
//
// The trit dialect: ternary (BitNet b1.58) weights, int8 activations and the
// BitLinear layer built from them.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DIALECT_TRIT_IR_TRITDIALECT_TD
#define TRIT_DIALECT_TRIT_IR_TRITDIALECT_TD

include "mlir/IR/OpBase.td"

def Trit_Dialect : Dialect {
  let name = "trit";
  let cppNamespace = "::mlir::trit";
  let summary = "Ternary (1.58-bit) weights and the BitLinear layer";
  let description = [{
    The `trit` dialect carries BitNet b1.58 models from import to code
    generation. Every linear layer of such a model is a *BitLinear*: its
    weight is quantized per tensor to {-1, 0, +1} with the absmean scale
    `g = max(mean(|W|), 1e-5)`, its input per token to int8 with the absmax
    scale `s = 127 / max(max(|x|), 1e-5)`, and its output is
    `(xq . Wq^T) * g / s`, with the dot product exact in int32.

    Ternary values live in `i8` tensors tagged with the `#trit.ternary`
    encoding (every element is -1, 0 or +1). Packed weights live in `i8`
    tensors tagged with `#trit.packed<layout>`, whose layout says how the
    ternary values of one output row are stored in bytes (`i2`: four 2-bit
    codes per byte; `tq1`: five base-3 digits per byte). A packed weight is
    always two-dimensional, `[N, bytes per row]`; its logical shape is
    `[N, K]`, with `K` taken from the activation it multiplies or from the
    result of `trit.unpack`.

    Everything that is not ternary (embeddings, norms, attention, residual
    adds) stays in upstream dialects.
  }];
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let hasCanonicalizer = 0;
}

class Trit_Op<string mnemonic, list<Trait> traits = []>
    : Op<Trit_Dialect, mnemonic, traits>;

#endif // TRIT_DIALECT_TRIT_IR_TRITDIALECT_TD
