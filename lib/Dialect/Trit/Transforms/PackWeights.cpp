//===- PackWeights.cpp - trit-pack-weights ----------------------*- C++ -*-===//
//
// Packs constant ternary weights into the byte layout the kernels read.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/IR/TritOps.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"
#include "trit/Numerics/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITPACKWEIGHTSPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

/// The values of a constant ternary tensor, or failure (with a diagnostic at
/// `constant`) if they cannot be read or are not all in {-1, 0, 1}.
FailureOr<SmallVector<int8_t>> readTernaryConstant(arith::ConstantOp constant) {
  SmallVector<int8_t> values;
  Attribute value = constant.getValue();
  if (auto dense = dyn_cast<DenseIntElementsAttr>(value)) {
    values.reserve(dense.getNumElements());
    for (const APInt &v : dense.getValues<APInt>())
      values.push_back(static_cast<int8_t>(v.getSExtValue()));
  } else if (auto resource = dyn_cast<DenseI8ResourceElementsAttr>(value)) {
    std::optional<ArrayRef<int8_t>> data = resource.tryGetAsArrayRef();
    if (!data) {
      constant.emitError("ternary weight blob '")
          << resource.getRawHandle().getKey() << "' has no data";
      return failure();
    }
    // A blob is only bytes: one shorter than its type would have the
    // packer read past its end (one longer holds data nobody asked for).
    auto type = cast<RankedTensorType>(constant.getType());
    if (static_cast<int64_t>(data->size()) != type.getNumElements()) {
      constant.emitError("ternary weight blob '")
          << resource.getRawHandle().getKey() << "' holds " << data->size()
          << " values; its type " << type << " needs " << type.getNumElements();
      return failure();
    }
    values.assign(data->begin(), data->end());
  } else {
    constant.emitError("ternary weight constant must be dense or "
                       "dense_resource i8 data");
    return failure();
  }
  for (auto [i, v] : llvm::enumerate(values)) {
    if (v < -1 || v > 1) {
      constant.emitError("ternary weight holds ")
          << static_cast<int>(v) << " at flat index " << i
          << "; only -1, 0 and +1 can be packed";
      return failure();
    }
  }
  return values;
}

struct TritPackWeightsPass
    : public trit::impl::TritPackWeightsPassBase<TritPackWeightsPass> {
  using Base::Base;

  void runOnOperation() override {
    std::optional<PackedLayout> layoutKind = symbolizePackedLayout(layout);
    if (!layoutKind) {
      getOperation().emitError("trit-pack-weights: unknown layout '")
          << layout << "' (expected 'i2' or 'tq1')";
      return signalPassFailure();
    }
    ternary::Layout numericLayout = *layoutKind == PackedLayout::I2
                                     ? ternary::Layout::I2
                                     : ternary::Layout::TQ1;
    auto encoding = PackedEncodingAttr::get(&getContext(), *layoutKind);

    // One packed constant per ternary constant, however many ops use it.
    llvm::DenseMap<Value, Value> packedOf;
    unsigned blobCounter = 0;
    WalkResult result = getOperation().walk([&](Operation *op) {
      if (!isa<BitLinearOp, TernaryMatmulOp>(op))
        return WalkResult::advance();
      OpOperand &weight = op->getOpOperand(1);
      if (!isTernaryTensor(weight.get().getType()))
        return WalkResult::advance();
      auto constant = weight.get().getDefiningOp<arith::ConstantOp>();
      if (!constant)
        return WalkResult::advance();
      auto ternaryType = cast<RankedTensorType>(constant.getType());
      if (!ternaryType.hasStaticShape())
        return WalkResult::advance();

      Value &packed = packedOf[constant.getResult()];
      if (!packed) {
        FailureOr<SmallVector<int8_t>> values = readTernaryConstant(constant);
        if (failed(values))
          return WalkResult::interrupt();
        int64_t rows = ternaryType.getDimSize(0);
        int64_t k = ternaryType.getDimSize(1);
        int64_t stride = packedBytesPerRow(*layoutKind, k);
        SmallVector<int8_t> bytes(rows * stride);
        bool ok = ternary::packTernary(numericLayout, values->data(), rows, k,
                                    reinterpret_cast<uint8_t *>(bytes.data()));
        assert(ok && "values were checked to be ternary");
        (void)ok;

        auto packedType = RankedTensorType::get(
            {rows, stride}, IntegerType::get(&getContext(), 8), encoding);
        std::string name = "trit_packed_" + std::to_string(blobCounter++);
        auto attr = DenseI8ResourceElementsAttr::get(
            packedType, name,
            HeapAsmResourceBlob::allocateAndCopyInferAlign(
                ArrayRef<int8_t>(bytes)));
        OpBuilder builder(constant);
        builder.setInsertionPointAfter(constant);
        packed = arith::ConstantOp::create(builder, constant.getLoc(),
                                           cast<TypedAttr>(attr));
      }
      weight.set(packed);
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();

    // Drop the unpacked constants nobody reads any more.
    for (auto &entry : packedOf)
      if (Operation *def = entry.first.getDefiningOp(); def && def->use_empty())
        def->erase();
  }
};

} // namespace
