//===- DecomposeAggregates.cpp - trit-decompose-aggregates ------*- C++ -*-===//
//
// Replaces aggregate linalg ops (linalg.softmax) by their decomposition so
// that the loop lowering can take them.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITDECOMPOSEAGGREGATESPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;

namespace {

struct TritDecomposeAggregatesPass
    : public trit::impl::TritDecomposeAggregatesPassBase<
          TritDecomposeAggregatesPass> {
  void runOnOperation() override {
    SmallVector<linalg::AggregatedOpInterface> aggregates;
    getOperation().walk([&](linalg::AggregatedOpInterface op) {
      if (llvm::all_of(op->getResultTypes(), llvm::IsaPred<TensorType>))
        aggregates.push_back(op);
    });
    for (linalg::AggregatedOpInterface op : aggregates) {
      OpBuilder b(op);
      FailureOr<SmallVector<Value>> parts = op.decomposeOperation(b);
      if (failed(parts)) {
        op->emitError("cannot be decomposed for the loop lowering");
        return signalPassFailure();
      }
      op->replaceAllUsesWith(*parts);
      op->erase();
    }
  }
};

} // namespace
