//===- trit-gguf-dump.cpp - inspect GGUF files ------------------*- C++ -*-===//
//
// Prints a GGUF file's header, metadata and tensor table as trit reads them,
// and decodes one tensor to text or to a .npy file. A file trit cannot read
// gives the reader's one-line error and exit status 1.
//
//===----------------------------------------------------------------------===//

#include "trit/Importer/GGUF/GgufFile.h"

#include "Npy.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

using namespace trit::gguf;

namespace {

const char *kUsage = R"(usage: trit-gguf-dump FILE [options]

Prints the header, metadata and tensor table of the GGUF file FILE (v2 or v3)
as trit reads it. Tensor shapes are shown in ggml order (ne: ne0 first, the
contiguous dimension) and in PyTorch order (shape: [rows, cols] for a matrix).

options:
  --tensor NAME     show only tensor NAME (with --decode: decode it)
  --decode          decode the tensor given by --tensor and print its values:
                      tq1_0, tq2_0, i2_s: 'scale: S' and the codes in
                        {-1, 0, 1}, one row per line (weight = codes * scale);
                      f32, f16, bf16, q8_0: the values, one row per line
  --ternary         with --decode: decode f32/f16/bf16 as ternary (every
                    value 0 or +-a) and print the scale and codes
  --npy OUT         with --decode: write the codes (int8) or values
                    (float32) to OUT as a .npy array in PyTorch order instead
                    of printing them; the scale is still printed
  --max-array N     print at most N elements of each metadata array
                    (default 8; 0 prints all)
  --help            print this help

exit status: 0 on success, 1 when the file cannot be read or the tensor
cannot be decoded (the message names the file and the field or tensor).
)";

/// A string value as a quoted, escaped literal.
std::string quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\x%02x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string formatFloat(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  return buffer;
}

std::string joinDims(const std::vector<int64_t> &dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i)
    out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

void printEntry(const GgufFile &file, const MetadataEntry &entry,
                uint64_t maxArray) {
  std::string key(entry.key);
  std::string error;
  std::printf("  %s: ", key.c_str());
  switch (entry.type) {
  case ValueType::String:
    std::printf("string = %s\n", quote(entry.stringValue).c_str());
    return;
  case ValueType::Bool:
    std::printf("bool = %s\n", entry.uintValue ? "true" : "false");
    return;
  case ValueType::Float32:
  case ValueType::Float64:
    std::printf("%s = %s\n", valueTypeName(entry.type).c_str(),
                formatFloat(entry.floatValue).c_str());
    return;
  case ValueType::Int8:
  case ValueType::Int16:
  case ValueType::Int32:
  case ValueType::Int64:
    std::printf("%s = %lld\n", valueTypeName(entry.type).c_str(),
                static_cast<long long>(entry.intValue));
    return;
  case ValueType::Array:
    break;
  default:
    std::printf("%s = %llu\n", valueTypeName(entry.type).c_str(),
                static_cast<unsigned long long>(entry.uintValue));
    return;
  }

  std::printf("array of %s [%llu]", valueTypeName(entry.elementType).c_str(),
              static_cast<unsigned long long>(entry.arraySize));
  uint64_t shown = maxArray == 0 || entry.arraySize < maxArray
                       ? entry.arraySize
                       : maxArray;
  std::vector<std::string> items;
  if (entry.elementType == ValueType::String) {
    std::vector<std::string> values;
    if (file.getStringArray(key, values, error))
      for (uint64_t i = 0; i < shown; ++i)
        items.push_back(quote(values[i]));
  } else if (entry.elementType == ValueType::Float32 ||
             entry.elementType == ValueType::Float64) {
    std::vector<float> values;
    if (file.getFloatArray(key, values, error))
      for (uint64_t i = 0; i < shown; ++i)
        items.push_back(formatFloat(values[i]));
  } else if (entry.elementType == ValueType::Array ||
             entry.elementType == ValueType::Bool) {
    shown = 0; // nested arrays and bools: the length says enough
  } else {
    std::vector<int64_t> values;
    if (file.getIntArray(key, values, error))
      for (uint64_t i = 0; i < shown; ++i)
        items.push_back(std::to_string(values[i]));
  }
  if (!items.empty()) {
    std::printf(" = [");
    for (size_t i = 0; i < items.size(); ++i)
      std::printf("%s%s", i ? ", " : "", items[i].c_str());
    std::printf("%s]", items.size() < entry.arraySize ? ", ..." : "");
  }
  std::printf("\n");
}

void printTensor(const TensorInfo &tensor) {
  std::vector<int64_t> ne(tensor.ggmlDims.begin(), tensor.ggmlDims.end());
  std::printf("  %s  %s  ne %s  shape %s  offset %llu  bytes %llu\n",
              tensor.name.c_str(), tensorTypeName(tensor.type).c_str(),
              joinDims(ne).c_str(), joinDims(tensor.shape()).c_str(),
              static_cast<unsigned long long>(tensor.fileOffset),
              static_cast<unsigned long long>(tensor.byteSize));
}

bool isTernaryType(uint32_t type) {
  return type == static_cast<uint32_t>(TensorType::TQ1_0) ||
         type == static_cast<uint32_t>(TensorType::TQ2_0) ||
         type == static_cast<uint32_t>(TensorType::I2_S);
}

int decodeTensor(const GgufFile &file, const TensorInfo &tensor,
                 bool asTernary, const std::string &npyPath) {
  std::string error;
  std::vector<int64_t> shape = tensor.shape();
  uint64_t cols = tensor.cols();
  if (asTernary || isTernaryType(tensor.type)) {
    TernaryTensor ternary;
    if (!file.decodeTernary(tensor, ternary, error)) {
      std::fprintf(stderr, "trit-gguf-dump: %s\n", error.c_str());
      return 1;
    }
    std::printf("scale: %s\n", formatFloat(ternary.scale).c_str());
    if (!npyPath.empty()) {
      if (!trit::npy::writeArray(npyPath, "|i1", shape,
                                 ternary.codes.data(), ternary.codes.size(),
                                 error)) {
        std::fprintf(stderr, "trit-gguf-dump: %s\n", error.c_str());
        return 1;
      }
      return 0;
    }
    std::printf("codes:\n");
    for (uint64_t r = 0; r < ternary.rows; ++r) {
      for (uint64_t c = 0; c < cols; ++c)
        std::printf("%s%d", c ? " " : "", ternary.codes[r * cols + c]);
      std::printf("\n");
    }
    return 0;
  }
  std::vector<float> values;
  if (!file.decodeFloat(tensor, values, error)) {
    std::fprintf(stderr, "trit-gguf-dump: %s\n", error.c_str());
    return 1;
  }
  if (!npyPath.empty()) {
    if (!trit::npy::writeArray(npyPath, "<f4", shape, values.data(),
                               values.size() * sizeof(float), error)) {
      std::fprintf(stderr, "trit-gguf-dump: %s\n", error.c_str());
      return 1;
    }
    return 0;
  }
  std::printf("values:\n");
  for (uint64_t r = 0; r < tensor.rows(); ++r) {
    for (uint64_t c = 0; c < cols; ++c)
      std::printf("%s%s", c ? " " : "",
                  formatFloat(values[r * cols + c]).c_str());
    std::printf("\n");
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  std::string path, tensorName, npyPath;
  bool decode = false, asTernary = false;
  uint64_t maxArray = 8;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *option) -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "trit-gguf-dump: %s needs a value\n", option);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--tensor") {
      tensorName = value("--tensor");
    } else if (arg == "--decode") {
      decode = true;
    } else if (arg == "--ternary") {
      asTernary = true;
    } else if (arg == "--npy") {
      npyPath = value("--npy");
    } else if (arg == "--max-array") {
      maxArray = std::strtoull(value("--max-array"), nullptr, 10);
    } else if (!arg.empty() && arg[0] == '-') {
      std::fprintf(stderr, "trit-gguf-dump: unknown option '%s'\n%s",
                   arg.c_str(), kUsage);
      return 2;
    } else if (path.empty()) {
      path = arg;
    } else {
      std::fprintf(stderr, "trit-gguf-dump: more than one FILE\n%s", kUsage);
      return 2;
    }
  }
  if (path.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  if ((decode || asTernary || !npyPath.empty()) && tensorName.empty()) {
    std::fprintf(stderr, "trit-gguf-dump: --decode, --ternary and --npy "
                         "need --tensor NAME\n");
    return 2;
  }

  std::string error;
  std::unique_ptr<GgufFile> file = GgufFile::open(path, error);
  if (!file) {
    std::fprintf(stderr, "trit-gguf-dump: %s\n", error.c_str());
    return 1;
  }

  if (!tensorName.empty()) {
    const TensorInfo *tensor = file->findTensor(tensorName);
    if (!tensor) {
      std::fprintf(stderr, "trit-gguf-dump: %s: no tensor named '%s'\n",
                   path.c_str(), tensorName.c_str());
      return 1;
    }
    printTensor(*tensor);
    if (decode || asTernary || !npyPath.empty())
      return decodeTensor(*file, *tensor, asTernary, npyPath);
    return 0;
  }

  std::printf("file: %s\nversion: %u\nalignment: %llu\ndata offset: %llu\n",
              path.c_str(), file->version(),
              static_cast<unsigned long long>(file->alignment()),
              static_cast<unsigned long long>(file->dataOffset()));
  std::printf("metadata: %zu\n", file->metadata().size());
  for (const MetadataEntry &entry : file->metadata())
    printEntry(*file, entry, maxArray);
  std::printf("tensors: %zu\n", file->tensors().size());
  for (const TensorInfo &tensor : file->tensors())
    printTensor(tensor);
  return 0;
}
