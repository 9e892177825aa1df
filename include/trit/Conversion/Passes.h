//===- Passes.h - trit conversion passes ------------------------*- C++ -*-===//

#ifndef TRIT_CONVERSION_PASSES_H
#define TRIT_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::trit {

#define GEN_PASS_DECL
#include "trit/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trit/Conversion/Passes.h.inc"

} // namespace mlir::trit

#endif // TRIT_CONVERSION_PASSES_H
