//===- LowerAsserts.cpp - trit-lower-asserts --------------------*- C++ -*-===//
//
// Failed run-time checks call the runtime's error handler instead of
// abort(): a model library returns an error through the C API, never ends
// its host process.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/LLVMIR/FunctionCallUtils.h"
#include "mlir/IR/Builders.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITLOWERASSERTSPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

constexpr llvm::StringLiteral kHandler = "__trit_check_handler";
constexpr llvm::StringLiteral kFailed = "__trit_check_failed";
constexpr llvm::StringLiteral kSetHandler = "trit_set_check_handler";

struct TritLowerAssertsPass
    : public trit::impl::TritLowerAssertsPassBase<TritLowerAssertsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<cf::AssertOp> asserts;
    module.walk([&](cf::AssertOp op) { asserts.push_back(op); });
    if (asserts.empty() && !always)
      return;
    if (module.lookupSymbol(kHandler) || module.lookupSymbol(kFailed) ||
        module.lookupSymbol(kSetHandler)) {
      module.emitError("trit-lower-asserts: the module already defines ")
          << kHandler << ", " << kFailed << " or " << kSetHandler;
      return signalPassFailure();
    }
    addRuntimeHooks(module);
    unsigned counter = 0;
    for (cf::AssertOp op : asserts)
      lowerAssert(op, counter++);
  }

  /// The handler pointer, its setter, and the function each failed check
  /// calls.
  void addRuntimeHooks(ModuleOp module) {
    MLIRContext *ctx = module.getContext();
    Location loc = module.getLoc();
    OpBuilder b(ctx);
    b.setInsertionPointToEnd(module.getBody());
    auto ptr = LLVM::LLVMPointerType::get(ctx);
    auto i64 = b.getI64Type();
    auto voidType = LLVM::LLVMVoidType::get(ctx);

    auto handler = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                                          LLVM::Linkage::Internal, kHandler,
                                          Attribute());
    {
      OpBuilder::InsertionGuard guard(b);
      b.createBlock(&handler.getInitializerRegion());
      LLVM::ReturnOp::create(b, loc, LLVM::ZeroOp::create(b, loc, ptr).getResult());
    }

    // void trit_set_check_handler(void *fn) { __trit_check_handler = fn; }
    auto setter = LLVM::LLVMFuncOp::create(
        b, loc, kSetHandler, LLVM::LLVMFunctionType::get(voidType, {ptr}));
    {
      OpBuilder::InsertionGuard guard(b);
      Block *entry = setter.addEntryBlock(b);
      b.setInsertionPointToStart(entry);
      Value slot = LLVM::AddressOfOp::create(b, loc, handler);
      LLVM::StoreOp::create(b, loc, entry->getArgument(0), slot);
      LLVM::ReturnOp::create(b, loc, ValueRange());
    }

    // void __trit_check_failed(const char *message, int64_t a, int64_t b):
    // the handler if installed (it does not return), else abort().
    FailureOr<LLVM::LLVMFuncOp> abortFn =
        LLVM::lookupOrCreateFn(b, module, "abort", {}, voidType);
    assert(succeeded(abortFn) && "abort has the C signature");
    auto failedType = LLVM::LLVMFunctionType::get(voidType, {ptr, i64, i64});
    auto failed = LLVM::LLVMFuncOp::create(
        b, loc, kFailed, failedType,
        always ? LLVM::Linkage::External : LLVM::Linkage::Internal);
    if (always)
      failed.setVisibility_(LLVM::Visibility::Hidden);
    {
      OpBuilder::InsertionGuard guard(b);
      Block *entry = failed.addEntryBlock(b);
      Block *call = failed.addBlock();
      Block *abort = failed.addBlock();
      b.setInsertionPointToStart(entry);
      Value slot = LLVM::AddressOfOp::create(b, loc, handler);
      Value fn = LLVM::LoadOp::create(b, loc, ptr, slot);
      Value null = LLVM::ZeroOp::create(b, loc, ptr);
      Value missing =
          LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, fn, null);
      LLVM::CondBrOp::create(b, loc, missing, abort, call);
      b.setInsertionPointToStart(call);
      SmallVector<Value> args = {fn};
      args.append(entry->args_begin(), entry->args_end());
      LLVM::CallOp::create(b, loc, failedType, args);
      LLVM::BrOp::create(b, loc, abort);
      b.setInsertionPointToStart(abort);
      LLVM::CallOp::create(b, loc, *abortFn, ValueRange());
      LLVM::UnreachableOp::create(b, loc);
    }
  }

  void lowerAssert(cf::AssertOp op, unsigned index) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Block *before = op->getBlock();
    Block *rest = before->splitBlock(op->getIterator());
    Block *failedBlock = b.createBlock(rest);
    b.setInsertionPointToEnd(before);
    cf::CondBranchOp::create(b, loc, op.getArg(), rest, ValueRange(),
                             failedBlock, ValueRange());

    b.setInsertionPointToStart(failedBlock);
    // A C string: the handler formats it.
    std::string text = op.getMsg().str();
    text.push_back('\0');
    Value message = LLVM::createGlobalString(
        loc, b, ("__trit_check_message_" + Twine(index)).str(), text,
        LLVM::Linkage::Internal);
    // The two sizes that should have been equal, for the message.
    Value lhs, rhs;
    if (auto cmp = op.getArg().getDefiningOp<arith::CmpIOp>();
        cmp && cmp.getPredicate() == arith::CmpIPredicate::eq &&
        cmp.getLhs().getType().isIntOrIndex()) {
      auto toI64 = [&](Value v) -> Value {
        if (v.getType().isIndex())
          return arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
        unsigned width = v.getType().getIntOrFloatBitWidth();
        if (width == 64)
          return v;
        if (width < 64)
          return arith::ExtSIOp::create(b, loc, b.getI64Type(), v);
        return arith::TruncIOp::create(b, loc, b.getI64Type(), v);
      };
      lhs = toI64(cmp.getLhs());
      rhs = toI64(cmp.getRhs());
    } else {
      lhs = rhs = arith::ConstantIntOp::create(b, loc, b.getI64Type(), -1);
    }
    auto callee = SymbolRefAttr::get(b.getContext(), kFailed);
    LLVM::CallOp::create(b, loc, TypeRange(), callee,
                         ValueRange{message, lhs, rhs});
    LLVM::UnreachableOp::create(b, loc);
    op.erase();
  }
};

} // namespace
