//===- PackingTest.cpp - packing layouts round-trip bit-exact ---*- C++ -*-===//

#include "trit/Numerics/Packing.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

using namespace ternary;

namespace {

std::vector<int8_t> randomTernary(size_t n, std::mt19937 &rng) {
  std::uniform_int_distribution<int> dist(-1, 1);
  std::vector<int8_t> w(n);
  for (int8_t &v : w)
    v = static_cast<int8_t>(dist(rng));
  return w;
}

class PackingRoundTrip
    : public ::testing::TestWithParam<std::tuple<Layout, size_t, size_t>> {};

TEST_P(PackingRoundTrip, RandomTernaryIsBitExact) {
  auto [layout, rows, k] = GetParam();
  std::mt19937 rng(static_cast<unsigned>(rows * 7919 + k));
  std::vector<int8_t> w = randomTernary(rows * k, rng);
  std::vector<uint8_t> packed(rows * bytesPerRow(layout, k), 0xAB);
  ASSERT_TRUE(packTernary(layout, w.data(), rows, k, packed.data()));
  std::vector<int8_t> back(rows * k, 42);
  unpackTernary(layout, packed.data(), rows, k, back.data());
  EXPECT_EQ(w, back);
}

INSTANTIATE_TEST_SUITE_P(
    OddSizes, PackingRoundTrip,
    ::testing::Combine(::testing::Values(Layout::I2, Layout::TQ1),
                       ::testing::Values(1, 3, 17),
                       ::testing::Values(1, 2, 3, 4, 5, 6, 7, 9, 31, 33, 101,
                                         257)));

TEST(Packing, BytesPerRow) {
  EXPECT_EQ(bytesPerRow(Layout::I2, 1), 1u);
  EXPECT_EQ(bytesPerRow(Layout::I2, 4), 1u);
  EXPECT_EQ(bytesPerRow(Layout::I2, 5), 2u);
  EXPECT_EQ(bytesPerRow(Layout::I2, 2560), 640u);
  EXPECT_EQ(bytesPerRow(Layout::TQ1, 5), 1u);
  EXPECT_EQ(bytesPerRow(Layout::TQ1, 6), 2u);
  EXPECT_EQ(bytesPerRow(Layout::TQ1, 2560), 512u);
}

// The i2 layout is fixed by the dialect reference: code = w + 1, weight
// 4j + i in bits [2i, 2i + 1] of byte j, padding code 1.
TEST(Packing, I2ByteLayout) {
  const int8_t w[6] = {-1, 0, 1, 1, 0, -1};
  uint8_t packed[2];
  ASSERT_TRUE(packTernary(Layout::I2, w, 1, 6, packed));
  EXPECT_EQ(packed[0], 0u | 1u << 2 | 2u << 4 | 2u << 6);
  EXPECT_EQ(packed[1], 1u | 0u << 2 | 1u << 4 | 1u << 6);
}

// Every one of the 243 digit patterns decodes back through the
// multiply-by-3 trick.
TEST(Packing, TQ1AllBytesDecode) {
  for (unsigned v = 0; v < 243; ++v) {
    uint8_t digits[5];
    unsigned rest = v;
    for (int i = 4; i >= 0; --i) {
      digits[i] = static_cast<uint8_t>(rest % 3);
      rest /= 3;
    }
    uint8_t byte = encodeTQ1Byte(digits);
    for (unsigned i = 0; i < 5; ++i)
      EXPECT_EQ(decodeTQ1Digit(byte, i), digits[i]) << "v=" << v << " i=" << i;
  }
}

TEST(Packing, RejectsNonTernary) {
  const int8_t w[3] = {0, 2, -1};
  uint8_t packed[1];
  EXPECT_FALSE(packTernary(Layout::I2, w, 1, 3, packed));
  EXPECT_FALSE(packTernary(Layout::TQ1, w, 1, 3, packed));
  const int8_t neg[1] = {-2};
  EXPECT_FALSE(packTernary(Layout::I2, neg, 1, 1, packed));
}

} // namespace
