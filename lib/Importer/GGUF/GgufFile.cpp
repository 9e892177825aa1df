//===- GgufFile.cpp - mapping and validating GGUF files ---------*- C++ -*-===//
//
// Maps a GGUF file and walks its header, metadata and tensor table once,
// checking every length and count against the bytes that are really there
// before anything is allocated for it: a count is only believed when the
// file could hold that many of the smallest possible item.
//
//===----------------------------------------------------------------------===//

#include "trit/Importer/GGUF/GgufFile.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace trit::gguf;

namespace {

constexpr uint32_t kMagic = 0x46554747; // "GGUF" read as a little-endian u32
constexpr uint64_t kHeaderBytes = 24;   // magic, version, two u64 counts
constexpr uint64_t kDefaultAlignment = 32;
constexpr unsigned kMaxDims = 4;        // GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 8;
// The smallest metadata entry: key length, an empty key, a value type and a
// one-byte value.
constexpr uint64_t kMinEntryBytes = 8 + 4 + 1;
// The smallest tensor info: name length, n_dims, type and offset.
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;


bool isKnownValueType(uint32_t type) {
  return type <= static_cast<uint32_t>(ValueType::Float64);
}

/// The fewest bytes one value of `type` can take in the file: what bounds a
/// believable array length.
uint64_t minValueBytes(uint32_t type) {
  if (type == static_cast<uint32_t>(ValueType::String))
    return 8; // its length, for an empty string
  if (type == static_cast<uint32_t>(ValueType::Array))
    return 4 + 8; // element type and length, for an empty array
  return fixedValueBytes(type);
}

/// Little-endian loads from the mapping (the file is little-endian).
uint16_t loadU16(const uint8_t *p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}
uint32_t loadU32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}
uint64_t loadU64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

/// A bounds-checked position in the mapping. Each read fails, leaving the
/// position alone, when the bytes are not there.
class Cursor {
public:
  Cursor(const uint8_t *base, uint64_t size) : base(base), size(size) {}

  uint64_t offset() const { return pos; }
  uint64_t remaining() const { return size - pos; }

  bool readU32(uint32_t &value) {
    if (remaining() < 4)
      return false;
    value = loadU32(base + pos);
    pos += 4;
    return true;
  }
  bool readU64(uint64_t &value) {
    if (remaining() < 8)
      return false;
    value = loadU64(base + pos);
    pos += 8;
    return true;
  }
  bool skip(uint64_t bytes) {
    if (remaining() < bytes)
      return false;
    pos += bytes;
    return true;
  }
  /// A length-prefixed string; `why` says what went wrong.
  bool readString(std::string_view &value, std::string &why) {
    uint64_t length;
    if (!readU64(length)) {
      why = "its length is cut off by the end of the file";
      return false;
    }
    if (length > remaining()) {
      why = "its length " + std::to_string(length) + " exceeds the " +
            std::to_string(remaining()) + " bytes left in the file";
      return false;
    }
    value = std::string_view(reinterpret_cast<const char *>(base + pos),
                             static_cast<size_t>(length));
    pos += length;
    return true;
  }

private:
  const uint8_t *base;
  uint64_t size;
  uint64_t pos = 0;
};

/// Walks one value of `type` (decoding it into `entry` when given: only
/// top-level values are kept). `why` names the problem.
bool readValue(Cursor &cursor, uint32_t type, MetadataEntry *entry, int depth,
               std::string &why) {
  if (!isKnownValueType(type)) {
    why = "unknown value type " + std::to_string(type);
    return false;
  }
  if (uint64_t bytes = fixedValueBytes(type)) {
    if (!cursor.skip(bytes)) {
      why = "its " + valueTypeName(static_cast<ValueType>(type)) +
            " value is cut off by the end of the file";
      return false;
    }
    return true;
  }
  if (type == static_cast<uint32_t>(ValueType::String)) {
    std::string_view value;
    if (!cursor.readString(value, why)) {
      why = "string value: " + why;
      return false;
    }
    if (entry)
      entry->stringValue = value;
    return true;
  }

  // An array: element type, length, elements.
  if (depth >= kMaxArrayNesting) {
    why = "arrays nested more than " + std::to_string(kMaxArrayNesting) +
          " deep";
    return false;
  }
  uint32_t elementType;
  uint64_t length;
  if (!cursor.readU32(elementType) || !cursor.readU64(length)) {
    why = "array header is cut off by the end of the file";
    return false;
  }
  if (!isKnownValueType(elementType)) {
    why = "array of unknown value type " + std::to_string(elementType);
    return false;
  }
  uint64_t minBytes = minValueBytes(elementType);
  if (length > cursor.remaining() / minBytes) {
    why = "array length " + std::to_string(length) + " of " +
          valueTypeName(static_cast<ValueType>(elementType)) +
          " cannot fit in the " + std::to_string(cursor.remaining()) +
          " bytes left in the file";
    return false;
  }
  if (entry) {
    entry->elementType = static_cast<ValueType>(elementType);
    entry->arraySize = length;
    entry->arrayOffset = cursor.offset();
  }
  if (uint64_t bytes = fixedValueBytes(elementType)) {
    // Checked above: length * bytes <= remaining.
    cursor.skip(length * bytes);
    return true;
  }
  for (uint64_t i = 0; i < length; ++i) {
    std::string inner;
    if (!readValue(cursor, elementType, nullptr, depth + 1, inner)) {
      why = "array element " + std::to_string(i) + ": " + inner;
      return false;
    }
  }
  return true;
}

/// Decodes the scalar a fixed-size entry holds, at `at` in the mapping.
void decodeScalar(const uint8_t *at, MetadataEntry &entry) {
  switch (entry.type) {
  case ValueType::UInt8:
  case ValueType::Bool:
    entry.uintValue = at[0];
    entry.intValue = static_cast<int64_t>(entry.uintValue);
    break;
  case ValueType::Int8:
    entry.intValue = static_cast<int8_t>(at[0]);
    entry.uintValue = static_cast<uint64_t>(entry.intValue);
    break;
  case ValueType::UInt16:
    entry.uintValue = loadU16(at);
    entry.intValue = static_cast<int64_t>(entry.uintValue);
    break;
  case ValueType::Int16:
    entry.intValue = static_cast<int16_t>(loadU16(at));
    entry.uintValue = static_cast<uint64_t>(entry.intValue);
    break;
  case ValueType::UInt32:
    entry.uintValue = loadU32(at);
    entry.intValue = static_cast<int64_t>(entry.uintValue);
    break;
  case ValueType::Int32:
    entry.intValue = static_cast<int32_t>(loadU32(at));
    entry.uintValue = static_cast<uint64_t>(entry.intValue);
    break;
  case ValueType::UInt64:
    entry.uintValue = loadU64(at);
    entry.intValue = static_cast<int64_t>(entry.uintValue);
    break;
  case ValueType::Int64:
    entry.intValue = static_cast<int64_t>(loadU64(at));
    entry.uintValue = static_cast<uint64_t>(entry.intValue);
    break;
  case ValueType::Float32: {
    float value;
    std::memcpy(&value, at, sizeof(value));
    entry.floatValue = value;
    break;
  }
  case ValueType::Float64:
    std::memcpy(&entry.floatValue, at, sizeof(entry.floatValue));
    break;
  case ValueType::String:
  case ValueType::Array:
    break;
  }
}

bool isSignedInt(ValueType type) {
  return type == ValueType::Int8 || type == ValueType::Int16 ||
         type == ValueType::Int32 || type == ValueType::Int64;
}
bool isUnsignedInt(ValueType type) {
  return type == ValueType::UInt8 || type == ValueType::UInt16 ||
         type == ValueType::UInt32 || type == ValueType::UInt64;
}

/// "uint32", or "array of string" for arrays.
std::string describeType(const MetadataEntry &entry) {
  if (entry.type != ValueType::Array)
    return valueTypeName(entry.type);
  return "array of " + valueTypeName(entry.elementType);
}

} // namespace

uint64_t trit::gguf::fixedValueBytes(uint32_t type) {
  switch (static_cast<ValueType>(type)) {
  case ValueType::UInt8:
  case ValueType::Int8:
  case ValueType::Bool:
    return 1;
  case ValueType::UInt16:
  case ValueType::Int16:
    return 2;
  case ValueType::UInt32:
  case ValueType::Int32:
  case ValueType::Float32:
    return 4;
  case ValueType::UInt64:
  case ValueType::Int64:
  case ValueType::Float64:
    return 8;
  case ValueType::String:
  case ValueType::Array:
    return 0;
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// Opening
//===----------------------------------------------------------------------===//

std::vector<int64_t> TensorInfo::shape() const {
  return std::vector<int64_t>(ggmlDims.rbegin(), ggmlDims.rend());
}

GgufFile::~GgufFile() {
  if (base)
    ::munmap(const_cast<uint8_t *>(base), static_cast<size_t>(size));
}

std::unique_ptr<GgufFile> GgufFile::open(const std::string &path,
                                         std::string &error) {
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->filePath = path;

  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": cannot open: " + std::strerror(errno);
    return nullptr;
  }
  struct stat status;
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
    error = path + ": not a regular file";
    ::close(fd);
    return nullptr;
  }
  uint64_t fileBytes = static_cast<uint64_t>(status.st_size);
  if (fileBytes < kHeaderBytes) {
    error = path + ": truncated file: " + std::to_string(fileBytes) +
            " bytes, a GGUF header needs " + std::to_string(kHeaderBytes);
    ::close(fd);
    return nullptr;
  }
  void *mapping = ::mmap(nullptr, static_cast<size_t>(fileBytes), PROT_READ,
                         MAP_PRIVATE, fd, 0);
  int mapErrno = errno;
  ::close(fd); // the mapping keeps the file
  if (mapping == MAP_FAILED) {
    error = path + ": cannot map: " + std::strerror(mapErrno);
    return nullptr;
  }
  file->base = static_cast<const uint8_t *>(mapping);
  file->size = fileBytes;
  if (!file->parse(error))
    return nullptr;
  return file;
}

bool GgufFile::fail(std::string &error, const std::string &message) const {
  error = filePath + ": " + message;
  return false;
}

std::string GgufFile::tensorError(const TensorInfo &tensor,
                                  const std::string &message) const {
  return filePath + ": tensor '" + tensor.name + "': " + message;
}

bool GgufFile::parse(std::string &error) {
  Cursor cursor(base, size);
  uint32_t magic, version;
  uint64_t tensorCount, entryCount;
  cursor.readU32(magic);
  cursor.readU32(version);
  cursor.readU64(tensorCount);
  cursor.readU64(entryCount);

  if (magic != kMagic) {
    char shown[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i < 4; ++i)
      shown[i] = (base[i] >= 0x20 && base[i] < 0x7f) ? base[i] : '?';
    return fail(error, std::string("bad magic '") + shown +
                           "': not a GGUF file");
  }
  // A big-endian file (gguf-py can write one) has its version byte-swapped.
  if (version >= 0x01000000u && (version & 0xffffu) == 0)
    return fail(error, "big-endian GGUF files are not supported");
  if (version == 1)
    return fail(error, "GGUF version 1 is not supported (it used 32-bit "
                       "counts and lengths); re-convert the model with a "
                       "current llama.cpp");
  if (version != 2 && version != 3)
    return fail(error, "unsupported GGUF version " + std::to_string(version) +
                           " (trit reads versions 2 and 3)");
  formatVersion = version;

  // Believe a count only if the rest of the file could hold that many of the
  // smallest possible item: no allocation is sized by an unchecked count.
  if (entryCount > cursor.remaining() / kMinEntryBytes)
    return fail(error, "metadata count " + std::to_string(entryCount) +
                           " cannot fit in a file of " +
                           std::to_string(size) +
                           " bytes (truncated or corrupt file)");
  if (tensorCount > cursor.remaining() / kMinTensorInfoBytes)
    return fail(error, "tensor count " + std::to_string(tensorCount) +
                           " cannot fit in a file of " +
                           std::to_string(size) +
                           " bytes (truncated or corrupt file)");

  entries.reserve(static_cast<size_t>(entryCount));
  for (uint64_t i = 0; i < entryCount; ++i) {
    MetadataEntry entry;
    std::string why;
    if (!cursor.readString(entry.key, why))
      return fail(error, "metadata entry " + std::to_string(i) + ": key: " +
                             why);
    std::string field = "metadata '" + std::string(entry.key) + "': ";
    uint32_t type;
    if (!cursor.readU32(type))
      return fail(error, field + "value type is cut off by the end of the "
                                 "file");
    entry.type = static_cast<ValueType>(type);
    uint64_t valueAt = cursor.offset();
    if (!readValue(cursor, type, &entry, 0, why))
      return fail(error, field + why);
    if (fixedValueBytes(type))
      decodeScalar(base + valueAt, entry);
    if (!entryIndex.emplace(entry.key, entries.size()).second)
      return fail(error, field + "duplicate key");
    entries.push_back(entry);
  }

  if (const MetadataEntry *align = findKey("general.alignment")) {
    // ggml requires a u32 here; be as strict, so that files trit accepts
    // load in llama.cpp too.
    if (align->type != ValueType::UInt32)
      return fail(error, "metadata 'general.alignment': expected uint32, "
                         "found " +
                             describeType(*align));
    uint64_t value = align->uintValue;
    if (value == 0 || (value & (value - 1)) != 0)
      return fail(error, "metadata 'general.alignment': " +
                             std::to_string(value) +
                             " is not a power of two");
    dataAlignment = value;
  } else {
    dataAlignment = kDefaultAlignment;
  }

  tensorInfos.reserve(static_cast<size_t>(tensorCount));
  for (uint64_t i = 0; i < tensorCount; ++i) {
    TensorInfo tensor;
    std::string_view name;
    std::string why;
    if (!cursor.readString(name, why))
      return fail(error, "tensor info " + std::to_string(i) + ": name: " +
                             why);
    tensor.name = std::string(name);
    std::string field = "tensor '" + tensor.name + "': ";
    uint32_t numDims;
    if (!cursor.readU32(numDims))
      return fail(error, field + "n_dims is cut off by the end of the file");
    if (numDims > kMaxDims)
      return fail(error, field + "n_dims " + std::to_string(numDims) +
                             " exceeds ggml's maximum of " +
                             std::to_string(kMaxDims));
    tensor.numElements = 1;
    for (uint32_t d = 0; d < numDims; ++d) {
      uint64_t dim;
      if (!cursor.readU64(dim))
        return fail(error, field + "dimensions are cut off by the end of "
                                   "the file");
      if (dim == 0 || dim > static_cast<uint64_t>(INT64_MAX))
        return fail(error, field + "dimension ne[" + std::to_string(d) +
                               "] = " + std::to_string(dim) +
                               " is not a positive int64");
      if (tensor.numElements > static_cast<uint64_t>(INT64_MAX) / dim)
        return fail(error, field + "the product of the dimensions "
                                   "overflows int64");
      tensor.numElements *= dim;
      tensor.ggmlDims.push_back(dim);
    }
    uint64_t relativeOffset;
    if (!cursor.readU32(tensor.type) || !cursor.readU64(relativeOffset))
      return fail(error, field + "type and offset are cut off by the end of "
                                 "the file");
    tensor.fileOffset = relativeOffset; // made absolute below
    tensorInfos.push_back(std::move(tensor));
  }

  // The data section starts at the next multiple of the alignment.
  uint64_t end = cursor.offset();
  uint64_t padding = (dataAlignment - end % dataAlignment) % dataAlignment;
  dataStart = end + padding;

  for (size_t i = 0; i < tensorInfos.size(); ++i) {
    TensorInfo &tensor = tensorInfos[i];
    std::string field = "tensor '" + tensor.name + "': ";
    if (!tensorIndex.emplace(tensor.name, i).second)
      return fail(error, field + "duplicate tensor name");
    uint64_t blockElements, blockBytes;
    if (!tensorTypeLayout(tensor.type, blockElements, blockBytes))
      return fail(error, field + "unknown tensor type " +
                             std::to_string(tensor.type));
    if (tensor.cols() % blockElements != 0)
      return fail(error, field + "ne[0] = " + std::to_string(tensor.cols()) +
                             " is not a multiple of the " +
                             tensorTypeName(tensor.type) + " block size " +
                             std::to_string(blockElements));
    if (!tensorByteSize(tensor.type, tensor.numElements, tensor.byteSize))
      return fail(error, field + "its size in bytes overflows");
    uint64_t relativeOffset = tensor.fileOffset;
    if (relativeOffset % dataAlignment != 0)
      return fail(error, field + "data offset " +
                             std::to_string(relativeOffset) +
                             " is not a multiple of the alignment " +
                             std::to_string(dataAlignment));
    if (relativeOffset > size || dataStart > size - relativeOffset ||
        tensor.byteSize > size - dataStart - relativeOffset) {
      // Report the range in absolute file offsets, saturating on overflow.
      uint64_t begin = dataStart + relativeOffset;
      if (begin < dataStart)
        begin = UINT64_MAX;
      uint64_t last = begin + tensor.byteSize;
      if (last < begin)
        last = UINT64_MAX;
      return fail(error, field + "data [" + std::to_string(begin) + ", " +
                             std::to_string(last) +
                             ") exceeds the file size " +
                             std::to_string(size));
    }
    tensor.fileOffset = dataStart + relativeOffset;
  }

  // No two tensors may share bytes: sort by offset and compare neighbours.
  std::vector<size_t> order(tensorInfos.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return tensorInfos[a].fileOffset < tensorInfos[b].fileOffset;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const TensorInfo &before = tensorInfos[order[i - 1]];
    const TensorInfo &after = tensorInfos[order[i]];
    if (before.fileOffset + before.byteSize > after.fileOffset)
      return fail(error, "tensor '" + after.name + "': data [" +
                             std::to_string(after.fileOffset) + ", " +
                             std::to_string(after.fileOffset +
                                            after.byteSize) +
                             ") overlaps tensor '" + before.name + "' [" +
                             std::to_string(before.fileOffset) + ", " +
                             std::to_string(before.fileOffset +
                                            before.byteSize) +
                             ")");
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Metadata
//===----------------------------------------------------------------------===//

const MetadataEntry *GgufFile::findKey(std::string_view key) const {
  auto it = entryIndex.find(key);
  return it == entryIndex.end() ? nullptr : &entries[it->second];
}

std::string_view GgufFile::architecture() const {
  const MetadataEntry *entry = findKey("general.architecture");
  if (!entry || entry->type != ValueType::String)
    return {};
  return entry->stringValue;
}

bool GgufFile::keyError(std::string_view key, const std::string &message,
                        std::string &error) const {
  error = filePath + ": metadata '" + std::string(key) + "': " + message;
  return false;
}

const MetadataEntry *GgufFile::requireKey(std::string_view key,
                                          std::string &error) const {
  const MetadataEntry *entry = findKey(key);
  if (!entry)
    error = filePath + ": metadata key '" + std::string(key) +
            "' is missing";
  return entry;
}

bool GgufFile::getString(std::string_view key, std::string &value,
                         std::string &error) const {
  const MetadataEntry *entry = requireKey(key, error);
  if (!entry)
    return false;
  if (entry->type != ValueType::String)
    return keyError(key, "expected a string, found " + describeType(*entry),
                    error);
  value = std::string(entry->stringValue);
  return true;
}

bool GgufFile::getUInt(std::string_view key, uint64_t &value,
                       std::string &error) const {
  const MetadataEntry *entry = requireKey(key, error);
  if (!entry)
    return false;
  if (isUnsignedInt(entry->type)) {
    value = entry->uintValue;
    return true;
  }
  if (isSignedInt(entry->type)) {
    if (entry->intValue < 0)
      return keyError(key, "expected an unsigned integer, found " +
                               std::to_string(entry->intValue),
                      error);
    value = static_cast<uint64_t>(entry->intValue);
    return true;
  }
  return keyError(key, "expected an unsigned integer, found " +
                           describeType(*entry),
                  error);
}

bool GgufFile::getInt(std::string_view key, int64_t &value,
                      std::string &error) const {
  const MetadataEntry *entry = requireKey(key, error);
  if (!entry)
    return false;
  if (isSignedInt(entry->type)) {
    value = entry->intValue;
    return true;
  }
  if (isUnsignedInt(entry->type)) {
    if (entry->uintValue > static_cast<uint64_t>(INT64_MAX))
      return keyError(key, std::to_string(entry->uintValue) +
                               " does not fit in int64",
                      error);
    value = static_cast<int64_t>(entry->uintValue);
    return true;
  }
  return keyError(key, "expected an integer, found " + describeType(*entry),
                  error);
}

bool GgufFile::getFloat(std::string_view key, double &value,
                        std::string &error) const {
  const MetadataEntry *entry = requireKey(key, error);
  if (!entry)
    return false;
  if (entry->type == ValueType::Float32 || entry->type == ValueType::Float64) {
    value = entry->floatValue;
    return true;
  }
  if (isSignedInt(entry->type)) {
    value = static_cast<double>(entry->intValue);
    return true;
  }
  if (isUnsignedInt(entry->type)) {
    value = static_cast<double>(entry->uintValue);
    return true;
  }
  return keyError(key, "expected a number, found " + describeType(*entry),
                  error);
}

bool GgufFile::getBool(std::string_view key, bool &value,
                       std::string &error) const {
  const MetadataEntry *entry = requireKey(key, error);
  if (!entry)
    return false;
  if (entry->type != ValueType::Bool)
    return keyError(key, "expected a bool, found " + describeType(*entry),
                    error);
  value = entry->uintValue != 0;
  return true;
}

bool GgufFile::getStringArray(std::string_view key,
                              std::vector<std::string> &values,
                              std::string &error) const {
  const MetadataEntry *entry = requireKey(key, error);
  if (!entry)
    return false;
  if (entry->type != ValueType::Array ||
      entry->elementType != ValueType::String)
    return keyError(key, "expected an array of string, found " +
                             describeType(*entry),
                    error);
  // Every length was checked against the file when it was opened.
  values.clear();
  values.reserve(static_cast<size_t>(entry->arraySize));
  const uint8_t *at = base + entry->arrayOffset;
  for (uint64_t i = 0; i < entry->arraySize; ++i) {
    uint64_t length = loadU64(at);
    at += 8;
    values.emplace_back(reinterpret_cast<const char *>(at),
                        static_cast<size_t>(length));
    at += length;
  }
  return true;
}

bool GgufFile::getIntArray(std::string_view key, std::vector<int64_t> &values,
                           std::string &error) const {
  const MetadataEntry *entry = requireKey(key, error);
  if (!entry)
    return false;
  ValueType type = entry->elementType;
  if (entry->type != ValueType::Array ||
      !(isSignedInt(type) || isUnsignedInt(type)))
    return keyError(key, "expected an array of integers, found " +
                             describeType(*entry),
                    error);
  uint64_t bytes = fixedValueBytes(static_cast<uint32_t>(type));
  values.clear();
  values.reserve(static_cast<size_t>(entry->arraySize));
  MetadataEntry element;
  element.type = type;
  for (uint64_t i = 0; i < entry->arraySize; ++i) {
    decodeScalar(base + entry->arrayOffset + i * bytes, element);
    if (type == ValueType::UInt64 &&
        element.uintValue > static_cast<uint64_t>(INT64_MAX))
      return keyError(key, "element " + std::to_string(i) + " = " +
                               std::to_string(element.uintValue) +
                               " does not fit in int64",
                      error);
    values.push_back(element.intValue);
  }
  return true;
}

bool GgufFile::getFloatArray(std::string_view key, std::vector<float> &values,
                             std::string &error) const {
  const MetadataEntry *entry = requireKey(key, error);
  if (!entry)
    return false;
  ValueType type = entry->elementType;
  if (entry->type != ValueType::Array ||
      (type != ValueType::Float32 && type != ValueType::Float64))
    return keyError(key, "expected an array of float32, found " +
                             describeType(*entry),
                    error);
  uint64_t bytes = fixedValueBytes(static_cast<uint32_t>(type));
  values.clear();
  values.reserve(static_cast<size_t>(entry->arraySize));
  MetadataEntry element;
  element.type = type;
  for (uint64_t i = 0; i < entry->arraySize; ++i) {
    decodeScalar(base + entry->arrayOffset + i * bytes, element);
    values.push_back(static_cast<float>(element.floatValue));
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

const TensorInfo *GgufFile::findTensor(std::string_view name) const {
  auto it = tensorIndex.find(name);
  return it == tensorIndex.end() ? nullptr : &tensorInfos[it->second];
}

ByteView GgufFile::tensorBytes(const TensorInfo &tensor) const {
  return ByteView{base + tensor.fileOffset,
                  static_cast<size_t>(tensor.byteSize)};
}

const float *GgufFile::viewF32(const TensorInfo &tensor) const {
  if (tensor.type != static_cast<uint32_t>(TensorType::F32))
    return nullptr;
  const uint8_t *data = base + tensor.fileOffset;
  if (reinterpret_cast<uintptr_t>(data) % alignof(float) != 0)
    return nullptr;
  return reinterpret_cast<const float *>(data);
}
