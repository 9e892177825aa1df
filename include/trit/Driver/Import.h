//===- Import.h - the driver's front stages ---------------------*- C++ -*-===//
//
// Model files to graph-level MLIR (`tritc --emit=mlir`), and graph level to
// trit (`--emit=trit`).
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DRIVER_IMPORT_H
#define TRIT_DRIVER_IMPORT_H

#include "trit/Driver/StageTiming.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace mlir::trit {

/// Imports the model file at `path` (`.onnx`, or textual ONNX `.onnxtext`)
/// into graph-level IR (docs/graph-contract.md); on failure returns null
/// and sets `error`.
OwningOpRef<ModuleOp> importModelFile(MLIRContext &context, StringRef path,
                                      std::string &error);

/// Runs the graph-to-trit stage (trit-fuse-quantization) on `module`;
/// diagnostics go to `error`.
LogicalResult runGraphToTrit(ModuleOp module, std::string &error,
                             StageTiming timing = {});

} // namespace mlir::trit

#endif // TRIT_DRIVER_IMPORT_H
