//===- GpuMergeKernels.cpp - trit-gpu-merge-kernels -------------*- C++ -*-===//
//
// Kernel outlining makes one gpu.module per gpu.launch. This pass moves
// every kernel into one module, keeping one copy of kernels that are the
// same. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITGPUMERGEKERNELSPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

/// Whether kernels `a` and `b` do the same (their names aside).
bool sameKernel(gpu::GPUFuncOp a, gpu::GPUFuncOp b) {
  if (a.getFunctionType() != b.getFunctionType())
    return false;
  StringAttr nameA = SymbolTable::getSymbolName(a);
  StringAttr nameB = SymbolTable::getSymbolName(b);
  SymbolTable::setSymbolName(b, nameA);
  bool same = OperationEquivalence::isEquivalentTo(
      a, b, OperationEquivalence::Flags::IgnoreLocations);
  SymbolTable::setSymbolName(b, nameB);
  return same;
}

struct TritGpuMergeKernelsPass
    : public trit::impl::TritGpuMergeKernelsPassBase<TritGpuMergeKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> modules(module.getOps<gpu::GPUModuleOp>());
    if (modules.empty())
      return;
    OpBuilder b(module.getContext());
    b.setInsertionPointToEnd(module.getBody());
    auto merged = gpu::GPUModuleOp::create(b, module.getLoc(), moduleName);
    if (ArrayAttr targets = modules.front().getTargetsAttr())
      merged.setTargetsAttr(targets);
    SymbolTable mergedSymbols(merged);
    SymbolTable moduleSymbols(module);
    if (moduleSymbols.lookup(moduleName) != merged) {
      merged.emitError("trit-gpu-merge-kernels: the module already has a "
                       "symbol named '")
          << moduleName << "'";
      return signalPassFailure();
    }

    // Old (module, kernel) -> the kernel's symbol in the merged module.
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    // Kernels kept, by signature and size, for the equality check.
    DenseMap<std::pair<Type, size_t>, SmallVector<gpu::GPUFuncOp>> kept;
    for (gpu::GPUModuleOp old : modules) {
      StringAttr oldModule = old.getSymNameAttr();
      for (Operation &op : llvm::make_early_inc_range(*old.getBody())) {
        if (auto kernel = dyn_cast<gpu::GPUFuncOp>(&op)) {
          StringAttr oldName = SymbolTable::getSymbolName(kernel);
          size_t size = 0;
          kernel.walk([&](Operation *) { ++size; });
          auto key = std::make_pair(Type(kernel.getFunctionType()), size);
          gpu::GPUFuncOp same;
          for (gpu::GPUFuncOp candidate : kept[key])
            if (sameKernel(candidate, kernel)) {
              same = candidate;
              break;
            }
          if (same) {
            renamed[{oldModule, oldName}] = SymbolTable::getSymbolName(same);
            continue;
          }
          // Outlining names each module after its kernel, uniquely.
          kernel->moveBefore(merged.getBody(), merged.getBody()->end());
          SymbolTable::setSymbolName(kernel, oldModule);
          mergedSymbols.insert(kernel);
          renamed[{oldModule, oldName}] = SymbolTable::getSymbolName(kernel);
          kept[key].push_back(kernel);
          continue;
        }
        auto symbol = dyn_cast<SymbolOpInterface>(&op);
        if (!symbol)
          continue;
        // Constants outlining cloned into every kernel module that reads
        // them: one copy of each.
        if (mergedSymbols.lookup(symbol.getNameAttr()))
          continue;
        op.moveBefore(merged.getBody(), merged.getBody()->end());
        mergedSymbols.insert(&op);
      }
    }

    module.walk([&](gpu::LaunchFuncOp launch) {
      SymbolRefAttr kernel = launch.getKernel();
      auto it = renamed.find(
          {kernel.getRootReference(), kernel.getLeafReference()});
      if (it == renamed.end())
        return;
      launch.setKernelAttr(SymbolRefAttr::get(
          merged.getSymNameAttr(), {FlatSymbolRefAttr::get(it->second)}));
    });
    for (gpu::GPUModuleOp old : modules)
      old.erase();
  }
};

} // namespace
