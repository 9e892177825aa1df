//===- Packing.cpp - ternary weight packing layouts -------------*- C++ -*-===//

#include "trit/Numerics/Packing.h"

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

bool ternary::packTernary(Layout layout, const int8_t *w, size_t rows, size_t k,
                       uint8_t *out) {
  const size_t per = valuesPerByte(layout);
  const size_t stride = bytesPerRow(layout, k);
  for (size_t r = 0; r < rows; ++r) {
    const int8_t *row = w + r * k;
    for (size_t j = 0; j < stride; ++j) {
      uint8_t digits[5] = {1, 1, 1, 1, 1}; // padding: weight 0
      for (size_t i = 0; i < per; ++i) {
        size_t col = j * per + i;
        if (col >= k)
          break;
        if (!isTernary(row[col]))
          return false;
        digits[i] = static_cast<uint8_t>(row[col] + 1);
      }
      uint8_t byte;
      if (layout == Layout::I2)
        byte = static_cast<uint8_t>(digits[0] | digits[1] << 2 |
                                    digits[2] << 4 | digits[3] << 6);
      else
        byte = encodeTQ1Byte(digits);
      out[r * stride + j] = byte;
    }
  }
  return true;
}

void ternary::unpackTernary(Layout layout, const uint8_t *packed, size_t rows,
                         size_t k, int8_t *w) {
  const size_t per = valuesPerByte(layout);
  const size_t stride = bytesPerRow(layout, k);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t col = 0; col < k; ++col) {
      uint8_t byte = packed[r * stride + col / per];
      unsigned i = col % per;
      uint8_t digit = layout == Layout::I2 ? (byte >> (2 * i)) & 3
                                           : decodeTQ1Digit(byte, i);
      w[r * k + col] = static_cast<int8_t>(digit - 1);
    }
  }
}
