//===- SentencePiece.cpp - SentencePiece models via libsentencepiece -*- C++
//-*-//
//
// LLaMA-2 style `tokenizer.model` files run on Debian's libsentencepiece,
// not a re-implementation. GGUF "llama" vocabularies (pieces, scores and
// types, no model file) become a ModelProto serialized here by hand: the
// library loads serialized protos, and writing the few fields we need in
// protobuf's wire format spares a protobuf dependency (Debian ships no
// sentencepiece_model.pb.h).
//
//===----------------------------------------------------------------------===//

#include "TokenizerInternal.h"

#include <sentencepiece_processor.h>

#include <cstdio>
#include <cstring>

namespace trit {
namespace detail {

namespace {

class SentencePieceTokenizer final : public Tokenizer {
public:
  SentencePieceTokenizer(
      std::unique_ptr<sentencepiece::SentencePieceProcessor> processor,
      bool addBos, bool addEos, std::optional<int32_t> bos,
      std::optional<int32_t> eos)
      : processor(std::move(processor)), addBos(addBos), addEos(addEos) {
    int pieces = this->processor->GetPieceSize();
    auto valid = [&](int id) -> std::optional<int32_t> {
      if (id >= 0 && id < pieces)
        return id;
      return std::nullopt;
    };
    bosId = bos ? bos : valid(this->processor->bos_id());
    eosId = eos ? eos : valid(this->processor->eos_id());
  }

  std::vector<int32_t> encode(std::string_view text,
                              bool addSpecialTokens) const override {
    std::vector<int> pieces;
    try {
      if (!processor->Encode(text, &pieces).ok())
        pieces.clear();
    } catch (...) {
      pieces.clear();
    }
    std::vector<int32_t> ids;
    ids.reserve(pieces.size() + 2);
    if (addSpecialTokens && addBos && bosId)
      ids.push_back(*bosId);
    ids.insert(ids.end(), pieces.begin(), pieces.end());
    if (addSpecialTokens && addEos && eosId)
      ids.push_back(*eosId);
    return ids;
  }

  std::string decode(const std::vector<int32_t> &ids,
                     bool skipSpecial) const override {
    std::vector<int> kept;
    kept.reserve(ids.size());
    for (int32_t id : ids)
      if (isValidId(id) && !(skipSpecial && isSpecial(id)))
        kept.push_back(id);
    try {
      return processor->DecodeIds(kept);
    } catch (...) {
      return std::string();
    }
  }

  int32_t vocabSize() const override { return processor->GetPieceSize(); }
  bool isValidId(int32_t id) const override {
    return id >= 0 && id < processor->GetPieceSize();
  }
  std::optional<std::string> idToToken(int32_t id) const override {
    if (!isValidId(id))
      return std::nullopt;
    return processor->IdToPiece(id);
  }
  std::optional<int32_t> tokenToId(std::string_view token) const override {
    int id = processor->PieceToId(token);
    // Unknown pieces map to the unknown id: only an exact piece counts.
    if (!isValidId(id) || processor->IdToPiece(id) != token)
      return std::nullopt;
    return id;
  }
  bool isSpecial(int32_t id) const override {
    return isValidId(id) && processor->IsControl(id);
  }
  const char *kindName() const override { return "sentencepiece"; }

protected:
  // SentencePiece's decoding is not a concatenation of per-piece texts
  // (the first piece loses its leading space, byte pieces combine into
  // characters), so the stream decodes a short window with the library:
  // `history` starts at the last ordinary piece (the anchor), whose own
  // text is `historyText`, and the new text is what follows it.
  void appendStreamText(std::vector<int32_t> &history, std::string &historyText,
                        int32_t id, bool skipSpecial,
                        std::string &out) const override {
    if (!isValidId(id) || (skipSpecial && isSpecial(id)))
      return;
    history.push_back(id);
    if (processor->IsByte(id) && !completesCharacter(history))
      return; // part of a character: wait for its other bytes
    std::string text = decode(history, false);
    if (text.size() >= historyText.size() &&
        text.compare(0, historyText.size(), historyText) == 0)
      out.append(text, historyText.size(), std::string::npos);
    else
      out += text; // not expected; never lose text
    if (!processor->IsControl(id) && !processor->IsUnknown(id)) {
      // An ordinary piece: later text does not depend on what came before.
      history.assign(1, id);
      historyText = decode(history, false);
    } else {
      historyText = text;
    }
  }

  void finishStreamText(std::vector<int32_t> &history, std::string &historyText,
                        bool skipSpecial, std::string &out) const override {
    (void)skipSpecial;
    std::string text = decode(history, false);
    if (text.size() >= historyText.size() &&
        text.compare(0, historyText.size(), historyText) == 0)
      out.append(text, historyText.size(), std::string::npos);
    history.clear();
    historyText.clear();
  }

private:
  /// Whether the byte pieces that end `history` form whole characters
  /// (SentencePiece would decode a partial one as U+FFFD).
  bool completesCharacter(const std::vector<int32_t> &history) const {
    std::string bytes;
    for (size_t i = history.size(); i > 0 && processor->IsByte(history[i - 1]);
         --i) {
      // Byte pieces are spelled <0xAB>.
      const std::string &piece = processor->IdToPiece(history[i - 1]);
      unsigned value = 0;
      if (piece.size() != 6 ||
          std::sscanf(piece.c_str(), "<0x%2X>", &value) != 1)
        return true;
      bytes.insert(bytes.begin(), char(value));
    }
    return incompleteUtf8Tail(bytes) == 0;
  }

  std::unique_ptr<sentencepiece::SentencePieceProcessor> processor;
  bool addBos, addEos;
};

//===----------------------------------------------------------------------===//
// Protobuf wire format (sentencepiece_model.proto)
//===----------------------------------------------------------------------===//

void appendVarint(std::string &out, uint64_t value) {
  while (value >= 0x80) {
    out += char((value & 0x7F) | 0x80);
    value >>= 7;
  }
  out += char(value);
}
void appendTag(std::string &out, uint32_t field, uint32_t wireType) {
  appendVarint(out, (uint64_t(field) << 3) | wireType);
}
void appendBytesField(std::string &out, uint32_t field,
                      std::string_view bytes) {
  appendTag(out, field, 2);
  appendVarint(out, bytes.size());
  out.append(bytes);
}
void appendIntField(std::string &out, uint32_t field, int64_t value) {
  appendTag(out, field, 0);
  appendVarint(out, uint64_t(value)); // negative int32: ten-byte varint
}
void appendFloatField(std::string &out, uint32_t field, float value) {
  appendTag(out, field, 5);
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  for (int i = 0; i < 4; ++i)
    out += char((bits >> (8 * i)) & 0xFF);
}

} // namespace

std::string serializeSentencePieceModel(const GgufVocabulary &vocabulary,
                                        const std::string &origin) {
  auto fail = [&](const std::string &message) {
    throw LoadError{origin + ": " + message};
  };
  size_t count = vocabulary.tokens.size();
  if (count == 0)
    fail("tokenizer.ggml.tokens: empty");
  if (vocabulary.scores.size() != count)
    fail("tokenizer.ggml.scores: " + std::to_string(vocabulary.scores.size()) +
         " scores for " + std::to_string(count) + " tokens");
  if (!vocabulary.tokenTypes.empty() && vocabulary.tokenTypes.size() != count)
    fail("tokenizer.ggml.token_type: " +
         std::to_string(vocabulary.tokenTypes.size()) + " types for " +
         std::to_string(count) + " tokens");
  auto checkId = [&](const std::optional<int32_t> &id, const char *key) {
    if (id && (*id < 0 || size_t(*id) >= count))
      fail(std::string(key) + ": id " + std::to_string(*id) +
           " is out of range (" + std::to_string(count) + " tokens)");
  };
  checkId(vocabulary.bosId, "tokenizer.ggml.bos_token_id");
  checkId(vocabulary.eosId, "tokenizer.ggml.eos_token_id");
  checkId(vocabulary.unknownId, "tokenizer.ggml.unknown_token_id");

  // SentencePiece piece types use GGUF's numbering (1 normal ... 6 byte).
  std::vector<int32_t> types(count, 1);
  bool anyByte = false;
  if (!vocabulary.tokenTypes.empty()) {
    for (size_t i = 0; i < count; ++i) {
      int32_t type = vocabulary.tokenTypes[i];
      if (type < 1 || type > 6)
        fail("tokenizer.ggml.token_type[" + std::to_string(i) + "]: type " +
             std::to_string(type) + " is not 1..6");
      types[i] = type;
      anyByte |= type == 6;
    }
  } else {
    if (vocabulary.unknownId)
      types[*vocabulary.unknownId] = 2;
    for (const auto &id : {vocabulary.bosId, vocabulary.eosId})
      if (id)
        types[*id] = 3;
  }

  std::string model;
  for (size_t i = 0; i < count; ++i) {
    std::string piece;
    appendBytesField(piece, 1, vocabulary.tokens[i]);
    appendFloatField(piece, 2, vocabulary.scores[i]);
    appendIntField(piece, 3, types[i]);
    appendBytesField(model, 1, piece);
  }
  std::string trainer;
  appendIntField(trainer, 3, 2); // model_type: BPE, as LLaMA's model
  appendIntField(trainer, 4, int64_t(count));
  if (anyByte)
    appendIntField(trainer, 35, 1); // byte_fallback
  auto pieceOf = [&](const std::optional<int32_t> &id) {
    return id ? vocabulary.tokens[*id] : std::string();
  };
  appendIntField(trainer, 40, vocabulary.unknownId.value_or(-1));
  appendIntField(trainer, 41, vocabulary.bosId.value_or(-1));
  appendIntField(trainer, 42, vocabulary.eosId.value_or(-1));
  appendIntField(trainer, 43, -1);
  if (vocabulary.unknownId)
    appendBytesField(trainer, 45, pieceOf(vocabulary.unknownId));
  if (vocabulary.bosId)
    appendBytesField(trainer, 46, pieceOf(vocabulary.bosId));
  if (vocabulary.eosId)
    appendBytesField(trainer, 47, pieceOf(vocabulary.eosId));
  appendBytesField(model, 2, trainer);

  // LLaMA's normalizer: none, spaces as U+2581, a dummy prefix.
  std::string normalizer;
  appendBytesField(normalizer, 1, "identity");
  appendIntField(normalizer, 3, vocabulary.addSpacePrefix.value_or(true));
  appendIntField(normalizer, 4, 0); // remove_extra_whitespaces
  appendIntField(normalizer, 5, 1); // escape_whitespaces
  appendBytesField(model, 3, normalizer);
  return model;
}

std::unique_ptr<Tokenizer> makeSentencePieceTokenizer(
    std::string_view serializedModel, const std::string &origin, bool addBos,
    bool addEos, std::optional<int32_t> bos, std::optional<int32_t> eos) {
  auto processor = std::make_unique<sentencepiece::SentencePieceProcessor>();
  auto status = processor->LoadFromSerializedProto(serializedModel);
  if (!status.ok()) {
    std::string reason = status.ToString();
    while (!reason.empty() && (reason.back() == ' ' || reason.back() == '\n'))
      reason.pop_back();
    throw LoadError{origin + ": not a SentencePiece model: " + reason};
  }
  if (processor->GetPieceSize() <= 0)
    throw LoadError{origin + ": SentencePiece model has no pieces"};
  for (const auto &[id, what] :
       {std::make_pair(bos, "BOS"), std::make_pair(eos, "EOS")})
    if (id && (*id < 0 || *id >= processor->GetPieceSize()))
      throw LoadError{origin + ": " + what + " id " + std::to_string(*id) +
                      " is out of range"};
  return std::make_unique<SentencePieceTokenizer>(std::move(processor), addBos,
                                                  addEos, bos, eos);
}

} // namespace detail
} // namespace trit
