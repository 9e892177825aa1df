//===- TritToLLVM.cpp - convert-trit-to-llvm --------------------*- C++ -*-===//
//
// Lowers the vector-level trit ops (trit.dot_codes) for a CPU target.
//
//===----------------------------------------------------------------------===//

#include "trit/Conversion/Passes.h"
#include "trit/Dialect/Trit/IR/TritOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::trit {
#define GEN_PASS_DEF_CONVERTTRITTOLLVMPASS
#include "trit/Conversion/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

/// trit.dot_codes -> vpdpbusd (AVX512-VNNI), for 32 or 64 code bytes.
struct DotCodesToVnni : public OpRewritePattern<DotCodesOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DotCodesOp op,
                                PatternRewriter &rewriter) const override {
    VectorType accType = op.getAcc().getType();
    int64_t lanes = accType.getNumElements();
    if (lanes != 8 && lanes != 16)
      return rewriter.notifyMatchFailure(op, "vpdpbusd takes 8 or 16 lanes");
    // LLVM 22's intrinsic takes the bytes as <N x i8> operands.
    std::string name = "llvm.x86.avx512.vpdpbusd." + std::to_string(lanes * 32);
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, accType, rewriter.getStringAttr(name),
        ValueRange{op.getAcc(), op.getCodes(), op.getActivations()});
    return success();
  }
};

/// trit.dot_codes -> portable vector arithmetic.
struct DotCodesToArith : public OpRewritePattern<DotCodesOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(DotCodesOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    VectorType accType = op.getAcc().getType();
    int64_t lanes = accType.getNumElements();
    auto wide = VectorType::get({lanes * 4}, rewriter.getI32Type());
    Value codes = arith::ExtUIOp::create(rewriter, loc, wide, op.getCodes());
    Value x = arith::ExtSIOp::create(rewriter, loc, wide, op.getActivations());
    Value products = arith::MulIOp::create(rewriter, loc, codes, x);
    // Lane i sums products 4i .. 4i + 3: add four strided shuffles.
    Value sum = op.getAcc();
    for (int64_t j = 0; j < 4; ++j) {
      SmallVector<int64_t> mask;
      for (int64_t i = 0; i < lanes; ++i)
        mask.push_back(4 * i + j);
      Value part =
          vector::ShuffleOp::create(rewriter, loc, products, products, mask);
      sum = arith::AddIOp::create(rewriter, loc, sum, part);
    }
    rewriter.replaceOp(op, sum);
    return success();
  }
};

struct ConvertTritToLLVMPass
    : public trit::impl::ConvertTritToLLVMPassBase<ConvertTritToLLVMPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    if (vnni)
      patterns.add<DotCodesToVnni>(&getContext(), /*benefit=*/2);
    patterns.add<DotCodesToArith>(&getContext(), /*benefit=*/1);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();

    // Private functions (kernels, deallocation helpers) stay inside the
    // object: with external linkage two models in one process would clash.
    auto internal = LLVM::LinkageAttr::get(&getContext(),
                                           LLVM::Linkage::Internal);
    getOperation()->walk([&](func::FuncOp fn) {
      if (fn.isPrivate() && !fn.isDeclaration() &&
          !fn->hasAttr("llvm.linkage"))
        fn->setAttr("llvm.linkage", internal);
    });
  }
};

} // namespace
