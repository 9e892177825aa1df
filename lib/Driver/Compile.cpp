//===- Compile.cpp - the stages of compiling trit IR to native code -*- C++ -*-//

#include "trit/Driver/Compile.h"
#include "trit/Dialect/Trit/IR/TritDialect.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;
using namespace mlir::trit;

void mlir::trit::registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<TritDialect>();
  registerCpuTranslations(registry);
}

namespace {
/// Collects diagnostics into a string while alive.
class DiagnosticCollector {
public:
  DiagnosticCollector(MLIRContext &context, std::string &out)
      : context(context), out(out) {
    id = context.getDiagEngine().registerHandler([this](Diagnostic &diag) {
      llvm::raw_string_ostream os(this->out);
      print(os, diag.getLocation(), severityName(diag.getSeverity()), diag);
      for (const Diagnostic &note : diag.getNotes())
        print(os, note.getLocation(), "note", note);
      return success();
    });
  }
  ~DiagnosticCollector() { context.getDiagEngine().eraseHandler(id); }

private:
  static StringRef severityName(DiagnosticSeverity severity) {
    switch (severity) {
    case DiagnosticSeverity::Error:
      return "error";
    case DiagnosticSeverity::Warning:
      return "warning";
    case DiagnosticSeverity::Note:
      return "note";
    case DiagnosticSeverity::Remark:
      return "remark";
    }
    return "error";
  }

  /// "file:line:col: error: message", as compilers write it, where the
  /// location has a file position.
  static void print(llvm::raw_ostream &os, Location loc, StringRef severity,
                    const Diagnostic &diag) {
    if (auto fileLoc = loc->findInstanceOf<FileLineColLoc>())
      os << fileLoc.getFilename().getValue() << ":" << fileLoc.getLine()
         << ":" << fileLoc.getColumn() << ": ";
    else if (!isa<UnknownLoc>(loc))
      os << loc << ": ";
    os << severity << ": " << diag << "\n";
  }

  MLIRContext &context;
  std::string &out;
  DiagnosticEngine::HandlerID id;
};
} // namespace

OwningOpRef<ModuleOp> mlir::trit::parseModule(MLIRContext &context,
                                              StringRef source,
                                              StringRef bufferName,
                                              std::string &error) {
  DiagnosticCollector collector(context, error);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(source, bufferName), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, &context);
}


namespace {
bool passManagerOptionsFromCommandLine = false;

/// Runs the passes `build` adds on `module`, timed as the phase `name`.
LogicalResult runPipeline(ModuleOp module, std::string &error,
                          function_ref<void(OpPassManager &)> build,
                          StageTiming timing, StringRef name) {
  DiagnosticCollector collector(*module.getContext(), error);
  PassManager pm(module.getContext());
  if (passManagerOptionsFromCommandLine &&
      failed(applyPassManagerCLOptions(pm))) {
    error = "invalid pass manager options";
    return failure();
  }
  build(pm);
  TimingScope phase = timing.nest(name);
  // Timing goes last, after the command line's instrumentations.
  if (timing.passes && phase)
    pm.enableTiming(phase);
  return pm.run(module);
}
} // namespace

void mlir::trit::applyPassManagerOptionsFromCommandLine() {
  passManagerOptionsFromCommandLine = true;
}

LogicalResult mlir::trit::runCpuLoopsPipeline(ModuleOp module,
                                              const CpuPipelineOptions &options,
                                              std::string &error,
                                              StageTiming timing) {
  return runPipeline(
      module, error,
      [&](OpPassManager &pm) { buildTritCpuLoopsPipeline(pm, options); },
      timing, "trit-cpu-pipeline: to loops");
}

LogicalResult
mlir::trit::runCpuToLLVMPipeline(ModuleOp module,
                                 const CpuPipelineOptions &options,
                                 std::string &error, StageTiming timing) {
  return runPipeline(
      module, error,
      [&](OpPassManager &pm) { buildTritCpuToLLVMPipeline(pm, options); },
      timing, "trit-cpu-pipeline: to LLVM dialect");
}

LogicalResult mlir::trit::runGpuKernelsPipeline(
    ModuleOp module, const GpuPipelineOptions &options, std::string &error,
    StageTiming timing) {
  return runPipeline(
      module, error,
      [&](OpPassManager &pm) { buildTritGpuKernelsPipeline(pm, options); },
      timing, "trit-gpu-pipeline: to kernels");
}

LogicalResult mlir::trit::runGpuBinaryPipeline(
    ModuleOp module, const GpuPipelineOptions &options, std::string &error,
    StageTiming timing) {
  return runPipeline(
      module, error,
      [&](OpPassManager &pm) { buildTritGpuBinaryPipeline(pm, options); },
      timing, "trit-gpu-pipeline: kernel binary");
}

LogicalResult mlir::trit::runGpuHostToLLVMPipeline(
    ModuleOp module, const GpuPipelineOptions &options, std::string &error,
    StageTiming timing) {
  return runPipeline(
      module, error,
      [&](OpPassManager &pm) { buildTritGpuHostToLLVMPipeline(pm, options); },
      timing, "trit-gpu-pipeline: host to LLVM dialect");
}

std::string mlir::trit::findCudaToolkit() {
  llvm::ErrorOr<std::string> ptxas = llvm::sys::findProgramByName("ptxas");
  if (!ptxas)
    ptxas = llvm::sys::findProgramByName("ptxas", {"/usr/local/cuda/bin"});
  if (!ptxas)
    return "";
  // <toolkit>/bin/ptxas
  return llvm::sys::path::parent_path(llvm::sys::path::parent_path(*ptxas))
      .str();
}

SmallVector<std::string> mlir::trit::gpuBinaryObjects(ModuleOp module) {
  SmallVector<std::string> objects;
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjects())
      if (auto object = dyn_cast<gpu::ObjectAttr>(attr))
        objects.push_back(object.getObject().getValue().str());
  });
  return objects;
}

void mlir::trit::resolveCpuPipelineOptions(CpuPipelineOptions &options,
                                           const CpuTargetOptions &target) {
  if (options.kernel == "auto") {
    bool vnni = cpuHasAvx512Vnni(target);
    options.kernel = vnni ? "dot" : "addsub";
    options.vnni = vnni;
  }
}

namespace {
/// The target machine and the optimized LLVM IR of `module`.
struct LoweredModule {
  std::unique_ptr<llvm::TargetMachine> machine;
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
};

FailureOr<LoweredModule> toOptimizedLLVMIR(ModuleOp module,
                                           const CpuTargetOptions &target,
                                           std::string &error,
                                           StageTiming timing) {
  DiagnosticCollector collector(*module.getContext(), error);
  LoweredModule result;
  result.machine = createCpuTargetMachine(target, error);
  if (!result.machine)
    return failure();
  result.context = std::make_unique<llvm::LLVMContext>();
  {
    TimingScope phase = timing.nest("translation to LLVM IR");
    result.module =
        translateToLLVMIR(module, *result.context, *result.machine, error);
  }
  if (!result.module)
    return failure();
  TimingScope phase = timing.nest("LLVM optimization");
  if (!target.optimizeEntryGlue && target.optLevel > 0)
    markEntryGlueOptNone(*result.module);
  optimizeLLVMModule(*result.module, *result.machine, target.optLevel,
                     timing.passes && phase ? &phase : nullptr);
  return result;
}
} // namespace

LogicalResult mlir::trit::emitLLVMIR(ModuleOp module,
                                     const CpuTargetOptions &target,
                                     llvm::raw_ostream &os, std::string &error,
                                     StageTiming timing) {
  FailureOr<LoweredModule> lowered =
      toOptimizedLLVMIR(module, target, error, timing);
  if (failed(lowered))
    return failure();
  lowered->module->print(os, nullptr);
  return success();
}

LogicalResult mlir::trit::emitMachineCodeFile(ModuleOp module,
                                              const CpuTargetOptions &target,
                                              StringRef path, bool assembly,
                                              std::string &error,
                                              StageTiming timing) {
  FailureOr<LoweredModule> lowered =
      toOptimizedLLVMIR(module, target, error, timing);
  if (failed(lowered))
    return failure();
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  TimingScope phase = timing.nest("code generation");
  return emitMachineCode(*lowered->module, *lowered->machine, os, assembly,
                         error);
}

FailureOr<SmallVector<std::string>>
mlir::trit::emitObjectFiles(ModuleOp module, const CpuTargetOptions &target,
                            StringRef basePath, std::string &error,
                            StageTiming timing) {
  FailureOr<LoweredModule> lowered =
      toOptimizedLLVMIR(module, target, error, timing);
  if (failed(lowered))
    return failure();
  auto emit = [&](llvm::Module &llvmModule, llvm::TargetMachine &machine,
                  StringRef path) -> LogicalResult {
    std::error_code ec;
    llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = "cannot write '" + path.str() + "': " + ec.message();
      return failure();
    }
    return emitMachineCode(llvmModule, machine, os, /*assembly=*/false, error);
  };
  SmallVector<std::string> paths = {basePath.str()};
  TimingScope phase = timing.nest("code generation");
  std::unique_ptr<llvm::Module> glue;
  if (target.optLevel > 0)
    glue = splitOffOptNoneFunctions(*lowered->module);
  if (failed(emit(*lowered->module, *lowered->machine, paths.front())))
    return failure();
  phase.stop();
  if (!glue)
    return paths;
  TimingScope gluePhase = timing.nest("code generation: entry glue");
  CpuTargetOptions unoptimized = target;
  unoptimized.optLevel = 0;
  std::unique_ptr<llvm::TargetMachine> machine =
      createCpuTargetMachine(unoptimized, error);
  if (!machine)
    return failure();
  paths.push_back((basePath + ".glue.o").str());
  if (failed(emit(*glue, *machine, paths.back()))) {
    llvm::sys::fs::remove(paths.front());
    return failure();
  }
  return paths;
}

LogicalResult mlir::trit::runCpuPipeline(ModuleOp module,
                                         const CpuPipelineOptions &options,
                                         std::string &error,
                                         StageTiming timing) {
  return runPipeline(
      module, error,
      [&](OpPassManager &pm) { buildTritCpuPipeline(pm, options); }, timing,
      "trit-cpu-pipeline");
}

LogicalResult mlir::trit::exportModel(ModuleOp module,
                                      const ModelExportOptions &options,
                                      std::string &error, StageTiming timing) {
  return runPipeline(
      module, error,
      [&](OpPassManager &pm) {
        pm.addPass(createTritExportModelPass(TritExportModelPassOptions{
            options.entry, options.contextLength, options.defaultThreads}));
      },
      timing, "trit-export-model");
}

LogicalResult mlir::trit::compileSource(StringRef source,
                                        const CpuPipelineOptions &pipeline,
                                        const CpuTargetOptions &target,
                                        StringRef libraryPath,
                                        Artifact artifact, std::string &error,
                                        const ModelExportOptions *model) {
  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading();
  context.printOpOnDiagnostic(false);
  OwningOpRef<ModuleOp> module = parseModule(context, source, "input", error);
  if (!module)
    return failure();
  if (model && failed(exportModel(*module, *model, error)))
    return failure();
  CpuPipelineOptions resolved;
  resolved.copyOptionValuesFrom(pipeline);
  resolveCpuPipelineOptions(resolved, target);
  if (failed(runCpuPipeline(*module, resolved, error)))
    return failure();
  FailureOr<SmallVector<std::string>> objects =
      emitObjectFiles(*module, target, (libraryPath + ".o").str(), error);
  if (failed(objects))
    return failure();
  LogicalResult linked = artifact == Artifact::Executable
                             ? linkExecutable(*objects, libraryPath, error)
                             : linkSharedLibrary(*objects, libraryPath, error);
  for (const std::string &object : *objects)
    llvm::sys::fs::remove(object);
  return linked;
}
