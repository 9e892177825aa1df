//===- FakeModel.cpp - a model library for the runtime tests ----*- C++ -*-===//
//
// Implements the model library ABI of trit/runtime.h by hand: vocabulary 7,
// context 16, a default of one thread, and logits that make token (id + 1) mod 7 the clear favourite
// after id, with the runner-up (id + 2) mod 7 close behind. Built twice: as
// is, and with FAKE_MODEL_ABI set to another version.
//
//===----------------------------------------------------------------------===//

#include "trit/runtime.h"

#include <cstdlib>

#ifndef FAKE_MODEL_ABI
#define FAKE_MODEL_ABI TRIT_MODEL_ABI_VERSION
#endif

extern "C" {

int32_t trit_compiled_abi_version(void) { return FAKE_MODEL_ABI; }
int64_t trit_compiled_vocab_size(void) { return 7; }
int64_t trit_compiled_context_length(void) { return 16; }
int32_t trit_compiled_default_threads(void) { return 1; }
#ifdef FAKE_MODEL_STATIC_SEQUENCE
int64_t trit_compiled_static_batch(void) { return 1; }
int64_t trit_compiled_static_sequence(void) {
  return FAKE_MODEL_STATIC_SEQUENCE;
}
#endif

void _mlir_ciface_trit_forward(trit_memref3_f32 *logits,
                               trit_memref2_i64 *ids) {
  const int64_t batch = ids->sizes[0], seq = ids->sizes[1], vocab = 7;
  float *data =
      static_cast<float *>(std::malloc(sizeof(float) * batch * seq * vocab));
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < seq; ++t) {
      int64_t id = ids->aligned[ids->offset + b * ids->strides[0] +
                                t * ids->strides[1]];
      for (int64_t v = 0; v < vocab; ++v) {
        float logit = 0.0f;
        if (v == (id + 1) % vocab)
          logit = 3.0f;
        else if (v == (id + 2) % vocab)
          logit = 2.5f;
        data[(b * seq + t) * vocab + v] = logit;
      }
    }
  logits->allocated = logits->aligned = data;
  logits->offset = 0;
  logits->sizes[0] = batch;
  logits->sizes[1] = seq;
  logits->sizes[2] = vocab;
  logits->strides[0] = seq * vocab;
  logits->strides[1] = vocab;
  logits->strides[2] = 1;
}

} // extern "C"
