//===- GgufFile.h - GGUF v2/v3 model files ----------------------*- C++ -*-===//
//
// A reader for the GGUF files llama.cpp, bitnet.cpp and ik_llama.cpp write
// (format and type layouts: docs/gguf.md). The file is mapped once and never
// copied: metadata strings and arrays and tensor bytes are views into the
// mapping, which lives as long as the GgufFile. Opening validates the whole
// header, metadata and tensor table against the file size, so that a damaged
// or hostile file gives a one-line error, never a crash or a huge allocation.
//
// Plain C++17 with no LLVM or MLIR dependency, so that the compiler, the
// tools and the runtime (a tokenizer reading `tokenizer.ggml.*`) can share it.
// Every failure is a `false` return and a message of the form
//   `model.gguf: tensor 'blk.0.attn_q.weight': <what is wrong>`.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_IMPORTER_GGUF_GGUFFILE_H
#define TRIT_IMPORTER_GGUF_GGUFFILE_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace trit::gguf {

/// Metadata value types, numbered as in the file (`gguf_type`).
enum class ValueType : uint32_t {
  UInt8 = 0,
  Int8 = 1,
  UInt16 = 2,
  Int16 = 3,
  UInt32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  UInt64 = 10,
  Int64 = 11,
  Float64 = 12,
};

/// "uint32", "string", "array", ...; "type N" for an id outside the enum.
std::string valueTypeName(ValueType type);

/// Bytes of one value of a fixed-size type (integers, floats, bool); 0 for
/// strings, arrays and ids outside the enum.
uint64_t fixedValueBytes(uint32_t type);

/// The tensor types trit decodes, numbered as ggml numbers them (`ggml_type`;
/// I2_S is bitnet.cpp's id). The file may hold any type of ggml's table (see
/// tensorTypeName); these are the ones with decoders.
enum class TensorType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q8_0 = 8,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  I2_S = 36,
};

/// ggml's name of a type id ("f32", "q4_K", "tq2_0", "i2_s"), or "type N"
/// for an id trit does not know.
std::string tensorTypeName(uint32_t type);

/// A view of bytes inside the file's mapping.
struct ByteView {
  const uint8_t *data = nullptr;
  size_t size = 0;
};

/// One metadata key and its value. Scalars are decoded when the file is
/// opened; strings and arrays stay views into the mapping.
struct MetadataEntry {
  std::string_view key;
  ValueType type = ValueType::UInt8;
  /// Integer and bool values (sign-extended for signed types).
  uint64_t uintValue = 0;
  int64_t intValue = 0;
  /// Float32 and Float64 values.
  double floatValue = 0;
  /// String values.
  std::string_view stringValue;
  /// Arrays: the element type, the number of elements and the file offset
  /// of the first element (elements are laid out back to back).
  ValueType elementType = ValueType::UInt8;
  uint64_t arraySize = 0;
  uint64_t arrayOffset = 0;
};

/// One tensor of the file.
struct TensorInfo {
  std::string name;
  /// ggml type id (see tensorTypeName).
  uint32_t type = 0;
  /// Dimensions in ggml order: `ggmlDims[0]` (ne0) is the contiguous one.
  std::vector<uint64_t> ggmlDims;
  uint64_t numElements = 0;
  /// Absolute file offset of the data and its size in bytes.
  uint64_t fileOffset = 0;
  uint64_t byteSize = 0;

  /// Dimensions in PyTorch (row-major) order: `ggmlDims` reversed, so a
  /// linear layer's weight is [rows, cols] = [ne1, ne0] = [out, in].
  std::vector<int64_t> shape() const;
  /// ne0: the length of one contiguous row.
  uint64_t cols() const { return ggmlDims.empty() ? 1 : ggmlDims[0]; }
  /// The number of rows: the product of ne1, ne2, ne3 (1 for a vector).
  uint64_t rows() const { return cols() ? numElements / cols() : 0; }
};

/// A ternary tensor: `weight = codes * scale`, one scale for the tensor.
struct TernaryTensor {
  /// Row-major [rows, cols] values in {-1, 0, +1}.
  std::vector<int8_t> codes;
  float scale = 0;
  uint64_t rows = 0;
  uint64_t cols = 0;
};

/// A GGUF v2 or v3 file, mapped read-only.
class GgufFile {
public:
  /// Maps and validates `path`. On failure returns null and sets `error`.
  static std::unique_ptr<GgufFile> open(const std::string &path,
                                        std::string &error);
  ~GgufFile();
  GgufFile(const GgufFile &) = delete;
  GgufFile &operator=(const GgufFile &) = delete;

  /// The path the file was opened with (it starts every message).
  const std::string &path() const { return filePath; }
  uint64_t fileSize() const { return size; }
  uint32_t version() const { return formatVersion; }
  /// `general.alignment`, 32 when absent.
  uint64_t alignment() const { return dataAlignment; }
  /// File offset of the tensor data section.
  uint64_t dataOffset() const { return dataStart; }

  //===--------------------------------------------------------------------===//
  // Metadata
  //===--------------------------------------------------------------------===//

  /// Every key, in file order.
  const std::vector<MetadataEntry> &metadata() const { return entries; }
  /// The entry for `key`, or null.
  const MetadataEntry *findKey(std::string_view key) const;
  bool hasKey(std::string_view key) const { return findKey(key) != nullptr; }
  /// `general.architecture`, or empty when absent or not a string.
  std::string_view architecture() const;

  /// Typed getters. Each fails (false, `error` set) when the key is missing
  /// or holds another type; integer getters also fail when the value does
  /// not fit. getUInt accepts any integer type holding a value >= 0, getInt
  /// any integer type, getFloat Float32, Float64 and integers.
  bool getString(std::string_view key, std::string &value,
                 std::string &error) const;
  bool getUInt(std::string_view key, uint64_t &value,
               std::string &error) const;
  bool getInt(std::string_view key, int64_t &value, std::string &error) const;
  bool getFloat(std::string_view key, double &value,
                std::string &error) const;
  bool getBool(std::string_view key, bool &value, std::string &error) const;

  /// Array getters (for example `tokenizer.ggml.tokens` and `.merges`,
  /// `.scores`, `.token_type`). getIntArray accepts any integer element
  /// type, getFloatArray Float32 and Float64 elements.
  bool getStringArray(std::string_view key, std::vector<std::string> &values,
                      std::string &error) const;
  bool getIntArray(std::string_view key, std::vector<int64_t> &values,
                   std::string &error) const;
  bool getFloatArray(std::string_view key, std::vector<float> &values,
                     std::string &error) const;

  //===--------------------------------------------------------------------===//
  // Tensors
  //===--------------------------------------------------------------------===//

  /// Every tensor, in file order.
  const std::vector<TensorInfo> &tensors() const { return tensorInfos; }
  /// The tensor named `name`, or null.
  const TensorInfo *findTensor(std::string_view name) const;

  /// The tensor's bytes, a view into the mapping.
  ByteView tensorBytes(const TensorInfo &tensor) const;

  /// An F32 tensor's values without a copy, or null when the tensor is not
  /// F32 or its data is not 4-byte aligned (alignment 1 or 2).
  const float *viewF32(const TensorInfo &tensor) const;

  /// The values of an F32, F16, BF16 or Q8_0 tensor, in file (row-major)
  /// order.
  bool decodeFloat(const TensorInfo &tensor, std::vector<float> &values,
                   std::string &error) const;

  /// The codes and the one scale of a ternary tensor: TQ1_0, TQ2_0 (every
  /// block with a nonzero code must carry the same f16 scale), I2_S (its
  /// f32 scale), or F32/F16/BF16 whose every element is 0 or +-a (scale a).
  /// Invalid codes, differing block scales or non-ternary floats are errors
  /// naming the tensor; an all-zero tensor has scale 0.
  bool decodeTernary(const TensorInfo &tensor, TernaryTensor &result,
                     std::string &error) const;

  /// `path: tensor 'name': message`, the form of every tensor error.
  std::string tensorError(const TensorInfo &tensor,
                          const std::string &message) const;

private:
  GgufFile() = default;
  bool parse(std::string &error);
  bool fail(std::string &error, const std::string &message) const;
  bool keyError(std::string_view key, const std::string &message,
                std::string &error) const;
  const MetadataEntry *requireKey(std::string_view key,
                                  std::string &error) const;

  std::string filePath;
  const uint8_t *base = nullptr;
  uint64_t size = 0;
  uint32_t formatVersion = 0;
  uint64_t dataAlignment = 32;
  uint64_t dataStart = 0;
  std::vector<MetadataEntry> entries;
  std::unordered_map<std::string_view, size_t> entryIndex;
  std::vector<TensorInfo> tensorInfos;
  std::unordered_map<std::string_view, size_t> tensorIndex;
};

//===----------------------------------------------------------------------===//
// Layout helpers (shared by the reader, its tests and trit-gguf-dump)
//===----------------------------------------------------------------------===//

/// Elements per block and bytes per block of a type id; false when the id
/// is not in ggml's table. I2_S reports (1, 1): its size is not per block
/// (see tensorByteSize).
bool tensorTypeLayout(uint32_t type, uint64_t &blockElements,
                      uint64_t &blockBytes);

/// Bytes a tensor of `type` with `numElements` elements and rows of `cols`
/// takes (I2_S: numElements / 4 packed bytes plus a 32-byte tail holding
/// the f32 scale). False on an unknown type or overflow.
bool tensorByteSize(uint32_t type, uint64_t numElements, uint64_t &bytes);

/// IEEE half and bfloat16 bits to float.
float halfToFloat(uint16_t bits);
float bfloat16ToFloat(uint16_t bits);

} // namespace trit::gguf

#endif // TRIT_IMPORTER_GGUF_GGUFFILE_H
