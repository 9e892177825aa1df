//===- Import.cpp - the driver's front stages -------------------*- C++ -*-===//

#include "trit/Driver/Import.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"
#include "trit/Importer/ONNX/Importer.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace mlir::trit;

OwningOpRef<ModuleOp> mlir::trit::importModelFile(MLIRContext &context,
                                                  StringRef path,
                                                  std::string &error) {
  if (path.ends_with(".onnx") || path.ends_with(".onnxtext"))
    return importOnnxFile(context, path, OnnxImportOptions(), error);
  error = path.str() +
          ": unknown model format (expected .onnx or .onnxtext)";
  return nullptr;
}

LogicalResult mlir::trit::runGraphToTrit(ModuleOp module, std::string &error,
                                         StageTiming timing) {
  MLIRContext &context = *module.getContext();
  DiagnosticEngine::HandlerID id =
      context.getDiagEngine().registerHandler([&](Diagnostic &diag) {
        llvm::raw_string_ostream os(error);
        os << diag.getLocation() << ": " << diag << "\n";
        return success();
      });
  PassManager pm(&context);
  pm.addPass(createTritFuseQuantizationPass());
  TimingScope phase = timing.nest("trit-fuse-quantization");
  if (timing.passes && phase)
    pm.enableTiming(phase);
  LogicalResult result = pm.run(module);
  context.getDiagEngine().eraseHandler(id);
  return result;
}
