//===- Compile.h - the stages of compiling trit IR to native code -*- C++ -*-//
//
// The driver library: each stage is a function, so tools (trit-bench, and
// tritc later) and tests compose the same steps.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DRIVER_COMPILE_H
#define TRIT_DRIVER_COMPILE_H

#include "trit/Pipelines/Pipelines.h"
#include "trit/Target/CPU/CpuCodegen.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace mlir::trit {

/// Registers every dialect, interface and translation trit's pipelines use.
void registerCompilerDialects(DialectRegistry &registry);

/// Parses `source` (textual MLIR) into `context`; diagnostics go to
/// `error`.
OwningOpRef<ModuleOp> parseModule(MLIRContext &context, StringRef source,
                                  StringRef bufferName, std::string &error);

/// Runs trit-cpu-pipeline on `module`; diagnostics go to `error`.
LogicalResult runCpuPipeline(ModuleOp module,
                             const CpuPipelineOptions &options,
                             std::string &error);

/// How a module becomes a model library for the runtime
/// (trit-export-model).
struct ModelExportOptions {
  std::string entry = "main";
  int64_t contextLength = 0;
};

/// Runs trit-export-model on `module`; diagnostics go to `error`.
LogicalResult exportModel(ModuleOp module, const ModelExportOptions &options,
                          std::string &error);

/// Parses `source`, optionally exports it as a model (`model` non-null),
/// lowers it with trit-cpu-pipeline, compiles it for `target` and links the
/// shared library `libraryPath`.
LogicalResult compileSourceToSharedLibrary(
    StringRef source, const CpuPipelineOptions &pipeline,
    const CpuTargetOptions &target, StringRef libraryPath, std::string &error,
    const ModelExportOptions *model = nullptr);

} // namespace mlir::trit

#endif // TRIT_DRIVER_COMPILE_H
