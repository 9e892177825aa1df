//===- GgufDecode.cpp - decoding GGUF tensor data ---------------*- C++ -*-===//
//
// Float decoders (F32, F16, BF16, Q8_0) and ternary decoders (TQ1_0, TQ2_0,
// I2_S, and floats that hold ternary values). The byte layouts are the ones
// docs/gguf.md describes, from ggml-quants.c (TQ*, Q8_0) and bitnet.cpp's
// ggml-bitnet-mad.cpp (I2_S, x86 layout). Codes are checked, not trusted:
// a code outside {-1, 0, +1} is an error, never a silently wrong weight.
//
//===----------------------------------------------------------------------===//

#include "trit/Importer/GGUF/GgufFile.h"

#include <cmath>
#include <cstdio>
#include <cstring>

using namespace trit::gguf;

namespace {

constexpr uint64_t kTernaryBlock = 256;  // QK_K: TQ1_0 and TQ2_0 blocks
constexpr uint64_t kTQ1BlockBytes = 54;  // qs[48], qh[4], f16 d
constexpr uint64_t kTQ2BlockBytes = 66;  // qs[64], f16 d
constexpr uint64_t kQ8Block = 32;
constexpr uint64_t kQ8BlockBytes = 34;   // f16 d, int8 qs[32]
constexpr uint64_t kI2SBlock = 128;      // x86 QK_I2_S
constexpr uint64_t kI2SGroupBytes = 32;  // bytes per 128-value block

std::string formatFloat(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  return buffer;
}

uint16_t loadU16(const uint8_t *p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

/// TQ1_0 packs five base-3 digits into a byte as ceil(v * 256 / 243), v the
/// digits read as a base-3 number, most significant first. Multiplying the
/// byte by 3^n (mod 256) brings digit n to the top, where `* 3 >> 8` reads
/// it. Only 243 of the 256 byte values are such encodings; `canonical`
/// marks them (and for the four qh bytes, which hold four digits and a
/// trailing 0, `canonicalQh` adds that the fifth digit is 0).
struct TQ1Table {
  int8_t digit[256][5];
  bool canonical[256];
  bool canonicalQh[256];

  TQ1Table() {
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    for (unsigned byte = 0; byte < 256; ++byte) {
      unsigned value = 0;
      for (unsigned n = 0; n < 5; ++n) {
        uint8_t shifted = static_cast<uint8_t>(byte * pow3[n]);
        digit[byte][n] = static_cast<int8_t>((shifted * 3u) >> 8);
        value = value * 3 + digit[byte][n];
      }
      canonical[byte] = (value * 256 + 242) / 243 == byte;
      canonicalQh[byte] = canonical[byte] && digit[byte][4] == 0;
    }
  }
};

const TQ1Table &tq1Table() {
  static const TQ1Table table;
  return table;
}

/// Tracks the f16 scale every TQ block with a nonzero code must share.
class BlockScales {
public:
  /// Records block `index`'s scale bits; false (with `why`) on a scale that
  /// is not a finite non-negative number or differs from an earlier one.
  bool add(uint64_t index, uint16_t bits, std::string &why) {
    float value = halfToFloat(bits);
    if (!std::isfinite(value) || value < 0) {
      why = "block " + std::to_string(index) + " has the scale d=" +
            formatFloat(value) + ", not a finite non-negative number";
      return false;
    }
    if (!seen) {
      seen = true;
      firstIndex = index;
      firstBits = bits;
      return true;
    }
    if (bits != firstBits) {
      why = "per-block scales differ (block " + std::to_string(firstIndex) +
            ": d=" + formatFloat(halfToFloat(firstBits)) + ", block " +
            std::to_string(index) + ": d=" + formatFloat(value) +
            "); trit supports one scale per tensor";
      return false;
    }
    return true;
  }
  /// The shared scale, 0 when no block had a nonzero code.
  float scale() const { return seen ? halfToFloat(firstBits) : 0.0f; }

private:
  bool seen = false;
  uint64_t firstIndex = 0;
  uint16_t firstBits = 0;
};

bool anyNonzero(const int8_t *codes, uint64_t count) {
  for (uint64_t i = 0; i < count; ++i)
    if (codes[i] != 0)
      return true;
  return false;
}

} // namespace

//===----------------------------------------------------------------------===//
// Floats
//===----------------------------------------------------------------------===//

bool GgufFile::decodeFloat(const TensorInfo &tensor, std::vector<float> &values,
                           std::string &error) const {
  const uint8_t *data = tensorBytes(tensor).data;
  uint64_t count = tensor.numElements;
  switch (static_cast<TensorType>(tensor.type)) {
  case TensorType::F32:
    values.resize(static_cast<size_t>(count));
    std::memcpy(values.data(), data, static_cast<size_t>(count * 4));
    return true;
  case TensorType::F16:
    values.resize(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i)
      values[i] = halfToFloat(loadU16(data + 2 * i));
    return true;
  case TensorType::BF16:
    values.resize(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i)
      values[i] = bfloat16ToFloat(loadU16(data + 2 * i));
    return true;
  case TensorType::Q8_0: {
    // Opening checked that ne0, hence the element count, is a multiple of
    // the block.
    values.resize(static_cast<size_t>(count));
    for (uint64_t block = 0; block < count / kQ8Block; ++block) {
      const uint8_t *at = data + block * kQ8BlockBytes;
      float d = halfToFloat(loadU16(at));
      for (uint64_t i = 0; i < kQ8Block; ++i)
        values[block * kQ8Block + i] =
            d * static_cast<float>(static_cast<int8_t>(at[2 + i]));
    }
    return true;
  }
  default:
    break;
  }
  error = tensorError(tensor, "type " + tensorTypeName(tensor.type) +
                                  " cannot be decoded to floats (trit reads "
                                  "f32, f16, bf16 and q8_0)");
  return false;
}

//===----------------------------------------------------------------------===//
// Ternary
//===----------------------------------------------------------------------===//

namespace {

/// TQ2_0: per 256-value block, byte `32*h + m` of qs holds values
/// `128*h + 32*l + m` in bits 2l..2l+1 (l = 0..3) as code + 1; then d.
bool decodeTQ2(const uint8_t *data, uint64_t blocks, int8_t *codes,
               BlockScales &scales, std::string &why) {
  for (uint64_t block = 0; block < blocks; ++block) {
    const uint8_t *qs = data + block * kTQ2BlockBytes;
    int8_t *out = codes + block * kTernaryBlock;
    for (unsigned half = 0; half < 2; ++half) {
      for (unsigned l = 0; l < 4; ++l) {
        for (unsigned m = 0; m < 32; ++m) {
          unsigned code = (qs[32 * half + m] >> (2 * l)) & 3u;
          if (code == 3) {
            why = "block " + std::to_string(block) + " holds the invalid " +
                  "2-bit code 3 (element " +
                  std::to_string(block * kTernaryBlock + 128 * half + 32 * l +
                                 m) +
                  ")";
            return false;
          }
          out[128 * half + 32 * l + m] = static_cast<int8_t>(code) - 1;
        }
      }
    }
    if (anyNonzero(out, kTernaryBlock) &&
        !scales.add(block, loadU16(qs + 64), why))
      return false;
  }
  return true;
}

/// TQ1_0: per 256-value block, qs[0..31] hold values `32*n + m` (digit n of
/// byte m), qs[32..47] values `160 + 16*n + m`, qh[0..3] values
/// `240 + 4*n + j` (digits 0..3 of byte j), each as code + 1; then d.
bool decodeTQ1(const uint8_t *data, uint64_t blocks, int8_t *codes,
               BlockScales &scales, std::string &why) {
  const TQ1Table &table = tq1Table();
  auto badByte = [&](uint64_t block, unsigned byte, uint8_t value) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", value);
    why = "block " + std::to_string(block) + ": byte " +
          std::to_string(byte) + " (" + hex +
          ") is not a valid TQ1_0 base-3 encoding";
    return false;
  };
  for (uint64_t block = 0; block < blocks; ++block) {
    const uint8_t *qs = data + block * kTQ1BlockBytes;
    const uint8_t *qh = qs + 48;
    int8_t *out = codes + block * kTernaryBlock;
    for (unsigned m = 0; m < 32; ++m) {
      if (!table.canonical[qs[m]])
        return badByte(block, m, qs[m]);
      for (unsigned n = 0; n < 5; ++n)
        out[32 * n + m] = table.digit[qs[m]][n] - 1;
    }
    for (unsigned m = 0; m < 16; ++m) {
      uint8_t byte = qs[32 + m];
      if (!table.canonical[byte])
        return badByte(block, 32 + m, byte);
      for (unsigned n = 0; n < 5; ++n)
        out[160 + 16 * n + m] = table.digit[byte][n] - 1;
    }
    for (unsigned j = 0; j < 4; ++j) {
      if (!table.canonicalQh[qh[j]])
        return badByte(block, 48 + j, qh[j]);
      for (unsigned n = 0; n < 4; ++n)
        out[240 + 4 * n + j] = table.digit[qh[j]][n] - 1;
    }
    if (anyNonzero(out, kTernaryBlock) &&
        !scales.add(block, loadU16(qs + 52), why))
      return false;
  }
  return true;
}

/// I2_S (bitnet.cpp, x86): the tensor's values in 128-value blocks of 32
/// bytes; byte `32*b + p` holds values `128*b + 32*g + p` in bits
/// 6-2g..7-2g (g = 0..3) as code + 1. The f32 scale follows the packed
/// bytes.
bool decodeI2S(const uint8_t *data, uint64_t count, int8_t *codes,
               std::string &why) {
  for (uint64_t block = 0; block < count / kI2SBlock; ++block) {
    const uint8_t *bytes = data + block * kI2SGroupBytes;
    int8_t *out = codes + block * kI2SBlock;
    for (unsigned g = 0; g < 4; ++g) {
      for (unsigned p = 0; p < kI2SGroupBytes; ++p) {
        unsigned code = (bytes[p] >> (6 - 2 * g)) & 3u;
        if (code == 3) {
          why = "element " + std::to_string(block * kI2SBlock + 32 * g + p) +
                " holds the invalid 2-bit code 3";
          return false;
        }
        out[32 * g + p] = static_cast<int8_t>(code) - 1;
      }
    }
  }
  return true;
}

} // namespace

bool GgufFile::decodeTernary(const TensorInfo &tensor, TernaryTensor &result,
                             std::string &error) const {
  const uint8_t *data = tensorBytes(tensor).data;
  uint64_t count = tensor.numElements;
  result.rows = tensor.rows();
  result.cols = tensor.cols();
  std::string why;

  switch (static_cast<TensorType>(tensor.type)) {
  case TensorType::TQ1_0:
  case TensorType::TQ2_0: {
    // Opening checked ne0 % 256 == 0, so blocks never straddle rows.
    BlockScales scales;
    result.codes.resize(static_cast<size_t>(count));
    bool ok = tensor.type == static_cast<uint32_t>(TensorType::TQ1_0)
                  ? decodeTQ1(data, count / kTernaryBlock,
                              result.codes.data(), scales, why)
                  : decodeTQ2(data, count / kTernaryBlock,
                              result.codes.data(), scales, why);
    if (!ok) {
      error = tensorError(tensor, why);
      return false;
    }
    result.scale = scales.scale();
    return true;
  }
  case TensorType::I2_S: {
    // bitnet.cpp's kernels walk each row in whole 128-value blocks.
    if (tensor.cols() % kI2SBlock != 0) {
      error = tensorError(tensor, "ne[0] = " + std::to_string(tensor.cols()) +
                                      " is not a multiple of 128, the I2_S "
                                      "block");
      return false;
    }
    result.codes.resize(static_cast<size_t>(count));
    if (!decodeI2S(data, count, result.codes.data(), why)) {
      error = tensorError(tensor, why);
      return false;
    }
    float scale;
    std::memcpy(&scale, data + count / 4, sizeof(scale));
    if (!std::isfinite(scale) || scale < 0) {
      error = tensorError(tensor, "the I2_S scale " + formatFloat(scale) +
                                      " is not a finite non-negative number");
      return false;
    }
    result.scale = anyNonzero(result.codes.data(), count) ? scale : 0.0f;
    return true;
  }
  case TensorType::F32:
  case TensorType::F16:
  case TensorType::BF16: {
    std::vector<float> values;
    if (!decodeFloat(tensor, values, error))
      return false;
    // The magnitude of the first nonzero value is the scale; every value
    // must be exactly 0 or +-scale (no tolerance: a weight that is not
    // ternary is the caller's to quantize, not ours to round).
    float scale = 0;
    result.codes.resize(static_cast<size_t>(count));
    for (uint64_t i = 0; i < count; ++i) {
      float value = values[i];
      if (!std::isfinite(value)) {
        error = tensorError(tensor, "element " + std::to_string(i) + " is " +
                                        formatFloat(value) +
                                        ": not a ternary tensor");
        return false;
      }
      if (value == 0) {
        result.codes[i] = 0;
        continue;
      }
      if (scale == 0)
        scale = std::fabs(value);
      if (std::fabs(value) != scale) {
        error = tensorError(
            tensor, "element " + std::to_string(i) + " = " +
                        formatFloat(value) + " is not in {-a, 0, +a} (a = " +
                        formatFloat(scale) + "): not a ternary tensor");
        return false;
      }
      result.codes[i] = value > 0 ? 1 : -1;
    }
    result.scale = scale;
    return true;
  }
  default:
    break;
  }
  error = tensorError(tensor, "type " + tensorTypeName(tensor.type) +
                                  " is not a ternary type (trit reads tq1_0, "
                                  "tq2_0, i2_s, and f32/f16/bf16 holding "
                                  "ternary values)");
  return false;
}
