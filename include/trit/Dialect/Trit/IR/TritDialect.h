//===- TritDialect.h - trit dialect -----------------------------*- C++ -*-===//
//
// Declares the trit dialect, its attributes and helpers for the tensor
// encodings it defines.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DIALECT_TRIT_IR_TRITDIALECT_H
#define TRIT_DIALECT_TRIT_IR_TRITDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"

#include "trit/Dialect/Trit/IR/TritDialect.h.inc"
#include "trit/Dialect/Trit/IR/TritEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "trit/Dialect/Trit/IR/TritAttrs.h.inc"

namespace mlir::trit {

/// Whether `type` is a ranked i8 tensor carrying `#trit.ternary`.
bool isTernaryTensor(Type type);

/// The `#trit.packed` encoding of `type`, or null if it has none.
PackedEncodingAttr getPackedEncoding(Type type);

/// Number of ternary values one byte holds in `layout`.
int64_t valuesPerByte(PackedLayout layout);

/// Bytes one row of `k` ternary values takes in `layout`; dynamic for a
/// dynamic `k`.
int64_t packedBytesPerRow(PackedLayout layout, int64_t k);

/// `type` with its encoding replaced by `encoding` (null removes it).
RankedTensorType withEncoding(RankedTensorType type, Attribute encoding);

} // namespace mlir::trit

#endif // TRIT_DIALECT_TRIT_IR_TRITDIALECT_H
