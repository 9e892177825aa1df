//===- Tokenizer.cpp - loading tokenizers and streaming decode --*- C++ -*-===//
//
// The public entry points: find and read the file, pick the tokenizer kind,
// and turn every failure (ours, nlohmann's, libsentencepiece's) into one
// line of error text. Nothing thrown here leaves the library.
//
//===----------------------------------------------------------------------===//

#include "TokenizerInternal.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <new>
#include <sys/stat.h>

namespace trit {

using detail::LoadError;

Tokenizer::~Tokenizer() = default;

namespace {

/// The largest tokenizer file read (LLaMA-3's tokenizer.json is 9 MB).
constexpr uint64_t maxTokenizerFileBytes = uint64_t(1) << 30;

bool isDirectory(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

bool isRegularFile(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::string readFile(const std::string &path) {
  struct stat info;
  if (stat(path.c_str(), &info) != 0)
    throw LoadError{path + ": no such file or directory"};
  if (!S_ISREG(info.st_mode))
    throw LoadError{path + ": not a regular file"};
  if (uint64_t(info.st_size) > maxTokenizerFileBytes)
    throw LoadError{path + ": " + std::to_string(info.st_size) +
                    " bytes is too large for a tokenizer"};
  std::ifstream stream(path, std::ios::binary);
  if (!stream)
    throw LoadError{path + ": cannot be opened"};
  std::string bytes(size_t(info.st_size), '\0');
  stream.read(bytes.data(), std::streamsize(bytes.size()));
  if (stream.gcount() != std::streamsize(bytes.size()))
    throw LoadError{path + ": read failed"};
  return bytes;
}

std::string parentDirectory(const std::string &path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

/// What tokenizer_config.json beside a tokenizer says about BOS and EOS.
struct TokenizerConfig {
  std::optional<std::string> bosToken, eosToken;
  std::optional<bool> addBos, addEos;
};

/// The tokenizer_config.json that belongs to the tokenizer file `path`: in
/// a checkpoint, tokenizer_config.json beside it; beside a compiled model
/// (MODEL.tokenizer.json, as tritc writes it), MODEL.tokenizer_config.json,
/// so that an unrelated tokenizer_config.json in the same folder is never
/// taken for the model's.
std::string tokenizerConfigPath(const std::string &path) {
  for (const char *suffix : {".tokenizer.json", ".tokenizer.model"}) {
    size_t length = std::char_traits<char>::length(suffix);
    if (path.size() > length &&
        path.compare(path.size() - length, length, suffix) == 0)
      return path.substr(0, path.size() - length) + ".tokenizer_config.json";
  }
  return parentDirectory(path) + "/tokenizer_config.json";
}

TokenizerConfig readTokenizerConfig(const std::string &path) {
  TokenizerConfig config;
  if (!isRegularFile(path))
    return config;
  std::string text = readFile(path);
  nlohmann::json root = nlohmann::json::parse(text, nullptr, false);
  if (root.is_discarded() || !root.is_object())
    throw LoadError{path + ": invalid JSON"};
  // A token is written as "text" or {"content": "text", ...}.
  auto tokenOf = [&](const char *key) -> std::optional<std::string> {
    auto it = root.find(key);
    if (it == root.end() || it->is_null())
      return std::nullopt;
    if (it->is_string())
      return it->get<std::string>();
    if (it->is_object() && it->contains("content") &&
        (*it)["content"].is_string())
      return (*it)["content"].get<std::string>();
    throw LoadError{path + ": " + key + ": expected a string"};
  };
  auto flagOf = [&](const char *key) -> std::optional<bool> {
    auto it = root.find(key);
    if (it == root.end() || it->is_null())
      return std::nullopt;
    if (!it->is_boolean())
      throw LoadError{path + ": " + key + ": expected true or false"};
    return it->get<bool>();
  };
  config.bosToken = tokenOf("bos_token");
  config.eosToken = tokenOf("eos_token");
  config.addBos = flagOf("add_bos_token");
  config.addEos = flagOf("add_eos_token");
  return config;
}

/// BOS and EOS of a tokenizer.json, which does not name them itself: from
/// tokenizer_config.json when there is one, else the usual token names, else
/// (BOS) the first token the post-processor adds.
void assignBosEos(detail::BpeTokenizer &tokenizer,
                  const TokenizerConfig &config, const std::string &origin) {
  auto lookup = [&](const std::optional<std::string> &configured,
                    std::initializer_list<const char *> usual,
                    const char *what) -> std::optional<int32_t> {
    if (configured) {
      auto id = tokenizer.tokenToId(*configured);
      if (!id)
        throw LoadError{origin + ": tokenizer_config.json's " + what + " '" +
                        *configured + "' is not in the vocabulary"};
      return id;
    }
    for (const char *name : usual)
      if (auto id = tokenizer.tokenToId(name))
        return id;
    return std::nullopt;
  };
  auto bos =
      lookup(config.bosToken, {"<|begin_of_text|>", "<s>", "<|startoftext|>"},
             "bos_token");
  auto eos = lookup(config.eosToken,
                    {"<|end_of_text|>", "</s>", "<|endoftext|>"}, "eos_token");
  if (!bos)
    for (const auto &post : tokenizer.postTemplates)
      if (!post.before.empty()) {
        bos = post.before.front();
        break;
      }
  tokenizer.setBos(bos);
  tokenizer.setEos(eos);
}

std::unique_ptr<Tokenizer> loadJson(std::string_view text,
                                    const std::string &origin,
                                    const TokenizerConfig &config,
                                    bool &unsupported) {
  auto tokenizer = detail::parseTokenizerJson(text, origin, unsupported);
  assignBosEos(static_cast<detail::BpeTokenizer &>(*tokenizer), config, origin);
  return tokenizer;
}

std::unique_ptr<Tokenizer> loadSentencePiece(std::string_view bytes,
                                             const std::string &origin,
                                             const TokenizerConfig &config) {
  // LLaMA-2's tokenizer adds BOS and no EOS unless its config says else.
  return detail::makeSentencePieceTokenizer(
      bytes, origin, config.addBos.value_or(true),
      config.addEos.value_or(false), std::nullopt, std::nullopt);
}

bool looksLikeJson(std::string_view bytes) {
  for (char c : bytes) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      continue;
    return c == '{' || c == '[';
  }
  return false;
}

std::unique_ptr<Tokenizer> loadFile(const std::string &path,
                                    bool &unsupported) {
  std::string bytes = readFile(path);
  if (bytes.empty())
    throw LoadError{path + ": the file is empty"};
  if (bytes.compare(0, 4, "GGUF") == 0)
    throw LoadError{path + ": a GGUF file; its tokenizer is read by the "
                           "GGUF frontend"};
  TokenizerConfig config = readTokenizerConfig(tokenizerConfigPath(path));
  if (looksLikeJson(bytes))
    return loadJson(bytes, path, config, unsupported);
  return loadSentencePiece(bytes, path, config);
}

std::unique_ptr<Tokenizer> loadPath(const std::string &path) {
  bool unsupported = false;
  if (!isDirectory(path))
    return loadFile(path, unsupported);
  std::string json = path + "/tokenizer.json";
  std::string model = path + "/tokenizer.model";
  bool haveModel = isRegularFile(model);
  if (isRegularFile(json)) {
    try {
      return loadFile(json, unsupported);
    } catch (const LoadError &) {
      // A converted LLaMA-2 tokenizer.json (Metaspace, byte fallback) is
      // not implemented here; its tokenizer.model says the same thing.
      if (!(unsupported && haveModel))
        throw;
    }
  }
  if (haveModel)
    return loadFile(model, unsupported);
  throw LoadError{path + ": no tokenizer.json or tokenizer.model in the "
                         "directory"};
}

/// Runs a loader, turning anything it throws into `error`.
template <typename Loader>
std::unique_ptr<Tokenizer> guarded(Loader loader, const std::string &origin,
                                   std::string &error) {
  try {
    auto tokenizer = loader();
    error.clear();
    return tokenizer;
  } catch (const LoadError &e) {
    error = e.message;
  } catch (const nlohmann::json::exception &e) {
    error = origin + ": malformed tokenizer: " + e.what();
  } catch (const std::bad_alloc &) {
    error = origin + ": out of memory while loading the tokenizer";
  } catch (const std::exception &e) {
    error = origin + ": " + e.what();
  } catch (...) {
    error = origin + ": unexpected failure while loading the tokenizer";
  }
  return nullptr;
}

} // namespace

std::unique_ptr<Tokenizer> Tokenizer::load(const std::string &path,
                                           std::string &error) {
  // A GGUF file may be a whole model of gigabytes: it is mapped, not read.
  if (detail::isGgufFile(path))
    return fromGgufFile(path, error);
  return guarded([&] { return loadPath(path); }, path, error);
}

std::unique_ptr<Tokenizer> Tokenizer::fromJson(std::string_view json,
                                               const std::string &origin,
                                               std::string &error) {
  return guarded(
      [&] {
        bool unsupported = false;
        return loadJson(json, origin, TokenizerConfig(), unsupported);
      },
      origin, error);
}

std::unique_ptr<Tokenizer>
Tokenizer::fromSentencePieceModel(std::string_view serializedModel,
                                  const std::string &origin,
                                  std::string &error) {
  return guarded(
      [&] {
        return loadSentencePiece(serializedModel, origin, TokenizerConfig());
      },
      origin, error);
}

//===----------------------------------------------------------------------===//
// GGUF
//===----------------------------------------------------------------------===//

namespace {

std::unique_ptr<Tokenizer> loadGgufBpe(const GgufVocabulary &vocabulary,
                                       const std::string &origin) {
  auto fail = [&](const std::string &message) {
    throw LoadError{origin + ": " + message};
  };
  size_t count = vocabulary.tokens.size();
  if (count == 0)
    fail("tokenizer.ggml.tokens: empty");
  if (count > (size_t(1) << 24))
    fail("tokenizer.ggml.tokens: " + std::to_string(count) +
         " tokens is more than this tokenizer supports");
  if (!vocabulary.tokenTypes.empty() && vocabulary.tokenTypes.size() != count)
    fail("tokenizer.ggml.token_type: " +
         std::to_string(vocabulary.tokenTypes.size()) + " types for " +
         std::to_string(count) + " tokens");
  auto tokenizer = std::make_unique<detail::BpeTokenizer>();
  tokenizer->modelTokens = vocabulary.tokens;
  tokenizer->modelTokenPresent.assign(count, true);
  tokenizer->mergesField = "tokenizer.ggml.merges";
  for (size_t i = 0; i < vocabulary.merges.size(); ++i) {
    const std::string &merge = vocabulary.merges[i];
    // As llama.cpp: the separator is the first space after the first byte.
    size_t space = merge.find(' ', 1);
    if (space == std::string::npos)
      fail("tokenizer.ggml.merges[" + std::to_string(i) +
           "]: expected \"left right\", got '" + merge + "'");
    tokenizer->merges.emplace_back(merge.substr(0, space),
                                   merge.substr(space + 1));
  }
  // Control (3) and user-defined (4) tokens are matched in the text.
  for (size_t id = 0; id < vocabulary.tokenTypes.size(); ++id) {
    int32_t type = vocabulary.tokenTypes[id];
    if ((type != 3 && type != 4) || vocabulary.tokens[id].empty())
      continue;
    detail::AddedToken token;
    token.content = vocabulary.tokens[id];
    token.id = int32_t(id);
    token.special = type == 3;
    token.normalized = false;
    tokenizer->addedTokens.push_back(std::move(token));
  }

  const std::string &pre = vocabulary.pre;
  detail::PreTokenizerStep byteLevel;
  byteLevel.kind = detail::PreTokenizerStep::Kind::ByteLevel;
  if (pre == "llama-bpe" || pre == "llama3") {
    detail::PreTokenizerStep split;
    std::string error;
    split.regex =
        detail::UnicodeRegex::compile(detail::llama3SplitPattern, false, error);
    if (!split.regex)
      fail("internal LLaMA-3 regex: " + error);
    tokenizer->preTokenizer.push_back(std::move(split));
    tokenizer->ignoreMerges = true;
  } else if (pre.empty() || pre == "gpt-2" || pre == "gpt2" ||
             pre == "default") {
    byteLevel.useRegex = true;
  } else {
    fail("tokenizer.ggml.pre '" + pre +
         "' is not supported (supported: llama-bpe, gpt-2)");
  }
  tokenizer->preTokenizer.push_back(std::move(byteLevel));
  tokenizer->byteLevelDecoder = true;

  for (const auto &[id, key] :
       {std::make_pair(vocabulary.bosId, "tokenizer.ggml.bos_token_id"),
        std::make_pair(vocabulary.eosId, "tokenizer.ggml.eos_token_id")})
    if (id && (*id < 0 || size_t(*id) >= count))
      fail(std::string(key) + ": id " + std::to_string(*id) +
           " is out of range (" + std::to_string(count) + " tokens)");
  detail::PostTemplate post;
  if (vocabulary.addBos.value_or(true)) {
    if (!vocabulary.bosId)
      fail("tokenizer.ggml.add_bos_token is set but there is no "
           "tokenizer.ggml.bos_token_id");
    post.before.push_back(*vocabulary.bosId);
  }
  if (vocabulary.addEos.value_or(false)) {
    if (!vocabulary.eosId)
      fail("tokenizer.ggml.add_eos_token is set but there is no "
           "tokenizer.ggml.eos_token_id");
    post.after.push_back(*vocabulary.eosId);
  }
  tokenizer->postTemplates.push_back(std::move(post));
  tokenizer->setBos(vocabulary.bosId);
  tokenizer->setEos(vocabulary.eosId);
  tokenizer->finalize(origin);
  return tokenizer;
}

} // namespace

std::unique_ptr<Tokenizer>
Tokenizer::fromGgufVocabulary(const GgufVocabulary &vocabulary,
                              const std::string &origin, std::string &error) {
  return guarded(
      [&]() -> std::unique_ptr<Tokenizer> {
        if (vocabulary.model == "gpt2")
          return loadGgufBpe(vocabulary, origin);
        if (vocabulary.model == "llama") {
          std::string model =
              detail::serializeSentencePieceModel(vocabulary, origin);
          return detail::makeSentencePieceTokenizer(
              model, origin, vocabulary.addBos.value_or(true),
              vocabulary.addEos.value_or(false), vocabulary.bosId,
              vocabulary.eosId);
        }
        throw LoadError{origin + ": tokenizer.ggml.model '" + vocabulary.model +
                        "' is not supported (supported: gpt2, llama)"};
      },
      origin, error);
}

//===----------------------------------------------------------------------===//
// StreamingDecoder
//===----------------------------------------------------------------------===//

StreamingDecoder::StreamingDecoder(const Tokenizer &tokenizer, bool skipSpecial)
    : tokenizer(tokenizer), skipSpecial(skipSpecial) {}

std::string StreamingDecoder::push(int32_t id) {
  tokenizer.appendStreamText(history, historyText, id, skipSpecial, pending);
  size_t held = detail::incompleteUtf8Tail(pending);
  std::string ready = pending.substr(0, pending.size() - held);
  pending.erase(0, pending.size() - held);
  return ready;
}

std::string StreamingDecoder::finish() {
  tokenizer.finishStreamText(history, historyText, skipSpecial, pending);
  std::string rest;
  rest.swap(pending);
  return rest;
}

} // namespace trit
