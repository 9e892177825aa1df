//===- BytePairEncoding.cpp - byte-level BPE as tokenizers runs it -*- C++ -*-//
//
// Encoding follows the `tokenizers` library step by step, because the ids
// must be identical, not just equivalent:
//   1. added tokens are cut out of the text (non-normalized ones first, then
//      normalized ones in what remains; leftmost-longest, like its
//      Aho-Corasick automaton), honouring lstrip, rstrip and single_word;
//   2. every other piece goes through the pre-tokenizer steps (regex splits,
//      then ByteLevel, which maps each byte to its printable stand-in);
//   3. each pre-token is merged by the BPE model with the same priority
//      queue and the same stale-entry check as `tokenizers`' Word::merge_all;
//   4. the post-processor templates wrap the ids (LLaMA-3's BOS).
//
//===----------------------------------------------------------------------===//

#include "TokenizerInternal.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <queue>

namespace trit {
namespace detail {

//===----------------------------------------------------------------------===//
// Added-token matching
//===----------------------------------------------------------------------===//

/// A byte trie over added tokens' contents, for leftmost-longest matching.
struct BpeTokenizer::Trie {
  struct Node {
    /// (byte, child index), few per node.
    std::vector<std::pair<unsigned char, int32_t>> children;
    /// Index into addedTokens of the token ending here, or -1.
    int32_t token = -1;
  };
  std::vector<Node> nodes{1};
  /// The root's children by byte, since almost every text position fails
  /// at the root.
  std::array<int32_t, 256> rootChildren;

  Trie() { rootChildren.fill(-1); }

  bool empty() const { return nodes.size() == 1; }

  void insert(std::string_view content, int32_t token) {
    int32_t node = 0;
    for (unsigned char byte : content) {
      int32_t child = -1;
      for (auto &[b, index] : nodes[node].children)
        if (b == byte)
          child = index;
      if (child < 0) {
        child = int32_t(nodes.size());
        nodes.push_back({});
        nodes[node].children.emplace_back(byte, child);
        if (node == 0)
          rootChildren[byte] = child;
      }
      node = child;
    }
    // The first token with this content wins, as in tokenizers' automaton.
    if (nodes[node].token < 0)
      nodes[node].token = token;
  }

  /// The longest token starting at `pos`: (token index, length) or (-1, 0).
  std::pair<int32_t, size_t> longestAt(std::string_view text,
                                       size_t pos) const {
    int32_t node = rootChildren[static_cast<unsigned char>(text[pos])];
    std::pair<int32_t, size_t> best{-1, 0};
    size_t i = pos + 1;
    while (node >= 0) {
      if (nodes[node].token >= 0)
        best = {nodes[node].token, i - pos};
      if (i >= text.size())
        break;
      unsigned char byte = static_cast<unsigned char>(text[i]);
      int32_t next = -1;
      for (auto &[b, index] : nodes[node].children)
        if (b == byte)
          next = index;
      node = next;
      ++i;
    }
    return best;
  }
};

/// A piece of the input: plain text, or an added token's id.
struct BpeTokenizer::Segment {
  std::string_view text;
  int32_t addedId = -1;
};

BpeTokenizer::BpeTokenizer() { byteSymbolIds.fill(-1); }
BpeTokenizer::~BpeTokenizer() = default;

/// Where the character that ends at `end` (> 0) starts, in valid UTF-8.
static size_t previousCharacterStart(std::string_view text, size_t end) {
  size_t pos = end - 1;
  while (pos > 0 && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80)
    --pos;
  return pos;
}

/// The code point that ends `text` (which is valid UTF-8 and not empty).
static uint32_t lastCodePoint(std::string_view text) {
  size_t pos = previousCharacterStart(text, text.size());
  return decodeCodePoint(text, pos, text.size() - pos);
}

void BpeTokenizer::splitAddedTokens(const Trie &trie, std::string_view text,
                                    std::vector<Segment> &segments) const {
  size_t emittedUpTo = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    auto [tokenIndex, length] = trie.longestAt(text, pos);
    if (tokenIndex < 0) {
      ++pos;
      continue;
    }
    const AddedToken &token = addedTokens[tokenIndex];
    size_t start = pos, stop = pos + length;
    pos = stop;
    if (token.singleWord) {
      // A word character right before or after: part of a longer word.
      bool wordBefore =
          start > 0 &&
          wordCharRegex->matchesAt(text, previousCharacterStart(text, start));
      bool wordAfter =
          stop < text.size() && wordCharRegex->matchesAt(text, stop);
      if (wordBefore || wordAfter)
        continue;
    }
    if (token.lstrip) {
      size_t newStart = start;
      while (newStart > emittedUpTo &&
             isUnicodeWhitespace(lastCodePoint(text.substr(0, newStart))))
        newStart = previousCharacterStart(text, newStart);
      start = newStart;
    }
    if (token.rstrip) {
      while (stop < text.size()) {
        size_t charLength = validUtf8SequenceLength(text, stop);
        if (!charLength ||
            !isUnicodeWhitespace(decodeCodePoint(text, stop, charLength)))
          break;
        stop += charLength;
      }
      pos = stop;
    }
    if (emittedUpTo < start)
      segments.push_back({text.substr(emittedUpTo, start - emittedUpTo), -1});
    segments.push_back({text.substr(start, stop - start), token.id});
    emittedUpTo = stop;
  }
  if (emittedUpTo < text.size())
    segments.push_back({text.substr(emittedUpTo), -1});
}

//===----------------------------------------------------------------------===//
// Finalize
//===----------------------------------------------------------------------===//

static uint64_t pairKey(int32_t left, int32_t right) {
  return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
}

void BpeTokenizer::finalize(const std::string &origin) {
  auto fail = [&](const std::string &message) {
    throw LoadError{origin + ": " + message};
  };

  modelVocab.clear();
  modelVocab.reserve(modelTokens.size());
  for (size_t id = 0; id < modelTokens.size(); ++id)
    if (modelTokenPresent[id])
      modelVocab.emplace(modelTokens[id], int32_t(id));

  mergeTable.clear();
  mergeTable.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto &[left, right] = merges[rank];
    auto field = [&] { return mergesField + "[" + std::to_string(rank) + "]"; };
    auto leftIt = modelVocab.find(left);
    if (leftIt == modelVocab.end())
      fail(field() + ": merge names token '" + left +
           "', which is not in the vocabulary");
    auto rightIt = modelVocab.find(right);
    if (rightIt == modelVocab.end())
      fail(field() + ": merge names token '" + right +
           "', which is not in the vocabulary");
    auto mergedIt = modelVocab.find(left + right);
    if (mergedIt == modelVocab.end())
      fail(field() + ": merged token '" + left + right +
           "' is not in the vocabulary");
    // A repeated pair keeps its last rank, as tokenizers' map does.
    mergeTable[pairKey(leftIt->second, rightIt->second)] = {int32_t(rank),
                                                            mergedIt->second};
  }
  merges.clear();
  merges.shrink_to_fit();

  numIds = int32_t(modelTokens.size());
  addedById.clear();
  addedVocab.clear();
  for (size_t i = 0; i < addedTokens.size(); ++i) {
    const AddedToken &token = addedTokens[i];
    if (token.content.empty())
      fail("added_tokens[" + std::to_string(i) + "]: content is empty");
    addedById[token.id] = i;
    addedVocab[token.content] = token.id;
    numIds = std::max(numIds, token.id + 1);
  }
  // Matching order as tokenizers builds its automata: special tokens first,
  // then the others, each in file order.
  rawTrie = std::make_unique<Trie>();
  normalizedTrie = std::make_unique<Trie>();
  bool anySingleWord = false;
  for (bool special : {true, false})
    for (size_t i = 0; i < addedTokens.size(); ++i) {
      const AddedToken &token = addedTokens[i];
      if (token.special != special)
        continue;
      (token.normalized ? normalizedTrie : rawTrie)
          ->insert(token.content, int32_t(i));
      anySingleWord |= token.singleWord;
    }
  std::string regexError;
  if (anySingleWord) {
    // Rust regex's \w, which tokenizers uses for single_word.
    wordCharRegex = UnicodeRegex::compile(
        R"([\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc}\x{200C}\x{200D}])", false, regexError);
    if (!wordCharRegex)
      fail("internal word-character regex: " + regexError);
  }

  byteLevelInput = false;
  for (size_t i = 0; i < preTokenizer.size(); ++i) {
    const PreTokenizerStep &step = preTokenizer[i];
    if (step.kind != PreTokenizerStep::Kind::ByteLevel)
      continue;
    byteLevelInput = true;
    if (step.useRegex && !gpt2Regex) {
      gpt2Regex = UnicodeRegex::compile(gpt2SplitPattern, false, regexError);
      if (!gpt2Regex)
        fail("internal GPT-2 regex: " + regexError);
    }
  }
  const auto &alphabet = byteLevelAlphabet();
  for (int byte = 0; byte < 256; ++byte) {
    auto it = modelVocab.find(alphabet[byte]);
    byteSymbolIds[byte] = it == modelVocab.end() ? -1 : it->second;
  }

  unknownId.reset();
  if (unknownToken) {
    auto it = modelVocab.find(*unknownToken);
    if (it == modelVocab.end())
      fail("model.unk_token: '" + *unknownToken + "' is not in the vocabulary");
    unknownId = it->second;
  }
  for (const PostTemplate &post : postTemplates)
    for (const auto *ids : {&post.before, &post.after})
      for (int32_t id : *ids)
        if (!isValidId(id))
          fail("post_processor: special token id " + std::to_string(id) +
               " is not in the vocabulary");
  if (bosId && !isValidId(*bosId))
    fail("BOS id " + std::to_string(*bosId) + " is out of range");
  if (eosId && !isValidId(*eosId))
    fail("EOS id " + std::to_string(*eosId) + " is out of range");
}

//===----------------------------------------------------------------------===//
// Encode
//===----------------------------------------------------------------------===//

std::vector<int32_t> BpeTokenizer::encode(std::string_view text,
                                          bool addSpecialTokens) const {
  std::string repaired;
  if (!isValidUtf8(text)) {
    repaired = replaceInvalidUtf8(text);
    text = repaired;
  }

  std::vector<Segment> rawSegments, segments;
  if (rawTrie->empty())
    rawSegments.push_back({text, -1});
  else
    splitAddedTokens(*rawTrie, text, rawSegments);
  if (normalizedTrie->empty()) {
    segments = std::move(rawSegments);
  } else {
    for (const Segment &segment : rawSegments) {
      if (segment.addedId >= 0)
        segments.push_back(segment);
      else
        splitAddedTokens(*normalizedTrie, segment.text, segments);
    }
  }

  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 4);
  std::string scratch;
  for (const Segment &segment : segments) {
    if (segment.addedId >= 0)
      ids.push_back(segment.addedId);
    else if (!segment.text.empty())
      encodePlainText(segment.text, ids, scratch);
  }

  if (addSpecialTokens) {
    for (const PostTemplate &post : postTemplates) {
      if (post.before.empty() && post.after.empty())
        continue;
      std::vector<int32_t> wrapped;
      wrapped.reserve(ids.size() + post.before.size() + post.after.size());
      wrapped.insert(wrapped.end(), post.before.begin(), post.before.end());
      wrapped.insert(wrapped.end(), ids.begin(), ids.end());
      wrapped.insert(wrapped.end(), post.after.begin(), post.after.end());
      ids = std::move(wrapped);
    }
  }
  return ids;
}

void BpeTokenizer::encodePlainText(std::string_view text,
                                   std::vector<int32_t> &ids,
                                   std::string &scratch) const {
  // Pieces are views into the text, or into `prefixed` for the pieces to
  // which ByteLevel added a space (deque: views into it stay valid).
  std::vector<std::string_view> pieces{text}, next;
  std::deque<std::string> prefixed;
  std::vector<std::pair<size_t, size_t>> matches;

  for (const PreTokenizerStep &step : preTokenizer) {
    next.clear();
    if (step.kind == PreTokenizerStep::Kind::Split) {
      for (std::string_view piece : pieces) {
        matches.clear();
        step.regex->findAll(piece, matches);
        // Gaps and matches alternate; a "delimiter" is a match unless the
        // step is inverted.
        size_t previous = 0;
        auto emit = [&](size_t begin, size_t end, bool isMatch) {
          if (begin == end)
            return;
          bool isDelimiter = isMatch != step.invert;
          if (isDelimiter &&
              step.behavior == PreTokenizerStep::Behavior::Removed)
            return;
          next.push_back(piece.substr(begin, end - begin));
        };
        for (auto [begin, end] : matches) {
          emit(previous, begin, false);
          emit(begin, end, true);
          previous = end;
        }
        emit(previous, piece.size(), false);
      }
    } else {
      for (std::string_view piece : pieces) {
        if (step.addPrefixSpace && piece.front() != ' ') {
          prefixed.push_back(" " + std::string(piece));
          piece = prefixed.back();
        }
        if (!step.useRegex) {
          next.push_back(piece);
          continue;
        }
        matches.clear();
        gpt2Regex->findAll(piece, matches);
        size_t previous = 0;
        for (auto [begin, end] : matches) {
          if (previous < begin)
            next.push_back(piece.substr(previous, begin - previous));
          next.push_back(piece.substr(begin, end - begin));
          previous = end;
        }
        if (previous < piece.size())
          next.push_back(piece.substr(previous));
      }
    }
    pieces.swap(next);
  }

  for (std::string_view piece : pieces)
    encodeWord(piece, ids, scratch);
}

void BpeTokenizer::appendUnknownCharacter(std::string_view character,
                                          std::vector<int32_t> &symbols,
                                          bool &previousWasUnknown) const {
  if (byteFallback) {
    // `<0xAB>` tokens for each byte of the character, if all exist.
    std::vector<int32_t> byteIds;
    for (unsigned char byte : character) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", byte);
      auto it = modelVocab.find(name);
      if (it == modelVocab.end())
        break;
      byteIds.push_back(it->second);
    }
    if (byteIds.size() == character.size()) {
      symbols.insert(symbols.end(), byteIds.begin(), byteIds.end());
      previousWasUnknown = false;
      return;
    }
  }
  if (!unknownId)
    return; // tokenizers drops the character
  if (fuseUnknown && previousWasUnknown)
    return;
  symbols.push_back(*unknownId);
  previousWasUnknown = true;
}

namespace {
/// A merge candidate in the queue: lowest rank first, then leftmost.
struct MergeCandidate {
  int32_t rank;
  int32_t position;
  int32_t mergedId;
  bool operator<(const MergeCandidate &other) const {
    // std::priority_queue pops the greatest: invert both comparisons.
    if (rank != other.rank)
      return rank > other.rank;
    return position > other.position;
  }
};
/// A symbol of the word being merged, in a doubly linked list.
struct Symbol {
  int32_t id;
  int32_t previous;
  int32_t next;
  bool removed;
};
} // namespace

void BpeTokenizer::encodeWord(std::string_view word, std::vector<int32_t> &ids,
                              std::string &scratch) const {
  if (word.empty())
    return;
  std::string_view modelWord = word;
  if (byteLevelInput) {
    const auto &alphabet = byteLevelAlphabet();
    scratch.clear();
    for (unsigned char byte : word)
      scratch += alphabet[byte];
    modelWord = scratch;
  }
  if (ignoreMerges) {
    auto it = modelVocab.find(modelWord);
    if (it != modelVocab.end()) {
      ids.push_back(it->second);
      return;
    }
  }

  // The initial symbols: one per byte (byte-level) or per character.
  std::vector<int32_t> initial;
  initial.reserve(word.size());
  bool previousWasUnknown = false;
  if (byteLevelInput) {
    const auto &alphabet = byteLevelAlphabet();
    for (unsigned char byte : word) {
      int32_t id = byteSymbolIds[byte];
      if (id >= 0) {
        initial.push_back(id);
        previousWasUnknown = false;
      } else {
        appendUnknownCharacter(alphabet[byte], initial, previousWasUnknown);
      }
    }
  } else {
    for (size_t pos = 0; pos < modelWord.size();) {
      size_t length = validUtf8SequenceLength(modelWord, pos);
      if (!length)
        length = 1;
      std::string_view character = modelWord.substr(pos, length);
      auto it = modelVocab.find(character);
      if (it != modelVocab.end()) {
        initial.push_back(it->second);
        previousWasUnknown = false;
      } else {
        appendUnknownCharacter(character, initial, previousWasUnknown);
      }
      pos += length;
    }
  }
  if (initial.size() <= 1) {
    ids.insert(ids.end(), initial.begin(), initial.end());
    return;
  }

  std::vector<Symbol> symbols(initial.size());
  for (size_t i = 0; i < initial.size(); ++i)
    symbols[i] = {initial[i], int32_t(i) - 1,
                  i + 1 < initial.size() ? int32_t(i + 1) : -1, false};

  auto lookup = [&](int32_t left,
                    int32_t right) -> const std::pair<int32_t, int32_t> * {
    auto it = mergeTable.find(pairKey(left, right));
    return it == mergeTable.end() ? nullptr : &it->second;
  };
  std::vector<MergeCandidate> storage;
  storage.reserve(symbols.size() * 2);
  std::priority_queue<MergeCandidate> queue(std::less<MergeCandidate>(),
                                            std::move(storage));
  for (size_t i = 0; i + 1 < symbols.size(); ++i)
    if (auto *merge = lookup(symbols[i].id, symbols[i + 1].id))
      queue.push({merge->first, int32_t(i), merge->second});

  while (!queue.empty()) {
    MergeCandidate top = queue.top();
    queue.pop();
    Symbol &left = symbols[top.position];
    if (left.removed || left.next < 0)
      continue;
    Symbol &right = symbols[left.next];
    // Stale entries are recognized by the merged id, as tokenizers does.
    auto *current = lookup(left.id, right.id);
    if (!current || current->second != top.mergedId)
      continue;
    left.id = top.mergedId;
    right.removed = true;
    left.next = right.next;
    if (right.next >= 0)
      symbols[right.next].previous = top.position;
    if (left.previous >= 0)
      if (auto *merge = lookup(symbols[left.previous].id, left.id))
        queue.push({merge->first, left.previous, merge->second});
    if (left.next >= 0)
      if (auto *merge = lookup(left.id, symbols[left.next].id))
        queue.push({merge->first, top.position, merge->second});
  }
  for (int32_t i = 0; i >= 0; i = symbols[i].next)
    ids.push_back(symbols[i].id);
}

//===----------------------------------------------------------------------===//
// Decode
//===----------------------------------------------------------------------===//

void BpeTokenizer::appendModelTokenBytes(int32_t id, std::string &out) const {
  const std::string &token = modelTokens[id];
  if (!byteLevelDecoder) {
    out += token;
    return;
  }
  // Every character back to its byte; a token with a character outside the
  // byte-level alphabet is kept as it is, as tokenizers' ByteLevel does.
  size_t start = out.size();
  for (size_t pos = 0; pos < token.size();) {
    size_t length = validUtf8SequenceLength(token, pos);
    int byte =
        length ? byteLevelByteOf(decodeCodePoint(token, pos, length)) : -1;
    if (byte < 0) {
      out.resize(start);
      out += token;
      return;
    }
    out += char(byte);
    pos += length;
  }
}

std::string BpeTokenizer::decode(const std::vector<int32_t> &ids,
                                 bool skipSpecial) const {
  std::string out;
  std::vector<int32_t> history;
  std::string historyText;
  for (int32_t id : ids)
    appendStreamText(history, historyText, id, skipSpecial, out);
  return out;
}

void BpeTokenizer::appendStreamText(std::vector<int32_t> &history,
                                    std::string &historyText, int32_t id,
                                    bool skipSpecial, std::string &out) const {
  (void)historyText;
  if (!isValidId(id))
    return;
  auto added = addedById.find(id);
  // Without a decoder tokenizers joins the tokens with spaces; `history`
  // only remembers whether something was written already.
  if (!byteLevelDecoder && !history.empty())
    if (!(added != addedById.end() && skipSpecial &&
          addedTokens[added->second].special))
      out += ' ';
  if (added != addedById.end()) {
    // tokenizers writes added tokens as they are, outside the decoder.
    const AddedToken &token = addedTokens[added->second];
    if (skipSpecial && token.special)
      return;
    out += token.content;
  } else {
    appendModelTokenBytes(id, out);
  }
  if (history.empty())
    history.push_back(id);
}

void BpeTokenizer::finishStreamText(std::vector<int32_t> &history,
                                    std::string &historyText, bool skipSpecial,
                                    std::string &out) const {
  (void)history;
  (void)historyText;
  (void)skipSpecial;
  (void)out;
}

//===----------------------------------------------------------------------===//
// Vocabulary queries
//===----------------------------------------------------------------------===//

int32_t BpeTokenizer::vocabSize() const { return numIds; }

bool BpeTokenizer::isValidId(int32_t id) const {
  if (id < 0 || id >= numIds)
    return false;
  return (size_t(id) < modelTokens.size() && modelTokenPresent[id]) ||
         addedById.count(id);
}

std::optional<std::string> BpeTokenizer::idToToken(int32_t id) const {
  if (!isValidId(id))
    return std::nullopt;
  auto added = addedById.find(id);
  if (added != addedById.end())
    return addedTokens[added->second].content;
  return modelTokens[id];
}

std::optional<int32_t> BpeTokenizer::tokenToId(std::string_view token) const {
  auto added = addedVocab.find(token);
  if (added != addedVocab.end())
    return added->second;
  auto it = modelVocab.find(token);
  if (it != modelVocab.end())
    return it->second;
  return std::nullopt;
}

bool BpeTokenizer::isSpecial(int32_t id) const {
  auto added = addedById.find(id);
  return added != addedById.end() && addedTokens[added->second].special;
}

} // namespace detail
} // namespace trit
