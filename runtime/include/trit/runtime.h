/*===- trit/runtime.h - the trit runtime's C API ---------------*- C -*-===*\
|*                                                                          *|
|* The only contract between code trit generates and the runtime. Plain C,  *|
|* no MLIR or LLVM types.                                                   *|
|*                                                                          *|
|* A compiled model library exports these symbols (C linkage):              *|
|*                                                                          *|
|*   int32_t trit_compiled_abi_version(void);   == TRIT_MODEL_ABI_VERSION   *|
|*   int64_t trit_compiled_vocab_size(void);                                *|
|*   int64_t trit_compiled_context_length(void); longest sequence it takes  *|
|*   int32_t trit_compiled_default_threads(void); 0: OpenMP's default       *|
|*            (optional; applied at load unless trit_set_num_threads was   *|
|*            called)                                                       *|
|*   int64_t trit_compiled_static_batch(void);    optional; > 0: the model  *|
|*   int64_t trit_compiled_static_sequence(void); takes exactly this many   *|
|*            (compiled for static shapes)                                  *|
|*   void _mlir_ciface_trit_forward(trit_memref3_f32 *logits,               *|
|*                                  trit_memref2_i64 *ids);                 *|
|*                                                                          *|
|* trit_forward maps token ids [batch, seq] to logits [batch, seq, vocab];  *|
|* the logits buffer is allocated by the model with malloc and freed by the *|
|* runtime.                                                                 *|
|*                                                                          *|
|* A model with a KV cache exports, instead of trit_forward:                *|
|*                                                                          *|
|*   int64_t trit_compiled_kv_tensors(void);   n: a key and a value a layer *|
|*   int64_t trit_compiled_kv_heads(void);                                  *|
|*   int64_t trit_compiled_kv_head_dim(void);                               *|
|*   void _mlir_ciface_trit_forward_cached(trit_cached_result *out,         *|
|*                                         trit_memref2_i64 *ids,           *|
|*                                         trit_memref5_f32 *past);         *|
|*                                                                          *|
|* past is [n, batch, heads, past_len, head_dim] (past_len may be 0); out   *|
|* receives the logits and the cache extended by the ids, [n, batch, heads, *|
|* past_len + seq, head_dim], both malloc'ed by the model.                  *|
|*                                                                          *|
|* It may also export _mlir_ciface_trit_forward_cached_last, with the same  *|
|* signature and cache, whose logits are the last token's only, [batch, 1,  *|
|* vocab]: trit_generate uses it (the LM head then runs on one token of a   *|
|* prompt, not all of them).                                                *|
\*===----------------------------------------------------------------------===*/

#ifndef TRIT_RUNTIME_H
#define TRIT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the model library ABI above; a library built for another one
 * is refused. */
#define TRIT_MODEL_ABI_VERSION 2

/* Weights outside the binary (tritc --weights=external): a library or
 * executable that exports
 *
 *   void trit_bind_weights(const void *data);
 *   int64_t trit_compiled_weights_size(void);
 *   uint64_t trit_compiled_weights_id(void);
 *
 * reads its large constants from the file "<binary>.weights", which the
 * runtime maps at load: a TRIT_WEIGHTS_HEADER_BYTES header (the magic, the
 * format version, the id and the data size, each 8 bytes little-endian,
 * then zeros) and the data, whose start is passed to trit_bind_weights. */
#define TRIT_WEIGHTS_MAGIC "TRITWGT"
#define TRIT_WEIGHTS_FORMAT_VERSION 1
#define TRIT_WEIGHTS_HEADER_BYTES 64

/* Memref descriptors as generated code passes them. */
typedef struct {
  int64_t *allocated;
  int64_t *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
} trit_memref2_i64;

typedef struct {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[3];
  int64_t strides[3];
} trit_memref3_f32;

typedef struct {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[5];
  int64_t strides[5];
} trit_memref5_f32;

/* The results of _mlir_ciface_trit_forward_cached. */
typedef struct {
  trit_memref3_f32 logits;
  trit_memref5_f32 cache;
} trit_cached_result;

typedef enum {
  TRIT_OK = 0,
  TRIT_ERROR_INVALID_ARGUMENT = 1, /* bad id, length, option, null pointer */
  TRIT_ERROR_LOAD = 2,             /* library missing, unloadable, ABI */
  TRIT_ERROR_IO = 3                /* file read/write */
} trit_status;

/* Threads. For a model compiled for the CPU: trit_model_load and
 * trit_model_free may be called from any thread (loads of one library share
 * its weights under a lock); distinct sessions, and trit_model_forward and
 * trit_generate calls, on one loaded model may run at the same time on
 * different threads, each giving what it gives alone (test/Runtime/
 * stress.test checks 4 threads bit for bit). One session must not be used
 * by two threads at once, and a model must outlive its sessions and calls.
 * trit_set_num_threads is process-wide: call it before starting threads.
 * Errors are per thread (trit_last_error). A CUDA model (target "cuda")
 * runs on one stream: serialize all calls on it.
 *
 * The message of the last error on this thread ("" if none). */
const char *trit_last_error(void);

typedef struct trit_model trit_model;

/* Loads a compiled model library; a NULL path loads the model linked into
 * the program itself (tritc --emit=exe). On error *model is NULL. The first
 * load tunes glibc's malloc for the process (mmap and trim thresholds of
 * 1 GiB) so that the buffers a model allocates at every step are reused,
 * not faulted in afresh. */
trit_status trit_model_load(const char *path, trit_model **model);
void trit_model_free(trit_model *model);

/* What the model was compiled for: "cpu", or "cuda" (tritc --target=cuda:
 * every step runs on the GPU; loading it fails with a message where there
 * is no CUDA driver or device; TRIT_CUDA_DEVICE=N, set before the load,
 * picks the device). NULL for a NULL model. */
const char *trit_model_target(const trit_model *model);

int64_t trit_model_vocab_size(const trit_model *model);
int64_t trit_model_context_length(const trit_model *model);

/* Threads the generated code uses (OpenMP); 0 keeps the default. A call
 * with a positive count also overrides the models' own defaults. */
void trit_set_num_threads(int threads);

/* logits [batch, seq, vocab] = forward(ids [batch, seq]). Checks every id
 * against the vocabulary and seq against the context length. */
trit_status trit_model_forward(trit_model *model, const int64_t *ids,
                               int64_t batch, int64_t seq, float *logits);

/* Whether the model carries a KV cache (trit_forward_cached): then
 * sessions and trit_generate feed only the new tokens at each step; without
 * one they run the whole sequence again (correct, slower). */
int trit_model_has_kv_cache(const trit_model *model);

/* A session: one sequence (batch 1) fed piece by piece, holding the KV
 * cache of what it has seen (or, for a model without a cache, the tokens). */
typedef struct trit_session trit_session;

trit_status trit_session_create(trit_model *model, trit_session **session);
/* Frees the session (and its KV cache, which for a CUDA model is device
 * memory): call it before freeing the session's model. */
void trit_session_free(trit_session *session);
/* Tokens the session holds. */
int64_t trit_session_length(const trit_session *session);
/* Appends `count` ids and writes their logits [count, vocab] (NULL: none).
 * Fails, leaving the session unchanged, on a bad id or when the sequence
 * would outgrow the context. */
trit_status trit_session_append(trit_session *session, const int64_t *ids,
                                int64_t count, float *logits);

/* Sampling. temperature <= 0 means greedy (argmax, lowest id on ties);
 * top_k <= 0 and top_p >= 1 disable those filters. */
typedef struct {
  float temperature;
  int32_t top_k;
  float top_p;
  uint64_t seed;
} trit_sampling;

trit_sampling trit_sampling_greedy(void);

/* Draws one token from `logits` [vocab]; `*rng` carries the generator state
 * (initialise it with the seed). Tokens whose logit is +inf, if any, are
 * the only candidates (equally likely); a -inf logit is never drawn.
 * Returns -1 (and sets the error) on bad arguments, a NaN logit (the error
 * names its position) or logits that are all -inf. */
int64_t trit_sample(const float *logits, int64_t vocab,
                    const trit_sampling *sampling, uint64_t *rng);

typedef struct {
  double prefill_seconds;
  double decode_seconds;
  int64_t prompt_tokens;
  int64_t generated_tokens;
} trit_timing;

/* Generates up to max_new tokens after the prompt into out_ids (which holds
 * at least max_new ids); *generated receives how many. Runs a session: with
 * a KV cache each step feeds one token, without one the whole sequence. */
trit_status trit_generate(trit_model *model, const int64_t *prompt,
                          int64_t prompt_len, int64_t max_new,
                          const trit_sampling *sampling, int64_t *out_ids,
                          int64_t *generated, trit_timing *timing);

/* Called by trit_generate_stream once per generated token, right after it is
 * drawn (before the model sees it): `id` is the token, `index` its position
 * among the new tokens (0, 1, ...). A nonzero return ends generation with
 * that token as the last one. */
typedef int (*trit_token_callback)(int64_t id, int64_t index,
                                   void *user_data);

/* trit_generate that reports each token as it is drawn, so that a caller can
 * print text as it is produced and stop at an end-of-sequence token: the
 * same tokens, timing and errors as trit_generate (which is this function
 * with no callback), except that generation also ends when `on_token`
 * returns nonzero; *generated then counts the tokens up to and including
 * that one. `on_token` may be NULL. Time spent in the callback is counted in
 * neither prefill_seconds nor decode_seconds. */
trit_status trit_generate_stream(trit_model *model, const int64_t *prompt,
                                 int64_t prompt_len, int64_t max_new,
                                 const trit_sampling *sampling,
                                 int64_t *out_ids, int64_t *generated,
                                 trit_timing *timing,
                                 trit_token_callback on_token,
                                 void *user_data);

#ifdef __cplusplus
}
#endif

#endif /* TRIT_RUNTIME_H */
