//===- FakeModel.cpp - a model library for the runtime tests ----*- C++ -*-===//
//
// Implements the model library ABI of trit/runtime.h by hand: vocabulary 7,
// context 16, a default of one thread, and logits that make token
// (id + 1) mod 7 the clear favourite after id, with the runner-up
// (id + 2) mod 7 close behind. Built as is,
// with FAKE_MODEL_ABI set to another version, with a static sequence, and
// with FAKE_MODEL_KV_CACHE: then it exports trit_forward_cached instead,
// with a cache of 2 tensors, 1 head and head_dim 1 that holds each token
// id, and favours (sum of the ids so far + 1) mod 7, so that its logits
// depend on the whole prefix through the cache. With
// FAKE_MODEL_EXTERNAL_WEIGHTS it binds external weights as tritc
// --weights=external does (7 floats, added to each position's logits), so
// that a forward pass reads the mapped weights file.
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

#ifdef FAKE_MODEL_KV_CACHE
int64_t trit_compiled_kv_tensors(void) { return 2; }
int64_t trit_compiled_kv_heads(void) { return 1; }
int64_t trit_compiled_kv_head_dim(void) { return 1; }

void _mlir_ciface_trit_forward_cached(trit_cached_result *out,
                                      trit_memref2_i64 *ids,
                                      trit_memref5_f32 *past) {
  const int64_t batch = ids->sizes[0], seq = ids->sizes[1], vocab = 7;
  const int64_t pastLength = past->sizes[3], total = pastLength + seq;
  float *cache =
      static_cast<float *>(std::malloc(sizeof(float) * 2 * batch * total));
  float *data =
      static_cast<float *>(std::malloc(sizeof(float) * batch * seq * vocab));
  for (int64_t b = 0; b < batch; ++b) {
    int64_t sum = 0;
    for (int64_t t = 0; t < total; ++t) {
      float id;
      if (t < pastLength) {
        id = past->aligned[past->offset + b * past->strides[1] +
                           t * past->strides[3]];
      } else {
        id = static_cast<float>(
            ids->aligned[ids->offset + b * ids->strides[0] +
                         (t - pastLength) * ids->strides[1]]);
      }
      for (int64_t k = 0; k < 2; ++k)
        cache[(k * batch + b) * total + t] = id;
      sum += static_cast<int64_t>(id);
      if (t < pastLength)
        continue;
      for (int64_t v = 0; v < vocab; ++v)
        data[(b * seq + t - pastLength) * vocab + v] =
            v == (sum + 1) % vocab ? 3.0f : (v == (sum + 2) % vocab ? 2.5f : 0.0f);
    }
  }
  out->logits.allocated = out->logits.aligned = data;
  out->logits.offset = 0;
  out->logits.sizes[0] = batch;
  out->logits.sizes[1] = seq;
  out->logits.sizes[2] = vocab;
  out->logits.strides[0] = seq * vocab;
  out->logits.strides[1] = vocab;
  out->logits.strides[2] = 1;
  trit_memref5_f32 &c = out->cache;
  c.allocated = c.aligned = cache;
  c.offset = 0;
  int64_t sizes[5] = {2, batch, 1, total, 1};
  int64_t stride = 1;
  for (int d = 4; d >= 0; --d) {
    c.sizes[d] = sizes[d];
    c.strides[d] = stride;
    stride *= sizes[d];
  }
}
#else
#ifdef FAKE_MODEL_EXTERNAL_WEIGHTS
/// Where the runtime mapped the weights file: one per library, as in a
/// model compiled with tritc --weights=external.
static const float *boundWeights = nullptr;
void trit_bind_weights(const void *data) {
  boundWeights = static_cast<const float *>(data);
}
int64_t trit_compiled_weights_size(void) { return 7 * sizeof(float); }
uint64_t trit_compiled_weights_id(void) { return FAKE_MODEL_WEIGHTS_ID; }
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
#ifdef FAKE_MODEL_EXTERNAL_WEIGHTS
        logit += boundWeights[v];
#endif
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
#endif

} // extern "C"
