//===- ExportModel.cpp - trit-export-model ----------------------*- C++ -*-===//
//
// Gives a model's entry function the model-library ABI of trit/runtime.h.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"
#include "trit/runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITEXPORTMODELPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

struct TritExportModelPass
    : public trit::impl::TritExportModelPassBase<TritExportModelPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp forward = findEntry(module);
    if (!forward)
      return signalPassFailure();

    FunctionType type = forward.getFunctionType();
    auto fail = [&](const Twine &what) {
      forward.emitError("trit-export-model: the entry '")
          << forward.getSymName() << "' " << what
          << "; a model maps token ids tensor<BxTxi64> to logits "
             "tensor<BxTxVxf32>";
      signalPassFailure();
    };
    if (type.getNumInputs() != 1 || type.getNumResults() != 1)
      return fail("must take one argument and return one result, it takes " +
                  Twine(type.getNumInputs()) + " and returns " +
                  Twine(type.getNumResults()));
    auto ids = dyn_cast<RankedTensorType>(type.getInput(0));
    if (!ids || ids.getRank() != 2 || !ids.getElementType().isInteger(64))
      return fail("takes " + typeString(type.getInput(0)) +
                  " instead of token ids");
    auto logits = dyn_cast<RankedTensorType>(type.getResult(0));
    if (!logits || logits.getRank() != 3 || !logits.getElementType().isF32())
      return fail("returns " + typeString(type.getResult(0)) +
                  " instead of logits");
    if (logits.isDynamicDim(2))
      return fail("returns logits with a dynamic vocabulary size");

    int64_t context = contextLength;
    if (context == 0) {
      if (ids.isDynamicDim(1))
        return fail("has a dynamic sequence length and no context-length "
                    "option was given");
      context = ids.getDimSize(1);
    }
    if (context < 1)
      return fail("cannot take a context length of " + Twine(context));
    if (defaultThreads < 0)
      return fail("cannot take a default of " + Twine(defaultThreads) +
                  " threads");

    SymbolTable symbols(module);
    if (forward.getSymName() != "trit_forward") {
      if (symbols.lookup("trit_forward"))
        return fail("cannot be renamed: 'trit_forward' exists already");
      if (failed(symbols.rename(forward, "trit_forward")))
        return fail("cannot be renamed to 'trit_forward'");
    }
    forward.setPublic();
    forward->setAttr("llvm.emit_c_interface", UnitAttr::get(&getContext()));

    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    auto addConstantFunction = [&](StringRef name, Type result,
                                   int64_t value) {
      if (Operation *old = symbols.lookup(name))
        old->erase();
      auto fn = func::FuncOp::create(b, forward.getLoc(), name,
                                     b.getFunctionType({}, {result}));
      OpBuilder body(fn.addEntryBlock()->getParent());
      body.setInsertionPointToStart(&fn.front());
      Value v = arith::ConstantOp::create(body, forward.getLoc(),
                                          body.getIntegerAttr(result, value));
      func::ReturnOp::create(body, forward.getLoc(), v);
    };
    addConstantFunction("trit_compiled_abi_version", b.getI32Type(),
                        TRIT_MODEL_ABI_VERSION);
    addConstantFunction("trit_compiled_vocab_size", b.getI64Type(),
                        logits.getDimSize(2));
    addConstantFunction("trit_compiled_context_length", b.getI64Type(),
                        context);
    addConstantFunction("trit_compiled_default_threads", b.getI32Type(),
                        defaultThreads);
    // A model compiled for static sizes takes exactly those: the runtime
    // must refuse anything else rather than hand it a wrong-sized buffer.
    addConstantFunction("trit_compiled_static_batch", b.getI64Type(),
                        ids.isDynamicDim(0) ? 0 : ids.getDimSize(0));
    addConstantFunction("trit_compiled_static_sequence", b.getI64Type(),
                        ids.isDynamicDim(1) ? 0 : ids.getDimSize(1));
  }

  static std::string typeString(Type type) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << type;
    return text;
  }

  /// The function named `entry`, else the only public function.
  func::FuncOp findEntry(ModuleOp module) {
    if (auto named = module.lookupSymbol<func::FuncOp>(entry))
      return named;
    func::FuncOp only;
    unsigned publicCount = 0;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isDeclaration()) {
        only = fn;
        ++publicCount;
      }
    if (publicCount == 1)
      return only;
    module.emitError("trit-export-model: no function '")
        << entry << "' and " << publicCount
        << " public functions to choose from; name the model's forward "
           "function with entry=";
    return nullptr;
  }
};

} // namespace
