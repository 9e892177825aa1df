//===- ModelBuilder.h - BitNet models from a description --------*- C++ -*-===//
//
// One C++ description of the BitNet b1.58 transformer, filled by every
// frontend that hands trit a configuration and weights rather than a graph
// (Hugging Face directories, GGUF files). The builder emits the graph
// contract of docs/graph-contract.md with a KV cache, so the passes and
// pipelines the ONNX importer feeds are reused unchanged; BitLinear layers
// arrive already ternary and are emitted as `trit.bitlinear` on a ternary
// constant (what trit-fuse-quantization makes of an imported graph).
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_IMPORTER_MODEL_MODELBUILDER_H
#define TRIT_IMPORTER_MODEL_MODELBUILDER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mlir::trit {

/// The feed-forward block of a BitNet layer.
enum class FeedForwardKind {
  /// `down(silu(gate(x)) * up(x))`: the paper's LLaMA-like models.
  SwiGLU,
  /// `down(relu(gate(x))^2 * up(x))`: bitnet-b1.58-2B-4T.
  ReluSquared,
};

/// Everything about a BitNet b1.58 model but its weights.
struct ModelDescription {
  /// Where the description came from, for messages ("bitnet (HF)").
  std::string family;
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t intermediateSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t numKvHeads = 0;
  /// hiddenSize / numHeads unless the source says otherwise.
  int64_t headDim = 0;
  FeedForwardKind feedForward = FeedForwardKind::ReluSquared;
  /// RMSNorm before o_proj and before down_proj.
  bool subNorms = true;
  double ropeTheta = 10000.0;
  double rmsNormEps = 1e-5;
  /// The LM head is the embedding table.
  bool tiedEmbeddings = false;
  /// The longest sequence the model supports (the rotary tables' rows).
  int64_t maxPositions = 4096;
  /// Token ids of the tokenizer's BOS/EOS, -1 when unknown.
  int64_t bosTokenId = -1;
  int64_t eosTokenId = -1;

  /// Checks the sizes fit together; on failure returns a message.
  std::string validate() const;
};

/// A float tensor in row-major order with f32 elements. `data` either
/// points into storage that `owner` keeps alive (a mapped file) or into
/// `storage`.
struct FloatTensor {
  llvm::SmallVector<int64_t> shape;
  llvm::ArrayRef<float> data;
  std::shared_ptr<const void> owner;
  std::vector<float> storage;

  static FloatTensor owned(llvm::ArrayRef<int64_t> shape,
                           std::vector<float> values);
};

/// A BitLinear weight `[out, in]` (PyTorch's layout): the layer computes
/// `y = (xq . codes^T) * scale / s_x` (design.md section 1), i.e. the
/// weight is `codes * scale`.
struct TernaryTensor {
  int64_t rows = 0, cols = 0;
  /// -1, 0 or +1, row-major `[rows, cols]`.
  std::vector<int8_t> codes;
  float scale = 1.0f;
  /// The source weight took exactly the values {-scale, 0, +scale} (set by
  /// `ternarize`; false when it was quantized).
  bool exact = true;
};

/// Where the builder gets weights, by the canonical names below (Hugging
/// Face's `BitNetForCausalLM` names):
///   model.embed_tokens.weight                          [vocab, hidden]
///   model.layers.N.input_layernorm.weight              [hidden]
///   model.layers.N.self_attn.{q,k,v,o}_proj.weight     BitLinear
///   model.layers.N.self_attn.attn_sub_norm.weight      [heads*head_dim]
///   model.layers.N.post_attention_layernorm.weight     [hidden]
///   model.layers.N.mlp.{gate,up,down}_proj.weight      BitLinear
///   model.layers.N.mlp.ffn_sub_norm.weight             [intermediate]
///   model.norm.weight                                  [hidden]
///   lm_head.weight                                     [vocab, hidden]
/// A source checks the shape it is asked for and fails with a message that
/// names its own file and tensor.
class WeightSource {
public:
  virtual ~WeightSource();
  /// The float tensor `name`, which must have `shape`.
  virtual FailureOr<FloatTensor> getFloat(llvm::StringRef name,
                                          llvm::ArrayRef<int64_t> shape,
                                          std::string &error) = 0;
  /// The BitLinear weight `name` of `rows` x `cols`, ternary.
  virtual FailureOr<TernaryTensor> getTernary(llvm::StringRef name,
                                              int64_t rows, int64_t cols,
                                              std::string &error) = 0;
};

/// How the model is emitted.
struct ModelBuildOptions {
  /// The entry function's name.
  std::string entry = "main";
  /// Emit BitLinear weights already packed in this layout ("i2" or
  /// "tq1", as trit-pack-weights would); empty: as `#trit.ternary` i8
  /// constants. Packing here means a big model's weights never exist as one
  /// byte per value.
  std::string packLayout;
  /// Called before each layer's weights are read (progress on big models).
  std::function<void(int64_t layer, int64_t numLayers)> progress;
};

/// Emits the model: a function `(ids: tensor<?x?xi64>, past_0.key,
/// past_0.value, ...) -> (logits: tensor<?x?xVxf32>, present_0.key, ...)`
/// with each cache tensor `tensor<?xKVxPxDxf32>` (the KV-cache model of
/// trit-export-model), in the graph contract. The module carries
/// `trit.max_positions` (the rotary tables' length). On failure returns
/// null and sets `error`.
OwningOpRef<ModuleOp> buildModel(MLIRContext &context,
                                 const ModelDescription &description,
                                 WeightSource &weights,
                                 const ModelBuildOptions &options,
                                 std::string &error);

/// Ternary codes and scale of a float BitLinear weight: a weight that takes
/// exactly the values {-a, 0, +a} keeps `a`; any other is quantized as
/// design.md section 1 says (absmean, `s = 1 / max(mean|W|, 1e-5)`,
/// `codes = clamp(roundeven(W * s), -1, 1)`, scale `1 / s`), as PyTorch's
/// reference and transformers' online BitLinear compute it.
TernaryTensor ternarize(llvm::ArrayRef<float> weight, int64_t rows,
                        int64_t cols);

} // namespace mlir::trit

#endif // TRIT_IMPORTER_MODEL_MODELBUILDER_H
