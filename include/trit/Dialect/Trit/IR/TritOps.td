//===- TritOps.td - trit operations -------------------------*- tablegen -*-===//
//
// Quantization, BitLinear, the integer ternary matmul, packing.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DIALECT_TRIT_IR_TRITOPS_TD
#define TRIT_DIALECT_TRIT_IR_TRITOPS_TD

include "trit/Dialect/Trit/IR/TritDialect.td"
include "trit/Dialect/Trit/IR/TritAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def Trit_F32Tensor : RankedTensorOf<[F32]>;
def Trit_I8Tensor : RankedTensorOf<[I8]>;
def Trit_I32Tensor : RankedTensorOf<[I32]>;

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def Trit_QuantizeWeightsOp : Trit_Op<"quantize_weights", [Pure]> {
  let summary = "Per-tensor absmean quantization of a weight to {-1, 0, +1}";
  let description = [{
    Quantizes a float weight matrix `W` of shape `[N, K]` (output features by
    input features) as BitNet b1.58 does:

    ```
    g  = max(mean(|W|), 1e-5)
    Wq = clamp(roundeven(W / g), -1, 1)
    ```

    and returns `Wq` as a ternary tensor together with the scale `g`, so that
    `W ~= Wq * g`. On a constant weight `trit-fuse-quantization` evaluates it
    at compile time.

    Example:

    ```mlir
    %wq, %g = trit.quantize_weights %w
        : tensor<64x128xf32> -> tensor<64x128xi8, #trit.ternary>
    ```
  }];
  let arguments = (ins Trit_F32Tensor:$weight);
  let results = (outs Trit_I8Tensor:$ternary, F32:$scale);
  let assemblyFormat = [{
    $weight attr-dict `:` type($weight) `->` type($ternary)
  }];
  let hasVerifier = 1;
}

def Trit_QuantizeActivationsOp : Trit_Op<"quantize_activations", [Pure]> {
  let summary = "Per-token absmax quantization of activations to int8";
  let description = [{
    Quantizes each token (each vector along the last dimension) of `x` to
    int8 with its own absmax scale:

    ```
    s  = 127 / max(max(|x|), 1e-5)          (one per token)
    xq = clamp(roundeven(x * s), -128, 127)
    ```

    The scale tensor has the shape of `x` without its last dimension.

    Example:

    ```mlir
    %xq, %s = trit.quantize_activations %x
        : tensor<?x128xf32> -> tensor<?x128xi8>, tensor<?xf32>
    ```
  }];
  let arguments = (ins Trit_F32Tensor:$input);
  let results = (outs Trit_I8Tensor:$quantized, Trit_F32Tensor:$scale);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($quantized) `,` type($scale)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// BitLinear and its integer core
//===----------------------------------------------------------------------===//

def Trit_BitLinearOp : Trit_Op<"bitlinear", [Pure]> {
  let summary = "BitNet b1.58 linear layer: float in, ternary weight, float out";
  let description = [{
    The fused BitLinear layer. `input` has shape `[..., K]`; `weight` is a
    ternary matrix `[N, K]` (`#trit.ternary`) or the same matrix packed
    (`#trit.packed<layout>`, shape `[N, bytes per row]`); `weight_scale` is
    its absmean scale `g`. Each token is quantized to int8 with its absmax
    scale `s` (see `trit.quantize_activations`) and the result is

    ```
    y[..., n] = (sum_k xq[..., k] * Wq[n, k]) * g / s[...]
    ```

    with the sum exact in int32. The result has shape `[..., N]`.

    Example:

    ```mlir
    %y = trit.bitlinear %x, %w, %g
        : tensor<?x128xf32>, tensor<64x128xi8, #trit.ternary> -> tensor<?x64xf32>
    ```
  }];
  let arguments = (ins Trit_F32Tensor:$input, Trit_I8Tensor:$weight,
                       F32:$weight_scale);
  let results = (outs Trit_F32Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $weight_scale attr-dict `:`
    type($input) `,` type($weight) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Trit_TernaryMatmulOp : Trit_Op<"ternary_matmul", [Pure]> {
  let summary = "int8 activations times ternary weights, exact in int32";
  let description = [{
    Computes `acc[m, n] = sum_k lhs[m, k] * W[n, k]` for int8 activations
    `lhs` of shape `[M, K]` and a ternary weight `W` of logical shape
    `[N, K]`, given unpacked (`#trit.ternary`) or packed
    (`#trit.packed<layout>`). Since every weight is -1, 0 or +1 the product
    is a sum of additions and subtractions, and `|acc| <= 128 * K` fits in
    int32 for any realistic `K`.

    Example:

    ```mlir
    %acc = trit.ternary_matmul %xq, %w
        : tensor<?x128xi8>, tensor<64x64xi8, #trit.packed<i2>> -> tensor<?x64xi32>
    ```
  }];
  let arguments = (ins Trit_I8Tensor:$lhs, Trit_I8Tensor:$weight);
  let results = (outs Trit_I32Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $weight attr-dict `:` type($lhs) `,` type($weight) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Packing
//===----------------------------------------------------------------------===//

def Trit_PackOp : Trit_Op<"pack", [Pure]> {
  let summary = "Pack a ternary matrix into a byte layout";
  let description = [{
    Packs a ternary matrix `[N, K]` row by row into the layout named by the
    result's `#trit.packed` encoding; the result has shape
    `[N, bytes per row]`: `ceil(K / 256) * 64` for `i2`, `ceil(K / 320) * 64`
    for `tq1` (see `#trit.packed`).

    Example:

    ```mlir
    %p = trit.pack %w
        : tensor<64x100xi8, #trit.ternary> -> tensor<64x64xi8, #trit.packed<tq1>>
    ```
  }];
  let arguments = (ins Trit_I8Tensor:$input);
  let results = (outs Trit_I8Tensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Trit_UnpackOp : Trit_Op<"unpack", [Pure]> {
  let summary = "Unpack a packed ternary matrix";
  let description = [{
    The inverse of `trit.pack`: expands a packed matrix `[N, B]` into the
    ternary matrix `[N, K]` given by the result type. `K` must need exactly
    `B` bytes per row in the operand's layout.

    Example:

    ```mlir
    %w = trit.unpack %p
        : tensor<64x64xi8, #trit.packed<i2>> -> tensor<64x100xi8, #trit.ternary>
    ```
  }];
  let arguments = (ins Trit_I8Tensor:$input);
  let results = (outs Trit_I8Tensor:$result);
  let assemblyFormat = [{
    $input attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Vector-level
//===----------------------------------------------------------------------===//

def Trit_DotCodesOp : Trit_Op<"dot_codes", [Pure,
    AllTypesMatch<["acc", "result"]>,
    AllTypesMatch<["codes", "activations"]>]> {
  let summary = "Dot products of unsigned weight codes with int8 activations";
  let description = [{
    The inner step of the `dot` BitLinear kernel: lane `i` of the result is

    ```
    acc[i] + sum_{j < 4} zext(codes[4i + j]) * sext(activations[4i + j])
    ```

    where `codes` are unsigned bytes (ternary weights stored as `w + 1`,
    possibly shifted to their slot's bit position) and `activations` are
    int8. It is exactly x86's `vpdpbusd`; `convert-trit-to-llvm` emits that
    instruction on CPUs with AVX512-VNNI and plain vector arithmetic
    elsewhere.

    Example:

    ```mlir
    %r = trit.dot_codes %acc, %codes, %x : vector<64xi8> into vector<16xi32>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [I32]>:$acc,
                       VectorOfRankAndType<[1], [I8]>:$codes,
                       VectorOfRankAndType<[1], [I8]>:$activations);
  let results = (outs VectorOfRankAndType<[1], [I32]>:$result);
  let assemblyFormat = [{
    $acc `,` $codes `,` $activations attr-dict `:` type($codes) `into`
    type($acc)
  }];
  let hasVerifier = 1;
}

#endif // TRIT_DIALECT_TRIT_IR_TRITOPS_TD
