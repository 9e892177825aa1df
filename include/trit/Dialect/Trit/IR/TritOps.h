//===- TritOps.h - trit operations ------------------------------*- C++ -*-===//

#ifndef TRIT_DIALECT_TRIT_IR_TRITOPS_H
#define TRIT_DIALECT_TRIT_IR_TRITOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "trit/Dialect/Trit/IR/TritDialect.h"

#define GET_OP_CLASSES
#include "trit/Dialect/Trit/IR/TritOps.h.inc"

#endif // TRIT_DIALECT_TRIT_IR_TRITOPS_H
