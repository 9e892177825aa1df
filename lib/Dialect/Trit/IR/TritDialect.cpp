//===- TritDialect.cpp - trit dialect ---------------------------*- C++ -*-===//

#include "trit/Dialect/Trit/IR/TritDialect.h"
#include "trit/Dialect/Trit/IR/TritOps.h"
#include "trit/Numerics/Packing.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::trit;

#include "trit/Dialect/Trit/IR/TritDialect.cpp.inc"
#include "trit/Dialect/Trit/IR/TritEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "trit/Dialect/Trit/IR/TritAttrs.cpp.inc"

void TritDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "trit/Dialect/Trit/IR/TritOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "trit/Dialect/Trit/IR/TritAttrs.cpp.inc"
      >();
}

bool mlir::trit::isTernaryTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.getElementType().isInteger(8) &&
         isa_and_nonnull<TernaryEncodingAttr>(tensor.getEncoding());
}

PackedEncodingAttr mlir::trit::getPackedEncoding(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return nullptr;
  return dyn_cast_or_null<PackedEncodingAttr>(tensor.getEncoding());
}

int64_t mlir::trit::valuesPerByte(PackedLayout layout) {
  switch (layout) {
  case PackedLayout::I2:
    return 4;
  case PackedLayout::TQ1:
    return 5;
  }
  llvm_unreachable("unknown packed layout");
}

int64_t mlir::trit::packedBytesPerRow(PackedLayout layout, int64_t k) {
  if (ShapedType::isDynamic(k))
    return ShapedType::kDynamic;
  ternary::Layout numeric =
      layout == PackedLayout::I2 ? ternary::Layout::I2 : ternary::Layout::TQ1;
  return static_cast<int64_t>(ternary::bytesPerRow(numeric, k));
}

RankedTensorType mlir::trit::withEncoding(RankedTensorType type,
                                          Attribute encoding) {
  return RankedTensorType::get(type.getShape(), type.getElementType(),
                               encoding);
}
