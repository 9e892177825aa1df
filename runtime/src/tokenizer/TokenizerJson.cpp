//===- TokenizerJson.cpp - read a Hugging Face tokenizer.json ---*- C++ -*-===//
//
// Reads the parts of the `tokenizers` serialization that byte-level BPE
// models (LLaMA-3, GPT-2) use and refuses everything else by name, so that
// a tokenizer is either reproduced exactly or not loaded at all.
//
// nlohmann::json throws; this translation unit is compiled with exceptions
// and every exception is caught by the public entry points (Tokenizer.cpp).
//
//===----------------------------------------------------------------------===//

#include "TokenizerInternal.h"

#include <nlohmann/json.hpp>

#include <string>

namespace trit {
namespace detail {

using nlohmann::json;

namespace {

/// Reads one tokenizer.json; errors name the file and the field.
class JsonReader {
public:
  JsonReader(const std::string &origin, BpeTokenizer &tokenizer,
             bool &unsupported)
      : origin(origin), tokenizer(tokenizer), unsupported(unsupported) {}

  void read(const json &root);

private:
  [[noreturn]] void fail(const std::string &field,
                         const std::string &message) const {
    throw LoadError{origin + ": " + (field.empty() ? "" : field + ": ") +
                    message};
  }
  /// A kind of tokenizer this library does not implement (as opposed to a
  /// malformed file).
  [[noreturn]] void refuse(const std::string &field,
                           const std::string &what) const {
    unsupported = true;
    throw LoadError{origin + ": " + field + " " + what + " is not supported"};
  }

  const json &member(const json &object, const char *key,
                     const std::string &field) const {
    if (!object.is_object())
      fail(field, "expected an object");
    auto it = object.find(key);
    if (it == object.end())
      fail(field.empty() ? key : field + "." + key, "missing");
    return *it;
  }
  std::string stringOf(const json &value, const std::string &field) const {
    if (!value.is_string())
      fail(field, "expected a string");
    return value.get<std::string>();
  }
  /// An optional boolean member (absent or null: `otherwise`).
  bool flag(const json &object, const char *key, const std::string &field,
            bool otherwise) const {
    auto it = object.find(key);
    if (it == object.end() || it->is_null())
      return otherwise;
    if (!it->is_boolean())
      fail(field + "." + key, "expected true or false");
    return it->get<bool>();
  }
  std::string typeOf(const json &object, const std::string &field) const {
    return stringOf(member(object, "type", field), field + ".type");
  }
  /// A token id, bounded so that a bad file cannot make us allocate much.
  int32_t idOf(const json &value, const std::string &field,
               size_t entries) const {
    if (!value.is_number_integer())
      fail(field, "expected an integer id");
    int64_t id = value.get<int64_t>();
    int64_t limit = int64_t(entries) * 2 + 1024;
    if (id < 0 || id >= limit)
      fail(field, "id " + std::to_string(id) + " is out of range (" +
                      std::to_string(entries) + " entries)");
    return int32_t(id);
  }

  void readModel(const json &model);
  void readAddedTokens(const json &added);
  void readNormalizer(const json &normalizer);
  void readPreTokenizer(const json &preTokenizer, const std::string &field);
  void readPostProcessor(const json &processor, const std::string &field);
  void readDecoder(const json &decoder, const std::string &field);

  const std::string &origin;
  BpeTokenizer &tokenizer;
  bool &unsupported;
};

void JsonReader::read(const json &root) {
  if (!root.is_object())
    fail("", "expected a JSON object at the top level");
  readModel(member(root, "model", ""));
  auto added = root.find("added_tokens");
  if (added != root.end() && !added->is_null())
    readAddedTokens(*added);
  auto normalizer = root.find("normalizer");
  if (normalizer != root.end())
    readNormalizer(*normalizer);
  auto preTokenizer = root.find("pre_tokenizer");
  if (preTokenizer != root.end() && !preTokenizer->is_null())
    readPreTokenizer(*preTokenizer, "pre_tokenizer");
  auto processor = root.find("post_processor");
  if (processor != root.end() && !processor->is_null())
    readPostProcessor(*processor, "post_processor");
  auto decoder = root.find("decoder");
  tokenizer.byteLevelDecoder = false;
  if (decoder != root.end() && !decoder->is_null())
    readDecoder(*decoder, "decoder");
  tokenizer.finalize(origin);
}

void JsonReader::readModel(const json &model) {
  if (!model.is_object())
    fail("model", "expected an object");
  // Files of old `tokenizers` versions may omit the type of a BPE model.
  std::string type = model.contains("type") ? typeOf(model, "model") : "BPE";
  if (type != "BPE")
    refuse("model", "type '" + type + "'");
  auto dropout = model.find("dropout");
  if (dropout != model.end() && !dropout->is_null() &&
      !(dropout->is_number() && dropout->get<double>() == 0.0))
    refuse("model.dropout", "(random merges)");
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto it = model.find(key);
    if (it != model.end() && !it->is_null() &&
        !(it->is_string() && it->get<std::string>().empty()))
      refuse(std::string("model.") + key, "'" + it->dump() + "'");
  }
  tokenizer.ignoreMerges = flag(model, "ignore_merges", "model", false);
  tokenizer.byteFallback = flag(model, "byte_fallback", "model", false);
  tokenizer.fuseUnknown = flag(model, "fuse_unk", "model", false);
  auto unknown = model.find("unk_token");
  if (unknown != model.end() && !unknown->is_null())
    tokenizer.unknownToken = stringOf(*unknown, "model.unk_token");

  const json &vocab = member(model, "vocab", "model");
  if (!vocab.is_object())
    fail("model.vocab", "expected an object of token: id");
  size_t entries = vocab.size();
  int32_t maxId = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it)
    maxId = std::max(
        maxId, idOf(it.value(), "model.vocab['" + it.key() + "']", entries));
  tokenizer.modelTokens.assign(size_t(maxId + 1), std::string());
  tokenizer.modelTokenPresent.assign(size_t(maxId + 1), false);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    int32_t id = it.value().get<int32_t>();
    if (tokenizer.modelTokenPresent[id])
      fail("model.vocab['" + it.key() + "']",
           "id " + std::to_string(id) + " is also given to '" +
               tokenizer.modelTokens[id] + "'");
    tokenizer.modelTokens[id] = it.key();
    tokenizer.modelTokenPresent[id] = true;
  }

  const json &merges = member(model, "merges", "model");
  if (!merges.is_array())
    fail("model.merges", "expected an array");
  tokenizer.merges.reserve(merges.size());
  for (size_t i = 0; i < merges.size(); ++i) {
    const json &merge = merges[i];
    std::string field = "model.merges[" + std::to_string(i) + "]";
    if (merge.is_string()) {
      // "left right": exactly one space, as tokenizers requires.
      std::string text = merge.get<std::string>();
      size_t space = text.find(' ');
      if (space == std::string::npos ||
          text.find(' ', space + 1) != std::string::npos)
        fail(field, "expected \"left right\", got '" + text + "'");
      tokenizer.merges.emplace_back(text.substr(0, space),
                                    text.substr(space + 1));
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {
      tokenizer.merges.emplace_back(merge[0].get<std::string>(),
                                    merge[1].get<std::string>());
    } else {
      fail(field, "expected \"left right\" or [left, right]");
    }
  }
}

void JsonReader::readAddedTokens(const json &added) {
  if (!added.is_array())
    fail("added_tokens", "expected an array");
  size_t entries = tokenizer.modelTokens.size() + added.size();
  for (size_t i = 0; i < added.size(); ++i) {
    const json &entry = added[i];
    std::string field = "added_tokens[" + std::to_string(i) + "]";
    AddedToken token;
    token.content =
        stringOf(member(entry, "content", field), field + ".content");
    token.id = idOf(member(entry, "id", field), field + ".id", entries);
    token.special = flag(entry, "special", field, false);
    token.singleWord = flag(entry, "single_word", field, false);
    token.lstrip = flag(entry, "lstrip", field, false);
    token.rstrip = flag(entry, "rstrip", field, false);
    token.normalized = flag(entry, "normalized", field, !token.special);
    tokenizer.addedTokens.push_back(std::move(token));
  }
  // tokenizers gives a token that the model knows the model's id.
  std::unordered_map<std::string_view, int32_t> modelIds;
  for (size_t id = 0; id < tokenizer.modelTokens.size(); ++id)
    if (tokenizer.modelTokenPresent[id])
      modelIds.emplace(tokenizer.modelTokens[id], int32_t(id));
  for (AddedToken &token : tokenizer.addedTokens) {
    auto it = modelIds.find(token.content);
    if (it != modelIds.end())
      token.id = it->second;
  }
}

void JsonReader::readNormalizer(const json &normalizer) {
  if (normalizer.is_null())
    return;
  std::string type = typeOf(normalizer, "normalizer");
  if (type == "Sequence") {
    const json &steps = member(normalizer, "normalizers", "normalizer");
    if (steps.is_array() && steps.empty())
      return;
  }
  refuse("normalizer", "type '" + type + "'");
}

void JsonReader::readPreTokenizer(const json &preTokenizer,
                                  const std::string &field) {
  std::string type = typeOf(preTokenizer, field);
  if (type == "Sequence") {
    const json &steps = member(preTokenizer, "pretokenizers", field);
    if (!steps.is_array())
      fail(field + ".pretokenizers", "expected an array");
    for (size_t i = 0; i < steps.size(); ++i)
      readPreTokenizer(steps[i],
                       field + ".pretokenizers[" + std::to_string(i) + "]");
    return;
  }
  // ByteLevel maps the text to its byte alphabet: a later step would see
  // that alphabet, which this library does not model.
  if (!tokenizer.preTokenizer.empty() &&
      tokenizer.preTokenizer.back().kind == PreTokenizerStep::Kind::ByteLevel)
    refuse(field, "type '" + type + "' after ByteLevel");

  PreTokenizerStep step;
  if (type == "Split") {
    step.kind = PreTokenizerStep::Kind::Split;
    const json &pattern = member(preTokenizer, "pattern", field);
    bool literal;
    std::string source;
    if (pattern.is_object() && pattern.contains("Regex")) {
      literal = false;
      source = stringOf(pattern["Regex"], field + ".pattern.Regex");
    } else if (pattern.is_object() && pattern.contains("String")) {
      literal = true;
      source = stringOf(pattern["String"], field + ".pattern.String");
    } else {
      fail(field + ".pattern",
           "expected {\"Regex\": ...} or {\"String\": ...}");
    }
    std::string error;
    step.regex = UnicodeRegex::compile(source, literal, error);
    if (!step.regex)
      fail(field + ".pattern", error);
    std::string behavior =
        stringOf(member(preTokenizer, "behavior", field), field + ".behavior");
    if (behavior == "Isolated")
      step.behavior = PreTokenizerStep::Behavior::Isolated;
    else if (behavior == "Removed")
      step.behavior = PreTokenizerStep::Behavior::Removed;
    else
      refuse(field + ".behavior", "'" + behavior + "'");
    step.invert = flag(preTokenizer, "invert", field, false);
  } else if (type == "ByteLevel") {
    step.kind = PreTokenizerStep::Kind::ByteLevel;
    step.addPrefixSpace = flag(preTokenizer, "add_prefix_space", field, true);
    step.useRegex = flag(preTokenizer, "use_regex", field, true);
  } else {
    refuse(field, "type '" + type + "'");
  }
  tokenizer.preTokenizer.push_back(std::move(step));
}

void JsonReader::readPostProcessor(const json &processor,
                                   const std::string &field) {
  std::string type = typeOf(processor, field);
  if (type == "Sequence") {
    const json &steps = member(processor, "processors", field);
    if (!steps.is_array())
      fail(field + ".processors", "expected an array");
    for (size_t i = 0; i < steps.size(); ++i)
      readPostProcessor(steps[i],
                        field + ".processors[" + std::to_string(i) + "]");
    return;
  }
  if (type == "ByteLevel")
    return; // it only trims offsets, which ids do not carry
  size_t entries = tokenizer.modelTokens.size() + tokenizer.addedTokens.size();
  PostTemplate post;
  if (type == "TemplateProcessing") {
    const json &single = member(processor, "single", field);
    if (!single.is_array())
      fail(field + ".single", "expected an array");
    const json &specials = member(processor, "special_tokens", field);
    if (!specials.is_object())
      fail(field + ".special_tokens", "expected an object");
    bool sawSequence = false;
    for (size_t i = 0; i < single.size(); ++i) {
      const json &piece = single[i];
      std::string pieceField = field + ".single[" + std::to_string(i) + "]";
      if (piece.is_object() && piece.contains("Sequence")) {
        std::string sequence =
            stringOf(member(piece["Sequence"], "id", pieceField + ".Sequence"),
                     pieceField + ".Sequence.id");
        if (sequence != "A")
          fail(pieceField,
               "a single-sequence template may only name A, not " + sequence);
        if (sawSequence)
          fail(pieceField, "sequence A appears twice");
        sawSequence = true;
        continue;
      }
      if (!piece.is_object() || !piece.contains("SpecialToken"))
        fail(pieceField, "expected {\"Sequence\": ...} or "
                         "{\"SpecialToken\": ...}");
      std::string name = stringOf(
          member(piece["SpecialToken"], "id", pieceField + ".SpecialToken"),
          pieceField + ".SpecialToken.id");
      auto special = specials.find(name);
      if (special == specials.end())
        fail(pieceField, "special token '" + name +
                             "' is not in post_processor.special_tokens");
      std::string specialField = field + ".special_tokens['" + name + "']";
      const json &ids = member(*special, "ids", specialField);
      if (!ids.is_array())
        fail(specialField + ".ids", "expected an array");
      for (const json &id : ids)
        (sawSequence ? post.after : post.before)
            .push_back(idOf(id, specialField + ".ids", entries));
    }
    if (!sawSequence)
      fail(field + ".single", "the template does not contain sequence A");
  } else if (type == "BertProcessing" || type == "RobertaProcessing") {
    // [cls] A [sep], each given as [token, id].
    for (const char *key : {"cls", "sep"}) {
      const json &pair = member(processor, key, field);
      if (!pair.is_array() || pair.size() != 2)
        fail(field + "." + key, "expected [token, id]");
      int32_t id = idOf(pair[1], field + "." + key, entries);
      (std::string(key) == "cls" ? post.before : post.after).push_back(id);
    }
  } else {
    refuse(field, "type '" + type + "'");
  }
  tokenizer.postTemplates.push_back(std::move(post));
}

void JsonReader::readDecoder(const json &decoder, const std::string &field) {
  std::string type = typeOf(decoder, field);
  if (type == "Sequence") {
    const json &steps = member(decoder, "decoders", field);
    if (!steps.is_array() || steps.size() != 1)
      refuse(field, "Sequence other than [ByteLevel]");
    readDecoder(steps[0], field + ".decoders[0]");
    return;
  }
  if (type != "ByteLevel")
    refuse(field, "type '" + type + "'");
  tokenizer.byteLevelDecoder = true;
}

} // namespace

std::unique_ptr<Tokenizer> parseTokenizerJson(std::string_view text,
                                              const std::string &origin,
                                              bool &unsupported) {
  unsupported = false;
  json root = json::parse(text.begin(), text.end(), nullptr,
                          /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    // Parse again with exceptions for the position and reason.
    try {
      (void)json::parse(text.begin(), text.end());
    } catch (const json::exception &e) {
      std::string what = e.what();
      // "[json.exception.parse_error.101] parse error at line 1, ..."
      size_t bracket = what.find("] ");
      throw LoadError{
          origin + ": invalid JSON: " +
          (bracket == std::string::npos ? what : what.substr(bracket + 2))};
    }
    throw LoadError{origin + ": invalid JSON"};
  }
  auto tokenizer = std::make_unique<BpeTokenizer>();
  JsonReader reader(origin, *tokenizer, unsupported);
  reader.read(root);
  return tokenizer;
}

} // namespace detail
} // namespace trit
