//===- Packing.cpp - ternary weight packing layouts -------------*- C++ -*-===//

#include "trit/Numerics/Packing.h"

#include <algorithm>
#include <vector>

using namespace ternary;

uint8_t ternary::encodeTQ1Byte(const uint8_t digits[5]) {
  unsigned value = 0;
  for (unsigned i = 0; i < 5; ++i)
    value = value * 3 + digits[i];
  // Scale 0..242 onto 0..255, rounding up, so that multiplying by 3 moves
  // the next digit into the top of a byte (see decodeTQ1Digit).
  return static_cast<uint8_t>((value * 256 + 242) / 243);
}

static bool isTernary(int8_t v) { return v >= -1 && v <= 1; }

/// Position of weight `col` of a row: its byte and its slot in the byte.
static void locate(Layout layout, size_t col, size_t &byte, unsigned &slot) {
  size_t block = col / valuesPerBlock(layout);
  size_t within = col % valuesPerBlock(layout);
  byte = block * kBlockBytes + within % kBlockBytes;
  slot = static_cast<unsigned>(within / kBlockBytes);
}

bool ternary::packTernary(Layout layout, const int8_t *w, size_t rows, size_t k,
                          uint8_t *out) {
  const size_t per = valuesPerByte(layout);
  const size_t stride = bytesPerRow(layout, k);
  // Gather the digits (w + 1) of every byte first; padding digits are 1.
  std::vector<uint8_t> digits(stride * per);
  for (size_t r = 0; r < rows; ++r) {
    std::fill(digits.begin(), digits.end(), 1);
    const int8_t *row = w + r * k;
    for (size_t col = 0; col < k; ++col) {
      if (!isTernary(row[col]))
        return false;
      size_t byte;
      unsigned slot;
      locate(layout, col, byte, slot);
      digits[byte * per + slot] = static_cast<uint8_t>(row[col] + 1);
    }
    for (size_t j = 0; j < stride; ++j) {
      const uint8_t *d = &digits[j * per];
      out[r * stride + j] =
          layout == Layout::I2
              ? static_cast<uint8_t>(d[0] | d[1] << 2 | d[2] << 4 | d[3] << 6)
              : encodeTQ1Byte(d);
    }
  }
  return true;
}

void ternary::unpackTernary(Layout layout, const uint8_t *packed, size_t rows,
                            size_t k, int8_t *w) {
  const size_t stride = bytesPerRow(layout, k);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t col = 0; col < k; ++col) {
      size_t byte;
      unsigned slot;
      locate(layout, col, byte, slot);
      uint8_t value = packed[r * stride + byte];
      uint8_t digit = layout == Layout::I2 ? (value >> (2 * slot)) & 3
                                           : decodeTQ1Digit(value, slot);
      w[r * k + col] = static_cast<int8_t>(digit - 1);
    }
  }
}
