//===- TokenizerTest.cpp - the runtime's tokenizer --------------*- C++ -*-===//
//
// What the Python comparison against `tokenizers` and `sentencepiece` cannot
// reach through trit-tokenize: vocabularies given as GGUF metadata (both
// models), the streaming decoder on characters split across tokens, and
// invalid UTF-8 input. The byte-level vocabulary built here has one token
// per byte, so every expected id is the byte itself.
//
//===----------------------------------------------------------------------===//

#include "trit/tokenizer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

namespace {

/// GPT-2's byte-to-character table, written independently of the library.
std::string byteLevelCharacter(int byte) {
  bool printable = (byte >= 33 && byte <= 126) ||
                   (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
  unsigned codePoint = byte;
  if (!printable) {
    codePoint = 256;
    for (int b = 0; b < byte; ++b)
      if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) ||
            (b >= 174 && b <= 255)))
        ++codePoint;
  }
  std::string out;
  if (codePoint < 0x80) {
    out += char(codePoint);
  } else {
    out += char(0xC0 | (codePoint >> 6));
    out += char(0x80 | (codePoint & 0x3F));
  }
  return out;
}

/// A "gpt2" vocabulary: ids 0..255 are the bytes, then "Ġt" "he" "Ġthe"
/// merged in that order, then a control token <|bos|> and a user-defined
/// token <tag>.
trit::GgufVocabulary bytesVocabulary(const std::string &pre) {
  trit::GgufVocabulary vocabulary;
  vocabulary.model = "gpt2";
  vocabulary.pre = pre;
  for (int byte = 0; byte < 256; ++byte)
    vocabulary.tokens.push_back(byteLevelCharacter(byte));
  std::string space = byteLevelCharacter(' ');
  vocabulary.tokens.push_back(space + "t");   // 256
  vocabulary.tokens.push_back("he");          // 257
  vocabulary.tokens.push_back(space + "the"); // 258
  vocabulary.tokens.push_back("<|bos|>");     // 259
  vocabulary.tokens.push_back("<tag>");       // 260
  vocabulary.merges = {space + " t", "h e", space + "t he"};
  vocabulary.tokenTypes.assign(vocabulary.tokens.size(), 1);
  vocabulary.tokenTypes[259] = 3;
  vocabulary.tokenTypes[260] = 4;
  vocabulary.bosId = 259;
  return vocabulary;
}

std::unique_ptr<trit::Tokenizer> load(const trit::GgufVocabulary &vocabulary) {
  std::string error;
  auto tokenizer =
      trit::Tokenizer::fromGgufVocabulary(vocabulary, "test.gguf", error);
  EXPECT_TRUE(tokenizer) << error;
  return tokenizer;
}

std::string loadError(const trit::GgufVocabulary &vocabulary) {
  std::string error;
  auto tokenizer =
      trit::Tokenizer::fromGgufVocabulary(vocabulary, "test.gguf", error);
  EXPECT_FALSE(tokenizer);
  return error;
}

using Ids = std::vector<int32_t>;

TEST(GgufBytePairEncoding, MergesSpecialTokensAndBos) {
  auto tokenizer = load(bytesVocabulary("llama-bpe"));
  ASSERT_TRUE(tokenizer);
  EXPECT_EQ(tokenizer->bos(), 259);
  // " the" merges fully; "hex" keeps "he"; the control and user-defined
  // tokens are cut out of the text; the BOS comes first.
  EXPECT_EQ(tokenizer->encode("a the<|bos|>hex<tag>"),
            (Ids{259, 'a', 258, 259, 257, 'x', 260}));
  EXPECT_EQ(tokenizer->encode("a the", false), (Ids{'a', 258}));
  EXPECT_EQ(tokenizer->decode({259, 'a', 258, 260}), "<|bos|>a the<tag>");
  EXPECT_EQ(tokenizer->decode({259, 'a', 258, 260}, true), "a the<tag>");
  EXPECT_TRUE(tokenizer->isSpecial(259));
  EXPECT_FALSE(tokenizer->isSpecial(260));
  EXPECT_EQ(tokenizer->vocabSize(), 261);
  EXPECT_EQ(tokenizer->idToToken(258), byteLevelCharacter(' ') + "the");
  EXPECT_EQ(tokenizer->tokenToId("<tag>"), 260);
}

TEST(GgufBytePairEncoding, Llama3DigitGroupsAndGpt2Digits) {
  // LLaMA-3's regex splits digits in groups of three; GPT-2's keeps runs.
  // Either way each digit is its own byte token here, so compare the
  // pre-token boundaries through the space the GPT-2 regex attaches.
  auto llama = load(bytesVocabulary("llama-bpe"));
  auto gpt2 = load(bytesVocabulary("gpt-2"));
  ASSERT_TRUE(llama && gpt2);
  EXPECT_EQ(llama->encode("1234", false), (Ids{'1', '2', '3', '4'}));
  EXPECT_EQ(gpt2->encode(" the the", false), (Ids{258, 258}));
}

TEST(GgufBytePairEncoding, Errors) {
  auto vocabulary = bytesVocabulary("llama-bpe");
  vocabulary.model = "bert";
  EXPECT_EQ(loadError(vocabulary),
            "test.gguf: tokenizer.ggml.model 'bert' is not supported "
            "(supported: gpt2, llama)");
  vocabulary = bytesVocabulary("qwen2");
  EXPECT_EQ(loadError(vocabulary),
            "test.gguf: tokenizer.ggml.pre 'qwen2' is not supported "
            "(supported: llama-bpe, gpt-2)");
  vocabulary = bytesVocabulary("llama-bpe");
  vocabulary.merges.push_back("x nothere");
  EXPECT_EQ(loadError(vocabulary),
            "test.gguf: tokenizer.ggml.merges[3]: merge names token "
            "'nothere', which is not in the vocabulary");
  vocabulary = bytesVocabulary("llama-bpe");
  vocabulary.bosId = 5000;
  EXPECT_EQ(loadError(vocabulary), "test.gguf: tokenizer.ggml.bos_token_id: "
                                   "id 5000 is out of range (261 tokens)");
  vocabulary = bytesVocabulary("llama-bpe");
  vocabulary.tokenTypes.pop_back();
  EXPECT_EQ(loadError(vocabulary),
            "test.gguf: tokenizer.ggml.token_type: 260 types for 261 tokens");
}

TEST(StreamingDecoder, HoldsBackSplitCharacters) {
  auto tokenizer = load(bytesVocabulary("llama-bpe"));
  ASSERT_TRUE(tokenizer);
  // "é" (2 bytes) and "😀" (4 bytes) arrive one byte token at a time.
  std::string text = "a\xC3\xA9\xF0\x9F\x98\x80z";
  Ids ids = tokenizer->encode(text, false);
  ASSERT_EQ(ids.size(), text.size());
  trit::StreamingDecoder decoder(*tokenizer);
  std::vector<std::string> pieces;
  for (int32_t id : ids)
    pieces.push_back(decoder.push(id));
  EXPECT_EQ(pieces, (std::vector<std::string>{"a", "", "\xC3\xA9", "", "", "",
                                              "\xF0\x9F\x98\x80", "z"}));
  EXPECT_EQ(decoder.finish(), "");
  // A stream that ends inside a character returns the bytes at the end.
  trit::StreamingDecoder truncated(*tokenizer);
  EXPECT_EQ(truncated.push(0xF0), "");
  EXPECT_EQ(truncated.push(0x9F), "");
  EXPECT_EQ(truncated.finish(), "\xF0\x9F");
  // A byte that can never start a character is not held back.
  trit::StreamingDecoder invalid(*tokenizer);
  EXPECT_EQ(invalid.push(0xFF), "\xFF");
}

TEST(BytePairEncoding, InvalidUtf8IsReadAsReplacementCharacters) {
  auto tokenizer = load(bytesVocabulary("llama-bpe"));
  ASSERT_TRUE(tokenizer);
  // A lone continuation byte, a truncated 3-byte sequence (one maximal
  // subpart: one U+FFFD) and an overlong encoding (two).
  EXPECT_EQ(tokenizer->encode("a\x80"
                              "b\xE2\x82"
                              "c\xC0\xAF",
                              false),
            tokenizer->encode("a\xEF\xBF\xBD"
                              "b\xEF\xBF\xBD"
                              "c\xEF\xBF\xBD\xEF\xBF\xBD",
                              false));
}

/// A "llama" (SentencePiece) vocabulary: <unk> <s> </s>, the 256 byte
/// pieces, then "▁" "a" "b" "▁a" "ab" "▁ab" with scores that make "▁a"
/// merge before "ab".
trit::GgufVocabulary sentencePieceVocabulary() {
  trit::GgufVocabulary vocabulary;
  vocabulary.model = "llama";
  auto add = [&](const std::string &piece, float score, int32_t type) {
    vocabulary.tokens.push_back(piece);
    vocabulary.scores.push_back(score);
    vocabulary.tokenTypes.push_back(type);
  };
  add("<unk>", 0, 2);
  add("<s>", 0, 3);
  add("</s>", 0, 3);
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", byte);
    add(name, 0, 6);
  }
  const std::string space = "\xE2\x96\x81"; // U+2581
  add(space, -10, 1);                       // 259
  add("a", -11, 1);                         // 260
  add("b", -12, 1);                         // 261
  add(space + "a", -2, 1);                  // 262
  add("ab", -3, 1);                         // 263
  add(space + "ab", -1, 1);                 // 264
  vocabulary.bosId = 1;
  vocabulary.eosId = 2;
  vocabulary.unknownId = 0;
  return vocabulary;
}

TEST(GgufSentencePiece, EncodesWithScoresAndByteFallback) {
  auto tokenizer = load(sentencePieceVocabulary());
  ASSERT_TRUE(tokenizer);
  EXPECT_STREQ(tokenizer->kindName(), "sentencepiece");
  EXPECT_EQ(tokenizer->bos(), 1);
  EXPECT_EQ(tokenizer->eos(), 2);
  EXPECT_EQ(tokenizer->encode("ab ab"), (Ids{1, 264, 264}));
  EXPECT_EQ(tokenizer->encode("ab ab", false), (Ids{264, 264}));
  // "é" is not a piece: its two bytes (0xC3, 0xA9) are ids 3 + byte.
  Ids accent = tokenizer->encode("a\xC3\xA9", false);
  EXPECT_EQ(accent, (Ids{262, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(tokenizer->decode({1, 264, 264, 2}), "ab ab");
  EXPECT_EQ(tokenizer->decode(accent), "a\xC3\xA9");

  trit::StreamingDecoder decoder(*tokenizer);
  std::string streamed;
  std::vector<std::string> pieces;
  for (int32_t id : Ids{1, 264, 3 + 0xC3, 3 + 0xA9, 264, 2})
    pieces.push_back(decoder.push(id));
  pieces.push_back(decoder.finish());
  EXPECT_EQ(pieces, (std::vector<std::string>{"", "ab", "", "\xC3\xA9", " ab",
                                              "", ""}));
}

TEST(GgufSentencePiece, Errors) {
  auto vocabulary = sentencePieceVocabulary();
  vocabulary.scores.pop_back();
  EXPECT_EQ(loadError(vocabulary),
            "test.gguf: tokenizer.ggml.scores: 264 scores for 265 tokens");
  vocabulary = sentencePieceVocabulary();
  vocabulary.tokenTypes[7] = 9;
  EXPECT_EQ(loadError(vocabulary),
            "test.gguf: tokenizer.ggml.token_type[7]: type 9 is not 1..6");
  vocabulary = sentencePieceVocabulary();
  vocabulary.unknownId = 1000;
  EXPECT_EQ(loadError(vocabulary),
            "test.gguf: tokenizer.ggml.unknown_token_id: id 1000 is out of "
            "range (265 tokens)");
}

TEST(Tokenizer, InMemoryJsonAndBadJson) {
  std::ifstream stream(TOKENIZER_INPUTS_DIR "/tiny.json");
  std::stringstream json;
  json << stream.rdbuf();
  std::string error;
  auto tokenizer = trit::Tokenizer::fromJson(json.str(), "tiny.json", error);
  ASSERT_TRUE(tokenizer) << error;
  EXPECT_EQ(tokenizer->encode("Hello world!"), (Ids{20, 12, 15, 2, 7, 8}));
  EXPECT_EQ(tokenizer->bos(), 20);
  // Ids out of range are skipped by decode (as tokenizers does).
  EXPECT_EQ(tokenizer->decode({12, 99999, -1}), "Hello");
  EXPECT_FALSE(tokenizer->isValidId(22));

  EXPECT_FALSE(trit::Tokenizer::fromJson("{\"model\": ", "cut.json", error));
  EXPECT_EQ(error.rfind("cut.json: invalid JSON: ", 0), 0u) << error;
  EXPECT_FALSE(
      trit::Tokenizer::fromSentencePieceModel("\x01\x02", "x.model", error));
  EXPECT_EQ(error.rfind("x.model: not a SentencePiece model", 0), 0u) << error;
}

} // namespace
