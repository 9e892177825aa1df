//===- GgufModel.cpp - BitNet models from GGUF files ------------*- C++ -*-===//
//
// The three BitNet architectures of docs/gguf.md section 3 mapped onto the
// model builder. The whole inventory of the file is checked before any
// weight is decoded (every tensor present, of the right shape, and nothing
// the graph would silently ignore), so that a bad file fails fast and with
// one line naming the file and the key or tensor.
//
//===----------------------------------------------------------------------===//

#include "trit/Importer/GGUF/GgufModel.h"
#include "trit/Importer/GGUF/GgufFile.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::trit;
using ::trit::gguf::GgufFile;
using ::trit::gguf::TensorInfo;
using GgufType = ::trit::gguf::TensorType;

namespace {

/// Per-layer tensors: canonical suffix (after `model.layers.N.`) and GGUF
/// suffix (after `blk.N.`), without `.weight`.
struct LayerTensorName {
  const char *canonical;
  const char *gguf;
  bool bitLinear;
};

constexpr LayerTensorName kLayerTensors[] = {
    {"input_layernorm", "attn_norm", false},
    {"self_attn.q_proj", "attn_q", true},
    {"self_attn.k_proj", "attn_k", true},
    {"self_attn.v_proj", "attn_v", true},
    {"self_attn.attn_sub_norm", "attn_sub_norm", false},
    {"self_attn.o_proj", "attn_output", true},
    {"post_attention_layernorm", "ffn_norm", false},
    {"mlp.gate_proj", "ffn_gate", true},
    {"mlp.up_proj", "ffn_up", true},
    {"mlp.ffn_sub_norm", "ffn_sub_norm", false},
    {"mlp.down_proj", "ffn_down", true},
};
constexpr int64_t kTensorsPerLayer = std::size(kLayerTensors);

/// ggml's ne order of a PyTorch-order shape.
std::vector<int64_t> neOf(llvm::ArrayRef<int64_t> shape) {
  return std::vector<int64_t>(shape.rbegin(), shape.rend());
}

template <typename T> std::string listString(llvm::ArrayRef<T> values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i)
    s += (i ? ", " : "") + std::to_string(values[i]);
  return s + "]";
}

/// A shape's dims without trailing 1s: ggml treats `[n]` and `[n, 1]` as
/// the same tensor, and writers differ in which they store.
std::vector<int64_t> significant(std::vector<int64_t> ne) {
  while (ne.size() > 1 && ne.back() == 1)
    ne.pop_back();
  return ne;
}

bool isBitNetArchitecture(llvm::StringRef arch) {
  return arch == "bitnet" || arch == "bitnet-25" || arch == "bitnet-b1.58";
}

/// The weights of a GGUF file under the builder's canonical names.
class GgufWeights : public WeightSource {
public:
  GgufWeights(std::shared_ptr<GgufFile> file, std::string architecture)
      : file(std::move(file)), architecture(std::move(architecture)) {}

  std::shared_ptr<GgufFile> file;
  std::string architecture;

  /// The tensor for `canonical`, checked against `shape` (PyTorch order).
  const TensorInfo *lookup(llvm::StringRef canonical,
                           llvm::ArrayRef<int64_t> shape,
                           std::string &error) const {
    std::string name = ggufTensorName(canonical);
    const TensorInfo *tensor = name.empty() ? nullptr : file->findTensor(name);
    if (!tensor) {
      error = file->path() + ": tensor '" +
              (name.empty() ? canonical.str() : name) + "' is missing (a '" +
              architecture + "' model needs it, ne " +
              listString<int64_t>(neOf(shape)) + ")";
      return nullptr;
    }
    if (!checkShape(*tensor, shape, error))
      return nullptr;
    return tensor;
  }

  bool checkShape(const TensorInfo &tensor, llvm::ArrayRef<int64_t> shape,
                  std::string &error) const {
    std::vector<int64_t> ne(tensor.ggmlDims.begin(), tensor.ggmlDims.end());
    if (significant(ne) == significant(neOf(shape)))
      return true;
    error =
        file->tensorError(tensor, "ne " + listString<int64_t>(ne) + " (shape " +
                                      listString<int64_t>(tensor.shape()) +
                                      "), the metadata needs ne " +
                                      listString<int64_t>(neOf(shape)) +
                                      " (shape " + listString(shape) + ")");
    return false;
  }

  FailureOr<FloatTensor> getFloat(llvm::StringRef name,
                                  llvm::ArrayRef<int64_t> shape,
                                  std::string &error) override {
    const TensorInfo *tensor = lookup(name, shape, error);
    if (!tensor)
      return failure();
    if (const float *view = file->viewF32(*tensor)) {
      // Used where it lies in the mapping; the module's blob holds the
      // file (through `owner`) for as long as it needs the bytes.
      FloatTensor result;
      result.shape.assign(shape.begin(), shape.end());
      result.data = llvm::ArrayRef<float>(view, size_t(tensor->numElements));
      result.owner = std::shared_ptr<const void>(file, file.get());
      return result;
    }
    std::vector<float> values;
    if (!file->decodeFloat(*tensor, values, error))
      return failure();
    return FloatTensor::owned(shape, std::move(values));
  }

  FailureOr<TernaryTensor> getTernary(llvm::StringRef name, int64_t rows,
                                      int64_t cols,
                                      std::string &error) override {
    const TensorInfo *tensor = lookup(name, {rows, cols}, error);
    if (!tensor)
      return failure();
    TernaryTensor result;
    auto type = static_cast<GgufType>(tensor->type);
    if (type == GgufType::TQ1_0 || type == GgufType::TQ2_0 ||
        type == GgufType::I2_S) {
      ::trit::gguf::TernaryTensor decoded;
      if (!file->decodeTernary(*tensor, decoded, error))
        return failure();
      result.rows = rows;
      result.cols = cols;
      result.codes = std::move(decoded.codes);
      result.scale = decoded.scale;
    } else if (type == GgufType::F32 || type == GgufType::F16 ||
               type == GgufType::BF16 || type == GgufType::Q8_0) {
      // Converters write ternary-valued floats (codes times a scale, or
      // sign(W) with a `.scale` tensor); those are kept exactly. Any other
      // float weight is quantized as the HF path quantizes master weights
      // (absmean, design.md section 1), which is what llama.cpp's and
      // bitnet.cpp's converters do before writing.
      std::vector<float> values;
      if (!file->decodeFloat(*tensor, values, error))
        return failure();
      result = ternarize(values, rows, cols);
    } else {
      error = file->tensorError(
          *tensor, "type " + ::trit::gguf::tensorTypeName(tensor->type) +
                       " is not supported for a BitLinear weight (trit reads "
                       "tq1_0, tq2_0, i2_s, and f32, f16, bf16, q8_0)");
      return failure();
    }
    if (architecture == "bitnet") {
      // Older llama.cpp / ik_llama.cpp converters store sign(W) and the
      // per-tensor scale apart; the engine multiplies the matmul output
      // by it, i.e. the weight is codes * scale * this.
      FailureOr<float> extra = scaleTensor(name, *tensor, error);
      if (failed(extra))
        return failure();
      result.scale *= *extra;
    }
    if (result.scale == 0.0f ||
        llvm::all_of(result.codes, [](int8_t c) { return c == 0; })) {
      // A zero weight (all codes 0, or a zero scale: TQ blocks and I2_S
      // store 0 for an all-zero tensor). The builder wants a positive
      // scale; any scale gives the same zero product.
      std::fill(result.codes.begin(), result.codes.end(), int8_t(0));
      result.scale = 1.0f;
    }
    return result;
  }

  /// The optional `blk.N.X.scale` beside `blk.N.X.weight`, 1 when absent.
  FailureOr<float> scaleTensor(llvm::StringRef canonical,
                               const TensorInfo &weight, std::string &error) {
    llvm::StringRef base(weight.name);
    base.consume_back(".weight");
    std::string scaleName = (base + ".scale").str();
    const TensorInfo *tensor = file->findTensor(scaleName);
    if (!tensor)
      return 1.0f;
    if (tensor->numElements != 1) {
      error = file->tensorError(
          *tensor, "a per-tensor scale must have one element, it has ne " +
                       listString<uint64_t>(tensor->ggmlDims));
      return failure();
    }
    std::vector<float> value;
    if (!file->decodeFloat(*tensor, value, error))
      return failure();
    if (!std::isfinite(value[0]) || value[0] < 0) {
      error =
          file->tensorError(*tensor, "the scale " + std::to_string(value[0]) +
                                         " is not finite and >= 0");
      return failure();
    }
    return value[0];
  }
};

/// Reads the `{arch}.*` metadata into a description.
class MetadataReader {
public:
  MetadataReader(const GgufFile &file, std::string arch, std::string &error)
      : file(file), arch(std::move(arch)), error(error) {}

  std::string key(llvm::StringRef suffix) const {
    return arch + "." + suffix.str();
  }

  bool fail(const std::string &k, const llvm::Twine &message) {
    error = file.path() + ": metadata '" + k + "': " + message.str();
    return false;
  }

  /// An unsigned key into `out` (a positive int64), `fallback` when absent
  /// and not required.
  bool size(llvm::StringRef suffix, int64_t &out, bool required,
            int64_t fallback = 0) {
    std::string k = key(suffix);
    if (!required && !file.hasKey(k)) {
      out = fallback;
      return true;
    }
    uint64_t value;
    if (!file.getUInt(k, value, error))
      return false;
    // Sizes beyond 2^31 are no model's and would overflow products later.
    if (value == 0 || value >= (uint64_t(1) << 31))
      return fail(k, llvm::Twine(value) + " is out of range (1 .. 2^31 - 1)");
    out = int64_t(value);
    return true;
  }

  bool number(llvm::StringRef suffix, double &out, bool required) {
    std::string k = key(suffix);
    if (!required && !file.hasKey(k))
      return true;
    return file.getFloat(k, out, error);
  }

  const GgufFile &file;
  std::string arch;
  std::string &error;
};

/// One tensor the architecture has, with its ggml shape.
struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape; // PyTorch order
  bool required;
};

/// Everything a model of description `d` may hold, by GGUF name.
/// `paper` (architecture `bitnet`): optional `.scale` tensors, no
/// `output.weight`.
std::vector<ExpectedTensor> expectedTensors(const ModelDescription &d,
                                            bool paper) {
  std::vector<ExpectedTensor> expected;
  expected.push_back({"token_embd.weight", {d.vocabSize, d.hiddenSize}, true});
  expected.push_back({"output_norm.weight", {d.hiddenSize}, true});
  if (!paper)
    expected.push_back(
        {"output.weight", {d.vocabSize, d.hiddenSize}, !d.tiedEmbeddings});
  int64_t q = d.numHeads * d.headDim, kv = d.numKvHeads * d.headDim;
  int64_t h = d.hiddenSize, f = d.intermediateSize;
  const std::vector<int64_t> shapes[kTensorsPerLayer] = {
      {h}, {q, h}, {kv, h}, {kv, h}, {q},   {h, q},
      {h}, {f, h}, {f, h},  {f},     {h, f}};
  for (int64_t layer = 0; layer < d.numLayers; ++layer)
    for (int64_t i = 0; i < kTensorsPerLayer; ++i) {
      std::string base =
          "blk." + std::to_string(layer) + "." + kLayerTensors[i].gguf;
      expected.push_back({base + ".weight", shapes[i], true});
      if (paper && kLayerTensors[i].bitLinear)
        expected.push_back({base + ".scale", {1}, false});
    }
  return expected;
}

/// Why a tensor the architecture does not have is refused.
std::string unexpectedTensorReason(llvm::StringRef name, llvm::StringRef arch) {
  if (name.ends_with(".bias"))
    return "biases are not supported (BitNet layers have none)";
  if (name == "rope_freqs.weight")
    return "RoPE frequency factors (rope_freqs) are not supported";
  if (name.ends_with(".scale"))
    return "per-tensor '.scale' tensors belong to architecture 'bitnet', "
           "not '" +
           arch.str() + "'";
  if (name == "output.weight")
    return "architecture 'bitnet' has a tied head (the engines use "
           "token_embd and would not read this tensor)";
  return "not a tensor of a '" + arch.str() +
         "' model (a layer beyond block_count, or one trit does not know)";
}

} // namespace

std::string mlir::trit::ggufTensorName(llvm::StringRef canonical) {
  if (canonical == "model.embed_tokens.weight")
    return "token_embd.weight";
  if (canonical == "model.norm.weight")
    return "output_norm.weight";
  if (canonical == "lm_head.weight")
    return "output.weight";
  llvm::StringRef rest = canonical;
  unsigned layer;
  if (!rest.consume_front("model.layers.") || rest.consumeInteger(10, layer) ||
      !rest.consume_front(".") || !rest.consume_back(".weight"))
    return "";
  for (const LayerTensorName &t : kLayerTensors)
    if (rest == t.canonical)
      return "blk." + std::to_string(layer) + "." + t.gguf + ".weight";
  return "";
}

std::optional<GgufModel> mlir::trit::openGgufModel(llvm::StringRef path,
                                                   std::string &error) {
  std::shared_ptr<GgufFile> file = GgufFile::open(path.str(), error);
  if (!file)
    return std::nullopt;
  GgufModel model;
  if (!file->getString("general.architecture", model.architecture, error))
    return std::nullopt;
  const std::string &arch = model.architecture;
  if (!isBitNetArchitecture(arch)) {
    error = file->path() + ": architecture '" + arch +
            "' is not a BitNet b1.58 model (trit reads 'bitnet', "
            "'bitnet-25' and 'bitnet-b1.58')";
    return std::nullopt;
  }
  bool paper = arch == "bitnet";
  ModelDescription &d = model.description;
  d.family = arch + " (GGUF)";
  MetadataReader r(*file, arch, error);
  if (!r.size("block_count", d.numLayers, true) ||
      !r.size("embedding_length", d.hiddenSize, true) ||
      !r.size("feed_forward_length", d.intermediateSize, true) ||
      !r.size("attention.head_count", d.numHeads, true) ||
      !r.size("attention.head_count_kv", d.numKvHeads, false, d.numHeads) ||
      !r.number("attention.layer_norm_rms_epsilon", d.rmsNormEps, true) ||
      !r.number("rope.freq_base", d.ropeTheta, false) ||
      !r.size("context_length", d.maxPositions, false, 4096))
    return std::nullopt;
  // The rotary tables have context_length rows; a million positions is
  // beyond every BitNet model and keeps a hostile value from allocating
  // gigabytes.
  if (d.maxPositions > (int64_t(1) << 20)) {
    r.fail(r.key("context_length"),
           llvm::Twine(d.maxPositions) +
               " positions exceed the 1048576 trit supports");
    return std::nullopt;
  }

  // Head size: key_length where given (transformers' head_dim), else
  // hidden / heads; one size for keys and values.
  int64_t keyLength = 0, valueLength = 0;
  if (!r.size("attention.key_length", keyLength, false) ||
      !r.size("attention.value_length", valueLength, false))
    return std::nullopt;
  if (keyLength)
    d.headDim = keyLength;
  else if (d.hiddenSize % d.numHeads) {
    r.fail(r.key("embedding_length"),
           llvm::formatv("{0} is not a multiple of the {1} heads", d.hiddenSize,
                         d.numHeads));
    return std::nullopt;
  } else {
    d.headDim = d.hiddenSize / d.numHeads;
  }
  if (valueLength && valueLength != d.headDim) {
    r.fail(r.key("attention.value_length"),
           llvm::formatv("{0} differs from the key length {1}; trit "
                         "supports one head size",
                         valueLength, d.headDim));
    return std::nullopt;
  }
  // Partial rotary embedding (n_rot < head dim) is not what the graph
  // emits.
  int64_t ropeDims = 0;
  if (!r.size("rope.dimension_count", ropeDims, false, d.headDim))
    return std::nullopt;
  if (ropeDims != d.headDim) {
    r.fail(r.key("rope.dimension_count"),
           llvm::formatv("{0} rotated dimensions of a head of {1}: trit "
                         "rotates whole heads",
                         ropeDims, d.headDim));
    return std::nullopt;
  }
  // RoPE scaling: only the no-op forms (llama.cpp's converter writes
  // `linear` with factor 1 for bitnet).
  if (file->hasKey(r.key("rope.scaling.type"))) {
    std::string type;
    if (!file->getString(r.key("rope.scaling.type"), type, error))
      return std::nullopt;
    if (type != "none" && type != "linear") {
      r.fail(r.key("rope.scaling.type"),
             "RoPE scaling '" + type + "' is not supported");
      return std::nullopt;
    }
  }
  double factor = 1.0;
  if (!r.number("rope.scaling.factor", factor, false))
    return std::nullopt;
  // llama.cpp reads a factor of 0 as "no scaling".
  if (factor != 1.0 && factor != 0.0) {
    r.fail(r.key("rope.scaling.factor"),
           llvm::formatv("{0}: RoPE scaling is not supported", factor));
    return std::nullopt;
  }

  // FFN: SiLU-gated for `bitnet` (newer llama.cpp lets hidden_activation
  // override it; only SiLU is a value it and trit agree on), relu² for
  // the 2B-4T architectures.
  d.feedForward = FeedForwardKind::ReluSquared;
  if (paper) {
    d.feedForward = FeedForwardKind::SwiGLU;
    if (file->hasKey(r.key("hidden_activation"))) {
      std::string act;
      if (!file->getString(r.key("hidden_activation"), act, error))
        return std::nullopt;
      if (act != "silu" && act != "swish") {
        r.fail(r.key("hidden_activation"),
               "'" + act +
                   "' is not supported (architecture 'bitnet' "
                   "runs silu)");
        return std::nullopt;
      }
    }
  }
  // Every engine's loader requires both sub-norms for all three names.
  d.subNorms = true;

  for (const char *name :
       {"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"}) {
    if (!file->hasKey(name))
      continue;
    int64_t id;
    if (!file->getInt(name, id, error))
      return std::nullopt;
    (llvm::StringRef(name).contains("bos") ? d.bosTokenId : d.eosTokenId) = id;
  }

  // The vocabulary is token_embd's ne1 (what the engines use too).
  const TensorInfo *embedding = file->findTensor("token_embd.weight");
  if (!embedding) {
    error = file->path() + ": tensor 'token_embd.weight' is missing (a '" +
            arch + "' model needs it)";
    return std::nullopt;
  }
  if (embedding->ggmlDims.size() != 2 ||
      int64_t(embedding->ggmlDims[0]) != d.hiddenSize ||
      embedding->ggmlDims[1] >= (uint64_t(1) << 31)) {
    error = file->tensorError(
        *embedding, "ne " + listString<uint64_t>(embedding->ggmlDims) +
                        ", the metadata needs ne [" +
                        std::to_string(d.hiddenSize) + ", vocab]");
    return std::nullopt;
  }
  d.vocabSize = int64_t(embedding->ggmlDims[1]);
  if (file->hasKey(r.key("vocab_size"))) {
    int64_t vocab;
    if (!r.size("vocab_size", vocab, true))
      return std::nullopt;
    if (vocab != d.vocabSize) {
      r.fail(r.key("vocab_size"),
             llvm::formatv("{0} differs from token_embd.weight's {1} rows",
                           vocab, d.vocabSize));
      return std::nullopt;
    }
  }
  // `bitnet` is always tied; the 2B-4T architectures have `output.weight`
  // or fall back to token_embd.
  d.tiedEmbeddings = paper || !file->findTensor("output.weight");

  if (std::string problem = d.validate(); !problem.empty()) {
    error = file->path() + ": " + problem;
    return std::nullopt;
  }
  // Every layer has 11 tensors: a block_count the tensor table cannot hold
  // fails here, before a table of that many names is built.
  if (d.numLayers * kTensorsPerLayer > int64_t(file->tensors().size())) {
    r.fail(r.key("block_count"),
           llvm::formatv("{0} layers need at least {1} tensors, the file has "
                         "{2}",
                         d.numLayers, d.numLayers * kTensorsPerLayer,
                         file->tensors().size()));
    return std::nullopt;
  }

  // The inventory: every tensor present and of the right shape, and none
  // that the graph would ignore (a bias, rope factors, an extra layer).
  auto weights = std::make_unique<GgufWeights>(file, arch);
  std::vector<ExpectedTensor> expected = expectedTensors(d, paper);
  llvm::StringMap<const ExpectedTensor *> byName;
  for (const ExpectedTensor &t : expected)
    byName[t.name] = &t;
  for (const TensorInfo &tensor : file->tensors()) {
    auto it = byName.find(tensor.name);
    if (it == byName.end()) {
      error =
          file->tensorError(tensor, unexpectedTensorReason(tensor.name, arch));
      return std::nullopt;
    }
    if (!weights->checkShape(tensor, it->second->shape, error))
      return std::nullopt;
  }
  for (const ExpectedTensor &t : expected)
    if (t.required && !file->findTensor(t.name)) {
      error = file->path() + ": tensor '" + t.name + "' is missing (a '" +
              arch + "' model needs it, ne " +
              listString<int64_t>(neOf(t.shape)) + ")";
      return std::nullopt;
    }
  model.weights = std::move(weights);
  return model;
}

OwningOpRef<ModuleOp>
mlir::trit::importGgufFile(MLIRContext &context, llvm::StringRef path,
                           const ModelBuildOptions &options,
                           std::string &error) {
  std::optional<GgufModel> model = openGgufModel(path, error);
  if (!model)
    return nullptr;
  return buildModel(context, model->description, *model->weights, options,
                    error);
}
