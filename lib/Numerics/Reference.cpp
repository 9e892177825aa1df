//===- Reference.cpp - scalar reference of the BitLinear numerics -*- C++ -*-//

#include "trit/Numerics/Reference.h"

#include <algorithm>
#include <cmath>
#include <vector>

using namespace ternary;

float reference::roundEven(float x) { return std::nearbyint(x); }

float reference::absmeanScale(const float *w, size_t n) {
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i)
    sum += std::fabs(w[i]);
  float mean = n ? static_cast<float>(sum / static_cast<double>(n)) : 0.0f;
  return std::max(mean, 1e-5f);
}

void reference::quantizeWeights(const float *w, size_t n, float g,
                                int8_t *out) {
  for (size_t i = 0; i < n; ++i) {
    float q = std::clamp(roundEven(w[i] / g), -1.0f, 1.0f);
    out[i] = static_cast<int8_t>(q);
  }
}

float reference::absmaxScale(const float *x, size_t k) {
  float maxAbs = 0.0f;
  for (size_t i = 0; i < k; ++i)
    maxAbs = std::max(maxAbs, std::fabs(x[i]));
  return 127.0f / std::max(maxAbs, 1e-5f);
}

void reference::quantizeActivations(const float *x, size_t k, float s,
                                    int8_t *out) {
  for (size_t i = 0; i < k; ++i) {
    float q = std::clamp(roundEven(x[i] * s), -128.0f, 127.0f);
    out[i] = static_cast<int8_t>(q);
  }
}

void reference::ternaryMatmul(const int8_t *xq, const int8_t *w, size_t m,
                              size_t n, size_t k, int32_t *acc) {
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      int32_t sum = 0;
      for (size_t l = 0; l < k; ++l)
        sum += static_cast<int32_t>(xq[i * k + l]) * w[j * k + l];
      acc[i * n + j] = sum;
    }
}

void reference::bitLinear(const float *x, const int8_t *w, float g, size_t m,
                          size_t n, size_t k, float *y) {
  std::vector<int8_t> xq(m * k);
  std::vector<float> s(m);
  for (size_t i = 0; i < m; ++i) {
    s[i] = absmaxScale(x + i * k, k);
    quantizeActivations(x + i * k, k, s[i], xq.data() + i * k);
  }
  std::vector<int32_t> acc(m * n);
  ternaryMatmul(xq.data(), w, m, n, k, acc.data());
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j)
      y[i * n + j] = static_cast<float>(acc[i * n + j]) * g / s[i];
}
