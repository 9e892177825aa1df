//===- Dp4aAlgorithmTest.cpp - the GPU BitLinear kernel's integer steps ---===//
//
// trit-tile-bitlinear kernel=dp4a (the GPU target's BitLinear) computes
// sum_k w[k] x[k] from the i2 layout 32 bits at a time with dp4a. A GPU is
// not needed to check its integer algorithm: this test runs the same steps
// (word loads, slot masks, the activation word each slot meets, dp4a's
// unsigned-by-signed byte products, the lanes' partial sums added by the
// warp reduction, the activation sum subtracted at the end) on the CPU and
// compares them with the plain dot product of the unpacked weights.
//
//===----------------------------------------------------------------------===//

#include "trit/Numerics/Packing.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

namespace {

/// dp4a.u32.s32: acc + sum of the four byte products, a unsigned, b signed.
int32_t dp4a(uint32_t a, uint32_t b, int32_t acc) {
  for (int j = 0; j < 4; ++j)
    acc += static_cast<int32_t>((a >> (8 * j)) & 0xff) *
           static_cast<int32_t>(static_cast<int8_t>((b >> (8 * j)) & 0xff));
  return acc;
}

uint32_t wordAt(const uint8_t *bytes) {
  uint32_t w;
  std::memcpy(&w, bytes, 4); // little-endian, as the GPU loads it
  return w;
}

/// One output: row `row` of `packed` against activations `xq` padded with
/// zeros to whole blocks, as the kernel computes it with `lanes` lanes.
int32_t kernelDot(const std::vector<uint8_t> &packed, size_t bytesPerRow,
                  size_t row, const std::vector<int8_t> &xq, int lanes) {
  const size_t wordsPerBlock = ternary::kBlockBytes / 4;
  const size_t words = bytesPerRow / 4;
  int64_t acc = 0, sum = 0;
  for (int lane = 0; lane < lanes; ++lane) {
    int32_t laneAcc = 0, laneSum = 0;
    for (size_t q = lane; q < words; q += lanes) {
      uint32_t w = wordAt(&packed[row * bytesPerRow + 4 * q]);
      size_t first = q / wordsPerBlock * ternary::kBlockBytes +
                     q % wordsPerBlock;
      for (size_t i = 0; i < 4; ++i) {
        uint32_t codes = (w >> (2 * i)) & 0x03030303u;
        uint32_t x = wordAt(reinterpret_cast<const uint8_t *>(
            &xq[4 * (first + wordsPerBlock * i)]));
        laneAcc = dp4a(codes, x, laneAcc);
        laneSum = dp4a(0x01010101u, x, laneSum);
      }
    }
    acc += laneAcc; // the warp's shuffle reduction
    sum += laneSum;
  }
  return static_cast<int32_t>(acc - sum);
}

TEST(Dp4aAlgorithm, MatchesTheDotProductOfTheUnpackedWeights) {
  std::mt19937 rng(7);
  for (size_t k : {size_t(8), size_t(100), size_t(256), size_t(2560),
                   size_t(6912)}) {
    const size_t rows = 5;
    const size_t bytesPerRow = ternary::bytesPerRow(ternary::Layout::I2, k);
    std::vector<int8_t> w(rows * k);
    std::uniform_int_distribution<int> ternaryValue(-1, 1);
    for (int8_t &v : w)
      v = static_cast<int8_t>(ternaryValue(rng));
    std::vector<uint8_t> packed(rows * bytesPerRow);
    ASSERT_TRUE(ternary::packTernary(ternary::Layout::I2, w.data(), rows, k,
                                     packed.data()));
    // int8 activations, the extremes included, zero beyond k.
    std::vector<int8_t> xq(bytesPerRow * 4, 0);
    std::uniform_int_distribution<int> int8Value(-128, 127);
    for (size_t i = 0; i < k; ++i)
      xq[i] = static_cast<int8_t>(i % 97 == 0 ? -128 : int8Value(rng));
    for (size_t row = 0; row < rows; ++row) {
      int64_t expected = 0;
      for (size_t i = 0; i < k; ++i)
        expected += int64_t(w[row * k + i]) * xq[i];
      for (int lanes : {1, 32})
        EXPECT_EQ(kernelDot(packed, bytesPerRow, row, xq, lanes), expected)
            << "k=" << k << " row=" << row << " lanes=" << lanes;
    }
  }
}

} // namespace
