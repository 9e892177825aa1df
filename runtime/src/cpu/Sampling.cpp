//===- Sampling.cpp - greedy, temperature, top-k, top-p ---------*- C++ -*-===//

#include "trit/runtime.h"

#include "RuntimeInternal.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace {

/// splitmix64: a small generator whose whole state is one uint64_t, so that
/// a seed reproduces a generation exactly.
uint64_t nextRandom(uint64_t &state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Uniform in [0, 1) with 53 random bits.
double nextUniform(uint64_t &state) {
  return static_cast<double>(nextRandom(state) >> 11) * 0x1.0p-53;
}

int64_t argmax(const float *logits, int64_t vocab) {
  int64_t best = 0;
  for (int64_t v = 1; v < vocab; ++v)
    if (logits[v] > logits[best])
      best = v;
  return best;
}

} // namespace

extern "C" trit_sampling trit_sampling_greedy(void) {
  return trit_sampling{0.0f, 0, 1.0f, 0};
}

extern "C" int64_t trit_sample(const float *logits, int64_t vocab,
                               const trit_sampling *sampling, uint64_t *rng) {
  using trit::runtime::fail;
  if (!logits || !sampling || !rng || vocab < 1) {
    fail(TRIT_ERROR_INVALID_ARGUMENT, "trit_sample: bad argument");
    return -1;
  }
  // Non-finite logits are decided here, so that the softmax below sees
  // none of the infinities that would turn it into NaN (inf - inf) and
  // make the draw fall through to the least likely token.
  int64_t positiveInfinities = 0, negativeInfinities = 0;
  for (int64_t v = 0; v < vocab; ++v) {
    if (std::isnan(logits[v])) {
      fail(TRIT_ERROR_INVALID_ARGUMENT,
           "trit_sample: logit " + std::to_string(v) + " is NaN");
      return -1;
    }
    if (std::isinf(logits[v]))
      ++(logits[v] > 0 ? positiveInfinities : negativeInfinities);
  }
  if (negativeInfinities == vocab) {
    fail(TRIT_ERROR_INVALID_ARGUMENT,
         "trit_sample: every logit is -inf: no token has a probability");
    return -1;
  }
  if (!(sampling->temperature > 0.0f))
    return argmax(logits, vocab);
  if (!(sampling->top_p > 0.0f)) {
    fail(TRIT_ERROR_INVALID_ARGUMENT, "trit_sample: top_p must be > 0");
    return -1;
  }

  // Candidates by decreasing logit (lowest id first on ties).
  std::vector<int64_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  int64_t keep = vocab;
  if (sampling->top_k > 0)
    keep = std::min<int64_t>(keep, sampling->top_k);

  // Softmax at the temperature over the kept candidates. Where some logits
  // are +inf, its limit: they share all the probability equally.
  double top = logits[order[0]] / static_cast<double>(sampling->temperature);
  std::vector<double> probs(keep);
  for (int64_t i = 0; i < keep; ++i)
    probs[i] =
        positiveInfinities > 0
            ? (std::isinf(logits[order[i]]) && logits[order[i]] > 0 ? 1.0 : 0.0)
            : std::exp(logits[order[i]] /
                           static_cast<double>(sampling->temperature) -
                       top);
  // Candidates of probability 0 (-inf, or behind a +inf) sort last; drop
  // them, so that no rounding in the draw below can land on one.
  while (keep > 1 && probs[keep - 1] == 0.0)
    --keep;
  double total = std::accumulate(probs.begin(), probs.begin() + keep, 0.0);
  // Nucleus: the shortest prefix whose probability reaches top_p.
  if (sampling->top_p < 1.0f) {
    double cumulative = 0.0;
    int64_t nucleus = keep;
    for (int64_t i = 0; i < keep; ++i) {
      cumulative += probs[i] / total;
      if (cumulative >= sampling->top_p) {
        nucleus = i + 1;
        break;
      }
    }
    keep = nucleus;
    total = std::accumulate(probs.begin(), probs.begin() + keep, 0.0);
  }
  double u = nextUniform(*rng) * total;
  for (int64_t i = 0; i < keep; ++i) {
    u -= probs[i];
    if (u < 0.0)
      return order[i];
  }
  return order[keep - 1];
}
