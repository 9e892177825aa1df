//===- HuggingFace.h - Hugging Face BitNet checkpoints ----------*- C++ -*-===//
//
// A Hugging Face model directory (config.json, model.safetensors or shards
// listed in model.safetensors.index.json) as a model description and a
// weight source for the model builder. Reads transformers'
// `BitNetForCausalLM` (model_type "bitnet": packed 2-bit weights with
// quantization_config bitnet/offline, or float master weights) and the
// paper's 1bitLLM checkpoints (model_type "llama", BitnetForCausalLM).
// See docs/huggingface.md.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_IMPORTER_HF_HUGGINGFACE_H
#define TRIT_IMPORTER_HF_HUGGINGFACE_H

#include "trit/Importer/Model/ModelBuilder.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir::trit {

/// A checkpoint opened for building.
struct HuggingFaceCheckpoint {
  ModelDescription description;
  std::unique_ptr<WeightSource> weights;
  /// `tokenizer.json` (or `tokenizer.model`) in the directory, if any.
  std::string tokenizerPath;
  /// `tokenizer_config.json` in the directory (its BOS and EOS), if any.
  std::string tokenizerConfigPath;
};

/// Whether `path` is a directory holding a config.json.
bool isHuggingFaceDirectory(llvm::StringRef path);

/// Reads `dir`'s config.json and maps its safetensors files. Errors name
/// the file and the field or tensor at fault.
std::optional<HuggingFaceCheckpoint>
openHuggingFaceDirectory(llvm::StringRef dir, std::string &error);

/// Opens `dir` and builds its model (graph contract, KV cache).
OwningOpRef<ModuleOp> importHuggingFaceDirectory(
    MLIRContext &context, llvm::StringRef dir,
    const ModelBuildOptions &options, std::string &error);

} // namespace mlir::trit

#endif // TRIT_IMPORTER_HF_HUGGINGFACE_H
