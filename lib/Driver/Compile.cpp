//===- Compile.cpp - the stages of compiling trit IR to native code -*- C++ -*-//

#include "trit/Driver/Compile.h"
#include "trit/Dialect/Trit/IR/TritDialect.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
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

LogicalResult runPipeline(ModuleOp module, std::string &error,
                          function_ref<void(OpPassManager &)> build) {
  DiagnosticCollector collector(*module.getContext(), error);
  PassManager pm(module.getContext());
  if (passManagerOptionsFromCommandLine &&
      failed(applyPassManagerCLOptions(pm))) {
    error = "invalid pass manager options";
    return failure();
  }
  build(pm);
  return pm.run(module);
}
} // namespace

void mlir::trit::applyPassManagerOptionsFromCommandLine() {
  passManagerOptionsFromCommandLine = true;
}

LogicalResult mlir::trit::runCpuLoopsPipeline(ModuleOp module,
                                              const CpuPipelineOptions &options,
                                              std::string &error) {
  return runPipeline(module, error, [&](OpPassManager &pm) {
    buildTritCpuLoopsPipeline(pm, options);
  });
}

LogicalResult
mlir::trit::runCpuToLLVMPipeline(ModuleOp module,
                                 const CpuPipelineOptions &options,
                                 std::string &error) {
  return runPipeline(module, error, [&](OpPassManager &pm) {
    buildTritCpuToLLVMPipeline(pm, options);
  });
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
                                           std::string &error) {
  DiagnosticCollector collector(*module.getContext(), error);
  LoweredModule result;
  result.machine = createCpuTargetMachine(target, error);
  if (!result.machine)
    return failure();
  result.context = std::make_unique<llvm::LLVMContext>();
  result.module = translateAndOptimize(module, *result.context,
                                       *result.machine, target.optLevel,
                                       error);
  if (!result.module)
    return failure();
  return result;
}
} // namespace

LogicalResult mlir::trit::emitLLVMIR(ModuleOp module,
                                     const CpuTargetOptions &target,
                                     llvm::raw_ostream &os,
                                     std::string &error) {
  FailureOr<LoweredModule> lowered = toOptimizedLLVMIR(module, target, error);
  if (failed(lowered))
    return failure();
  lowered->module->print(os, nullptr);
  return success();
}

LogicalResult mlir::trit::emitMachineCodeFile(ModuleOp module,
                                              const CpuTargetOptions &target,
                                              StringRef path, bool assembly,
                                              std::string &error) {
  FailureOr<LoweredModule> lowered = toOptimizedLLVMIR(module, target, error);
  if (failed(lowered))
    return failure();
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write '" + path.str() + "': " + ec.message();
    return failure();
  }
  return emitMachineCode(*lowered->module, *lowered->machine, os, assembly,
                         error);
}

LogicalResult mlir::trit::runCpuPipeline(ModuleOp module,
                                         const CpuPipelineOptions &options,
                                         std::string &error) {
  return runPipeline(module, error, [&](OpPassManager &pm) {
    buildTritCpuPipeline(pm, options);
  });
}

LogicalResult mlir::trit::exportModel(ModuleOp module,
                                      const ModelExportOptions &options,
                                      std::string &error) {
  return runPipeline(module, error, [&](OpPassManager &pm) {
    pm.addPass(createTritExportModelPass(
        TritExportModelPassOptions{options.entry, options.contextLength,
                                   options.defaultThreads}));
  });
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
  std::string objectPath = (libraryPath + ".o").str();
  if (failed(emitMachineCodeFile(*module, target, objectPath,
                                 /*assembly=*/false, error)))
    return failure();
  LogicalResult linked =
      artifact == Artifact::Executable
          ? linkExecutable({objectPath}, libraryPath, error)
          : linkSharedLibrary({objectPath}, libraryPath, error);
  llvm::sys::fs::remove(objectPath);
  return linked;
}
