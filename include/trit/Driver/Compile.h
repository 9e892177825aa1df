//===- Compile.h - the stages of compiling trit IR to native code -*- C++ -*-//
//
// The driver library: each stage is a function, so tools (trit-bench, and
// tritc later) and tests compose the same steps.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DRIVER_COMPILE_H
#define TRIT_DRIVER_COMPILE_H

#include "trit/Driver/StageTiming.h"
#include "trit/Pipelines/Pipelines.h"
#include "trit/Target/CPU/CpuCodegen.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace mlir::trit {

/// Registers every dialect, interface and translation trit's pipelines use.
void registerCompilerDialects(DialectRegistry &registry);

/// Makes every pass manager the driver runs honour MLIR's pass-manager
/// command-line options (--mlir-print-ir-after-all, ...),
/// which the tool must have registered with
/// mlir::registerPassManagerCLOptions.
void applyPassManagerOptionsFromCommandLine();

/// Parses `source` (textual MLIR) into `context`; diagnostics go to
/// `error`.
OwningOpRef<ModuleOp> parseModule(MLIRContext &context, StringRef source,
                                  StringRef bufferName, std::string &error);

/// Runs trit-cpu-pipeline on `module`; diagnostics go to `error`.
LogicalResult runCpuPipeline(ModuleOp module, const CpuPipelineOptions &options,
                             std::string &error, StageTiming timing = {});

/// The pipeline's two halves, for tools that stop in between
/// (tritc --emit=loops).
LogicalResult runCpuLoopsPipeline(ModuleOp module,
                                  const CpuPipelineOptions &options,
                                  std::string &error, StageTiming timing = {});
LogicalResult runCpuToLLVMPipeline(ModuleOp module,
                                   const CpuPipelineOptions &options,
                                   std::string &error, StageTiming timing = {});

/// trit-gpu-pipeline's three parts (tritc --target=cuda stops between
/// them for --emit=gpu, ptx and cubin).
LogicalResult runGpuKernelsPipeline(ModuleOp module,
                                    const GpuPipelineOptions &options,
                                    std::string &error, StageTiming timing = {});
LogicalResult runGpuBinaryPipeline(ModuleOp module,
                                   const GpuPipelineOptions &options,
                                   std::string &error, StageTiming timing = {});
LogicalResult runGpuHostToLLVMPipeline(ModuleOp module,
                                       const GpuPipelineOptions &options,
                                       std::string &error,
                                       StageTiming timing = {});

/// The CUDA toolkit directory whose bin/ holds ptxas (found on PATH, else
/// at /usr/local/cuda), or "" where there is none.
std::string findCudaToolkit();

/// The objects the module's gpu.binary ops embed (PTX text or cubin bytes),
/// in order.
SmallVector<std::string> gpuBinaryObjects(ModuleOp module);

/// Resolves kernel=auto in `options` for `target`: the dot kernel with VNNI
/// where the CPU has AVX512-VNNI, the add/sub kernel elsewhere.
void resolveCpuPipelineOptions(CpuPipelineOptions &options,
                               const CpuTargetOptions &target);

/// Writes `module` (LLVM dialect) as optimized LLVM IR text to `os`.
LogicalResult emitLLVMIR(ModuleOp module, const CpuTargetOptions &target,
                         llvm::raw_ostream &os, std::string &error,
                         StageTiming timing = {});

/// Writes `module` (LLVM dialect) as an object file or assembly to `path`.
LogicalResult emitMachineCodeFile(ModuleOp module,
                                  const CpuTargetOptions &target,
                                  StringRef path, bool assembly,
                                  std::string &error, StageTiming timing = {});

/// Writes `module` (LLVM dialect) as the object files of a link, and
/// returns their paths: `basePath`, and `basePath` + ".glue.o" with the
/// functions that are compiled without optimization (the entry glue, see
/// CpuTargetOptions::optimizeEntryGlue), if any.
FailureOr<SmallVector<std::string>>
emitObjectFiles(ModuleOp module, const CpuTargetOptions &target,
                StringRef basePath, std::string &error,
                StageTiming timing = {});

/// How a module becomes a model library for the runtime
/// (trit-export-model).
struct ModelExportOptions {
  std::string entry = "main";
  int64_t contextLength = 0;
  /// Threads the runtime uses for the model by default (0: all cores).
  int64_t defaultThreads = 0;
};

/// Runs trit-export-model on `module`; diagnostics go to `error`.
LogicalResult exportModel(ModuleOp module, const ModelExportOptions &options,
                          std::string &error, StageTiming timing = {});

/// What compileSource links.
enum class Artifact { SharedLibrary, Executable };

/// Parses `source`, optionally exports it as a model (`model` non-null),
/// lowers it with trit-cpu-pipeline, compiles it for `target` and links
/// `outputPath`: a shared library, or an executable with the runtime (which
/// needs a model).
LogicalResult compileSource(StringRef source,
                            const CpuPipelineOptions &pipeline,
                            const CpuTargetOptions &target,
                            StringRef outputPath, Artifact artifact,
                            std::string &error,
                            const ModelExportOptions *model = nullptr);

/// compileSource for a shared library.
inline LogicalResult compileSourceToSharedLibrary(
    StringRef source, const CpuPipelineOptions &pipeline,
    const CpuTargetOptions &target, StringRef libraryPath, std::string &error,
    const ModelExportOptions *model = nullptr) {
  return compileSource(source, pipeline, target, libraryPath,
                       Artifact::SharedLibrary, error, model);
}

} // namespace mlir::trit

#endif // TRIT_DRIVER_COMPILE_H
