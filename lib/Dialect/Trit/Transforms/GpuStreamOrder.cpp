//===- GpuStreamOrder.cpp - trit-gpu-stream-order ---------------*- C++ -*-===//
//
// After gpu-async-region: private functions return without waiting for the
// GPU. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"

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
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      // gpu-async-region's host-blocking wait just before a call of a
      // private function of this module: its work is queued on the same
      // stream after the caller's, and it waits itself where its host code
      // reads device memory.
      fn.walk([&](func::CallOp call) {
        auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
        if (!callee || !callee.isPrivate() || callee.isExternal())
          return;
        if (auto wait = isBlockingWait(call->getPrevNode()))
          wait.erase();
      });
      if (!fn.isPrivate())
        continue;
      fn.walk([&](func::ReturnOp ret) {
        // gpu-async-region's host-blocking wait just before the return.
        if (auto wait = isBlockingWait(ret->getPrevNode()))
          wait.erase();
      });
    }
  }

  static gpu::WaitOp isBlockingWait(Operation *op) {
    auto wait = dyn_cast_or_null<gpu::WaitOp>(op);
    return wait && !wait.getAsyncToken() ? wait : gpu::WaitOp();
  }
};

} // namespace
