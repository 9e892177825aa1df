//===- ExpandDynamicReshapes.cpp - trit-expand-dynamic-reshapes -*- C++ -*-===//
//
// memref.expand_shape with several dynamic sizes in one group ->
// memref.reinterpret_cast of the source's base buffer (works around
// expand-strided-metadata, which crashes on them).
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITEXPANDDYNAMICRESHAPESPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;

namespace {

/// Whether a reassociation group of `op`'s result holds more than one
/// dynamic size.
bool splitsDynamicSize(memref::ExpandShapeOp op) {
  MemRefType result = op.getResultType();
  for (const ReassociationIndices &group : op.getReassociationIndices()) {
    int dynamic = 0;
    for (int64_t d : group)
      dynamic += result.isDynamicDim(d);
    if (dynamic > 1)
      return true;
  }
  return false;
}

struct TritExpandDynamicReshapesPass
    : public trit::impl::TritExpandDynamicReshapesPassBase<
          TritExpandDynamicReshapesPass> {
  void runOnOperation() override {
    SmallVector<memref::ExpandShapeOp> targets;
    getOperation().walk([&](memref::ExpandShapeOp op) {
      if (splitsDynamicSize(op))
        targets.push_back(op);
    });
    for (memref::ExpandShapeOp op : targets)
      rewrite(op);
  }

  /// The expanded view of the source's buffer: within each group, the
  /// innermost dimension keeps the source dimension's stride and each outer
  /// one multiplies it by the sizes inside it.
  void rewrite(memref::ExpandShapeOp op) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    MemRefType source = op.getSrcType();
    auto metadata =
        memref::ExtractStridedMetadataOp::create(b, loc, op.getSrc());
    auto [sourceStrides, sourceOffset] = source.getStridesAndOffset();
    auto value = [&](OpFoldResult v) {
      return getValueOrCreateConstantIndexOp(b, loc, v);
    };
    auto known = [](OpFoldResult v) -> std::optional<int64_t> {
      return isa<Attribute>(v) ? getConstantIntValue(v) : std::nullopt;
    };
    SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
    SmallVector<OpFoldResult> strides(sizes.size());
    for (auto [k, group] : llvm::enumerate(op.getReassociationIndices())) {
      OpFoldResult stride =
          ShapedType::isDynamic(sourceStrides[k])
              ? OpFoldResult(metadata.getStrides()[k])
              : OpFoldResult(b.getIndexAttr(sourceStrides[k]));
      for (int64_t d : llvm::reverse(group)) {
        strides[d] = stride;
        std::optional<int64_t> s = known(stride), n = known(sizes[d]);
        stride = s && n ? OpFoldResult(b.getIndexAttr(*s * *n))
                        : OpFoldResult(Value(arith::MulIOp::create(
                              b, loc, value(stride), value(sizes[d]))));
      }
    }
    OpFoldResult offset =
        ShapedType::isDynamic(sourceOffset)
            ? OpFoldResult(metadata.getOffset())
            : OpFoldResult(b.getIndexAttr(sourceOffset));
    Value cast = memref::ReinterpretCastOp::create(
        b, loc, op.getResultType(), metadata.getBaseBuffer(), offset, sizes,
        strides);
    op.replaceAllUsesWith(cast);
    op.erase();
  }
};

} // namespace
