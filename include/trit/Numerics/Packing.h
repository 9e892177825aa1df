//===- Packing.h - ternary weight packing layouts ---------------*- C++ -*-===//
//
// The byte layouts of packed ternary weights (see #trit.packed in the
// dialect reference). Plain C++ with no MLIR dependency: the compiler, the
// runtime and the tests share it.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_NUMERICS_PACKING_H
#define TRIT_NUMERICS_PACKING_H

#include <cstddef>
#include <cstdint>

namespace ternary {

enum class Layout : int { I2 = 0, TQ1 = 1 };

/// Both layouts store a row in blocks of `kBlockBytes` bytes. Byte `j` of
/// block `b` holds the weights `k = b * valuesPerBlock + j + kBlockBytes * i`
/// for each slot `i` (0..3 for i2, 0..4 for tq1), so that slot `i` of a whole
/// block is `kBlockBytes` consecutive weights: a kernel decodes one slot of a
/// block with a few vector instructions and meets contiguous activations.
constexpr size_t kBlockBytes = 64;

/// Ternary values stored in one byte of `layout`.
constexpr size_t valuesPerByte(Layout layout) {
  return layout == Layout::I2 ? 4 : 5;
}

/// Ternary values stored in one block of `layout` (256 for i2, 320 for tq1).
constexpr size_t valuesPerBlock(Layout layout) {
  return kBlockBytes * valuesPerByte(layout);
}

/// Bytes one row of `k` ternary values takes in `layout`: whole blocks, the
/// last one padded with zero weights.
constexpr size_t bytesPerRow(Layout layout, size_t k) {
  return (k + valuesPerBlock(layout) - 1) / valuesPerBlock(layout) *
         kBlockBytes;
}

/// Packs the ternary matrix `w` ([rows, k], values in {-1, 0, 1}, row-major)
/// into `out` ([rows, bytesPerRow(layout, k)]). Returns false, leaving `out`
/// unspecified, if some value is not ternary.
bool packTernary(Layout layout, const int8_t *w, size_t rows, size_t k,
                 uint8_t *out);

/// Unpacks `packed` ([rows, bytesPerRow(layout, k)]) into `w` ([rows, k]).
void unpackTernary(Layout layout, const uint8_t *packed, size_t rows, size_t k,
                   int8_t *w);

/// The byte that holds five ternary digits `d[0..4]` (each w + 1, in 0..2)
/// in the tq1 layout.
uint8_t encodeTQ1Byte(const uint8_t digits[5]);

/// Digit `i` (0..4) of a tq1 byte, as w + 1.
inline uint8_t decodeTQ1Digit(uint8_t byte, unsigned i) {
  static constexpr uint8_t pow3[5] = {1, 3, 9, 27, 81};
  uint8_t shifted = static_cast<uint8_t>(byte * pow3[i]);
  return static_cast<uint8_t>((static_cast<uint16_t>(shifted) * 3) >> 8);
}

} // namespace ternary

#endif // TRIT_NUMERICS_PACKING_H
