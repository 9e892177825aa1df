//===- GgufWriter.h - writing GGUF metadata-only files ----------*- C++ -*-===//
//
// Writes GGUF v3 files that hold metadata and no tensors. tritc uses it to
// put a GGUF model's tokenizer (its `tokenizer.*` keys) beside the compiled
// model as OUTPUT.tokenizer.gguf, which the runtime's tokenizer reads with
// the same GgufFile reader as the model itself: one format, no conversion
// to tokenizer.json that could lose a field.
//
// Plain C++17 with no LLVM or MLIR dependency, like the reader.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_IMPORTER_GGUF_GGUFWRITER_H
#define TRIT_IMPORTER_GGUF_GGUFWRITER_H

#include "trit/Importer/GGUF/GgufFile.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace trit::gguf {

/// Collects metadata entries, encoded as they are added, and writes them as
/// a GGUF v3 file with no tensors.
class GgufMetadataWriter {
public:
  void addString(std::string_view key, std::string_view value);
  void addUInt32(std::string_view key, uint32_t value);
  void addBool(std::string_view key, bool value);

  /// Copies `entry` of `source` with its type (and, for arrays, its element
  /// type) unchanged. Arrays of arrays are refused: no tokenizer key holds
  /// one. On failure returns false and sets `error`.
  bool copyEntry(const GgufFile &source, const MetadataEntry &entry,
                 std::string &error);

  /// Entries added so far.
  uint64_t size() const { return count; }

  /// Writes the file (the data section is empty). On failure returns false
  /// and sets `error` to a line naming `path`.
  bool write(const std::string &path, std::string &error) const;

private:
  void putKey(std::string_view key, ValueType type);
  void putU32(uint32_t value);
  void putU64(uint64_t value);
  void putString(std::string_view value);

  std::string body;
  uint64_t count = 0;
};

/// Writes to `path` the tokenizer of the GGUF model `source`: every
/// `tokenizer.*` key and `general.architecture`. Returns false and sets
/// `error` when the file has no `tokenizer.ggml.tokens` or the write fails.
bool writeGgufTokenizer(const GgufFile &source, const std::string &path,
                        std::string &error);

} // namespace trit::gguf

#endif // TRIT_IMPORTER_GGUF_GGUFWRITER_H
