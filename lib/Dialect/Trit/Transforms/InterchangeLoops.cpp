//===- InterchangeLoops.cpp - trit-interchange-loops ------------*- C++ -*-===//
//
// linalg ops on buffers whose innermost iterator is a reduction -> a
// linalg.generic with a unit-stride parallel dimension innermost (see
// Passes.td).
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITINTERCHANGELOOPSPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;

namespace {

bool hasUnitInnermostStride(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getRank() > 0 && memref.isLastDimUnitStride();
}

/// The loop order that puts the dimension described in Passes.td innermost
/// (the old dimensions in their new order), or nullopt.
std::optional<SmallVector<unsigned>> getInterchange(linalg::LinalgOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() < 2)
    return std::nullopt;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators.back() != utils::IteratorType::reduction)
    return std::nullopt;
  OpOperand *init = op.getDpsInitOperand(0);
  AffineMap outMap = op.getMatchingIndexingMap(init);
  if (outMap.getNumResults() == 0)
    return std::nullopt;
  auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back());
  if (!last || iterators[last.getPosition()] != utils::IteratorType::parallel)
    return std::nullopt;
  unsigned d = last.getPosition();
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    bool uses = map.isFunctionOfDim(d);
    if (!uses)
      continue;
    ArrayRef<AffineExpr> results = map.getResults();
    auto lastDim = dyn_cast<AffineDimExpr>(results.back());
    if (!lastDim || lastDim.getPosition() != d ||
        llvm::any_of(results.drop_back(),
                     [&](AffineExpr e) { return e.isFunctionOfDim(d); }) ||
        !hasUnitInnermostStride(operand.get().getType()))
      return std::nullopt;
  }
  SmallVector<unsigned> order;
  for (unsigned i = 0, e = op.getNumLoops(); i < e; ++i)
    if (i != d)
      order.push_back(i);
  order.push_back(d);
  return order;
}

struct TritInterchangeLoopsPass
    : public trit::impl::TritInterchangeLoopsPassBase<
          TritInterchangeLoopsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<linalg::LinalgOp, SmallVector<unsigned>>> work;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (std::optional<SmallVector<unsigned>> order = getInterchange(op))
        work.emplace_back(op, std::move(*order));
    });
    IRRewriter rewriter(&getContext());
    for (auto &[op, order] : work) {
      rewriter.setInsertionPoint(op);
      auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
      if (!generic) {
        FailureOr<linalg::GenericOp> generalized =
            linalg::generalizeNamedOp(rewriter, op);
        if (failed(generalized))
          continue;
        generic = *generalized;
      }
      if (failed(linalg::interchangeGenericOp(rewriter, generic, order))) {
        generic.emitError("trit-interchange-loops: cannot interchange");
        return signalPassFailure();
      }
    }
  }
};

} // namespace
