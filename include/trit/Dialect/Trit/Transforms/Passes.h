//===- Passes.h - trit transformation passes --------------------*- C++ -*-===//

#ifndef TRIT_DIALECT_TRIT_TRANSFORMS_PASSES_H
#define TRIT_DIALECT_TRIT_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "trit/Dialect/Trit/IR/TritDialect.h"

#include <memory>

namespace mlir::trit {

#define GEN_PASS_DECL
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"

} // namespace mlir::trit

#endif // TRIT_DIALECT_TRIT_TRANSFORMS_PASSES_H
