//===- FuseParallelLoops.cpp - trit-fuse-parallel-loops ---------*- C++ -*-===//
//
// Upstream's naive scf.parallel fusion, made to work on bufferized models:
// allocations move up out of the way, and the alias oracle knows that
// distinct allocations, globals and arguments are distinct buffers. See the
// pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITFUSEPARALLELLOOPSPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;

namespace {

/// The buffer `value` views, through view-like ops.
Value baseOf(Value value) {
  while (auto view = value.getDefiningOp<ViewLikeOpInterface>())
    value = view.getViewSource();
  return value;
}

/// False where `a` and `b` are known to be different buffers: different
/// allocations, an allocation and anything else that is not a view of it,
/// two different globals. An allocation's buffer is fresh: no argument,
/// global or other allocation can point into it.
bool mayAlias(Value a, Value b) {
  Value baseA = baseOf(a), baseB = baseOf(b);
  if (baseA == baseB)
    return true;
  auto fresh = [](Value v) {
    return isa_and_present<memref::AllocOp, memref::AllocaOp>(
        v.getDefiningOp());
  };
  if (fresh(baseA) || fresh(baseB))
    return false;
  auto globalA = baseA.getDefiningOp<memref::GetGlobalOp>();
  auto globalB = baseB.getDefiningOp<memref::GetGlobalOp>();
  if (globalA && globalB)
    return globalA.getName() == globalB.getName();
  return true;
}

struct TritFuseParallelLoopsPass
    : public trit::impl::TritFuseParallelLoopsPassBase<
          TritFuseParallelLoopsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    for (Block &block : fn.getBody())
      hoistAllocations(block);
    scf::naivelyFuseParallelOps(fn.getBody(), mayAlias);
  }

  /// Moves each memref.alloc of `block` up to just after its operands'
  /// definitions and the allocation before it.
  static void hoistAllocations(Block &block) {
    SmallVector<memref::AllocOp> allocs(block.getOps<memref::AllocOp>());
    Operation *previous = nullptr; // The last allocation placed.
    for (memref::AllocOp alloc : allocs) {
      Operation *after = previous;
      for (Value operand : alloc->getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (!def) // A block argument: available from the start.
          continue;
        if (!after || after->isBeforeInBlock(def))
          after = def;
      }
      if (after)
        alloc->moveAfter(after);
      else
        alloc->moveBefore(&block, block.begin());
      previous = alloc;
    }
  }
};

} // namespace
