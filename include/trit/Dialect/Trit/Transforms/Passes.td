//===- Passes.td - trit transformation passes ---------------*- tablegen -*-===//

#ifndef TRIT_DIALECT_TRIT_TRANSFORMS_PASSES_TD
#define TRIT_DIALECT_TRIT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TritPackWeightsPass : Pass<"trit-pack-weights", "ModuleOp"> {
  let summary = "Pack ternary constant weights into a byte layout";
  let description = [{
    Finds every `trit.bitlinear` and `trit.ternary_matmul` whose weight is a
    constant `#trit.ternary` tensor (`dense` or `dense_resource`), packs it
    into the layout chosen by `layout` and makes the op consume the packed
    constant. The packed bytes always go into a `dense_resource` blob, never
    into a textual `dense<>`. A weight that is not a constant is left alone.
    A constant that holds a value other than -1, 0 or +1 is an error.

    Example (`layout=i2`):

    ```mlir
    %w = arith.constant dense<...> : tensor<64x100xi8, #trit.ternary>
    %y = trit.bitlinear %x, %w, %g : ...
    // becomes
    %p = arith.constant dense_resource<trit_packed_0>
        : tensor<64x25xi8, #trit.packed<i2>>
    %y = trit.bitlinear %x, %p, %g : ...
    ```
  }];
  let options = [
    Option<"layout", "layout", "std::string", /*default=*/"\"i2\"",
           "Packed layout: 'i2' (four 2-bit codes per byte) or 'tq1' "
           "(five base-3 digits per byte, 1.6 bits per weight)">
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::trit::TritDialect"];
}

#endif // TRIT_DIALECT_TRIT_TRANSFORMS_PASSES_TD
