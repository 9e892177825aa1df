//===- Reference.h - scalar reference of the BitLinear numerics -*- C++ -*-===//
//
// A plain, obviously-correct implementation of the numerics contract
// (design.md section 1). It is the oracle the generated kernels are tested
// against, so it favours clarity over speed.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_NUMERICS_REFERENCE_H
#define TRIT_NUMERICS_REFERENCE_H

#include <cstddef>
#include <cstdint>

namespace ternary::reference {

/// Round half to even, as PyTorch's `round` (and `std::nearbyint` in the
/// default rounding mode).
float roundEven(float x);

/// Absmean scale of a weight: max(mean(|w|), 1e-5). The mean is accumulated
/// in double and rounded once to float.
float absmeanScale(const float *w, size_t n);

/// Quantizes `w` (n values) to ternary with scale `g`:
/// clamp(roundeven(w / g), -1, 1).
void quantizeWeights(const float *w, size_t n, float g, int8_t *out);

/// Absmax scale of one token: 127 / max(max(|x|), 1e-5).
float absmaxScale(const float *x, size_t k);

/// Quantizes one token of `k` values with scale `s`:
/// clamp(roundeven(x * s), -128, 127).
void quantizeActivations(const float *x, size_t k, float s, int8_t *out);

/// acc[m, n] = sum_k xq[m, k] * w[n, k], exact in int32.
/// xq: [m, k] int8; w: [n, k] ternary int8; acc: [m, n].
void ternaryMatmul(const int8_t *xq, const int8_t *w, size_t m, size_t n,
                   size_t k, int32_t *acc);

/// The whole BitLinear: x [m, k] float, w [n, k] ternary with scale g,
/// y [m, n] = acc * g / s per token.
void bitLinear(const float *x, const int8_t *w, float g, size_t m, size_t n,
               size_t k, float *y);

} // namespace ternary::reference

#endif // TRIT_NUMERICS_REFERENCE_H
