//===- CopiesToLoops.cpp - trit-copies-to-loops -----------------*- C++ -*-===//
//
// memref.copy -> linalg.copy, so that copies become loops instead of calls
// into MLIR's runner library.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITCOPIESTOLOOPSPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;

namespace {

struct TritCopiesToLoopsPass
    : public trit::impl::TritCopiesToLoopsPassBase<TritCopiesToLoopsPass> {
  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation().walk([&](memref::CopyOp op) { copies.push_back(op); });
    for (memref::CopyOp copy : copies) {
      OpBuilder b(copy);
      linalg::CopyOp::create(b, copy.getLoc(), copy.getSource(),
                             copy.getTarget());
      copy->erase();
    }
  }
};

} // namespace
