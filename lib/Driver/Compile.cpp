//===- Compile.cpp - the stages of compiling trit IR to native code -*- C++ -*-//

#include "trit/Driver/Compile.h"
#include "trit/Dialect/Trit/IR/TritDialect.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/FileSystem.h"
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
      os << diag.getLocation() << ": " << diag << "\n";
      for (const Diagnostic &note : diag.getNotes())
        os << note.getLocation() << ": note: " << note << "\n";
      return success();
    });
  }
  ~DiagnosticCollector() { context.getDiagEngine().eraseHandler(id); }

private:
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

LogicalResult mlir::trit::runCpuPipeline(ModuleOp module,
                                         const CpuPipelineOptions &options,
                                         std::string &error) {
  DiagnosticCollector collector(*module.getContext(), error);
  PassManager pm(module.getContext());
  buildTritCpuPipeline(pm, options);
  return pm.run(module);
}

LogicalResult mlir::trit::exportModel(ModuleOp module,
                                      const ModelExportOptions &options,
                                      std::string &error) {
  DiagnosticCollector collector(*module.getContext(), error);
  PassManager pm(module.getContext());
  pm.addPass(createTritExportModelPass(
      TritExportModelPassOptions{options.entry, options.contextLength}));
  return pm.run(module);
}

LogicalResult mlir::trit::compileSourceToSharedLibrary(
    StringRef source, const CpuPipelineOptions &pipeline,
    const CpuTargetOptions &target, StringRef libraryPath, std::string &error,
    const ModelExportOptions *model) {
  DialectRegistry registry;
  registerCompilerDialects(registry);
  MLIRContext context(registry);
  context.disableMultithreading();
  OwningOpRef<ModuleOp> module = parseModule(context, source, "input", error);
  if (!module)
    return failure();
  if (model && failed(exportModel(*module, *model, error)))
    return failure();
  CpuPipelineOptions resolved;
  resolved.copyOptionValuesFrom(pipeline);
  if (resolved.kernel == "auto") {
    // The fastest kernel the target CPU supports.
    bool vnni = cpuHasAvx512Vnni(target);
    resolved.kernel = vnni ? "dot" : "addsub";
    resolved.vnni = vnni;
  }
  if (failed(runCpuPipeline(*module, resolved, error)))
    return failure();
  std::string objectPath = (libraryPath + ".o").str();
  {
    // Translation to LLVM IR reports through the context's diagnostics.
    DiagnosticCollector collector(context, error);
    if (failed(compileToObject(*module, target, objectPath, error)))
      return failure();
  }
  LogicalResult linked =
      linkSharedLibrary({objectPath}, libraryPath, error);
  llvm::sys::fs::remove(objectPath);
  return linked;
}
