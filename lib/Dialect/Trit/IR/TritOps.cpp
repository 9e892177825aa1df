//===- TritOps.cpp - trit operations ----------------------------*- C++ -*-===//
//
// Verifiers and folders of the trit operations.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/IR/TritOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::trit;

/// Two dimension sizes agree unless both are static and differ.
static bool dimsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static std::string dimToString(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

/// Checks that `weight` is a ternary matrix `[N, K]` (unpacked or packed)
/// that fits activations with `k` features; returns N through `n`.
static LogicalResult verifyTernaryWeight(Operation *op, RankedTensorType weight,
                                         int64_t k, int64_t &n) {
  if (weight.getRank() != 2)
    return op->emitOpError("weight must be a 2-D tensor [N, K], got rank ")
           << weight.getRank();
  n = weight.getDimSize(0);
  if (isTernaryTensor(weight)) {
    if (!dimsAgree(weight.getDimSize(1), k))
      return op->emitOpError("weight has ")
             << dimToString(weight.getDimSize(1))
             << " input features but the activations have " << dimToString(k);
    return success();
  }
  if (PackedEncodingAttr packed = getPackedEncoding(weight)) {
    int64_t bytes = packedBytesPerRow(packed.getLayout(), k);
    if (!dimsAgree(weight.getDimSize(1), bytes))
      return op->emitOpError("packed weight has ")
             << dimToString(weight.getDimSize(1)) << " bytes per row but "
             << dimToString(k) << " input features need " << bytes
             << " in layout '" << stringifyPackedLayout(packed.getLayout())
             << "'";
    return success();
  }
  return op->emitOpError(
      "weight must carry the #trit.ternary or #trit.packed encoding");
}

//===----------------------------------------------------------------------===//
// QuantizeWeightsOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeWeightsOp::verify() {
  RankedTensorType weight = getWeight().getType();
  RankedTensorType ternary = getTernary().getType();
  if (weight.getRank() != 2)
    return emitOpError("weight must be a 2-D tensor [N, K], got rank ")
           << weight.getRank();
  if (failed(verifyCompatibleShape(weight.getShape(), ternary.getShape())))
    return emitOpError("result shape must match the weight shape");
  if (!isTernaryTensor(ternary))
    return emitOpError("result must carry the #trit.ternary encoding");
  if (weight.getEncoding())
    return emitOpError("weight must be a plain float tensor");
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeActivationsOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeActivationsOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType quantized = getQuantized().getType();
  RankedTensorType scale = getScale().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have at least one dimension");
  if (input.getEncoding() || quantized.getEncoding() || scale.getEncoding())
    return emitOpError("operands and results must not carry an encoding");
  if (failed(verifyCompatibleShape(input.getShape(), quantized.getShape())))
    return emitOpError("quantized result shape must match the input shape");
  if (failed(verifyCompatibleShape(input.getShape().drop_back(),
                                   scale.getShape())))
    return emitOpError("scale must have the input shape without its last "
                       "dimension");
  return success();
}

//===----------------------------------------------------------------------===//
// BitLinearOp
//===----------------------------------------------------------------------===//

LogicalResult BitLinearOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType result = getResult().getType();
  if (input.getRank() < 1)
    return emitOpError("input must have at least one dimension");
  int64_t n;
  if (failed(verifyTernaryWeight(*this, getWeight().getType(),
                                 input.getShape().back(), n)))
    return failure();
  if (result.getRank() != input.getRank())
    return emitOpError("result rank ")
           << result.getRank() << " differs from input rank "
           << input.getRank();
  if (failed(verifyCompatibleShape(input.getShape().drop_back(),
                                   result.getShape().drop_back())))
    return emitOpError("result leading dimensions must match the input's");
  if (!dimsAgree(result.getShape().back(), n))
    return emitOpError("result has ")
           << dimToString(result.getShape().back())
           << " output features but the weight has " << dimToString(n);
  return success();
}

//===----------------------------------------------------------------------===//
// TernaryMatmulOp
//===----------------------------------------------------------------------===//

LogicalResult TernaryMatmulOp::verify() {
  RankedTensorType lhs = getLhs().getType();
  RankedTensorType result = getResult().getType();
  if (lhs.getRank() != 2)
    return emitOpError("lhs must be a 2-D tensor [M, K], got rank ")
           << lhs.getRank();
  if (lhs.getEncoding())
    return emitOpError("lhs must be a plain int8 tensor");
  int64_t n;
  if (failed(verifyTernaryWeight(*this, getWeight().getType(),
                                 lhs.getDimSize(1), n)))
    return failure();
  if (result.getRank() != 2 || !dimsAgree(result.getDimSize(0), lhs.getDimSize(0)) ||
      !dimsAgree(result.getDimSize(1), n))
    return emitOpError("result must be [M, N] = [")
           << dimToString(lhs.getDimSize(0)) << ", " << dimToString(n) << "]";
  return success();
}

//===----------------------------------------------------------------------===//
// PackOp / UnpackOp
//===----------------------------------------------------------------------===//

/// Shared by pack and unpack: `ternary` is [N, K] with #trit.ternary,
/// `packed` is [N, B] with #trit.packed and B fits K.
static LogicalResult verifyPacking(Operation *op, RankedTensorType ternary,
                                   RankedTensorType packed,
                                   StringRef ternaryRole,
                                   StringRef packedRole) {
  if (ternary.getRank() != 2 || packed.getRank() != 2)
    return op->emitOpError("operand and result must be 2-D tensors");
  if (!isTernaryTensor(ternary))
    return op->emitOpError() << ternaryRole
                             << " must carry the #trit.ternary encoding";
  PackedEncodingAttr encoding = getPackedEncoding(packed);
  if (!encoding)
    return op->emitOpError() << packedRole
                             << " must carry the #trit.packed encoding";
  if (!dimsAgree(ternary.getDimSize(0), packed.getDimSize(0)))
    return op->emitOpError("operand and result must have the same rows");
  int64_t bytes =
      packedBytesPerRow(encoding.getLayout(), ternary.getDimSize(1));
  if (!dimsAgree(packed.getDimSize(1), bytes))
    return op->emitOpError("packed tensor has ")
           << dimToString(packed.getDimSize(1)) << " bytes per row but "
           << dimToString(ternary.getDimSize(1)) << " values need " << bytes
           << " in layout '" << stringifyPackedLayout(encoding.getLayout())
           << "'";
  return success();
}

LogicalResult PackOp::verify() {
  return verifyPacking(*this, getInput().getType(), getResult().getType(),
                       "input", "result");
}

LogicalResult UnpackOp::verify() {
  return verifyPacking(*this, getResult().getType(), getInput().getType(),
                       "result", "input");
}

OpFoldResult PackOp::fold(FoldAdaptor) {
  // pack(unpack(p)) is p when both use the same layout and shape.
  if (auto unpack = getInput().getDefiningOp<UnpackOp>())
    if (unpack.getInput().getType() == getType())
      return unpack.getInput();
  return {};
}

OpFoldResult UnpackOp::fold(FoldAdaptor) {
  // unpack(pack(w)) is w.
  if (auto pack = getInput().getDefiningOp<PackOp>())
    if (pack.getInput().getType() == getType())
      return pack.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// DotCodesOp
//===----------------------------------------------------------------------===//

LogicalResult DotCodesOp::verify() {
  int64_t lanes = getCodes().getType().getNumElements();
  int64_t accLanes = getAcc().getType().getNumElements();
  if (lanes != 4 * accLanes)
    return emitOpError("needs four code bytes per accumulator lane, got ")
           << lanes << " bytes for " << accLanes << " lanes";
  return success();
}

#define GET_OP_CLASSES
#include "trit/Dialect/Trit/IR/TritOps.cpp.inc"
