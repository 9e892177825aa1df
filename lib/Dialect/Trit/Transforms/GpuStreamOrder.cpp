//===- GpuStreamOrder.cpp - trit-gpu-stream-order ---------------*- C++ -*-===//
//
// After gpu-async-region: private functions return without waiting for the
// GPU. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITGPUSTREAMORDERPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

struct TritGpuStreamOrderPass
    : public trit::impl::TritGpuStreamOrderPassBase<TritGpuStreamOrderPass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto fn : getOperation().getOps<func::FuncOp>()) {
      if (!fn.isPrivate() || fn.isExternal())
        continue;
      fn.walk([&](func::ReturnOp ret) {
        // gpu-async-region's host-blocking wait just before the return.
        auto wait = dyn_cast_or_null<gpu::WaitOp>(ret->getPrevNode());
        if (wait && !wait.getAsyncToken())
          wait.erase();
      });
    }
  }
};

} // namespace
