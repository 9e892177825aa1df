//===- PackingTest.cpp - packing layouts round-trip bit-exact ---*- C++ -*-===//

#include "trit/Numerics/Packing.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
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
                       ::testing::Values(1, 2, 5, 63, 65, 101, 255, 256, 257,
                                         319, 320, 321, 513, 2561)),
    [](const auto &info) {
      return std::string(std::get<0>(info.param) == Layout::I2 ? "i2"
                                                               : "tq1") +
             "_rows" + std::to_string(std::get<1>(info.param)) + "_k" +
             std::to_string(std::get<2>(info.param));
    });

TEST(Packing, BytesPerRow) {
  EXPECT_EQ(bytesPerRow(Layout::I2, 1), 64u);
  EXPECT_EQ(bytesPerRow(Layout::I2, 256), 64u);
  EXPECT_EQ(bytesPerRow(Layout::I2, 257), 128u);
  EXPECT_EQ(bytesPerRow(Layout::I2, 2560), 640u);
  EXPECT_EQ(bytesPerRow(Layout::I2, 6912), 1728u);
  EXPECT_EQ(bytesPerRow(Layout::TQ1, 320), 64u);
  EXPECT_EQ(bytesPerRow(Layout::TQ1, 321), 128u);
  EXPECT_EQ(bytesPerRow(Layout::TQ1, 2560), 512u);
  EXPECT_EQ(bytesPerRow(Layout::TQ1, 6912), 1408u);
}

// The i2 layout is fixed by the dialect reference: code = w + 1; weight
// k = 256 b + j + 64 i sits in bits [2i, 2i + 1] of byte j of block b;
// padding code 1.
TEST(Packing, I2ByteLayout) {
  std::vector<int8_t> w(258, 0);
  w[0] = -1;   // block 0, byte 0, slot 0
  w[65] = 1;   // block 0, byte 1, slot 1
  w[255] = -1; // block 0, byte 63, slot 3
  w[257] = 1;  // block 1, byte 1, slot 0
  std::vector<uint8_t> packed(128);
  ASSERT_TRUE(packTernary(Layout::I2, w.data(), 1, w.size(), packed.data()));
  EXPECT_EQ(packed[0], 0x54u);   // 0 | 1<<2 | 1<<4 | 1<<6
  EXPECT_EQ(packed[1], 0x59u);   // 1 | 2<<2 | 1<<4 | 1<<6
  EXPECT_EQ(packed[63], 0x15u);  // 1 | 1<<2 | 1<<4 | 0<<6
  EXPECT_EQ(packed[64], 0x55u);
  EXPECT_EQ(packed[65], 0x56u);  // 2 | 1<<2 | 1<<4 | 1<<6
  EXPECT_EQ(packed[127], 0x55u); // padding
}

// tq1: weight k = 320 b + j + 64 i is digit i of byte j of block b.
TEST(Packing, TQ1ByteLayout) {
  std::vector<int8_t> w(321, 0);
  w[0] = 1;           // byte 0, digit 0 = 2
  w[64 * 4 + 2] = -1; // byte 2, digit 4 = 0
  w[320] = -1;        // block 1, byte 0, digit 0 = 0
  std::vector<uint8_t> packed(128);
  ASSERT_TRUE(packTernary(Layout::TQ1, w.data(), 1, w.size(), packed.data()));
  auto encoded = [](unsigned v) { return (v * 256 + 242) / 243; };
  EXPECT_EQ(packed[0], encoded(2 * 81 + 27 + 9 + 3 + 1));
  EXPECT_EQ(packed[1], encoded(81 + 27 + 9 + 3 + 1));
  EXPECT_EQ(packed[2], encoded(81 + 27 + 9 + 3 + 0));
  EXPECT_EQ(packed[64], encoded(0 + 27 + 9 + 3 + 1));
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
