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
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITFUSEPARALLELLOOPSPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;

namespace {

/// False where `a` and `b` are known to be different buffers: different
/// allocations, an allocation and anything else that is not a view of it,
/// two different globals. An allocation's buffer is fresh: no argument,
/// global or other allocation can point into it.
bool mayAlias(Value a, Value b) {
  // The buffers they view, through view-like ops.
  Value baseA = memref::skipViewLikeOps(cast<MemrefValue>(a));
  Value baseB = memref::skipViewLikeOps(cast<MemrefValue>(b));
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

/// What one fused loop may take from outside, in bytes of kernel
/// parameters: a loop becomes a GPU kernel whose parameters are the values
/// it uses (a memref is a descriptor of 3 + 2 * rank words), and CUDA
/// takes 4 KiB of them (PTX ISA 8.0). 60 KV-cache copies of a 30-layer
/// model, all over the same space, would otherwise fuse into one kernel
/// that ptxas refuses.
constexpr int64_t kParameterBudget = 2048;

int64_t parameterBytes(Value v) {
  if (auto memref = dyn_cast<MemRefType>(v.getType()))
    return (3 + 2 * memref.getRank()) * 8;
  return 8;
}

struct TritFuseParallelLoopsPass
    : public trit::impl::TritFuseParallelLoopsPassBase<
          TritFuseParallelLoopsPass> {
  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    SmallVector<Operation *> barriers;
    for (Block &block : fn.getBody()) {
      hoistAllocations(block);
      separateGroups(block, barriers);
    }
    scf::naivelyFuseParallelOps(fn.getBody(), mayAlias);
    for (Operation *barrier : barriers)
      barrier->erase();
  }

  /// Upstream fuses every run of adjacent loops it can; a run whose loops
  /// together use more than kParameterBudget bytes of outside values is
  /// cut with a temporary op with a side effect (erased after fusion)
  /// before the loop that would exceed it.
  static void separateGroups(Block &block,
                             SmallVectorImpl<Operation *> &barriers) {
    llvm::SetVector<Value> group;
    int64_t bytes = 0;
    for (Operation &op : llvm::make_early_inc_range(block)) {
      auto loop = dyn_cast<scf::ParallelOp>(&op);
      if (!loop) {
        // What ends a run for upstream ends the group.
        if (!isMemoryEffectFree(&op) || op.getNumRegions() != 0) {
          group.clear();
          bytes = 0;
        }
        continue;
      }
      llvm::SetVector<Value> used;
      getUsedValuesDefinedAbove(loop.getRegion(), used);
      int64_t added = 0;
      for (Value v : used)
        if (!group.contains(v))
          added += parameterBytes(v);
      if (!group.empty() && bytes + added > kParameterBudget) {
        OpBuilder b(loop);
        barriers.push_back(memref::AllocaOp::create(
            b, loop.getLoc(), MemRefType::get({}, b.getI8Type())));
        group.clear();
        bytes = 0;
        added = 0;
        for (Value v : used)
          added += parameterBytes(v);
      }
      group.insert(used.begin(), used.end());
      bytes += added;
    }
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
