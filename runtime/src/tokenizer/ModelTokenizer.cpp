//===- ModelTokenizer.cpp - tokenizers of GGUF files and models -*- C++ -*-===//
//
// The tokenizer of a GGUF file (its `tokenizer.ggml.*` metadata, read with
// the importer's GgufFile, which maps the file rather than reading it: a
// GGUF model may be gigabytes) and the tokenizer tritc puts beside a
// compiled model.
//
//===----------------------------------------------------------------------===//

#include "TokenizerInternal.h"

#include "trit/Importer/GGUF/GgufFile.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

namespace trit {

namespace {

bool isRegularFile(const std::string &path) {
  struct stat info;
  return stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

/// Whether `path` is a regular file whose first bytes are `magic`.
bool startsWith(const std::string &path, const char *magic) {
  if (!isRegularFile(path))
    return false;
  std::FILE *file = std::fopen(path.c_str(), "rb");
  if (!file)
    return false;
  char head[8] = {};
  size_t want = std::strlen(magic);
  size_t got = std::fread(head, 1, want, file);
  std::fclose(file);
  return got == want && std::memcmp(head, magic, want) == 0;
}

/// Reads an optional key with `get`: absent is fine, present with the
/// wrong type is an error.
template <typename T, typename Getter>
bool readOptional(const gguf::GgufFile &file, const char *key, Getter get,
                  std::optional<T> &value, std::string &error) {
  if (!file.hasKey(key))
    return true;
  T read{};
  if (!get(key, read, error))
    return false;
  value = read;
  return true;
}

} // namespace

bool detail::isGgufFile(const std::string &path) {
  return startsWith(path, "GGUF");
}

std::unique_ptr<Tokenizer> Tokenizer::fromGgufFile(const std::string &path,
                                                   std::string &error) {
  auto file = gguf::GgufFile::open(path, error);
  if (!file)
    return nullptr;
  if (!file->hasKey("tokenizer.ggml.tokens")) {
    error = path + ": metadata key 'tokenizer.ggml.tokens' is missing: the "
                   "file carries no tokenizer";
    return nullptr;
  }
  GgufVocabulary vocabulary;
  std::vector<int64_t> types;
  auto getString = [&](const char *key, std::string &value, std::string &e) {
    return file->getString(key, value, e);
  };
  auto getId = [&](const char *key, int32_t &value, std::string &e) {
    int64_t id;
    if (!file->getInt(key, id, e))
      return false;
    if (id < 0 || id > INT32_MAX) {
      e = path + ": metadata '" + key + "': token id " + std::to_string(id) +
          " is out of range";
      return false;
    }
    value = int32_t(id);
    return true;
  };
  auto getBool = [&](const char *key, bool &value, std::string &e) {
    return file->getBool(key, value, e);
  };
  std::optional<std::string> pre;
  if (!file->getString("tokenizer.ggml.model", vocabulary.model, error) ||
      !readOptional(*file, "tokenizer.ggml.pre", getString, pre, error) ||
      !file->getStringArray("tokenizer.ggml.tokens", vocabulary.tokens,
                            error) ||
      (file->hasKey("tokenizer.ggml.scores") &&
       !file->getFloatArray("tokenizer.ggml.scores", vocabulary.scores,
                            error)) ||
      (file->hasKey("tokenizer.ggml.token_type") &&
       !file->getIntArray("tokenizer.ggml.token_type", types, error)) ||
      (file->hasKey("tokenizer.ggml.merges") &&
       !file->getStringArray("tokenizer.ggml.merges", vocabulary.merges,
                             error)) ||
      !readOptional(*file, "tokenizer.ggml.bos_token_id", getId,
                    vocabulary.bosId, error) ||
      !readOptional(*file, "tokenizer.ggml.eos_token_id", getId,
                    vocabulary.eosId, error) ||
      !readOptional(*file, "tokenizer.ggml.unknown_token_id", getId,
                    vocabulary.unknownId, error) ||
      !readOptional(*file, "tokenizer.ggml.add_bos_token", getBool,
                    vocabulary.addBos, error) ||
      !readOptional(*file, "tokenizer.ggml.add_eos_token", getBool,
                    vocabulary.addEos, error) ||
      !readOptional(*file, "tokenizer.ggml.add_space_prefix", getBool,
                    vocabulary.addSpacePrefix, error))
    return nullptr;
  vocabulary.pre = pre.value_or("");
  for (int64_t type : types) {
    if (type < INT32_MIN || type > INT32_MAX) {
      error = path + ": metadata 'tokenizer.ggml.token_type': type " +
              std::to_string(type) + " is out of range";
      return nullptr;
    }
    vocabulary.tokenTypes.push_back(int32_t(type));
  }
  return fromGgufVocabulary(vocabulary, path, error);
}

std::string findModelTokenizer(const std::string &modelPath) {
  for (const char *suffix :
       {".tokenizer.json", ".tokenizer.model", ".tokenizer.gguf"}) {
    std::string candidate = modelPath + suffix;
    if (isRegularFile(candidate))
      return candidate;
  }
  return "";
}

bool isCompiledModelFile(const std::string &path) {
  return startsWith(path, "\177ELF");
}

} // namespace trit
