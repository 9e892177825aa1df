//===- tokenizer.h - text to token ids and back -----------------*- C++ -*-===//
//
// The runtime's tokenizer: byte-level BPE read from a Hugging Face
// `tokenizer.json` (LLaMA-3 and GPT-2 style) or from GGUF metadata, and
// SentencePiece models (`tokenizer.model`, LLaMA-2 style) through
// libsentencepiece. Encoding gives the ids the `tokenizers` library gives
// (the post-processor's BOS included); decoding gives back the bytes.
//
// Nothing here throws: every load reports a one-line error naming the file
// and the field, and a loaded tokenizer is immutable, so one may be shared
// by threads.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TOKENIZER_H
#define TRIT_TOKENIZER_H

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trit {

/// A vocabulary as GGUF metadata describes it (the `tokenizer.ggml.*` keys),
/// in plain containers so that a GGUF reader can fill it without knowing the
/// tokenizer's internals.
struct GgufVocabulary {
  /// `tokenizer.ggml.model`: "gpt2" (byte-level BPE with merges) or "llama"
  /// (SentencePiece-style pieces with scores).
  std::string model;
  /// `tokenizer.ggml.pre`: the pre-tokenizer of a "gpt2" vocabulary,
  /// "llama-bpe" (LLaMA-3's regex) or "gpt-2"; empty means "gpt-2".
  std::string pre;
  /// `tokenizer.ggml.tokens`: the token texts, indexed by id.
  std::vector<std::string> tokens;
  /// `tokenizer.ggml.scores`: one score per token ("llama"; may be empty
  /// for "gpt2").
  std::vector<float> scores;
  /// `tokenizer.ggml.token_type`: 1 normal, 2 unknown, 3 control, 4 user
  /// defined, 5 unused, 6 byte; empty means all normal.
  std::vector<int32_t> tokenTypes;
  /// `tokenizer.ggml.merges`: "left right" strings, highest priority first
  /// ("gpt2" only).
  std::vector<std::string> merges;
  /// `tokenizer.ggml.{bos,eos,unknown}_token_id`.
  std::optional<int32_t> bosId, eosId, unknownId;
  /// `tokenizer.ggml.add_bos_token` / `add_eos_token`; unset means BOS is
  /// added (as llama.cpp does for both models) and EOS is not.
  std::optional<bool> addBos, addEos;
  /// `tokenizer.ggml.add_space_prefix` ("llama"); unset means true.
  std::optional<bool> addSpacePrefix;
};

class StreamingDecoder;

/// A loaded tokenizer. Obtain one from `load`, `fromJson`,
/// `fromSentencePieceModel` or `fromGgufVocabulary`.
class Tokenizer {
public:
  virtual ~Tokenizer();

  /// Loads `path`: a `tokenizer.json`, a SentencePiece `tokenizer.model`,
  /// a GGUF file (see `fromGgufFile`; all three told apart by content), or
  /// a directory holding one of the first two. A directory
  /// with both uses tokenizer.json, unless that one is of a kind this
  /// library does not support (a converted LLaMA-2 tokenizer.json), in which
  /// case tokenizer.model is used. On failure returns null and sets `error`
  /// to one line naming the file and the field.
  static std::unique_ptr<Tokenizer> load(const std::string &path,
                                         std::string &error);

  /// Builds a tokenizer from the text of a tokenizer.json; `origin` names it
  /// in error messages.
  static std::unique_ptr<Tokenizer> fromJson(std::string_view json,
                                             const std::string &origin,
                                             std::string &error);

  /// Builds a tokenizer from the bytes of a SentencePiece `.model` file (a
  /// serialized ModelProto); BOS is added when encoding with special tokens,
  /// as LLaMA-2's tokenizer does.
  static std::unique_ptr<Tokenizer>
  fromSentencePieceModel(std::string_view serializedModel,
                         const std::string &origin, std::string &error);

  /// Builds a tokenizer from GGUF metadata. "gpt2" vocabularies become a
  /// byte-level BPE (control and user-defined tokens are split out of the
  /// text as added tokens); "llama" vocabularies become a SentencePiece BPE
  /// model built in memory from the pieces, scores and types (LLaMA's
  /// normalizer: no normalization, whitespace as U+2581, a dummy prefix).
  static std::unique_ptr<Tokenizer>
  fromGgufVocabulary(const GgufVocabulary &vocabulary,
                     const std::string &origin, std::string &error);

  /// Builds a tokenizer from the `tokenizer.ggml.*` metadata of the GGUF
  /// file `path` (a model, or the metadata-only OUTPUT.tokenizer.gguf that
  /// tritc writes beside a model compiled from one). The file is mapped,
  /// never read whole.
  static std::unique_ptr<Tokenizer> fromGgufFile(const std::string &path,
                                                 std::string &error);

  /// The ids of `text`. With `addSpecialTokens` the post-processor's tokens
  /// (LLaMA-3's `<|begin_of_text|>`, SentencePiece's BOS) are added. In a
  /// byte-level BPE, added and special tokens written in the text are always
  /// recognized, as `tokenizers` does; a SentencePiece model reads the text
  /// as sentencepiece does (where "<s>" is plain text).
  /// Invalid UTF-8 in `text` is read as U+FFFD per maximal invalid subpart.
  virtual std::vector<int32_t> encode(std::string_view text,
                                      bool addSpecialTokens = true) const = 0;

  /// The bytes of `ids`. With `skipSpecial`, special tokens (BOS, EOS, ...)
  /// contribute nothing. Ids that are not in the vocabulary are skipped, as
  /// `tokenizers` does; check `isValidId` first to report them. The result
  /// may end in an incomplete UTF-8 sequence if the ids do.
  virtual std::string decode(const std::vector<int32_t> &ids,
                             bool skipSpecial = false) const = 0;

  /// The id of the beginning-of-sequence token, if the tokenizer has one.
  std::optional<int32_t> bos() const { return bosId; }
  /// The id of the end-of-sequence token, if the tokenizer has one.
  std::optional<int32_t> eos() const { return eosId; }

  /// One more than the largest id.
  virtual int32_t vocabSize() const = 0;
  /// Whether `id` names a token.
  virtual bool isValidId(int32_t id) const = 0;
  /// The token's text as the vocabulary stores it (byte-level BPE: in the
  /// byte-to-Unicode alphabet; SentencePiece: with U+2581 for spaces), or
  /// nothing for an id out of range.
  virtual std::optional<std::string> idToToken(int32_t id) const = 0;
  /// The id of a token's vocabulary text, if there is one.
  virtual std::optional<int32_t> tokenToId(std::string_view token) const = 0;
  /// Whether `id` is a special (control) token, skipped by `skipSpecial`.
  virtual bool isSpecial(int32_t id) const = 0;
  /// "bpe" or "sentencepiece", for messages.
  virtual const char *kindName() const = 0;

protected:
  friend class StreamingDecoder;
  Tokenizer() = default;
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;

  /// Appends to `out` the bytes that `id` adds after the ids in `history`
  /// (the ids pushed so far whose text is not final yet); the tokenizer
  /// keeps in `history` what it needs to decode later ids exactly.
  virtual void appendStreamText(std::vector<int32_t> &history,
                                std::string &historyText, int32_t id,
                                bool skipSpecial, std::string &out) const = 0;
  /// Appends whatever `history` still holds back at the end of a stream.
  virtual void finishStreamText(std::vector<int32_t> &history,
                                std::string &historyText, bool skipSpecial,
                                std::string &out) const = 0;

  std::optional<int32_t> bosId, eosId;
};

/// Decodes a stream of ids one at a time, as a model generates them, and
/// returns only complete UTF-8 characters: a byte-level BPE token (or a
/// SentencePiece byte piece) may hold part of a character, whose bytes are
/// held back until the rest arrives. The concatenation of every `push` and
/// the final `finish` equals `decode` of all the ids.
class StreamingDecoder {
public:
  /// Decodes with `tokenizer`, which must outlive this decoder.
  explicit StreamingDecoder(const Tokenizer &tokenizer,
                            bool skipSpecial = false);

  /// Adds one id; returns the bytes that became complete UTF-8.
  std::string push(int32_t id);

  /// Ends the stream; returns every byte still held back, complete or not.
  std::string finish();

private:
  const Tokenizer &tokenizer;
  bool skipSpecial;
  /// Ids whose text the tokenizer has not settled yet, and that text.
  std::vector<int32_t> history;
  std::string historyText;
  /// Decoded bytes not yet returned: the start of an incomplete character.
  std::string pending;
};

/// The tokenizer file tritc put beside the compiled model `modelPath` (a
/// library or executable): the first of `MODEL.tokenizer.json`,
/// `MODEL.tokenizer.model` and `MODEL.tokenizer.gguf` that exists, or an
/// empty string when there is none.
std::string findModelTokenizer(const std::string &modelPath);

/// Whether `path` is a compiled model, or at least an ELF file (a library
/// or an executable): what a tool taking "a tokenizer or a model" checks
/// before looking beside it with `findModelTokenizer`.
bool isCompiledModelFile(const std::string &path);

} // namespace trit

#endif // TRIT_TOKENIZER_H
