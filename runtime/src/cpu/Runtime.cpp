//===- Runtime.cpp - loading and running compiled models --------*- C++ -*-===//
//
// Plain C++ behind the C API of trit/runtime.h: no MLIR, no LLVM.
//
//===----------------------------------------------------------------------===//

#include "trit/runtime.h"

#include "RuntimeInternal.h"

#include <dlfcn.h>
#include <omp.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

thread_local std::string lastError;
/// Set once the application chose a thread count: models' defaults yield.
bool threadsChosen = false;

using AbiVersionFn = int32_t();
using SizeFn = int64_t();
using ForwardFn = void(trit_memref3_f32 *, trit_memref2_i64 *);

} // namespace

trit_status trit::runtime::fail(trit_status status, const std::string &msg) {
  lastError = msg;
  return status;
}

struct trit_model {
  void *handle = nullptr;
  std::string path;
  int64_t vocab = 0;
  int64_t context = 0;
  int64_t staticBatch = 0;    ///< > 0: the only batch size it takes.
  int64_t staticSequence = 0; ///< > 0: the only sequence length it takes.
  ForwardFn *forward = nullptr;
};

extern "C" const char *trit_last_error(void) { return lastError.c_str(); }

extern "C" trit_status trit_model_load(const char *path, trit_model **model) {
  using trit::runtime::fail;
  if (!model)
    return fail(TRIT_ERROR_INVALID_ARGUMENT, "trit_model_load: null output");
  *model = nullptr;
  // A null path is the program itself: an executable tritc linked with
  // the model in it (and its symbols exported).
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!path)
    path = "<this program>";
  if (!handle)
    return fail(TRIT_ERROR_LOAD,
                std::string("cannot load model '") + path + "': " + dlerror());
  auto symbol = [&](const char *name) { return dlsym(handle, name); };
  auto *abi = reinterpret_cast<AbiVersionFn *>(symbol("trit_compiled_abi_version"));
  auto *vocab = reinterpret_cast<SizeFn *>(symbol("trit_compiled_vocab_size"));
  auto *context =
      reinterpret_cast<SizeFn *>(symbol("trit_compiled_context_length"));
  auto *forward =
      reinterpret_cast<ForwardFn *>(symbol("_mlir_ciface_trit_forward"));
  if (!abi || !vocab || !context || !forward) {
    dlclose(handle);
    return fail(TRIT_ERROR_LOAD,
                std::string("'") + path +
                    "' is not a trit model library (it lacks "
                    "trit_compiled_abi_version, trit_compiled_vocab_size, "
                    "trit_compiled_context_length or trit_forward)");
  }
  if (int32_t version = abi(); version != TRIT_MODEL_ABI_VERSION) {
    dlclose(handle);
    return fail(TRIT_ERROR_LOAD,
                std::string("'") + path + "' was compiled for model ABI " +
                    std::to_string(version) + ", this runtime takes ABI " +
                    std::to_string(TRIT_MODEL_ABI_VERSION) +
                    "; recompile it with a matching tritc");
  }
  using ThreadsFn = int32_t();
  if (auto *threads = reinterpret_cast<ThreadsFn *>(
          symbol("trit_compiled_default_threads"));
      threads && !threadsChosen && threads() > 0)
    omp_set_num_threads(threads());
  auto *m = new trit_model;
  m->handle = handle;
  m->path = path;
  m->vocab = vocab();
  m->context = context();
  m->forward = forward;
  if (auto *batch = reinterpret_cast<SizeFn *>(
          symbol("trit_compiled_static_batch")))
    m->staticBatch = batch();
  if (auto *sequence = reinterpret_cast<SizeFn *>(
          symbol("trit_compiled_static_sequence")))
    m->staticSequence = sequence();
  if (m->vocab <= 0 || m->context <= 0) {
    trit_model_free(m);
    return fail(TRIT_ERROR_LOAD, std::string("'") + path +
                                     "' reports an empty vocabulary or "
                                     "context");
  }
  *model = m;
  return TRIT_OK;
}

extern "C" void trit_model_free(trit_model *model) {
  if (!model)
    return;
  if (model->handle)
    dlclose(model->handle);
  delete model;
}

extern "C" int64_t trit_model_vocab_size(const trit_model *model) {
  return model ? model->vocab : 0;
}

extern "C" int64_t trit_model_context_length(const trit_model *model) {
  return model ? model->context : 0;
}

extern "C" void trit_set_num_threads(int threads) {
  if (threads > 0) {
    omp_set_num_threads(threads);
    threadsChosen = true;
  }
}

extern "C" trit_status trit_model_forward(trit_model *model,
                                          const int64_t *ids, int64_t batch,
                                          int64_t seq, float *logits) {
  using trit::runtime::fail;
  if (!model || !ids || !logits)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "trit_model_forward: null argument");
  if (batch < 1 || seq < 1)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "trit_model_forward: batch and sequence length must be "
                "positive, got [" +
                    std::to_string(batch) + ", " + std::to_string(seq) + "]");
  if (seq > model->context)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "sequence of " + std::to_string(seq) +
                    " tokens is longer than the model's context of " +
                    std::to_string(model->context));
  if (model->staticSequence > 0 && seq != model->staticSequence)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "the model was compiled for sequences of exactly " +
                    std::to_string(model->staticSequence) +
                    " tokens, not " + std::to_string(seq) +
                    " (export it with a dynamic sequence axis to run other "
                    "lengths)");
  if (model->staticBatch > 0 && batch != model->staticBatch)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "the model was compiled for a batch of exactly " +
                    std::to_string(model->staticBatch) + ", not " +
                    std::to_string(batch));
  for (int64_t i = 0; i < batch * seq; ++i)
    if (ids[i] < 0 || ids[i] >= model->vocab)
      return fail(TRIT_ERROR_INVALID_ARGUMENT,
                  "token id " + std::to_string(ids[i]) + " at [" +
                      std::to_string(i / seq) + ", " +
                      std::to_string(i % seq) +
                      "] is out of range: the vocabulary has " +
                      std::to_string(model->vocab) + " tokens");

  trit_memref2_i64 in{};
  in.allocated = in.aligned = const_cast<int64_t *>(ids);
  in.sizes[0] = batch;
  in.sizes[1] = seq;
  in.strides[0] = seq;
  in.strides[1] = 1;
  trit_memref3_f32 out{};
  model->forward(&out, &in);
  if (!out.aligned || out.sizes[0] != batch || out.sizes[1] != seq ||
      out.sizes[2] != model->vocab) {
    std::free(out.allocated);
    return fail(TRIT_ERROR_LOAD, "'" + model->path +
                                     "' returned logits of an unexpected "
                                     "shape");
  }
  const float *base = out.aligned + out.offset;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < seq; ++t)
      for (int64_t v = 0; v < model->vocab; ++v)
        logits[(b * seq + t) * model->vocab + v] =
            base[b * out.strides[0] + t * out.strides[1] + v * out.strides[2]];
  std::free(out.allocated);
  return TRIT_OK;
}

extern "C" trit_status trit_generate(trit_model *model, const int64_t *prompt,
                                     int64_t promptLen, int64_t maxNew,
                                     const trit_sampling *sampling,
                                     int64_t *outIds, int64_t *generated,
                                     trit_timing *timing) {
  using trit::runtime::fail;
  if (!model || !prompt || !sampling || (!outIds && maxNew > 0) ||
      !generated)
    return fail(TRIT_ERROR_INVALID_ARGUMENT, "trit_generate: null argument");
  *generated = 0;
  if (promptLen < 1 || maxNew < 0)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "trit_generate: the prompt needs at least one token and "
                "max_new must not be negative");
  if (promptLen + maxNew > model->context)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "prompt of " + std::to_string(promptLen) + " tokens plus " +
                    std::to_string(maxNew) +
                    " new ones is longer than the model's context of " +
                    std::to_string(model->context) + " (at most " +
                    std::to_string(model->context - promptLen) +
                    " new tokens fit)");

  std::vector<int64_t> sequence(prompt, prompt + promptLen);
  std::vector<float> logits;
  uint64_t rng = sampling->seed;
  trit_timing local{};
  local.prompt_tokens = promptLen;
  using Clock = std::chrono::steady_clock;
  for (int64_t step = 0; step < maxNew; ++step) {
    int64_t seq = static_cast<int64_t>(sequence.size());
    logits.resize(seq * model->vocab);
    auto start = Clock::now();
    if (trit_status status =
            trit_model_forward(model, sequence.data(), 1, seq, logits.data()))
      return status;
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    (step == 0 ? local.prefill_seconds : local.decode_seconds) += seconds;
    int64_t next = trit_sample(logits.data() + (seq - 1) * model->vocab,
                               model->vocab, sampling, &rng);
    if (next < 0)
      return TRIT_ERROR_INVALID_ARGUMENT;
    sequence.push_back(next);
    outIds[step] = next;
    *generated = step + 1;
  }
  local.generated_tokens = *generated;
  if (timing)
    *timing = local;
  return TRIT_OK;
}
