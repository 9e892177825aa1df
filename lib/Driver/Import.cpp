//===- Import.cpp - the driver's front stages -------------------*- C++ -*-===//

#include "trit/Driver/Import.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"
#include "trit/Importer/GGUF/GgufModel.h"
#include "trit/Importer/HF/HuggingFace.h"
#include "trit/Importer/ONNX/Importer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace mlir::trit;

InputFormat mlir::trit::detectInputFormat(StringRef path) {
  if (isHuggingFaceDirectory(path))
    return InputFormat::HuggingFace;
  if (llvm::sys::fs::is_directory(path))
    return InputFormat::Auto;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> head =
      llvm::MemoryBuffer::getFileSlice(path, 4, 0);
  if (head && (*head)->getBuffer() == "GGUF")
    return InputFormat::Gguf;
  return InputFormat::Onnx;
}

ImportResult mlir::trit::importModel(MLIRContext &context, StringRef path,
                                     const ImportOptions &options,
                                     std::string &error) {
  ImportResult result;
  ModelBuildOptions build;
  build.packLayout = options.packLayout;
  if (options.progress)
    build.progress = [](int64_t layer, int64_t layers) {
      llvm::errs() << "\r[import] layer " << layer + 1 << "/" << layers;
      if (layer + 1 == layers)
        llvm::errs() << "\n";
    };
  if (!llvm::sys::fs::exists(path)) {
    error = path.str() + ": no such file or directory";
    return result;
  }
  InputFormat format = options.format;
  if (format == InputFormat::Auto)
    format = detectInputFormat(path);
  switch (format) {
  case InputFormat::Auto:
    error = path.str() + ": a directory without config.json (a Hugging Face "
                         "checkpoint has one)";
    return result;
  case InputFormat::Onnx:
    if (llvm::sys::fs::is_directory(path)) {
      error = path.str() + ": is a directory, not an ONNX file";
      return result;
    }
    result.module = importOnnxFile(context, path, OnnxImportOptions(), error);
    return result;
  case InputFormat::HuggingFace: {
    if (!isHuggingFaceDirectory(path)) {
      error = path.str() + ": not a Hugging Face directory (no config.json)";
      return result;
    }
    std::optional<HuggingFaceCheckpoint> checkpoint =
        openHuggingFaceDirectory(path, error);
    if (!checkpoint)
      return result;
    result.module = buildModel(context, checkpoint->description,
                               *checkpoint->weights, build, error);
    if (result.module) {
      result.tokenizerPath = checkpoint->tokenizerPath;
      result.tokenizerConfigPath = checkpoint->tokenizerConfigPath;
    }
    return result;
  }
  case InputFormat::Gguf: {
    if (llvm::sys::fs::is_directory(path)) {
      error = path.str() + ": is a directory, not a GGUF file";
      return result;
    }
    // The tokenizer lives in the file's own `tokenizer.ggml.*` metadata;
    // no separate tokenizer file is named here.
    std::optional<GgufModel> model = openGgufModel(path, error);
    if (!model)
      return result;
    result.module =
        buildModel(context, model->description, *model->weights, build, error);
    return result;
  }
  }
  return result;
}

OwningOpRef<ModuleOp> mlir::trit::importModelFile(MLIRContext &context,
                                                  StringRef path,
                                                  std::string &error) {
  return std::move(importModel(context, path, ImportOptions(), error).module);
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
