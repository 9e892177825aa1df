//===- GgufTypes.cpp - GGUF value and tensor type tables --------*- C++ -*-===//
//
// ggml's tensor type table (names, block sizes) and the half-precision
// conversions. The table holds every type upstream ggml still writes, as the
// `gguf` Python package (0.19.0) lists them, plus bitnet.cpp's I2_S, so that
// a file with, say, a Q6_K embedding opens (and its other tensors decode)
// and its Q6_K tensor is refused by name rather than as "unknown".
//
//===----------------------------------------------------------------------===//

#include "trit/Importer/GGUF/GgufFile.h"

#include <cstring>

using namespace trit::gguf;

namespace {

struct TypeRow {
  uint32_t id;
  const char *name;
  uint64_t blockElements;
  uint64_t blockBytes;
};

// Ids 4, 5 (removed Q4_2/Q4_3) and 31-33 (removed Q4_0_4_4 etc.) are not
// written by any current tool; 37 is bitnet.cpp's I8_S (activations only)
// and 38/39 its TL1/TL2 lookup-table layouts, which depend on the kernel
// configuration they were generated for. 39 is upstream's MXFP4: the
// table follows upstream there.
constexpr TypeRow kTypes[] = {
    {0, "f32", 1, 4},         {1, "f16", 1, 2},
    {2, "q4_0", 32, 18},      {3, "q4_1", 32, 20},
    {6, "q5_0", 32, 22},      {7, "q5_1", 32, 24},
    {8, "q8_0", 32, 34},      {9, "q8_1", 32, 40},
    {10, "q2_K", 256, 84},    {11, "q3_K", 256, 110},
    {12, "q4_K", 256, 144},   {13, "q5_K", 256, 176},
    {14, "q6_K", 256, 210},   {15, "q8_K", 256, 292},
    {16, "iq2_xxs", 256, 66}, {17, "iq2_xs", 256, 74},
    {18, "iq3_xxs", 256, 98}, {19, "iq1_s", 256, 50},
    {20, "iq4_nl", 32, 18},   {21, "iq3_s", 256, 110},
    {22, "iq2_s", 256, 82},   {23, "iq4_xs", 256, 136},
    {24, "i8", 1, 1},         {25, "i16", 1, 2},
    {26, "i32", 1, 4},        {27, "i64", 1, 8},
    {28, "f64", 1, 8},        {29, "iq1_m", 256, 56},
    {30, "bf16", 1, 2},       {34, "tq1_0", 256, 54},
    {35, "tq2_0", 256, 66},   {36, "i2_s", 1, 1},
    {39, "mxfp4", 32, 17},    {40, "nvfp4", 64, 36},
    {41, "q1_0", 128, 18},
};

const TypeRow *findType(uint32_t id) {
  for (const TypeRow &row : kTypes)
    if (row.id == id)
      return &row;
  return nullptr;
}

} // namespace

std::string trit::gguf::valueTypeName(ValueType type) {
  switch (type) {
  case ValueType::UInt8:
    return "uint8";
  case ValueType::Int8:
    return "int8";
  case ValueType::UInt16:
    return "uint16";
  case ValueType::Int16:
    return "int16";
  case ValueType::UInt32:
    return "uint32";
  case ValueType::Int32:
    return "int32";
  case ValueType::Float32:
    return "float32";
  case ValueType::Bool:
    return "bool";
  case ValueType::String:
    return "string";
  case ValueType::Array:
    return "array";
  case ValueType::UInt64:
    return "uint64";
  case ValueType::Int64:
    return "int64";
  case ValueType::Float64:
    return "float64";
  }
  return "type " + std::to_string(static_cast<uint32_t>(type));
}

std::string trit::gguf::tensorTypeName(uint32_t type) {
  if (const TypeRow *row = findType(type))
    return row->name;
  return "type " + std::to_string(type);
}

bool trit::gguf::tensorTypeLayout(uint32_t type, uint64_t &blockElements,
                                  uint64_t &blockBytes) {
  const TypeRow *row = findType(type);
  if (!row)
    return false;
  blockElements = row->blockElements;
  blockBytes = row->blockBytes;
  return true;
}

bool trit::gguf::tensorByteSize(uint32_t type, uint64_t numElements,
                                uint64_t &bytes) {
  // bitnet.cpp's ggml_nbytes: 2 bits per element, then 32 bytes whose first
  // four hold the tensor's f32 scale (the rest keeps the next tensor aligned).
  if (type == static_cast<uint32_t>(TensorType::I2_S)) {
    bytes = numElements / 4 + 32;
    return true;
  }
  uint64_t blockElements, blockBytes;
  if (!tensorTypeLayout(type, blockElements, blockBytes))
    return false;
  uint64_t blocks = numElements / blockElements;
  if (blocks != 0 && blockBytes > UINT64_MAX / blocks)
    return false;
  bytes = blocks * blockBytes;
  return true;
}

float trit::gguf::halfToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1fu;
  uint32_t mantissa = bits & 0x3ffu;
  uint32_t out;
  if (exponent == 0x1f) {
    // Infinity or NaN: keep the payload.
    out = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    out = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    out = sign;
  } else {
    // Subnormal half: normalize into a float exponent.
    int shift = 0;
    while (!(mantissa & 0x400u)) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ffu;
    out = sign | (static_cast<uint32_t>(127 - 15 + 1 - shift) << 23) |
          (mantissa << 13);
  }
  float value;
  std::memcpy(&value, &out, sizeof(value));
  return value;
}

float trit::gguf::bfloat16ToFloat(uint16_t bits) {
  uint32_t out = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &out, sizeof(value));
  return value;
}
