//===- GgufModel.h - BitNet models from GGUF files --------------*- C++ -*-===//
//
// A GGUF file of one of the BitNet architectures llama.cpp, bitnet.cpp and
// ik_llama.cpp write (`bitnet`, `bitnet-25`, `bitnet-b1.58`) as a model
// description and a weight source for the model builder: the description
// from the `{arch}.*` metadata keys, the weights from the `blk.N.*` tensors
// under the builder's canonical (transformers) names. See docs/gguf.md,
// "How trit reads it".
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_IMPORTER_GGUF_GGUFMODEL_H
#define TRIT_IMPORTER_GGUF_GGUFMODEL_H

#include "trit/Importer/Model/ModelBuilder.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir::trit {

/// A GGUF model opened for building.
struct GgufModel {
  ModelDescription description;
  /// Keeps the file mapped for as long as the built module's weights
  /// (F32 tensors are used in place) and the source live.
  std::unique_ptr<WeightSource> weights;
  /// `general.architecture`.
  std::string architecture;
};

/// The GGUF tensor name of a canonical weight name
/// (`model.layers.3.self_attn.q_proj.weight` -> `blk.3.attn_q.weight`), or
/// an empty string for a name the GGUF architectures do not have.
std::string ggufTensorName(llvm::StringRef canonicalName);

/// Maps and validates `path`, reads its description and checks that its
/// tensors are exactly those of the architecture (names and shapes). Errors
/// are one line naming the file and the key or tensor at fault.
std::optional<GgufModel> openGgufModel(llvm::StringRef path,
                                       std::string &error);

/// Opens `path` and builds its model (graph contract, KV cache).
OwningOpRef<ModuleOp> importGgufFile(MLIRContext &context, llvm::StringRef path,
                                     const ModelBuildOptions &options,
                                     std::string &error);

} // namespace mlir::trit

#endif // TRIT_IMPORTER_GGUF_GGUFMODEL_H
