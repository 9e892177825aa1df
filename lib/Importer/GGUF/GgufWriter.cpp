//===- GgufWriter.cpp - writing GGUF metadata-only files --------*- C++ -*-===//
//
// Encodes metadata in GGUF v3's layout (docs/gguf.md): the header (magic,
// version, tensor count, entry count), then each entry as key, value type
// and value, every integer little-endian. With no tensors there is no data
// section; the file is padded to the default alignment all the same, as
// gguf-py does, so that readers computing the data offset stay in bounds.
//
//===----------------------------------------------------------------------===//

#include "trit/Importer/GGUF/GgufWriter.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

using namespace trit::gguf;

namespace {
constexpr uint32_t kVersion = 3;
constexpr uint64_t kAlignment = 32;

void appendLE(std::string &out, uint64_t value, unsigned bytes) {
  for (unsigned i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

bool isInteger(ValueType type) {
  return type != ValueType::Bool && type != ValueType::Float32 &&
         type != ValueType::Float64 &&
         fixedValueBytes(static_cast<uint32_t>(type)) != 0;
}
} // namespace

void GgufMetadataWriter::putU32(uint32_t value) { appendLE(body, value, 4); }
void GgufMetadataWriter::putU64(uint64_t value) { appendLE(body, value, 8); }

void GgufMetadataWriter::putString(std::string_view value) {
  putU64(value.size());
  body.append(value.data(), value.size());
}

void GgufMetadataWriter::putKey(std::string_view key, ValueType type) {
  putString(key);
  putU32(static_cast<uint32_t>(type));
  ++count;
}

void GgufMetadataWriter::addString(std::string_view key,
                                   std::string_view value) {
  putKey(key, ValueType::String);
  putString(value);
}

void GgufMetadataWriter::addUInt32(std::string_view key, uint32_t value) {
  putKey(key, ValueType::UInt32);
  putU32(value);
}

void GgufMetadataWriter::addBool(std::string_view key, bool value) {
  putKey(key, ValueType::Bool);
  body.push_back(value ? 1 : 0);
}

bool GgufMetadataWriter::copyEntry(const GgufFile &source,
                                   const MetadataEntry &entry,
                                   std::string &error) {
  auto refuse = [&](const std::string &what) {
    error = source.path() + ": metadata '" + std::string(entry.key) +
            "': " + what + " cannot be copied";
    return false;
  };
  if (entry.type == ValueType::String) {
    addString(entry.key, entry.stringValue);
    return true;
  }
  if (entry.type != ValueType::Array) {
    uint64_t bytes = fixedValueBytes(static_cast<uint32_t>(entry.type));
    if (!bytes)
      return refuse("a value of " + valueTypeName(entry.type));
    putKey(entry.key, entry.type);
    uint64_t bits = entry.uintValue;
    if (entry.type == ValueType::Float32) {
      float value = static_cast<float>(entry.floatValue);
      uint32_t word;
      std::memcpy(&word, &value, 4);
      bits = word;
    } else if (entry.type == ValueType::Float64) {
      std::memcpy(&bits, &entry.floatValue, 8);
    } else if (entry.type == ValueType::Int8 ||
               entry.type == ValueType::Int16 ||
               entry.type == ValueType::Int32 ||
               entry.type == ValueType::Int64) {
      // Signed: the low bytes of the two's complement.
      bits = static_cast<uint64_t>(entry.intValue);
    }
    appendLE(body, bits, bytes);
    return true;
  }

  // Arrays: read back through the typed getters, then encode each element
  // with the width it had, so that the copy reads as the original does.
  std::string key(entry.key);
  if (entry.elementType == ValueType::String) {
    std::vector<std::string> values;
    if (!source.getStringArray(key, values, error))
      return false;
    putKey(key, ValueType::Array);
    putU32(static_cast<uint32_t>(ValueType::String));
    putU64(values.size());
    for (const std::string &value : values)
      putString(value);
    return true;
  }
  if (isInteger(entry.elementType)) {
    std::vector<int64_t> values;
    if (!source.getIntArray(key, values, error))
      return false;
    putKey(key, ValueType::Array);
    putU32(static_cast<uint32_t>(entry.elementType));
    putU64(values.size());
    uint64_t bytes =
        fixedValueBytes(static_cast<uint32_t>(entry.elementType));
    for (int64_t value : values)
      appendLE(body, static_cast<uint64_t>(value), bytes);
    return true;
  }
  // getFloatArray widens nothing and would narrow float64: only float32
  // arrays (tokenizer.ggml.scores) are copied exactly.
  if (entry.elementType == ValueType::Float32) {
    std::vector<float> values;
    if (!source.getFloatArray(key, values, error))
      return false;
    putKey(key, ValueType::Array);
    putU32(static_cast<uint32_t>(ValueType::Float32));
    putU64(values.size());
    for (float value : values) {
      uint32_t word;
      std::memcpy(&word, &value, 4);
      appendLE(body, word, 4);
    }
    return true;
  }
  return refuse("an array of " + valueTypeName(entry.elementType));
}

bool GgufMetadataWriter::write(const std::string &path,
                               std::string &error) const {
  std::string header = "GGUF";
  appendLE(header, kVersion, 4);
  appendLE(header, 0, 8); // tensors
  appendLE(header, count, 8);
  uint64_t end = header.size() + body.size();
  std::string padding((kAlignment - end % kAlignment) % kAlignment, '\0');

  std::FILE *file = std::fopen(path.c_str(), "wb");
  if (!file) {
    error = path + ": cannot be written: " + std::strerror(errno);
    return false;
  }
  bool ok =
      std::fwrite(header.data(), 1, header.size(), file) == header.size() &&
      std::fwrite(body.data(), 1, body.size(), file) == body.size() &&
      std::fwrite(padding.data(), 1, padding.size(), file) == padding.size();
  int savedErrno = errno;
  if (std::fclose(file) != 0 && ok) {
    ok = false;
    savedErrno = errno;
  }
  if (!ok) {
    error = path + ": cannot be written: " + std::strerror(savedErrno);
    std::remove(path.c_str());
  }
  return ok;
}

bool trit::gguf::writeGgufTokenizer(const GgufFile &source,
                                    const std::string &path,
                                    std::string &error) {
  if (!source.hasKey("tokenizer.ggml.tokens")) {
    error = source.path() + ": metadata key 'tokenizer.ggml.tokens' is "
                            "missing: the file carries no tokenizer";
    return false;
  }
  GgufMetadataWriter writer;
  // The architecture first, as every GGUF file has it; it names the model
  // family a reader of the tokenizer file may want to know.
  if (const MetadataEntry *architecture =
          source.findKey("general.architecture"))
    if (!writer.copyEntry(source, *architecture, error))
      return false;
  for (const MetadataEntry &entry : source.metadata())
    if (entry.key.substr(0, 10) == "tokenizer." &&
        !writer.copyEntry(source, entry, error))
      return false;
  return writer.write(path, error);
}
