//===- OutlineLoops.cpp - trit-outline-loops --------------------*- C++ -*-===//
//
// Top-level loop nests of a model's functions -> calls of small private
// functions, shared between identical nests (the layers of a model).
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITOUTLINELOOPSPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;

namespace {

bool isPassable(Type type) {
  return isa<MemRefType, IndexType, IntegerType, FloatType>(type);
}

struct TritOutlineLoopsPass
    : public trit::impl::TritOutlineLoopsPassBase<TritOutlineLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> functions;
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.isDeclaration() && !fn.getSymName().starts_with("__trit_"))
        functions.push_back(fn);
    for (func::FuncOp fn : functions) {
      SmallVector<Operation *> nests;
      for (Block &block : fn.getBody())
        for (Operation &op : block)
          if (isa<scf::ForOp, scf::ParallelOp>(op))
            nests.push_back(&op);
      for (Operation *nest : nests)
        outline(module, nest);
    }
  }

  void outline(ModuleOp module, Operation *nest) {
    // What the nest reads from outside: constants are cloned in, the rest
    // become arguments.
    llvm::SetVector<Value> used(nest->getOperands().begin(),
                                nest->getOperands().end());
    for (Region &region : nest->getRegions())
      getUsedValuesDefinedAbove(region, used);
    SmallVector<Value> arguments;
    SmallVector<Operation *> constants;
    for (Value v : used) {
      Operation *def = v.getDefiningOp();
      if (def && def->hasTrait<OpTrait::ConstantLike>() &&
          def->getNumResults() == 1 && isPassable(v.getType()) &&
          !isa<MemRefType>(v.getType())) {
        constants.push_back(def);
        continue;
      }
      if (!isPassable(v.getType()))
        return;
      arguments.push_back(v);
    }
    for (Type t : nest->getResultTypes())
      if (!isPassable(t))
        return;

    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    Location loc = nest->getLoc();
    auto fn = func::FuncOp::create(
        b, loc, "__trit_loop",
        b.getFunctionType(ValueRange(arguments).getTypes(),
                          nest->getResultTypes()));
    fn.setPrivate();
    fn->setAttr("passthrough", b.getStrArrayAttr({"noinline"}));
    Block *entry = fn.addEntryBlock();
    OpBuilder body = OpBuilder::atBlockBegin(entry);
    IRMapping mapping;
    for (auto [v, arg] : llvm::zip(arguments, entry->getArguments()))
      mapping.map(v, arg);
    for (Operation *constant : constants)
      body.clone(*constant, mapping);
    Operation *clone = body.clone(*nest, mapping);
    func::ReturnOp::create(body, loc, clone->getResults());

    // One function per distinct nest: the same text up to the arguments.
    std::string key;
    {
      // Numbers the values of this function only: Block::print without a
      // state would number the whole module, once per nest.
      AsmState state(fn);
      llvm::raw_string_ostream os(key);
      fn.getBody().front().print(os, state);
    }
    func::FuncOp target;
    auto it = outlined.find(key);
    if (it != outlined.end()) {
      target = it->second;
      fn.erase();
    } else {
      fn.setSymName(("__trit_loop_" + Twine(outlined.size())).str());
      outlined[key] = fn;
      target = fn;
    }
    OpBuilder at(nest);
    auto call = func::CallOp::create(at, loc, target, arguments);
    nest->replaceAllUsesWith(call.getResults());
    nest->erase();
  }

  llvm::StringMap<func::FuncOp> outlined;
};

} // namespace
