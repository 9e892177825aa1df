//===- Unicode.cpp - UTF-8 helpers and the PCRE2 regex ----------*- C++ -*-===//
//
// Text handling shared by the tokenizers: UTF-8 validation and repair, the
// White_Space property, the byte-level alphabet, and a thin wrapper over
// PCRE2 with Unicode properties (the `tokenizers` library uses Oniguruma;
// both implement \p{L}, \p{N}, lookahead and case-insensitive groups).
//
//===----------------------------------------------------------------------===//

#include "TokenizerInternal.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <string>

namespace trit {
namespace detail {

//===----------------------------------------------------------------------===//
// UTF-8
//===----------------------------------------------------------------------===//

size_t validUtf8SequenceLength(std::string_view text, size_t pos) {
  auto byteAt = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byteAt(pos);
  if (lead < 0x80)
    return 1;
  size_t length;
  // The allowed range of the second byte excludes overlong forms,
  // surrogates and code points above U+10FFFF (Unicode table 3-7).
  unsigned char secondLow = 0x80, secondHigh = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0)
      secondLow = 0xA0;
    else if (lead == 0xED)
      secondHigh = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0)
      secondLow = 0x90;
    else if (lead == 0xF4)
      secondHigh = 0x8F;
  } else {
    return 0;
  }
  if (pos + length > text.size())
    return 0;
  if (byteAt(pos + 1) < secondLow || byteAt(pos + 1) > secondHigh)
    return 0;
  for (size_t i = 2; i < length; ++i)
    if ((byteAt(pos + i) & 0xC0) != 0x80)
      return 0;
  return length;
}

bool isValidUtf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t length = validUtf8SequenceLength(text, pos);
    if (length == 0)
      return false;
    pos += length;
  }
  return true;
}

/// How many bytes a sequence with this lead byte has (0: not a lead byte).
static size_t expectedSequenceLength(unsigned char lead) {
  if (lead < 0x80)
    return 1;
  if (lead >= 0xC2 && lead <= 0xDF)
    return 2;
  if (lead >= 0xE0 && lead <= 0xEF)
    return 3;
  if (lead >= 0xF0 && lead <= 0xF4)
    return 4;
  return 0;
}

/// How many bytes from `pos` form a prefix of some valid sequence (at most
/// the sequence's length): the "maximal subpart" of Unicode section 3.9.
static size_t validPrefixLength(std::string_view text, size_t pos) {
  auto byteAt = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byteAt(pos);
  size_t length = expectedSequenceLength(lead);
  if (length == 0)
    return 0;
  unsigned char secondLow = lead == 0xE0 ? 0xA0 : lead == 0xF0 ? 0x90 : 0x80;
  unsigned char secondHigh = lead == 0xED ? 0x9F : lead == 0xF4 ? 0x8F : 0xBF;
  size_t count = 1;
  for (; count < length && pos + count < text.size(); ++count) {
    unsigned char c = byteAt(pos + count);
    unsigned char low = count == 1 ? secondLow : 0x80;
    unsigned char high = count == 1 ? secondHigh : 0xBF;
    if (c < low || c > high)
      break;
  }
  return count;
}

std::string replaceInvalidUtf8(std::string_view text) {
  static const char replacement[] = "\xEF\xBF\xBD";
  std::string result;
  result.reserve(text.size() + 8);
  for (size_t pos = 0; pos < text.size();) {
    size_t length = validUtf8SequenceLength(text, pos);
    if (length) {
      result.append(text.substr(pos, length));
      pos += length;
      continue;
    }
    result.append(replacement);
    pos += std::max<size_t>(1, validPrefixLength(text, pos));
  }
  return result;
}

uint32_t decodeCodePoint(std::string_view text, size_t pos, size_t length) {
  auto byteAt = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  switch (length) {
  case 1:
    return byteAt(pos);
  case 2:
    return ((byteAt(pos) & 0x1F) << 6) | (byteAt(pos + 1) & 0x3F);
  case 3:
    return ((byteAt(pos) & 0x0F) << 12) | ((byteAt(pos + 1) & 0x3F) << 6) |
           (byteAt(pos + 2) & 0x3F);
  default:
    return ((byteAt(pos) & 0x07) << 18) | ((byteAt(pos + 1) & 0x3F) << 12) |
           ((byteAt(pos + 2) & 0x3F) << 6) | (byteAt(pos + 3) & 0x3F);
  }
}

std::string encodeCodePoint(uint32_t codePoint) {
  std::string out;
  if (codePoint < 0x80) {
    out += char(codePoint);
  } else if (codePoint < 0x800) {
    out += char(0xC0 | (codePoint >> 6));
    out += char(0x80 | (codePoint & 0x3F));
  } else if (codePoint < 0x10000) {
    out += char(0xE0 | (codePoint >> 12));
    out += char(0x80 | ((codePoint >> 6) & 0x3F));
    out += char(0x80 | (codePoint & 0x3F));
  } else {
    out += char(0xF0 | (codePoint >> 18));
    out += char(0x80 | ((codePoint >> 12) & 0x3F));
    out += char(0x80 | ((codePoint >> 6) & 0x3F));
    out += char(0x80 | (codePoint & 0x3F));
  }
  return out;
}

bool isUnicodeWhitespace(uint32_t c) {
  // PropList.txt, White_Space.
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

size_t incompleteUtf8Tail(std::string_view bytes) {
  // A character is at most 4 bytes: look for its lead byte among the last 3.
  size_t size = bytes.size();
  for (size_t back = 1; back <= 3 && back <= size; ++back) {
    unsigned char c = static_cast<unsigned char>(bytes[size - back]);
    if ((c & 0xC0) == 0x80)
      continue; // a continuation byte: the lead is further back
    // Hold the tail back only if it is a valid start that lacks bytes.
    size_t need = expectedSequenceLength(c);
    if (need > back && validPrefixLength(bytes, size - back) == back)
      return back;
    return 0;
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Byte-level alphabet
//===----------------------------------------------------------------------===//

/// GPT-2 keeps the printable Latin-1 bytes as themselves and moves every
/// other byte to U+0100 and up, in byte order, so that no token holds a
/// space or a control character.
static bool isPrintableByte(int byte) {
  return (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) ||
         (byte >= 174 && byte <= 255);
}

const std::array<std::string, 256> &byteLevelAlphabet() {
  static const std::array<std::string, 256> alphabet = [] {
    std::array<std::string, 256> table;
    uint32_t next = 256;
    for (int byte = 0; byte < 256; ++byte)
      table[byte] = encodeCodePoint(isPrintableByte(byte) ? byte : next++);
    return table;
  }();
  return alphabet;
}

int byteLevelByteOf(uint32_t codePoint) {
  static const std::array<int16_t, 512> bytes = [] {
    std::array<int16_t, 512> table;
    table.fill(-1);
    uint32_t next = 256;
    for (int byte = 0; byte < 256; ++byte)
      table[isPrintableByte(byte) ? byte : next++] = int16_t(byte);
    return table;
  }();
  return codePoint < bytes.size() ? bytes[codePoint] : -1;
}

//===----------------------------------------------------------------------===//
// Regex
//===----------------------------------------------------------------------===//

const char *const gpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const char *const llama3SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

std::unique_ptr<UnicodeRegex> UnicodeRegex::compile(std::string_view pattern,
                                                    bool literal,
                                                    std::string &error) {
  // With UCP, PCRE2's \s is \h plus \v: Unicode's White_Space, as
  // Oniguruma's (U+0085 included), so patterns need no rewriting.
  std::string source(pattern);
  // PCRE2 refuses UCP with LITERAL; a literal has no classes anyway.
  uint32_t options = PCRE2_UTF | (literal ? PCRE2_LITERAL : PCRE2_UCP);
  int errorCode = 0;
  PCRE2_SIZE errorOffset = 0;
  pcre2_code *code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(source.data()), source.size(),
                    options, &errorCode, &errorOffset, nullptr);
  if (!code) {
    PCRE2_UCHAR buffer[256];
    pcre2_get_error_message(errorCode, buffer, sizeof(buffer));
    error = "invalid regex at offset " + std::to_string(errorOffset) + ": " +
            reinterpret_cast<const char *>(buffer);
    return nullptr;
  }
  // JIT is an optimization only: without it (unsupported platform, no
  // executable memory) matching falls back to the interpreter.
  (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
  return std::unique_ptr<UnicodeRegex>(new UnicodeRegex(code));
}

UnicodeRegex::~UnicodeRegex() {
  pcre2_code_free(static_cast<pcre2_code *>(code));
}

namespace {
/// Match data sized for the pattern, freed on scope exit.
struct MatchData {
  explicit MatchData(const pcre2_code *code)
      : data(pcre2_match_data_create_from_pattern(code, nullptr)) {}
  ~MatchData() { pcre2_match_data_free(data); }
  pcre2_match_data *data;
};

/// Runs one match; if JIT runs out of its stack (a pathological input),
/// retries with the interpreter, whose memory is on the heap.
int matchOnce(const pcre2_code *code, std::string_view text, size_t start,
              uint32_t options, pcre2_match_data *data) {
  int rc =
      pcre2_match(code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                  start, options | PCRE2_NO_UTF_CHECK, data, nullptr);
  if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
    rc = pcre2_match(
        code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), start,
        options | PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, data, nullptr);
  return rc;
}
} // namespace

void UnicodeRegex::findAll(
    std::string_view text,
    std::vector<std::pair<size_t, size_t>> &matches) const {
  const auto *pattern = static_cast<const pcre2_code *>(code);
  MatchData match(pattern);
  if (!match.data)
    return;
  size_t start = 0;
  while (start <= text.size()) {
    int rc = matchOnce(pattern, text, start, 0, match.data);
    if (rc < 0)
      return; // no further match (or a resource limit: the rest is a gap)
    PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(match.data);
    size_t begin = ovector[0], end = ovector[1];
    if (end > begin) {
      matches.emplace_back(begin, end);
      start = end;
      continue;
    }
    // An empty match: step over one character and search again.
    if (begin >= text.size())
      return;
    size_t length = validUtf8SequenceLength(text, begin);
    start = begin + (length ? length : 1);
  }
}

bool UnicodeRegex::matchesAt(std::string_view text, size_t offset) const {
  const auto *pattern = static_cast<const pcre2_code *>(code);
  MatchData match(pattern);
  if (!match.data)
    return false;
  return matchOnce(pattern, text, offset, PCRE2_ANCHORED, match.data) >= 0;
}

} // namespace detail
} // namespace trit
