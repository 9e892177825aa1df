//===- Runtime.cpp - loading and running compiled models --------*- C++ -*-===//
//
// Plain C++ behind the C API of trit/runtime.h: no MLIR, no LLVM.
//
//===----------------------------------------------------------------------===//

#include "trit/runtime.h"

#include "RuntimeInternal.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <omp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace {

thread_local std::string lastError;
/// Set once the application chose a thread count: models' defaults yield.
bool threadsChosen = false;

using AbiVersionFn = int32_t();
using SizeFn = int64_t();
using ForwardFn = void(trit_memref3_f32 *, trit_memref2_i64 *);
using CachedFn = void(trit_cached_result *, trit_memref2_i64 *,
                      trit_memref5_f32 *);

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
  /// KV-cache models: trit_forward_cached and the cache's shape.
  CachedFn *cached = nullptr;
  /// trit_forward_cached_last, if the model has it: the same, with the
  /// logits of the last token only (what generation needs).
  CachedFn *cachedLast = nullptr;
  int64_t kvTensors = 0, kvHeads = 0, kvHeadDim = 0;
  /// Whether it holds a reference to its library's WeightsBinding (a
  /// --weights=external binary).
  bool bindsWeights = false;
  /// Compiled with --target=cuda: its library holds the CUDA backend
  /// (trit_cuda_runtime) and runs every step on the GPU.
  bool cuda = false;
  /// CUDA models keep their KV cache in device memory: what returns it to
  /// the model's allocator (trit_cuda_release). Null: malloc'ed memory.
  void (*releaseCache)(void *) = nullptr;
};

struct trit_session {
  trit_model *model = nullptr;
  /// Every token so far (a model without a cache runs them all again).
  std::vector<int64_t> tokens;
  /// The cache the model returned last; owned (see releaseCache).
  trit_memref5_f32 cache{};
  bool hasCache = false;
};

extern "C" const char *trit_last_error(void) { return lastError.c_str(); }

namespace {

uint64_t readLE64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

/// The weights file mapped for a --weights=external library. The library
/// holds one weights pointer, and dlopen gives every load of a library the
/// same handle, so the mapping belongs to the handle rather than to a
/// trit_model: the models loaded from the library share it, and the last
/// one freed unmaps it.
struct WeightsBinding {
  void *data = nullptr;
  size_t bytes = 0;
  int64_t models = 0;
  /// A CUDA model's copy of the data in device memory (the host mapping is
  /// gone once it is made).
  void *device = nullptr;
};

/// WeightsBinding by dlopen handle; models may be loaded and freed on any
/// thread.
std::mutex weightsMutex;
std::map<void *, WeightsBinding> weightsBindings;

} // namespace

std::string trit::runtime::checkWeightsFile(const unsigned char *file,
                                            size_t bytes, uint64_t id,
                                            int64_t dataBytes) {
  if (dataBytes < 0 ||
      bytes < TRIT_WEIGHTS_HEADER_BYTES ||
      bytes - TRIT_WEIGHTS_HEADER_BYTES < static_cast<uint64_t>(dataBytes))
    return "has " + std::to_string(bytes) + " bytes; the model needs " +
           std::to_string(TRIT_WEIGHTS_HEADER_BYTES + dataBytes);
  if (!file)
    return "could not be read";
  if (std::memcmp(file, TRIT_WEIGHTS_MAGIC, sizeof(TRIT_WEIGHTS_MAGIC)))
    return "is not a trit weights file";
  if (readLE64(file + 8) != TRIT_WEIGHTS_FORMAT_VERSION)
    return "has weights format " + std::to_string(readLE64(file + 8)) +
           ", not " + std::to_string(TRIT_WEIGHTS_FORMAT_VERSION);
  if (readLE64(file + 16) != id ||
      readLE64(file + 24) != static_cast<uint64_t>(dataBytes))
    return "belongs to another build of the model (recompile, or copy the "
           ".weights file written with this binary)";
  return "";
}

namespace {

/// For a binary built with --weights=external: maps "<binary>.weights",
/// checks that it is the file this binary was built with, and binds it;
/// a library whose weights are bound already keeps them.
trit_status mapWeights(trit_model *m, void *handle) {
  using trit::runtime::fail;
  using BindFn = void(const void *);
  using IdFn = uint64_t();
  auto *bind = reinterpret_cast<BindFn *>(dlsym(handle, "trit_bind_weights"));
  if (!bind)
    return TRIT_OK;
  std::lock_guard<std::mutex> lock(weightsMutex);
  if (auto it = weightsBindings.find(handle); it != weightsBindings.end()) {
    ++it->second.models;
    m->bindsWeights = true;
    return TRIT_OK;
  }
  auto *size = reinterpret_cast<SizeFn *>(
      dlsym(handle, "trit_compiled_weights_size"));
  auto *id = reinterpret_cast<IdFn *>(dlsym(handle, "trit_compiled_weights_id"));
  std::string binary = m->path;
  if (binary == "<this program>") {
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
      return fail(TRIT_ERROR_LOAD, "cannot find this program's path to map "
                                   "its weights");
    binary.assign(self, n);
  }
  std::string path = binary + ".weights";
  if (!size || !id)
    return fail(TRIT_ERROR_LOAD, "'" + m->path +
                                     "' binds external weights but lacks "
                                     "trit_compiled_weights_size or _id");
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return fail(TRIT_ERROR_LOAD, "cannot open the weights file '" + path +
                                     "' (the model was compiled with "
                                     "--weights=external): " +
                                     std::strerror(errno));
  struct stat info {};
  fstat(fd, &info);
  size_t bytes = static_cast<size_t>(info.st_size);
  const int64_t dataBytes = size();
  if (dataBytes < 0 ||
      bytes < TRIT_WEIGHTS_HEADER_BYTES + static_cast<size_t>(dataBytes)) {
    close(fd);
    return fail(TRIT_ERROR_LOAD, "the weights file '" + path + "' " +
                                     trit::runtime::checkWeightsFile(
                                         nullptr, bytes, id(), dataBytes));
  }
  void *data = mmap(nullptr, bytes, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (data == MAP_FAILED)
    return fail(TRIT_ERROR_LOAD, "cannot map the weights file '" + path +
                                     "': " + std::strerror(errno));
  auto *header = static_cast<const unsigned char *>(data);
  std::string problem =
      trit::runtime::checkWeightsFile(header, bytes, id(), dataBytes);
  if (!problem.empty()) {
    munmap(data, bytes);
    return fail(TRIT_ERROR_LOAD, "the weights file '" + path + "' " + problem);
  }
  // A CUDA model reads its weights from device memory: one copy, made
  // here, for every model loaded from the library.
  using UploadFn = void *(const void *, int64_t);
  using StatusFn = const char *();
  if (auto *upload = reinterpret_cast<UploadFn *>(dlsym(handle, "trit_cuda_upload"))) {
    void *device = upload(header + TRIT_WEIGHTS_HEADER_BYTES, dataBytes);
    munmap(data, bytes);
    if (!device) {
      auto *status = reinterpret_cast<StatusFn *>(dlsym(handle, "trit_cuda_status"));
      const char *why = status ? status() : nullptr;
      return fail(TRIT_ERROR_LOAD, "cannot copy the weights file '" + path +
                                       "' to the GPU: " +
                                       (why ? why : "unknown CUDA error"));
    }
    weightsBindings[handle] = WeightsBinding{nullptr, 0, 1, device};
    m->bindsWeights = true;
    bind(device);
    return TRIT_OK;
  }
  weightsBindings[handle] = WeightsBinding{data, bytes, 1};
  m->bindsWeights = true;
  bind(header + TRIT_WEIGHTS_HEADER_BYTES);
  return TRIT_OK;
}

/// Drops `m`'s reference to its library's weights; unmaps them after the
/// last one.
void releaseWeights(trit_model *m) {
  if (!m->bindsWeights)
    return;
  std::lock_guard<std::mutex> lock(weightsMutex);
  auto it = weightsBindings.find(m->handle);
  if (it == weightsBindings.end() || --it->second.models > 0)
    return;
  if (it->second.device) {
    using FreeFn = void(void *);
    if (auto *free =
            reinterpret_cast<FreeFn *>(dlsym(m->handle, "trit_cuda_free")))
      free(it->second.device);
  } else {
    munmap(it->second.data, it->second.bytes);
  }
  weightsBindings.erase(it);
}

} // namespace

namespace {
/// A failed run-time check in a model (two sizes that must agree, see
/// trit-lower-asserts) calls onCheckFailed, which unwinds to the call that
/// entered the model (callModel) on the same thread. The checks sit in the
/// model's sequential entry code, never inside its OpenMP regions, so the
/// jump crosses only plain C frames of generated code; buffers that code
/// allocated before the check are not freed (an error path).
thread_local std::jmp_buf *checkUnwind = nullptr;
thread_local std::string checkMessage;

[[noreturn]] void onCheckFailed(const char *message, int64_t a, int64_t b) {
  checkMessage = message ? message : "a run-time check failed";
  if (a >= 0 || b >= 0)
    checkMessage += " (" + std::to_string(a) + " vs " + std::to_string(b) + ")";
  if (checkUnwind)
    std::longjmp(*checkUnwind, 1);
  // Not called from within callModel: nowhere to return the error to.
  std::fprintf(stderr, "trit: %s\n", checkMessage.c_str());
  std::abort();
}

/// Calls `enter` (a call into the model), returning the model's failed
/// run-time check as an error.
template <typename Enter>
trit_status callModel(const trit_model *model, Enter enter) {
  std::jmp_buf unwind;
  std::jmp_buf *outer = checkUnwind;
  checkUnwind = &unwind;
  if (setjmp(unwind) != 0) {
    checkUnwind = outer;
    return trit::runtime::fail(TRIT_ERROR_INVALID_ARGUMENT,
                               "'" + model->path + "': " + checkMessage);
  }
  enter();
  checkUnwind = outer;
  return TRIT_OK;
}

} // namespace

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
  auto *cached = reinterpret_cast<CachedFn *>(
      symbol("_mlir_ciface_trit_forward_cached"));
  if (!abi || !vocab || !context || (!forward && !cached)) {
    dlclose(handle);
    return fail(TRIT_ERROR_LOAD,
                std::string("'") + path +
                    "' is not a trit model library (it lacks "
                    "trit_compiled_abi_version, trit_compiled_vocab_size, "
                    "trit_compiled_context_length or trit_forward)");
  }
  // Models with run-time checks report failures through the runtime.
  using SetHandlerFn = void(void (*)(const char *, int64_t, int64_t));
  if (auto *setHandler = reinterpret_cast<SetHandlerFn *>(
          symbol("trit_set_check_handler")))
    setHandler(onCheckFailed);
  if (int32_t version = abi(); version != TRIT_MODEL_ABI_VERSION) {
    dlclose(handle);
    return fail(TRIT_ERROR_LOAD,
                std::string("'") + path + "' was compiled for model ABI " +
                    std::to_string(version) + ", this runtime takes ABI " +
                    std::to_string(TRIT_MODEL_ABI_VERSION) +
                    "; recompile it with a matching tritc");
  }
  // A model compiled for CUDA: its library loaded its kernels as it was
  // opened, through the CUDA driver if there is one.
  using CudaStatusFn = const char *();
  auto *cudaStatus =
      reinterpret_cast<CudaStatusFn *>(symbol("trit_cuda_status"));
  if (cudaStatus) {
    if (const char *problem = cudaStatus()) {
      std::string message = std::string("'") + path +
                            "' was compiled for CUDA (tritc --target=cuda) "
                            "and cannot run here: " +
                            problem;
      dlclose(handle);
      return fail(TRIT_ERROR_LOAD, message);
    }
  }
  // Generated code mallocs its activations and KV cache at every step.
  // glibc serves large blocks with mmap and trims freed heap memory, so
  // each step would page-fault its buffers in afresh (a fifth of decode
  // time on a 2B-4T-shaped layer): keep them in the heap instead.
  static bool mallocTuned = [] {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
  }();
  (void)mallocTuned;
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
  m->cached = cached;
  m->cuda = cudaStatus != nullptr;
  if (m->cuda)
    m->releaseCache =
        reinterpret_cast<void (*)(void *)>(symbol("trit_cuda_release"));
  if (cached)
    m->cachedLast = reinterpret_cast<CachedFn *>(
        symbol("_mlir_ciface_trit_forward_cached_last"));
  if (cached) {
    auto *tensors = reinterpret_cast<SizeFn *>(symbol("trit_compiled_kv_tensors"));
    auto *heads = reinterpret_cast<SizeFn *>(symbol("trit_compiled_kv_heads"));
    auto *headDim =
        reinterpret_cast<SizeFn *>(symbol("trit_compiled_kv_head_dim"));
    if (!tensors || !heads || !headDim || tensors() < 1 || heads() < 1 ||
        headDim() < 1) {
      trit_model_free(m);
      return fail(TRIT_ERROR_LOAD,
                  std::string("'") + path +
                      "' has trit_forward_cached but no valid "
                      "trit_compiled_kv_tensors, _kv_heads or _kv_head_dim");
    }
    m->kvTensors = tensors();
    m->kvHeads = heads();
    m->kvHeadDim = headDim();
  }
  if (auto *batch = reinterpret_cast<SizeFn *>(
          symbol("trit_compiled_static_batch")))
    m->staticBatch = batch();
  if (auto *sequence = reinterpret_cast<SizeFn *>(
          symbol("trit_compiled_static_sequence")))
    m->staticSequence = sequence();
  if (trit_status status = mapWeights(m, handle)) {
    trit_model_free(m);
    return status;
  }
  if (m->vocab <= 0 || m->context <= 0) {
    trit_model_free(m);
    return fail(TRIT_ERROR_LOAD, std::string("'") + path +
                                     "' reports an empty vocabulary or "
                                     "context");
  }
  *model = m;
  return TRIT_OK;
}

extern "C" const char *trit_model_target(const trit_model *model) {
  if (!model)
    return nullptr;
  return model->cuda ? "cuda" : "cpu";
}

extern "C" void trit_model_free(trit_model *model) {
  if (!model)
    return;
  releaseWeights(model);
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

namespace {

using trit::runtime::fail;

/// Checks ids [count] against the vocabulary; `row` numbers them for the
/// message ([b, t] of a batch).
trit_status checkIds(const trit_model *model, const int64_t *ids,
                     int64_t count, int64_t seq, int64_t firstPosition) {
  for (int64_t i = 0; i < count; ++i)
    if (ids[i] < 0 || ids[i] >= model->vocab)
      return fail(TRIT_ERROR_INVALID_ARGUMENT,
                  "token id " + std::to_string(ids[i]) + " at [" +
                      std::to_string(i / seq) + ", " +
                      std::to_string(firstPosition + i % seq) +
                      "] is out of range: the vocabulary has " +
                      std::to_string(model->vocab) + " tokens");
  return TRIT_OK;
}

trit_memref2_i64 idsDescriptor(const int64_t *ids, int64_t batch,
                               int64_t seq) {
  trit_memref2_i64 in{};
  in.allocated = in.aligned = const_cast<int64_t *>(ids);
  in.sizes[0] = batch;
  in.sizes[1] = seq;
  in.strides[0] = seq;
  in.strides[1] = 1;
  return in;
}

/// Copies logits [batch, seq, vocab] (any strides) to `out`, rows from
/// `firstRow` of each batch on; frees the model's buffer.
trit_status takeLogits(const trit_model *model, trit_memref3_f32 &result,
                       int64_t batch, int64_t seq, int64_t firstRow,
                       float *out) {
  if (!result.aligned || result.sizes[0] != batch || result.sizes[1] != seq ||
      result.sizes[2] != model->vocab) {
    std::free(result.allocated);
    return fail(TRIT_ERROR_LOAD, "'" + model->path +
                                     "' returned logits of an unexpected "
                                     "shape");
  }
  const float *base = result.aligned + result.offset;
  int64_t rows = seq - firstRow;
  if (out)
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t t = firstRow; t < seq; ++t)
        for (int64_t v = 0; v < model->vocab; ++v)
          out[(b * rows + t - firstRow) * model->vocab + v] =
              base[b * result.strides[0] + t * result.strides[1] +
                   v * result.strides[2]];
  std::free(result.allocated);
  return TRIT_OK;
}

/// Frees a KV cache that `model` returned: host memory, or device memory
/// of a CUDA model.
void releaseCache(const trit_model *model, const trit_memref5_f32 &cache) {
  if (model->releaseCache)
    model->releaseCache(cache.allocated);
  else
    std::free(cache.allocated);
}

/// Runs trit_forward_cached on ids [batch, seq] after `past` (null: an
/// empty cache); writes the logits to `logits` (if not null) and the
/// extended cache to `*present`, which the caller frees. With `lastOnly`
/// the logits are those of the last token ([batch, 1, vocab]), computed
/// alone where the model has trit_forward_cached_last.
trit_status runCached(trit_model *model, const int64_t *ids, int64_t batch,
                      int64_t seq, const trit_memref5_f32 *past,
                      float *logits, trit_memref5_f32 *present,
                      bool lastOnly = false) {
  static float emptyCache[1];
  trit_memref5_f32 in{};
  if (past) {
    in = *past;
  } else {
    in.allocated = in.aligned = emptyCache;
    int64_t sizes[5] = {model->kvTensors, batch, model->kvHeads, 0,
                        model->kvHeadDim};
    int64_t stride = 1;
    for (int d = 4; d >= 0; --d) {
      in.sizes[d] = sizes[d];
      in.strides[d] = stride;
      stride *= sizes[d];
    }
  }
  int64_t pastLength = in.sizes[3];
  trit_memref2_i64 idsIn = idsDescriptor(ids, batch, seq);
  trit_cached_result out{};
  bool last = lastOnly && model->cachedLast;
  if (trit_status status = callModel(model, [&] {
        (last ? model->cachedLast : model->cached)(&out, &idsIn, &in);
      }))
    return status;
  const trit_memref5_f32 &cache = out.cache;
  if (!cache.aligned || cache.sizes[0] != model->kvTensors ||
      cache.sizes[1] != batch || cache.sizes[2] != model->kvHeads ||
      cache.sizes[3] != pastLength + seq ||
      cache.sizes[4] != model->kvHeadDim) {
    std::free(out.logits.allocated);
    releaseCache(model, cache);
    return fail(TRIT_ERROR_LOAD, "'" + model->path +
                                     "' returned a KV cache of an unexpected "
                                     "shape");
  }
  *present = cache;
  // Logits rows [firstRow, rows) of what the model returned.
  int64_t rows = last ? 1 : seq;
  int64_t firstRow = lastOnly && !last ? seq - 1 : 0;
  if (trit_status status =
          takeLogits(model, out.logits, batch, rows, firstRow, logits)) {
    releaseCache(model, cache);
    return status;
  }
  return TRIT_OK;
}

} // namespace

extern "C" int trit_model_has_kv_cache(const trit_model *model) {
  return model && model->cached;
}

extern "C" trit_status trit_model_forward(trit_model *model,
                                          const int64_t *ids, int64_t batch,
                                          int64_t seq, float *logits) {
  // Sizes before pointers: an empty input often comes as an empty vector,
  // whose data() is null, and "null argument" would hide what is wrong.
  std::string shape =
      "[" + std::to_string(batch) + ", " + std::to_string(seq) + "]";
  if (batch == 0 || seq == 0)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                std::string("trit_model_forward: the ") +
                    (batch == 0 ? "batch is empty (ids " + shape +
                                      "): give at least one sequence"
                                : "sequence is empty (ids " + shape +
                                      "): give at least one token"));
  if (batch < 0 || seq < 0)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "trit_model_forward: batch and sequence length must be "
                "positive, got " +
                    shape);
  if (!model || !ids || !logits)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "trit_model_forward: null argument");
  if (seq > model->context)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "sequence of " + std::to_string(seq) +
                    " tokens is longer than the model's context of " +
                    std::to_string(model->context));
  // seq <= context, but batch is unbounded: its logits must be addressable.
  if (batch > INT64_MAX / seq / model->vocab)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "a batch of " + std::to_string(batch) + " sequences of " +
                    std::to_string(seq) +
                    " tokens has more logits than an int64 counts");
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
  if (trit_status status = checkIds(model, ids, batch * seq, seq, 0))
    return status;

  if (model->cached) {
    trit_memref5_f32 present{};
    trit_status status =
        runCached(model, ids, batch, seq, nullptr, logits, &present);
    if (status == TRIT_OK)
      releaseCache(model, present);
    return status;
  }
  trit_memref2_i64 in = idsDescriptor(ids, batch, seq);
  trit_memref3_f32 out{};
  if (trit_status status =
          callModel(model, [&] { model->forward(&out, &in); }))
    return status;
  return takeLogits(model, out, batch, seq, 0, logits);
}

extern "C" trit_status trit_session_create(trit_model *model,
                                           trit_session **session) {
  if (!model || !session)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "trit_session_create: null argument");
  *session = new trit_session;
  (*session)->model = model;
  return TRIT_OK;
}

extern "C" void trit_session_free(trit_session *session) {
  if (!session)
    return;
  if (session->hasCache)
    releaseCache(session->model, session->cache);
  delete session;
}

extern "C" int64_t trit_session_length(const trit_session *session) {
  return session ? static_cast<int64_t>(session->tokens.size()) : 0;
}

namespace {
/// trit_session_append; with `lastOnly`, `logits` gets the last new
/// token's row only.
trit_status appendTokens(trit_session *session, const int64_t *ids,
                         int64_t count, float *logits, bool lastOnly) {
  if (count < 1)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "trit_session_append: append at least one token");
  if (!session || !ids)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "trit_session_append: null argument");
  trit_model *model = session->model;
  int64_t length = static_cast<int64_t>(session->tokens.size());
  if (length + count > model->context)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "the sequence would grow to " +
                    std::to_string(length + count) +
                    " tokens, longer than the model's context of " +
                    std::to_string(model->context));
  if (trit_status status = checkIds(model, ids, count, count, length))
    return status;

  if (model->cached) {
    trit_memref5_f32 present{};
    if (trit_status status =
            runCached(model, ids, 1, count,
                      session->hasCache ? &session->cache : nullptr, logits,
                      &present, lastOnly))
      return status;
    if (session->hasCache)
      releaseCache(model, session->cache);
    session->cache = present;
    session->hasCache = true;
    session->tokens.insert(session->tokens.end(), ids, ids + count);
    return TRIT_OK;
  }
  // No cache: run the whole sequence, keep the new rows.
  std::vector<int64_t> all(session->tokens);
  all.insert(all.end(), ids, ids + count);
  int64_t seq = static_cast<int64_t>(all.size());
  std::vector<float> rows(seq * model->vocab);
  if (trit_status status =
          trit_model_forward(model, all.data(), 1, seq, rows.data()))
    return status;
  if (logits)
    std::copy(rows.begin() + (lastOnly ? seq - 1 : length) * model->vocab,
              rows.end(), logits);
  session->tokens = std::move(all);
  return TRIT_OK;
}
} // namespace

extern "C" trit_status trit_session_append(trit_session *session,
                                           const int64_t *ids, int64_t count,
                                           float *logits) {
  return appendTokens(session, ids, count, logits, /*lastOnly=*/false);
}

extern "C" trit_status trit_generate(trit_model *model, const int64_t *prompt,
                                     int64_t promptLen, int64_t maxNew,
                                     const trit_sampling *sampling,
                                     int64_t *outIds, int64_t *generated,
                                     trit_timing *timing) {
  return trit_generate_stream(model, prompt, promptLen, maxNew, sampling,
                              outIds, generated, timing, nullptr, nullptr);
}

extern "C" trit_status
trit_generate_stream(trit_model *model, const int64_t *prompt,
                     int64_t promptLen, int64_t maxNew,
                     const trit_sampling *sampling, int64_t *outIds,
                     int64_t *generated, trit_timing *timing,
                     trit_token_callback onToken, void *userData) {
  if (!model || !sampling || (!outIds && maxNew > 0) || !generated)
    return fail(TRIT_ERROR_INVALID_ARGUMENT, "trit_generate: null argument");
  *generated = 0;
  // The length before the prompt's pointer, as in trit_model_forward.
  if (promptLen < 1)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                promptLen == 0 ? std::string("trit_generate: the prompt is "
                                             "empty: give at least one token")
                               : "trit_generate: the prompt's length is " +
                                     std::to_string(promptLen));
  if (maxNew < 0)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "trit_generate: max_new must not be negative, got " +
                    std::to_string(maxNew));
  if (!prompt)
    return fail(TRIT_ERROR_INVALID_ARGUMENT, "trit_generate: null argument");
  if (promptLen + maxNew > model->context)
    return fail(TRIT_ERROR_INVALID_ARGUMENT,
                "prompt of " + std::to_string(promptLen) + " tokens plus " +
                    std::to_string(maxNew) +
                    " new ones is longer than the model's context of " +
                    std::to_string(model->context) + " (at most " +
                    std::to_string(model->context - promptLen) +
                    " new tokens fit)");

  trit_session *session = nullptr;
  if (trit_status status = trit_session_create(model, &session))
    return status;
  // The last token's logits are all that sampling needs.
  std::vector<float> logits(model->vocab);
  uint64_t rng = sampling->seed;
  trit_timing local{};
  local.prompt_tokens = promptLen;
  using Clock = std::chrono::steady_clock;
  const int64_t *feed = prompt;
  int64_t feedCount = promptLen;
  for (int64_t step = 0; step < maxNew; ++step) {
    auto start = Clock::now();
    if (trit_status status = appendTokens(session, feed, feedCount,
                                          logits.data(), /*lastOnly=*/true)) {
      trit_session_free(session);
      return status;
    }
    double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    (step == 0 ? local.prefill_seconds : local.decode_seconds) += seconds;
    int64_t next =
        trit_sample(logits.data(), model->vocab, sampling, &rng);
    if (next < 0) {
      trit_session_free(session);
      return TRIT_ERROR_INVALID_ARGUMENT;
    }
    outIds[step] = next;
    *generated = step + 1;
    // The token is reported before the model sees it: a caller that stops
    // here (at an end-of-sequence token) spends no step on it.
    if (onToken && onToken(next, step, userData))
      break;
    feed = &outIds[step];
    feedCount = 1;
  }
  trit_session_free(session);
  local.generated_tokens = *generated;
  if (timing)
    *timing = local;
  return TRIT_OK;
}
