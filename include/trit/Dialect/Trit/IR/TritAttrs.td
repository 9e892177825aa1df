//===- TritAttrs.td - trit attributes -----------------------*- tablegen -*-===//
//
// Tensor encodings for ternary values and packed ternary weights.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DIALECT_TRIT_IR_TRITATTRS_TD
#define TRIT_DIALECT_TRIT_IR_TRITATTRS_TD

include "trit/Dialect/Trit/IR/TritDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Trit_PackedLayout : I32EnumAttr<"PackedLayout",
    "how ternary weights are stored in bytes", [
      I32EnumAttrCase<"I2", 0, "i2">,
      I32EnumAttrCase<"TQ1", 1, "tq1">
    ]> {
  let cppNamespace = "::mlir::trit";
  let genSpecializedAttr = 0;
}

class Trit_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Trit_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

def Trit_TernaryEncodingAttr : Trit_Attr<"TernaryEncoding", "ternary"> {
  let summary = "Tensor encoding: every element is -1, 0 or +1";
  let description = [{
    Tags an `i8` tensor whose elements are ternary. Ops that consume ternary
    weights (`trit.bitlinear`, `trit.ternary_matmul`, `trit.pack`) require
    it, so a plain `i8` tensor cannot be mistaken for a ternary one.

    Example:

    ```mlir
    %w = arith.constant dense<[[1, 0, -1]]> : tensor<1x3xi8, #trit.ternary>
    ```
  }];
}

def Trit_PackedEncodingAttr : Trit_Attr<"PackedEncoding", "packed"> {
  let summary = "Tensor encoding: ternary weights packed in a named layout";
  let description = [{
    Tags a two-dimensional `i8` tensor `[N, B]` that stores a ternary matrix
    `[N, K]` row by row in the named layout. Both layouts store a row in
    blocks of 64 bytes; byte `j` of block `b` has one *slot* per value it
    holds, and slot `i` holds weight `k = b * V + j + 64 * i`, where `V` is
    the number of values per block. So slot `i` of a block is 64 consecutive
    weights, which a kernel decodes with a few vector instructions and meets
    with 64 contiguous activations (one 512-bit register of int8). The last block of a row is padded with
    zero weights; `B = ceil(K / V) * 64`.

    - `i2` (`V = 256`, 2 bits per weight): four 2-bit codes per byte,
      code = w + 1 (0, 1 or 2), slot `i` in bits `[2i, 2i + 1]`.
    - `tq1` (`V = 320`, 1.6 bits per weight): five base-3 digits per byte.
      The digits `d_i = w_i + 1` of slots 0..4 form
      `v = sum_i d_i * 3^(4 - i)` (0..242) and the byte holds
      `ceil(v * 256 / 243)`, so that digit `i` decodes without a division as
      `((byte * 3^i) mod 256) * 3 >> 8`.

    Example:

    ```mlir
    %p = trit.pack %w : tensor<64x100xi8, #trit.ternary>
                     -> tensor<64x64xi8, #trit.packed<i2>>
    ```
  }];
  let parameters = (ins EnumParameter<Trit_PackedLayout>:$layout);
  let assemblyFormat = "`<` $layout `>`";
}

#endif // TRIT_DIALECT_TRIT_IR_TRITATTRS_TD
