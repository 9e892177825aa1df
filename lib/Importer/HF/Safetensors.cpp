//===- Safetensors.cpp - memory-mapped safetensors files --------*- C++ -*-===//
//
// Compiled with -fexceptions: nlohmann::json throws on malformed input, and
// every exception is caught here and becomes an error message.
//
//===----------------------------------------------------------------------===//

#include "trit/Importer/HF/Safetensors.h"

#include "llvm/Support/Endian.h"
#include "llvm/Support/FormatVariadic.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>

#include <sys/mman.h>
#include <unistd.h>

using namespace mlir::trit;
using json = nlohmann::json;

llvm::StringRef mlir::trit::dtypeName(SafetensorsDType dtype) {
  switch (dtype) {
  case SafetensorsDType::F32:
    return "F32";
  case SafetensorsDType::F16:
    return "F16";
  case SafetensorsDType::BF16:
    return "BF16";
  case SafetensorsDType::U8:
    return "U8";
  case SafetensorsDType::I8:
    return "I8";
  }
  return "?";
}

size_t mlir::trit::dtypeSize(SafetensorsDType dtype) {
  switch (dtype) {
  case SafetensorsDType::F32:
    return 4;
  case SafetensorsDType::F16:
  case SafetensorsDType::BF16:
    return 2;
  case SafetensorsDType::U8:
  case SafetensorsDType::I8:
    return 1;
  }
  return 1;
}

int64_t SafetensorsTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {
/// The longest header the reader accepts (the format's own limit is
/// 100 MB); a longer one is malformed, not a reason to allocate.
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

std::optional<SafetensorsDType> parseDType(const std::string &name) {
  if (name == "F32")
    return SafetensorsDType::F32;
  if (name == "F16")
    return SafetensorsDType::F16;
  if (name == "BF16")
    return SafetensorsDType::BF16;
  if (name == "U8")
    return SafetensorsDType::U8;
  if (name == "I8")
    return SafetensorsDType::I8;
  return std::nullopt;
}
} // namespace

std::unique_ptr<SafetensorsFile>
SafetensorsFile::open(llvm::StringRef path, std::string &error) {
  auto fail = [&](const llvm::Twine &message) {
    error = (path + ": " + message).str();
    return nullptr;
  };
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> mapped =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!mapped)
    return fail("cannot open: " + mapped.getError().message());
  auto file = std::unique_ptr<SafetensorsFile>(new SafetensorsFile());
  file->filePath = path.str();
  file->buffer = std::move(*mapped);
  llvm::StringRef contents = file->buffer->getBuffer();
  if (contents.size() < 8)
    return fail(llvm::formatv("truncated: {0} bytes, not even the 8-byte "
                              "header length",
                              contents.size()));
  uint64_t headerBytes =
      llvm::support::endian::read64le(contents.data());
  if (headerBytes > contents.size() - 8)
    return fail(llvm::formatv("header length {0} exceeds the file ({1} bytes)",
                              headerBytes, contents.size()));
  if (headerBytes > kMaxHeaderBytes)
    return fail(llvm::formatv("header length {0} exceeds the format's limit",
                              headerBytes));
  llvm::StringRef header = contents.substr(8, headerBytes);
  llvm::StringRef data = contents.substr(8 + headerBytes);

  try {
    json root = json::parse(header.begin(), header.end());
    if (!root.is_object())
      return fail("header is not a JSON object");
    struct Range {
      uint64_t begin, end;
      size_t index;
    };
    std::vector<Range> ranges;
    for (auto it = root.begin(); it != root.end(); ++it) {
      const std::string &name = it.key();
      if (name == "__metadata__")
        continue;
      auto tensorFail = [&](const llvm::Twine &message) {
        return fail("tensor '" + name + "': " + message);
      };
      const json &entry = it.value();
      if (!entry.is_object() || !entry.contains("dtype") ||
          !entry.contains("shape") || !entry.contains("data_offsets"))
        return tensorFail("needs dtype, shape and data_offsets");
      if (!entry["dtype"].is_string())
        return tensorFail("dtype is not a string");
      std::optional<SafetensorsDType> dtype =
          parseDType(entry["dtype"].get<std::string>());
      if (!dtype)
        return tensorFail("unsupported dtype '" +
                          entry["dtype"].get<std::string>() +
                          "' (trit reads F32, F16, BF16, U8, I8)");
      const json &shape = entry["shape"];
      const json &offsets = entry["data_offsets"];
      if (!shape.is_array() || shape.size() > 8)
        return tensorFail("shape is not an array of at most 8 sizes");
      SafetensorsTensor tensor;
      tensor.name = name;
      tensor.dtype = *dtype;
      uint64_t elements = 1;
      for (const json &s : shape) {
        if (!s.is_number_unsigned())
          return tensorFail("shape holds a size that is not a non-negative "
                            "integer");
        uint64_t v = s.get<uint64_t>();
        if (v > (uint64_t(1) << 40) ||
            (v && elements > (uint64_t(1) << 40) / v))
          return tensorFail("shape is absurdly large");
        elements *= v;
        tensor.shape.push_back(int64_t(v));
      }
      if (!offsets.is_array() || offsets.size() != 2 ||
          !offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned())
        return tensorFail("data_offsets is not [begin, end]");
      uint64_t begin = offsets[0].get<uint64_t>();
      uint64_t end = offsets[1].get<uint64_t>();
      if (begin > end || end > data.size())
        return tensorFail(llvm::formatv("data [{0}, {1}) lies outside the "
                                        "{2} bytes of data",
                                        begin, end, data.size()));
      uint64_t expected = elements * dtypeSize(*dtype);
      if (end - begin != expected)
        return tensorFail(llvm::formatv("data holds {0} bytes, its shape and "
                                        "dtype need {1}",
                                        end - begin, expected));
      tensor.bytes = llvm::ArrayRef<char>(data.data() + begin, end - begin);
      ranges.push_back({begin, end, file->tensorList.size()});
      file->byName[name] = file->tensorList.size();
      file->tensorList.push_back(std::move(tensor));
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const Range &a, const Range &b) { return a.begin < b.begin; });
    for (size_t i = 1; i < ranges.size(); ++i)
      if (ranges[i].begin < ranges[i - 1].end &&
          ranges[i].begin != ranges[i].end &&
          ranges[i - 1].begin != ranges[i - 1].end)
        return fail("tensors '" + file->tensorList[ranges[i - 1].index].name +
                    "' and '" + file->tensorList[ranges[i].index].name +
                    "' overlap");
  } catch (const json::exception &e) {
    return fail(llvm::Twine("malformed header: ") + e.what());
  }
  return file;
}

const SafetensorsTensor *SafetensorsFile::find(llvm::StringRef name) const {
  auto it = byName.find(name);
  return it == byName.end() ? nullptr : &tensorList[it->second];
}

void SafetensorsFile::release(const SafetensorsTensor &tensor) const {
  // Only whole pages inside the tensor: its neighbours may be in use.
  uintptr_t page = uintptr_t(sysconf(_SC_PAGESIZE));
  uintptr_t begin = reinterpret_cast<uintptr_t>(tensor.bytes.data());
  uintptr_t end = begin + tensor.bytes.size();
  begin = (begin + page - 1) & ~(page - 1);
  end &= ~(page - 1);
  if (end > begin)
    (void)madvise(reinterpret_cast<void *>(begin), end - begin,
                  MADV_DONTNEED);
}

namespace {
float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  uint32_t bits;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000 | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;
  } else {
    // Subnormal: normalize.
    int shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ff;
    bits = sign | (uint32_t(113 - shift) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
} // namespace

std::vector<float> mlir::trit::toFloats(const SafetensorsTensor &tensor) {
  size_t n = size_t(tensor.numElements());
  std::vector<float> out(n);
  const char *p = tensor.bytes.data();
  switch (tensor.dtype) {
  case SafetensorsDType::F32:
    std::memcpy(out.data(), p, n * 4);
    break;
  case SafetensorsDType::F16:
    for (size_t i = 0; i < n; ++i)
      out[i] = halfToFloat(llvm::support::endian::read16le(p + 2 * i));
    break;
  case SafetensorsDType::BF16:
    for (size_t i = 0; i < n; ++i) {
      uint32_t bits = uint32_t(llvm::support::endian::read16le(p + 2 * i))
                      << 16;
      std::memcpy(&out[i], &bits, 4);
    }
    break;
  case SafetensorsDType::U8:
    for (size_t i = 0; i < n; ++i)
      out[i] = float(uint8_t(p[i]));
    break;
  case SafetensorsDType::I8:
    for (size_t i = 0; i < n; ++i)
      out[i] = float(int8_t(p[i]));
    break;
  }
  return out;
}
