//===- TokenizerInternal.h - the tokenizer's private classes ----*- C++ -*-===//
//
// Shared by the tokenizer's translation units only: UTF-8 helpers, a PCRE2
// regex, the byte-level BPE tokenizer and the SentencePiece wrapper's
// factories. Nothing here is part of the runtime's interface.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_TOKENIZER_INTERNAL_H
#define TRIT_RUNTIME_TOKENIZER_INTERNAL_H

#include "trit/tokenizer.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace trit {
namespace detail {

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

/// What the loaders throw internally; every public entry point catches it
/// (and every other exception) and turns it into the error string, so
/// nothing escapes the library.
struct LoadError {
  std::string message;
};

//===----------------------------------------------------------------------===//
// UTF-8
//===----------------------------------------------------------------------===//

/// The length of the valid UTF-8 sequence starting at `text[pos]`, or 0 if
/// the bytes there are not one (truncated, overlong, a surrogate, above
/// U+10FFFF, or a stray continuation byte).
size_t validUtf8SequenceLength(std::string_view text, size_t pos);

/// Whether all of `text` is valid UTF-8.
bool isValidUtf8(std::string_view text);

/// `text` with each maximal invalid subpart replaced by U+FFFD (the Unicode
/// standard's recommended practice, as Python's errors="replace" does).
std::string replaceInvalidUtf8(std::string_view text);

/// The code point of the valid sequence at `text[pos]` of length `length`.
uint32_t decodeCodePoint(std::string_view text, size_t pos, size_t length);

/// The UTF-8 encoding of `codePoint`.
std::string encodeCodePoint(uint32_t codePoint);

/// Unicode's White_Space property (what Rust's `char::is_whitespace` and
/// regex `\s` test, used by `tokenizers` for added tokens' lstrip/rstrip).
bool isUnicodeWhitespace(uint32_t codePoint);

/// How many bytes at the end of `bytes` start a UTF-8 character whose
/// remaining bytes have not arrived yet (0 if the end is complete or the
/// tail can never become valid).
size_t incompleteUtf8Tail(std::string_view bytes);

//===----------------------------------------------------------------------===//
// Regex
//===----------------------------------------------------------------------===//

/// A compiled PCRE2 pattern (UTF and Unicode properties on, JIT-compiled
/// when the platform allows) used to split text the way `tokenizers`' Split
/// pre-tokenizer does with its Oniguruma regex.
class UnicodeRegex {
public:
  /// Compiles `pattern` (a regex, or with `literal` a plain string). On
  /// failure returns null and sets `error` to PCRE2's message and offset.
  static std::unique_ptr<UnicodeRegex>
  compile(std::string_view pattern, bool literal, std::string &error);
  ~UnicodeRegex();
  UnicodeRegex(const UnicodeRegex &) = delete;
  UnicodeRegex &operator=(const UnicodeRegex &) = delete;

  /// Appends to `matches` the [begin, end) byte ranges of the successive
  /// non-overlapping matches in `text` (valid UTF-8), skipping empty ones
  /// as Oniguruma's find_iter in `tokenizers` effectively does.
  void findAll(std::string_view text,
               std::vector<std::pair<size_t, size_t>> &matches) const;

  /// Whether the pattern matches at exactly `offset` of `text`.
  bool matchesAt(std::string_view text, size_t offset) const;

private:
  explicit UnicodeRegex(void *code) : code(code) {}
  /// A pcre2_code_8 *; kept opaque so that this header needs no pcre2.h.
  void *code;
};

/// GPT-2's pre-tokenizer regex (ByteLevel with use_regex).
extern const char *const gpt2SplitPattern;
/// LLaMA-3's Split regex (also GGUF's "llama-bpe").
extern const char *const llama3SplitPattern;

//===----------------------------------------------------------------------===//
// Byte-level BPE
//===----------------------------------------------------------------------===//

/// A token added on top of the model's vocabulary, matched in the text
/// before pre-tokenization (see `tokenizers`' AddedVocabulary).
struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool singleWord = false;
  bool lstrip = false;
  bool rstrip = false;
  /// Matched in the normalized text rather than the original one; with no
  /// normalizer this only changes the order of the two matching passes.
  bool normalized = true;
};

/// One pre-tokenizer step, applied to every piece in turn.
struct PreTokenizerStep {
  enum class Kind { Split, ByteLevel };
  /// How a Split step treats the pieces its pattern matches.
  enum class Behavior { Isolated, Removed };
  Kind kind = Kind::Split;
  /// Split: the pattern, what happens to its matches, and whether the
  /// pattern describes the kept pieces rather than the delimiters.
  std::shared_ptr<UnicodeRegex> regex;
  Behavior behavior = Behavior::Isolated;
  bool invert = false;
  /// ByteLevel: prepend a space to pieces that do not start with one, and
  /// split with GPT-2's regex.
  bool addPrefixSpace = false;
  bool useRegex = false;
};

/// One post-processing template for a single sequence: the ids it puts
/// before and after the encoded text.
struct PostTemplate {
  std::vector<int32_t> before, after;
};

/// Byte-level (or plain) BPE as `tokenizers` runs it: added tokens, a
/// pre-tokenizer pipeline, the BPE model, templates and the ByteLevel
/// decoder. Filled by the tokenizer.json and GGUF readers, then `finalize`d.
class BpeTokenizer final : public Tokenizer {
public:
  BpeTokenizer();
  ~BpeTokenizer() override;

  //===--- Building -------------------------------------------------------===//

  /// The model's vocabulary, indexed by id; `present[id]` is false for ids
  /// that the vocabulary skips.
  std::vector<std::string> modelTokens;
  std::vector<bool> modelTokenPresent;
  /// Merges in priority order (rank = position), as token texts.
  std::vector<std::pair<std::string, std::string>> merges;
  /// Where each merge came from, for error messages ("model.merges[12]").
  std::string mergesField = "model.merges";
  std::vector<AddedToken> addedTokens;
  std::vector<PreTokenizerStep> preTokenizer;
  std::vector<PostTemplate> postTemplates;
  /// The model's options (`tokenizers`' BPE fields of the same names).
  bool ignoreMerges = false;
  bool byteFallback = false;
  bool fuseUnknown = false;
  std::optional<std::string> unknownToken;
  /// Whether the decoder maps byte-level characters back to bytes (else
  /// tokens are joined with spaces, as `tokenizers` does without one).
  bool byteLevelDecoder = true;

  /// Builds the lookup tables; throws LoadError naming `origin` and the
  /// field on inconsistent input (a merge naming an unknown token, ...).
  void finalize(const std::string &origin);

  //===--- Tokenizer ------------------------------------------------------===//

  std::vector<int32_t> encode(std::string_view text,
                              bool addSpecialTokens) const override;
  std::string decode(const std::vector<int32_t> &ids,
                     bool skipSpecial) const override;
  int32_t vocabSize() const override;
  bool isValidId(int32_t id) const override;
  std::optional<std::string> idToToken(int32_t id) const override;
  std::optional<int32_t> tokenToId(std::string_view token) const override;
  bool isSpecial(int32_t id) const override;
  const char *kindName() const override { return "bpe"; }

  void setBos(std::optional<int32_t> id) { bosId = id; }
  void setEos(std::optional<int32_t> id) { eosId = id; }

protected:
  void appendStreamText(std::vector<int32_t> &history, std::string &historyText,
                        int32_t id, bool skipSpecial,
                        std::string &out) const override;
  void finishStreamText(std::vector<int32_t> &history, std::string &historyText,
                        bool skipSpecial, std::string &out) const override;

private:
  struct Trie;
  struct Segment;

  /// Splits `text` around the added tokens of `trie` (leftmost-longest,
  /// with lstrip/rstrip/single_word), appending to `segments`.
  void splitAddedTokens(const Trie &trie, std::string_view text,
                        std::vector<Segment> &segments) const;
  /// Runs the pre-tokenizer and the model over a piece of plain text.
  void encodePlainText(std::string_view text, std::vector<int32_t> &ids,
                       std::string &scratch) const;
  /// The BPE model on one pre-token.
  void encodeWord(std::string_view word, std::vector<int32_t> &ids,
                  std::string &scratch) const;
  /// Appends the symbols of one character that is not in the vocabulary
  /// (byte fallback, the unknown token, or nothing).
  void appendUnknownCharacter(std::string_view character,
                              std::vector<int32_t> &symbols,
                              bool &previousWasUnknown) const;
  /// Appends the bytes of a non-added token through the decoder.
  void appendModelTokenBytes(int32_t id, std::string &out) const;

  /// token text -> id, viewing into modelTokens.
  std::unordered_map<std::string_view, int32_t> modelVocab;
  /// (left id << 32 | right id) -> (rank, merged id).
  std::unordered_map<uint64_t, std::pair<int32_t, int32_t>> mergeTable;
  /// id -> index into addedTokens.
  std::unordered_map<int32_t, size_t> addedById;
  std::unordered_map<std::string_view, int32_t> addedVocab;
  std::unique_ptr<Trie> rawTrie, normalizedTrie;
  std::unique_ptr<UnicodeRegex> gpt2Regex, wordCharRegex;
  bool byteLevelInput = false;
  int32_t numIds = 0;
  std::optional<int32_t> unknownId;
  /// The model's id of each byte's byte-level character (-1: none).
  std::array<int32_t, 256> byteSymbolIds;
};

/// The GPT-2 byte-to-Unicode table: the UTF-8 text of the character that
/// stands for each byte in byte-level vocabularies.
const std::array<std::string, 256> &byteLevelAlphabet();
/// The byte a byte-level character stands for, or -1.
int byteLevelByteOf(uint32_t codePoint);

//===----------------------------------------------------------------------===//
// Factories of the other translation units
//===----------------------------------------------------------------------===//

/// Parses a tokenizer.json; throws LoadError. `unsupported` is set when the
/// failure is a kind this library does not implement (so that a directory
/// may fall back to its tokenizer.model).
std::unique_ptr<Tokenizer> parseTokenizerJson(std::string_view json,
                                              const std::string &origin,
                                              bool &unsupported);

/// Loads a serialized SentencePiece ModelProto; throws LoadError.
std::unique_ptr<Tokenizer> makeSentencePieceTokenizer(
    std::string_view serializedModel, const std::string &origin, bool addBos,
    bool addEos, std::optional<int32_t> bos, std::optional<int32_t> eos);

/// A serialized ModelProto (SentencePiece BPE, LLaMA's normalizer) made from
/// GGUF "llama" pieces; throws LoadError.
std::string serializeSentencePieceModel(const GgufVocabulary &vocabulary,
                                        const std::string &origin);

/// Whether `path` is a regular file starting with GGUF's magic.
bool isGgufFile(const std::string &path);

} // namespace detail
} // namespace trit

#endif // TRIT_RUNTIME_TOKENIZER_INTERNAL_H
