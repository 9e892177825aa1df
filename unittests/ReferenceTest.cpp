//===- ReferenceTest.cpp - the scalar numerics reference --------*- C++ -*-===//
//
// Checks the reference against hand-derived values of the contract in
// design.md section 1, so that it can serve as the kernels' oracle.
//
//===----------------------------------------------------------------------===//

#include "trit/Numerics/Reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace ternary::reference;

namespace {

TEST(Reference, RoundEvenBreaksTiesToEven) {
  EXPECT_EQ(roundEven(0.5f), 0.0f);
  EXPECT_EQ(roundEven(1.5f), 2.0f);
  EXPECT_EQ(roundEven(2.5f), 2.0f);
  EXPECT_EQ(roundEven(-0.5f), -0.0f);
  EXPECT_EQ(roundEven(-1.5f), -2.0f);
  EXPECT_EQ(roundEven(1.49f), 1.0f);
}

TEST(Reference, AbsmeanScale) {
  const float w[4] = {1.0f, -3.0f, 0.0f, 2.0f};
  EXPECT_FLOAT_EQ(absmeanScale(w, 4), 1.5f);
  const float zeros[3] = {0.0f, 0.0f, -0.0f};
  EXPECT_FLOAT_EQ(absmeanScale(zeros, 3), 1e-5f);
}

TEST(Reference, QuantizeWeights) {
  // g = mean(|w|) = 16 / 8 = 2 (exact); w / g = {0.5, 1.5, -0.5, -1.5,
  // 0.25, 3, -0.75, 0} rounds half to even and clamps to [-1, 1]. Divided
  // by 1 instead of g, w[0] and w[2] would give +-1, not 0.
  const float w[8] = {1.0f, 3.0f, -1.0f, -3.0f, 0.5f, 6.0f, -1.5f, 0.0f};
  float g = absmeanScale(w, 8);
  ASSERT_EQ(g, 2.0f);
  int8_t q[8];
  quantizeWeights(w, 8, g, q);
  const int8_t expected[8] = {0, 1, 0, -1, 0, 1, -1, 0};
  for (int i = 0; i < 8; ++i)
    EXPECT_EQ(q[i], expected[i]) << "i=" << i;
}

TEST(Reference, AbsmaxActivations) {
  const float x[4] = {0.5f, -2.0f, 1.0f, 0.0f};
  float s = absmaxScale(x, 4);
  EXPECT_FLOAT_EQ(s, 63.5f);
  int8_t q[4];
  quantizeActivations(x, 4, s, q);
  // 0.5 * 63.5 = 31.75 -> 32; -2 * 63.5 = -127; 63.5 -> 64 (tie to even).
  EXPECT_EQ(q[0], 32);
  EXPECT_EQ(q[1], -127);
  EXPECT_EQ(q[2], 64);
  EXPECT_EQ(q[3], 0);
  // An all-zero token uses the 1e-5 floor and quantizes to zeros.
  const float zeros[2] = {0.0f, -0.0f};
  EXPECT_FLOAT_EQ(absmaxScale(zeros, 2), 127.0f / 1e-5f);
  // Out-of-range products clamp to [-128, 127].
  const float big[2] = {10.0f, -10.0f};
  quantizeActivations(big, 2, 127.0f, q);
  EXPECT_EQ(q[0], 127);
  EXPECT_EQ(q[1], -128);
}

TEST(Reference, TernaryMatmulSmall) {
  // xq [2, 3], w [2, 3].
  const int8_t xq[6] = {1, 2, 3, -128, 127, 5};
  const int8_t w[6] = {1, 0, -1, -1, 1, 1};
  int32_t acc[4];
  ternaryMatmul(xq, w, 2, 2, 3, acc);
  EXPECT_EQ(acc[0], 1 - 3);
  EXPECT_EQ(acc[1], -1 + 2 + 3);
  EXPECT_EQ(acc[2], -128 - 5);
  EXPECT_EQ(acc[3], 128 + 127 + 5);
}

TEST(Reference, TernaryMatmulExtremesAreExact) {
  // |acc| reaches 128 * K without overflow.
  const size_t k = 4097;
  std::vector<int8_t> xq(k, -128), w(k, 1);
  int32_t acc;
  ternaryMatmul(xq.data(), w.data(), 1, 1, k, &acc);
  EXPECT_EQ(acc, -128 * static_cast<int32_t>(k));
}

TEST(Reference, BitLinearMatchesFloatDequantizedProduct) {
  // y = acc * g / s equals the float product of dequantized operands up to
  // float rounding.
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  const size_t m = 3, n = 5, k = 37;
  std::vector<float> x(m * k), wf(n * k);
  for (float &v : x)
    v = dist(rng);
  for (float &v : wf)
    v = dist(rng);
  float g = absmeanScale(wf.data(), wf.size());
  std::vector<int8_t> w(n * k);
  quantizeWeights(wf.data(), wf.size(), g, w.data());
  std::vector<float> y(m * n);
  bitLinear(x.data(), w.data(), g, m, n, k, y.data());
  for (size_t i = 0; i < m; ++i) {
    float s = absmaxScale(&x[i * k], k);
    std::vector<int8_t> xq(k);
    quantizeActivations(&x[i * k], k, s, xq.data());
    for (size_t j = 0; j < n; ++j) {
      double expected = 0;
      for (size_t l = 0; l < k; ++l)
        expected += (double(xq[l]) / s) * (double(w[j * k + l]) * g);
      EXPECT_NEAR(y[i * n + j], expected, 1e-5 * (1 + std::fabs(expected)));
    }
  }
}

} // namespace
