//===- HuggingFace.cpp - Hugging Face BitNet checkpoints --------*- C++ -*-===//
//
// Compiled with -fexceptions: nlohmann::json throws on malformed input, and
// every exception is caught here and becomes an error message.
//
//===----------------------------------------------------------------------===//

#include "trit/Importer/HF/HuggingFace.h"
#include "trit/Importer/HF/Safetensors.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <nlohmann/json.hpp>

#include <cmath>

using namespace mlir;
using namespace mlir::trit;
using json = nlohmann::json;

namespace {

std::string joinPath(llvm::StringRef dir, llvm::StringRef name) {
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, name);
  return std::string(path);
}

std::string shapeString(llvm::ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// The names a checkpoint may use for a canonical weight name: transformers'
/// BitNet names are canonical; 1bitLLM's checkpoints call the sub-norms
/// `inner_attn_ln` and `ffn_layernorm`.
llvm::SmallVector<std::string, 2> aliases(llvm::StringRef name) {
  llvm::SmallVector<std::string, 2> names = {name.str()};
  auto replace = [&](llvm::StringRef from, llvm::StringRef to) {
    size_t at = name.find(from);
    if (at != llvm::StringRef::npos)
      names.push_back((name.substr(0, at) + to +
                       name.substr(at + from.size()))
                          .str());
  };
  replace("self_attn.attn_sub_norm", "self_attn.inner_attn_ln");
  replace("mlp.ffn_sub_norm", "mlp.ffn_layernorm");
  return names;
}

/// The weights of a checkpoint: every tensor of its safetensors files.
class SafetensorsWeights : public WeightSource {
public:
  /// The checkpoint directory (named in messages about missing tensors).
  std::string directory;
  std::vector<std::unique_ptr<SafetensorsFile>> files;
  llvm::StringMap<const SafetensorsTensor *> tensors;
  llvm::StringMap<const SafetensorsFile *> owners;

  const SafetensorsTensor *lookup(llvm::StringRef name,
                                  std::string *found = nullptr) const {
    for (const std::string &alias : aliases(name)) {
      auto it = tensors.find(alias);
      if (it != tensors.end()) {
        if (found)
          *found = alias;
        return it->second;
      }
    }
    return nullptr;
  }

  std::string where(llvm::StringRef name) const {
    auto it = owners.find(name);
    std::string file =
        it == owners.end() ? "checkpoint" : it->second->path().str();
    return file + ": tensor '" + name.str() + "'";
  }

  FailureOr<FloatTensor> getFloat(llvm::StringRef name,
                                  llvm::ArrayRef<int64_t> shape,
                                  std::string &error) override {
    std::string actual;
    const SafetensorsTensor *t = lookup(name, &actual);
    if (!t) {
      error = directory + ": the checkpoint has no tensor '" + name.str() +
              "' " + shapeString(shape);
      return failure();
    }
    if (llvm::ArrayRef<int64_t>(t->shape) != shape) {
      error = where(actual) + " has shape " + shapeString(t->shape) +
              ", the config needs " + shapeString(shape);
      return failure();
    }
    if (t->dtype != SafetensorsDType::F32 &&
        t->dtype != SafetensorsDType::F16 &&
        t->dtype != SafetensorsDType::BF16) {
      error = where(actual) + " has dtype " + dtypeName(t->dtype).str() +
              ", expected a float (F32, F16, BF16)";
      return failure();
    }
    FloatTensor result;
    if (t->dtype == SafetensorsDType::F32 &&
        reinterpret_cast<uintptr_t>(t->bytes.data()) % alignof(float) == 0) {
      // Used where it lies in the mapping, which the blob keeps alive.
      result.shape.assign(shape.begin(), shape.end());
      result.data = llvm::ArrayRef<float>(
          reinterpret_cast<const float *>(t->bytes.data()),
          size_t(t->numElements()));
      result.owner = owners.lookup(actual)->mapping();
      return result;
    }
    FloatTensor converted = FloatTensor::owned(shape, toFloats(*t));
    owners.lookup(actual)->release(*t);
    return converted;
  }

  FailureOr<TernaryTensor> getTernary(llvm::StringRef name, int64_t rows,
                                      int64_t cols,
                                      std::string &error) override {
    std::string actual;
    const SafetensorsTensor *t = lookup(name, &actual);
    if (!t) {
      error = directory + ": the checkpoint has no tensor '" + name.str() +
              "' " + shapeString({rows, cols});
      return failure();
    }
    // The weight's bytes are consumed here (unpacked or ternarized).
    auto release =
        llvm::make_scope_exit([&] { owners.lookup(actual)->release(*t); });
    bool packed = t->dtype == SafetensorsDType::U8;
    if (packed)
      return unpack(*t, actual, rows, cols, error);
    if (llvm::ArrayRef<int64_t>(t->shape) != llvm::ArrayRef<int64_t>{rows, cols}) {
      error = where(actual) + " has shape " + shapeString(t->shape) +
              ", the config needs " + shapeString({rows, cols});
      return failure();
    }
    if (t->dtype == SafetensorsDType::I8) {
      error = where(actual) + " has dtype I8; BitLinear weights are float "
                              "(master or ternary-valued) or packed U8";
      return failure();
    }
    TernaryTensor result = ternarize(toFloats(*t), rows, cols);
    if (!offlineAutoBitLinear)
      return result;
    // transformers' AutoBitLinear, offline: F.linear(ActQuant(x), W) *
    // weight_scale, W used as stored. Only a ternary-valued W is a BitLinear.
    if (!result.exact) {
      error = where(actual) + " is not ternary-valued; AutoBitLinear in "
                              "offline mode uses it as stored";
      return failure();
    }
    FailureOr<float> weightScale = scaleOf(actual, error);
    if (failed(weightScale))
      return failure();
    result.scale *= *weightScale;
    return result;
  }

  /// The one-element `weight_scale` beside the weight `actual`.
  FailureOr<float> scaleOf(llvm::StringRef actual, std::string &error) {
    llvm::StringRef base = actual.drop_back(actual.ends_with(".weight") ? 7 : 0);
    std::string scaleName = (base + ".weight_scale").str();
    auto it = tensors.find(scaleName);
    if (it == tensors.end()) {
      error = where(actual) + " needs '" + scaleName +
              "', which the checkpoint does not have";
      return failure();
    }
    const SafetensorsTensor &scaleTensor = *it->second;
    if (scaleTensor.numElements() != 1 ||
        scaleTensor.dtype == SafetensorsDType::U8 ||
        scaleTensor.dtype == SafetensorsDType::I8) {
      error = where(scaleName) + " must be one float, it is " +
              dtypeName(scaleTensor.dtype).str() + " " +
              shapeString(scaleTensor.shape);
      return failure();
    }
    float weightScale = toFloats(scaleTensor)[0];
    if (!(weightScale > 0) || !std::isfinite(weightScale)) {
      error = where(scaleName) + " is " + std::to_string(weightScale) +
              ", not a positive finite scale";
      return failure();
    }
    return weightScale;
  }

  /// quantization_config says AutoBitLinear with offline quantization.
  bool offlineAutoBitLinear = false;

  /// transformers' packed layout (integrations/bitnet.py, unpack_weights):
  /// uint8 `[rows / 4, cols]`, bits `[2i, 2i + 1]` of packed row r hold
  /// code `w + 1` of row `i * rows / 4 + r`; the layer divides by the
  /// one-element `weight_scale`: `y = (xq . W) / (s_x * weight_scale)`.
  FailureOr<TernaryTensor> unpack(const SafetensorsTensor &t,
                                  llvm::StringRef actual, int64_t rows,
                                  int64_t cols, std::string &error) {
    if (rows % 4 || llvm::ArrayRef<int64_t>(t.shape) !=
                        llvm::ArrayRef<int64_t>{rows / 4, cols}) {
      error = where(actual) + " is packed U8 of shape " + shapeString(t.shape) +
              ", the config needs " + shapeString({rows / 4, cols}) +
              " (four 2-bit codes per byte for " + shapeString({rows, cols}) +
              ")";
      return failure();
    }
    FailureOr<float> weightScale = scaleOf(actual, error);
    if (failed(weightScale))
      return failure();
    TernaryTensor result;
    result.rows = rows;
    result.cols = cols;
    result.codes.resize(size_t(rows) * cols);
    int64_t packedRows = rows / 4;
    const uint8_t *bytes = reinterpret_cast<const uint8_t *>(t.bytes.data());
    for (int64_t r = 0; r < packedRows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        uint8_t byte = bytes[r * cols + c];
        for (int64_t i = 0; i < 4; ++i) {
          int code = (byte >> (2 * i)) & 3;
          if (code == 3) {
            error = where(actual) +
                    llvm::formatv(" holds the code 3 (weight 2) at packed "
                                  "[{0}, {1}] bits {2}-{3}; ternary codes "
                                  "are 0, 1, 2",
                                  r, c, 2 * i, 2 * i + 1)
                        .str();
            return failure();
          }
          result.codes[size_t(i * packedRows + r) * cols + c] =
              int8_t(code - 1);
        }
      }
    result.scale = 1.0f / *weightScale;
    return result;
  }
};

/// Reads a JSON file; errors name it.
std::optional<json> readJson(const std::string &path, std::string &error) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    error = path + ": cannot open: " + buffer.getError().message();
    return std::nullopt;
  }
  try {
    return json::parse((*buffer)->getBuffer().begin(),
                       (*buffer)->getBuffer().end());
  } catch (const json::exception &e) {
    error = path + ": malformed JSON: " + e.what();
    return std::nullopt;
  }
}

/// Reads config.json into a description.
class ConfigReader {
public:
  ConfigReader(const json &config, std::string path, std::string &error)
      : config(config), path(std::move(path)), error(error) {}

  bool fail(const llvm::Twine &message) {
    if (error.empty())
      error = (path + ": " + message).str();
    return false;
  }

  bool integer(const char *field, int64_t &out, bool required = true) {
    if (!config.contains(field) || config[field].is_null()) {
      if (required)
        return fail(llvm::Twine("missing required field '") + field + "'");
      return true;
    }
    const json &v = config[field];
    if (!v.is_number_integer())
      return fail(llvm::Twine("field '") + field + "' is not an integer");
    out = v.get<int64_t>();
    return true;
  }

  bool number(const json &object, const char *field, double &out) {
    if (!object.contains(field) || object[field].is_null())
      return true;
    if (!object[field].is_number())
      return fail(llvm::Twine("field '") + field + "' is not a number");
    out = object[field].get<double>();
    return true;
  }

  bool boolean(const char *field, bool &out) {
    if (!config.contains(field) || config[field].is_null())
      return true;
    if (!config[field].is_boolean())
      return fail(llvm::Twine("field '") + field + "' is not a boolean");
    out = config[field].get<bool>();
    return true;
  }

  /// A token id field: an integer or a list of them (the first is taken).
  bool tokenId(const char *field, int64_t &out) {
    if (!config.contains(field) || config[field].is_null())
      return true;
    const json &v = config[field];
    if (v.is_array() && !v.empty() && v[0].is_number_integer())
      out = v[0].get<int64_t>();
    else if (v.is_number_integer())
      out = v.get<int64_t>();
    else
      return fail(llvm::Twine("field '") + field + "' is not a token id");
    return true;
  }

  const json &config;
  std::string path;
  std::string &error;
};

} // namespace

bool mlir::trit::isHuggingFaceDirectory(llvm::StringRef path) {
  return llvm::sys::fs::is_directory(path) &&
         llvm::sys::fs::exists(joinPath(path, "config.json"));
}

std::optional<HuggingFaceCheckpoint>
mlir::trit::openHuggingFaceDirectory(llvm::StringRef dir, std::string &error) {
  std::string configPath = joinPath(dir, "config.json");
  std::optional<json> config = readJson(configPath, error);
  if (!config)
    return std::nullopt;
  HuggingFaceCheckpoint checkpoint;
  ModelDescription &d = checkpoint.description;
  bool offlineAutoBitLinear = false;
  try {
    if (!config->is_object()) {
      error = configPath + ": not a JSON object";
      return std::nullopt;
    }
    ConfigReader r(*config, configPath, error);
    std::string modelType = config->value("model_type", "");
    bool paperFamily = false;
    if (modelType == "llama") {
      // 1bitLLM's checkpoints say model_type llama and name their own
      // architecture; a plain LLaMA is not ternary.
      for (const json &a : config->value("architectures", json::array()))
        paperFamily |= a.is_string() &&
                       llvm::StringRef(a.get<std::string>()).contains_insensitive(
                           "bitnet");
      if (!paperFamily) {
        r.fail("model_type 'llama' without a BitNet architecture: trit "
               "compiles BitNet b1.58 models (model_type 'bitnet', or "
               "1bitLLM's BitnetForCausalLM)");
        return std::nullopt;
      }
    } else if (modelType != "bitnet") {
      r.fail("model_type '" + modelType +
             "' is not a BitNet model (trit reads 'bitnet' and 1bitLLM's "
             "'llama' with BitnetForCausalLM)");
      return std::nullopt;
    }
    d.family = paperFamily ? "1bitLLM BitnetForCausalLM" : "BitNetForCausalLM";
    int64_t headDim = 0;
    if (!r.integer("vocab_size", d.vocabSize) ||
        !r.integer("hidden_size", d.hiddenSize) ||
        !r.integer("intermediate_size", d.intermediateSize) ||
        !r.integer("num_hidden_layers", d.numLayers) ||
        !r.integer("num_attention_heads", d.numHeads))
      return std::nullopt;
    d.numKvHeads = d.numHeads;
    if (!r.integer("num_key_value_heads", d.numKvHeads, false) ||
        !r.integer("head_dim", headDim, false) ||
        !r.integer("max_position_embeddings", d.maxPositions, false))
      return std::nullopt;
    d.headDim = headDim ? headDim
                        : (d.numHeads > 0 ? d.hiddenSize / d.numHeads : 0);
    if (!headDim && d.numHeads > 0 && d.hiddenSize % d.numHeads) {
      r.fail(llvm::formatv("hidden_size {0} is not a multiple of "
                           "num_attention_heads {1}",
                           d.hiddenSize, d.numHeads));
      return std::nullopt;
    }
    // transformers' defaults: BitNetConfig (rms_norm_eps 1e-5, rope_theta
    // 500000), LlamaConfig (1e-6, 10000).
    d.rmsNormEps = paperFamily ? 1e-6 : 1e-5;
    d.ropeTheta = paperFamily ? 10000.0 : 500000.0;
    if (!r.number(*config, "rms_norm_eps", d.rmsNormEps) ||
        !r.number(*config, "rope_theta", d.ropeTheta))
      return std::nullopt;
    // transformers 5 keeps RoPE settings in rope_parameters.
    for (const char *field : {"rope_parameters", "rope_scaling"}) {
      if (!config->contains(field) || (*config)[field].is_null())
        continue;
      const json &rope = (*config)[field];
      if (!rope.is_object()) {
        r.fail(llvm::Twine("field '") + field + "' is not an object");
        return std::nullopt;
      }
      if (!r.number(rope, "rope_theta", d.ropeTheta))
        return std::nullopt;
      std::string type = rope.value("rope_type", rope.value("type", "default"));
      if (type != "default") {
        r.fail(llvm::Twine("RoPE scaling '") + type +
               "' is not supported (only the default rotary embedding)");
        return std::nullopt;
      }
    }
    std::string act = config->value("hidden_act", paperFamily ? "silu" : "relu2");
    if (act == "relu2")
      d.feedForward = FeedForwardKind::ReluSquared;
    else if (act == "silu" || act == "swish")
      d.feedForward = FeedForwardKind::SwiGLU;
    else {
      r.fail("hidden_act '" + act + "' is not supported (relu2 or silu)");
      return std::nullopt;
    }
    // transformers' BitNetConfig and LlamaConfig both default to untied.
    d.tiedEmbeddings = false;
    bool attentionBias = false, mlpBias = false;
    if (!r.boolean("tie_word_embeddings", d.tiedEmbeddings) ||
        !r.boolean("attention_bias", attentionBias) ||
        !r.boolean("mlp_bias", mlpBias) ||
        !r.tokenId("bos_token_id", d.bosTokenId) ||
        !r.tokenId("eos_token_id", d.eosTokenId))
      return std::nullopt;
    if (attentionBias || mlpBias) {
      r.fail("attention_bias / mlp_bias: BitNet layers without bias only");
      return std::nullopt;
    }
    if (config->contains("quantization_config") &&
        !(*config)["quantization_config"].is_null()) {
      const json &q = (*config)["quantization_config"];
      std::string method = q.is_object() ? q.value("quant_method", "") : "";
      if (method != "bitnet") {
        r.fail("quantization_config quant_method '" + method +
               "' is not supported (only 'bitnet')");
        return std::nullopt;
      }
      if (q.value("use_rms_norm", false)) {
        r.fail("quantization_config use_rms_norm (an RMSNorm inside every "
               "BitLinear) is not supported");
        return std::nullopt;
      }
      offlineAutoBitLinear = q.value("linear_class", "bitlinear") ==
                                 "autobitlinear" &&
                             q.value("quantization_mode", "offline") ==
                                 "offline";
    }
  } catch (const json::exception &e) {
    error = configPath + ": " + e.what();
    return std::nullopt;
  }
  if (std::string problem = d.validate(); !problem.empty()) {
    error = configPath + ": " + problem;
    return std::nullopt;
  }

  // The safetensors files: one, or the shards an index names.
  auto weights = std::make_unique<SafetensorsWeights>();
  weights->directory = dir.str();
  weights->offlineAutoBitLinear = offlineAutoBitLinear;
  std::vector<std::string> files;
  std::string single = joinPath(dir, "model.safetensors");
  std::string indexPath = joinPath(dir, "model.safetensors.index.json");
  if (llvm::sys::fs::exists(single)) {
    files.push_back(single);
  } else if (llvm::sys::fs::exists(indexPath)) {
    std::optional<json> index = readJson(indexPath, error);
    if (!index)
      return std::nullopt;
    try {
      if (!index->is_object() || !index->contains("weight_map") ||
          !(*index)["weight_map"].is_object()) {
        error = indexPath + ": no 'weight_map' object";
        return std::nullopt;
      }
      llvm::StringSet<> seen;
      for (auto &entry : (*index)["weight_map"].items()) {
        if (!entry.value().is_string()) {
          error = indexPath + ": weight_map entry '" + entry.key() +
                  "' is not a file name";
          return std::nullopt;
        }
        std::string shard = entry.value().get<std::string>();
        if (shard.find('/') != std::string::npos || shard == "..") {
          error = indexPath + ": shard '" + shard +
                  "' is not a file in the directory";
          return std::nullopt;
        }
        if (seen.insert(shard).second)
          files.push_back(joinPath(dir, shard));
      }
    } catch (const json::exception &e) {
      error = indexPath + ": " + e.what();
      return std::nullopt;
    }
  } else {
    error = dir.str() + ": no model.safetensors or "
                        "model.safetensors.index.json";
    return std::nullopt;
  }
  for (const std::string &path : files) {
    std::unique_ptr<SafetensorsFile> file = SafetensorsFile::open(path, error);
    if (!file)
      return std::nullopt;
    for (const SafetensorsTensor &t : file->tensors()) {
      if (weights->tensors.count(t.name)) {
        error = path + ": tensor '" + t.name + "' is also in " +
                weights->owners.lookup(t.name)->path().str();
        return std::nullopt;
      }
      weights->tensors[t.name] = &t;
      weights->owners[t.name] = file.get();
    }
    weights->files.push_back(std::move(file));
  }
  // Sub-norms are in the checkpoint or not (1bitLLM's layout varies).
  d.subNorms = weights->lookup("model.layers.0.self_attn.attn_sub_norm.weight") ||
               weights->lookup("model.layers.0.mlp.ffn_sub_norm.weight");
  if (!d.tiedEmbeddings && !weights->lookup("lm_head.weight")) {
    error = configPath + ": tie_word_embeddings is false but the checkpoint "
                         "has no 'lm_head.weight'";
    return std::nullopt;
  }
  for (const char *name : {"tokenizer.json", "tokenizer.model"}) {
    std::string path = joinPath(dir, name);
    if (llvm::sys::fs::exists(path)) {
      checkpoint.tokenizerPath = path;
      break;
    }
  }
  if (std::string path = joinPath(dir, "tokenizer_config.json");
      !checkpoint.tokenizerPath.empty() && llvm::sys::fs::exists(path))
    checkpoint.tokenizerConfigPath = path;
  checkpoint.weights = std::move(weights);
  return checkpoint;
}

OwningOpRef<ModuleOp> mlir::trit::importHuggingFaceDirectory(
    MLIRContext &context, llvm::StringRef dir, const ModelBuildOptions &options,
    std::string &error) {
  std::optional<HuggingFaceCheckpoint> checkpoint =
      openHuggingFaceDirectory(dir, error);
  if (!checkpoint)
    return nullptr;
  return buildModel(context, checkpoint->description, *checkpoint->weights,
                    options, error);
}
