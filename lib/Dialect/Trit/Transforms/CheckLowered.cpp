//===- CheckLowered.cpp - trit-check-lowered --------------------*- C++ -*-===//
//
// The contract check at the end of trit-cpu-pipeline.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/IR/TritOps.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITCHECKLOWEREDPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

/// Why a trit op could not be lowered, as a hint for the user.
StringRef whyNotLowered(Operation *op) {
  if (isa<QuantizeWeightsOp>(op))
    return "weight quantization is only evaluated at compile time, on a "
           "constant weight (trit-fuse-quantization)";
  if (isa<PackOp, UnpackOp>(op))
    return "packing is only done at compile time, on constant weights "
           "(trit-pack-weights)";
  if (isa<BitLinearOp, TernaryMatmulOp>(op))
    return "its weight is not a packed constant";
  return "no lowering exists for it";
}

struct TritCheckLoweredPass
    : public trit::impl::TritCheckLoweredPassBase<TritCheckLoweredPass> {
  void runOnOperation() override {
    bool failedCheck = false;
    getOperation().walk([&](Operation *op) {
      if (op == getOperation().getOperation())
        return;
      Dialect *dialect = op->getDialect();
      if (isa_and_nonnull<LLVM::LLVMDialect, omp::OpenMPDialect>(dialect))
        return;
      // The GPU target's embedded kernels and their launches, which
      // translation to LLVM IR turns into runtime calls.
      if (isa<gpu::BinaryOp, gpu::LaunchFuncOp>(op))
        return;
      failedCheck = true;
      if (isa_and_nonnull<TritDialect>(dialect))
        op->emitError("'") << op->getName() << "' was not lowered: "
                           << whyNotLowered(op);
      else
        op->emitError("'") << op->getName()
                           << "' was not lowered to the LLVM dialect";
    });
    if (failedCheck)
      signalPassFailure();
  }
};

} // namespace
