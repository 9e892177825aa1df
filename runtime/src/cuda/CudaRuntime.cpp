//===- CudaRuntime.cpp - the CUDA backend of the runtime --------*- C++ -*-===//
//
// What MLIR's GPU lowering (gpu-to-llvm and the gpu.binary translation) calls
// from a model compiled with --target=cuda: modules, launches, one stream,
// events and a caching allocator, over the CUDA driver API. libcuda.so.1 is
// opened with dlopen at first use, so that the build needs no CUDA SDK and a
// model library still loads, and reports why it cannot run, on a machine
// without a driver or a GPU. Plain C++: no MLIR, no LLVM.
//
// Errors: the first one is kept for trit_cuda_status. Module loads run in the
// model library's global constructors and return NULL; a failure during a
// forward pass calls the model's __trit_check_failed, which unwinds to the
// runtime's API call (see trit-lower-asserts).
//
//===----------------------------------------------------------------------===//

#include "CudaRuntime.h"

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

/// Defined (hidden) by generated code in the model library when it has
/// run-time checks; does not return. Null when absent: then we abort.
extern "C" __attribute__((weak, visibility("hidden"))) void
__trit_check_failed(const char *message, int64_t a, int64_t b);

namespace {

// The few types and constants of cuda.h we need; the build has no CUDA SDK.
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
using CUevent = struct CUevent_st *;

constexpr CUresult kSuccess = 0;
constexpr CUresult kErrorOutOfMemory = 2;
constexpr CUresult kErrorDeinitialized = 4;
constexpr CUresult kErrorNotReady = 600;
constexpr unsigned kStreamNonBlocking = 0x1;
constexpr unsigned kEventDefault = 0x0; ///< Timing enabled.
constexpr unsigned kEventDisableTiming = 0x2;
constexpr int kPointerAttributeMemoryType = 2; // CU_POINTER_ATTRIBUTE_ME...
constexpr unsigned kMemoryTypeDevice = 2;      // CU_MEMORYTYPE_DEVICE
constexpr int kJitErrorLogBuffer = 5;         // CU_JIT_ERROR_LOG_BUFFER
constexpr int kJitErrorLogBufferBytes = 6;    // ..._LOG_BUFFER_SIZE_BYTES
constexpr int kJitOptimizationLevel = 7;      // CU_JIT_OPTIMIZATION_LEVEL
constexpr int kFuncMaxDynamicSharedBytes = 8; // CU_FUNC_ATTRIBUTE_MAX_DYN...
constexpr int32_t kDefaultSharedBytes = 48 * 1024;
/// Allocation granule: every block is a multiple, so that sizes that differ
/// by a few bytes share the cache.
constexpr size_t kGranule = 256;

/// The driver's entry points, resolved with dlsym (the _v2 names where the
/// driver exports both).
struct Driver {
  CUresult (*init)(unsigned);
  CUresult (*deviceGetCount)(int *);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*deviceGetName)(char *, int, CUdevice);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*getErrorName)(CUresult, const char **);
  CUresult (*getErrorString)(CUresult, const char **);
  CUresult (*moduleLoadData)(CUmodule *, const void *);
  CUresult (*moduleLoadDataEx)(CUmodule *, const void *, unsigned, int *,
                               void **);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*funcSetAttribute)(CUfunction, int, int);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*streamCreate)(CUstream *, unsigned);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*streamWaitEvent)(CUstream, CUevent, unsigned);
  CUresult (*eventCreate)(CUevent *, unsigned);
  CUresult (*eventDestroy)(CUevent);
  CUresult (*eventSynchronize)(CUevent);
  CUresult (*eventRecord)(CUevent, CUstream);
  CUresult (*eventQuery)(CUevent);
  CUresult (*eventElapsedTime)(float *, CUevent, CUevent);
  CUresult (*pointerGetAttribute)(void *, int, CUdeviceptr);
  CUresult (*memAlloc)(CUdeviceptr *, size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream);
  CUresult (*memsetD32Async)(CUdeviceptr, unsigned, size_t, CUstream);
  CUresult (*memsetD16Async)(CUdeviceptr, unsigned short, size_t, CUstream);
};

/// Everything the backend keeps. Created on first use and never destroyed:
/// the model's module constructors (priority 123) run before this file's
/// ordinary static initializers, and its destructors may run after them.
struct State {
  std::once_flag initOnce;
  Driver driver{};
  bool driverLoaded = false; ///< cuGetErrorName is usable.
  bool ready = false;        ///< Initialization succeeded.
  CUcontext context = nullptr;
  /// The one stream every launch and copy goes to: stream order is what
  /// makes the allocator's reuse of freed blocks safe.
  CUstream stream = nullptr;
  std::string deviceName;

  std::mutex errorMutex;
  std::atomic<bool> failed{false};
  std::string firstError; ///< Written once, before `failed` is set.

  std::mutex memoryMutex;
  std::unordered_map<CUdeviceptr, size_t> liveBlocks; ///< mgpuMemAlloc's.
  std::unordered_map<size_t, std::vector<CUdeviceptr>> freeBlocks;

  /// mgpuModuleGetFunction's answers: generated code asks before every
  /// launch, and the driver's lookup takes a lock and compares names. Keyed
  /// by (module, name pointer), the name being a constant string of the
  /// model; the name is kept too, so that a reused pointer cannot match.
  struct KernelKeyHash {
    size_t operator()(const std::pair<const void *, const char *> &k) const {
      return std::hash<const void *>()(k.first) * 31 +
             std::hash<const void *>()(k.second);
    }
  };
  std::shared_mutex kernelMutex;
  std::unordered_map<std::pair<const void *, const char *>,
                     std::pair<CUfunction, std::string>, KernelKeyHash>
      kernels;
};

State &state() {
  static State *s = new State;
  return *s;
}

/// TRIT_CUDA_PROFILE=1: every launch and copy is timed on the GPU, between
/// two events recorded on the stream around it, and a table by kernel goes
/// to stderr at exit. Nothing waits for the events when they are recorded:
/// they are read when the runtime synchronizes anyway (or the list of
/// pending ones grows long), so the figures are the kernels' own time, not
/// launch latency, and the run keeps its speed.
struct Profile {
  /// A launch or copy whose events the GPU may not have reached yet.
  struct Pending {
    CUevent start, end;
    const void *function; ///< The kernel; null for a copy.
    int copyKind;         ///< kCopyKinds' index of a copy.
    intptr_t dims[6];     ///< grid x block; dims[0] is a copy's bytes.
    double hostSeconds;   ///< In cuLaunchKernel or cuMemcpyAsync.
  };
  struct Entry {
    int64_t calls = 0;
    double seconds = 0;
    std::string shape; ///< grid x block (or bytes) of the last call
  };
  std::mutex mutex;
  std::unordered_map<const void *, std::string> names; ///< CUfunction -> name
  std::unordered_map<std::string, Entry> entries;
  std::vector<Pending> pending;
  std::vector<CUevent> idleEvents; ///< Read, to be recorded again.
  int64_t launches = 0;
  double kernelSeconds = 0;     ///< On the GPU.
  double launchHostSeconds = 0; ///< In cuLaunchKernel: the API's overhead.
  int64_t copies[4] = {};
  uint64_t copyBytes[4] = {};
  double copySeconds = 0;
};

/// By the memory type of source and destination: (src is device) * 2 +
/// (dst is device).
const char *const kCopyKinds[4] = {"host to host", "host to device",
                                   "device to host", "device to device"};

/// Pending events beyond this many are waited for (once) and read: each
/// pair holds driver resources until then.
constexpr size_t kMaxPending = 4096;

/// Non-null under TRIT_CUDA_PROFILE; set by initialize(), which every entry
/// point runs first, and read with no lock: the unprofiled path is one
/// branch on it.
Profile *profiler = nullptr;

void printProfile();

double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// trit_cuda_set_device's choice; constant-initialized, so usable at any time.
std::atomic<int> requestedDevice{0};

void record(const std::string &message) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.errorMutex);
  if (s.failed.load(std::memory_order_relaxed))
    return;
  s.firstError = message;
  s.failed.store(true, std::memory_order_release);
}

const char *firstError() {
  State &s = state();
  return s.failed.load(std::memory_order_acquire) ? s.firstError.c_str()
                                                  : nullptr;
}

/// "CUDA: <what> failed: CUDA_ERROR_X: <the driver's explanation>".
std::string describe(const char *what, CUresult result) {
  const Driver &d = state().driver;
  const char *name = nullptr, *text = nullptr;
  if (state().driverLoaded) {
    d.getErrorName(result, &name);
    d.getErrorString(result, &text);
  }
  std::string message = std::string("CUDA: ") + what + " failed: ";
  message += name ? name : "error " + std::to_string(result);
  if (text)
    message += std::string(": ") + text;
  return message;
}

/// A failure inside a forward pass: recorded, then handed to the model's
/// check handler, which does not return.
[[noreturn]] void failInForwardPass(std::string message) {
  record(message);
  // Outlives the unwind: the handler copies it after longjmp's target runs.
  static thread_local std::string pending;
  pending = std::move(message);
  if (__trit_check_failed)
    __trit_check_failed(pending.c_str(), -1, -1);
  std::fprintf(stderr, "trit: %s\n", pending.c_str());
  std::abort();
}

template <typename Fn>
void resolve(void *library, const char *name, Fn *&fn, std::string &missing) {
  fn = reinterpret_cast<Fn *>(dlsym(library, name));
  if (!fn && missing.empty())
    missing = name;
}

/// Loads the driver, picks the device, retains its primary context and
/// creates the stream. Runs once; on failure records why and leaves
/// `ready` false for good.
void initialize() {
  State &s = state();
  int device = requestedDevice.load();
  const char *deviceSource = "trit_cuda_set_device";
  if (const char *env = std::getenv("TRIT_CUDA_DEVICE")) {
    char *end = nullptr;
    errno = 0;
    long value = std::strtol(env, &end, 10);
    if (*env == '\0' || *end != '\0' || errno != 0 || value < 0 ||
        value > INT_MAX)
      return record(std::string("CUDA: TRIT_CUDA_DEVICE='") + env +
                    "' is not a device index (an integer >= 0)");
    device = static_cast<int>(value);
    deviceSource = "TRIT_CUDA_DEVICE";
  }
  if (device < 0)
    return record("CUDA: device " + std::to_string(device) + " (from " +
                  deviceSource + ") is not a device index");

  // Never closed: kernels and the context live until the process ends.
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return record(std::string("CUDA: cannot load libcuda.so.1 (no NVIDIA "
                              "driver on this machine): ") +
                  dlerror());
  Driver &d = s.driver;
  std::string missing;
  resolve(library, "cuGetErrorName", d.getErrorName, missing);
  resolve(library, "cuGetErrorString", d.getErrorString, missing);
  resolve(library, "cuInit", d.init, missing);
  resolve(library, "cuDeviceGetCount", d.deviceGetCount, missing);
  resolve(library, "cuDeviceGet", d.deviceGet, missing);
  resolve(library, "cuDeviceGetName", d.deviceGetName, missing);
  resolve(library, "cuDevicePrimaryCtxRetain", d.primaryCtxRetain, missing);
  resolve(library, "cuCtxSetCurrent", d.ctxSetCurrent, missing);
  resolve(library, "cuModuleLoadData", d.moduleLoadData, missing);
  resolve(library, "cuModuleLoadDataEx", d.moduleLoadDataEx, missing);
  resolve(library, "cuModuleUnload", d.moduleUnload, missing);
  resolve(library, "cuModuleGetFunction", d.moduleGetFunction, missing);
  resolve(library, "cuFuncSetAttribute", d.funcSetAttribute, missing);
  resolve(library, "cuLaunchKernel", d.launchKernel, missing);
  resolve(library, "cuStreamCreate", d.streamCreate, missing);
  resolve(library, "cuStreamSynchronize", d.streamSynchronize, missing);
  resolve(library, "cuStreamWaitEvent", d.streamWaitEvent, missing);
  resolve(library, "cuEventCreate", d.eventCreate, missing);
  resolve(library, "cuEventDestroy_v2", d.eventDestroy, missing);
  resolve(library, "cuEventSynchronize", d.eventSynchronize, missing);
  resolve(library, "cuEventRecord", d.eventRecord, missing);
  resolve(library, "cuEventQuery", d.eventQuery, missing);
  resolve(library, "cuEventElapsedTime", d.eventElapsedTime, missing);
  resolve(library, "cuPointerGetAttribute", d.pointerGetAttribute, missing);
  resolve(library, "cuMemAlloc_v2", d.memAlloc, missing);
  resolve(library, "cuMemFree_v2", d.memFree, missing);
  resolve(library, "cuMemcpyAsync", d.memcpyAsync, missing);
  resolve(library, "cuMemsetD32Async", d.memsetD32Async, missing);
  resolve(library, "cuMemsetD16Async", d.memsetD16Async, missing);
  if (!missing.empty())
    return record("CUDA: libcuda.so.1 has no " + missing +
                  " (the NVIDIA driver is too old)");
  s.driverLoaded = true;

  if (CUresult r = d.init(0))
    return record(describe("cuInit", r));
  int count = 0;
  if (CUresult r = d.deviceGetCount(&count))
    return record(describe("cuDeviceGetCount", r));
  if (count == 0)
    return record("CUDA: no CUDA device (cuDeviceGetCount: 0)");
  if (device >= count)
    return record("CUDA: device " + std::to_string(device) + " (from " +
                  deviceSource + ") does not exist: " +
                  std::to_string(count) + " device(s)");
  CUdevice handle = 0;
  if (CUresult r = d.deviceGet(&handle, device))
    return record(describe("cuDeviceGet", r));
  char name[256] = {};
  if (CUresult r = d.deviceGetName(name, sizeof(name) - 1, handle))
    return record(describe("cuDeviceGetName", r));
  s.deviceName = name;
  if (CUresult r = d.primaryCtxRetain(&s.context, handle))
    return record(describe("cuDevicePrimaryCtxRetain", r));
  if (CUresult r = d.ctxSetCurrent(s.context))
    return record(describe("cuCtxSetCurrent", r));
  // Non-blocking: no implicit synchronization with the legacy default
  // stream that other CUDA code in the process may use.
  if (CUresult r = d.streamCreate(&s.stream, kStreamNonBlocking))
    return record(describe("cuStreamCreate", r));
  s.ready = true;
  const char *profile = std::getenv("TRIT_CUDA_PROFILE");
  if (profile && *profile && std::string(profile) != "0") {
    profiler = new Profile;
    std::atexit(printProfile);
  }
}

/// Initializes once and makes the primary context current on this thread.
/// On failure returns the reason (the first error, or this thread's).
const char *ensureContext() {
  State &s = state();
  std::call_once(s.initOnce, initialize);
  if (!s.ready)
    return firstError();
  static thread_local bool current = false;
  if (!current) {
    if (CUresult r = s.driver.ctxSetCurrent(s.context)) {
      static thread_local std::string reason;
      reason = describe("cuCtxSetCurrent", r);
      record(reason);
      return reason.c_str();
    }
    current = true;
  }
  return nullptr;
}

/// ensureContext for the entry points a forward pass calls.
const Driver &requireContext() {
  if (const char *error = ensureContext())
    failInForwardPass(error);
  return state().driver;
}

/// Generated code passes the stream mgpuStreamCreate gave it; a null one
/// would be the legacy stream, unordered with ours.
CUstream streamOf(void *stream) {
  return stream ? static_cast<CUstream>(stream) : state().stream;
}

CUdeviceptr devicePointer(const void *ptr) {
  return reinterpret_cast<CUdeviceptr>(ptr);
}

/// cuMemAlloc; when the device is full, returns the cached blocks to the
/// driver and tries once more. Called with memoryMutex held.
CUresult allocateLocked(State &s, size_t bytes, CUdeviceptr *ptr) {
  CUresult r = s.driver.memAlloc(ptr, bytes);
  if (r != kErrorOutOfMemory || s.freeBlocks.empty())
    return r;
  // Queued work may still use a cached block (it was freed in stream
  // order, not yet in time).
  if (CUresult sync = s.driver.streamSynchronize(s.stream))
    return sync;
  for (auto &sized : s.freeBlocks)
    for (CUdeviceptr block : sized.second)
      s.driver.memFree(block);
  s.freeBlocks.clear();
  return s.driver.memAlloc(ptr, bytes);
}

/// Sizes round up to a size class: a multiple of the granule and of a
/// quarter of the largest power of two below the size, so that four
/// classes span each doubling (at most 25 % unused). Buffers that grow a
/// little at every step (the KV cache) then reuse their cached block for
/// many steps instead of calling cuMemAlloc, which synchronizes, each time.
/// 0 bytes gets a block of its own too.
bool roundUp(uint64_t bytes, size_t *rounded) {
  if (bytes > SIZE_MAX / 2)
    return false;
  if (bytes <= kGranule) {
    *rounded = kGranule;
    return true;
  }
  size_t power = size_t(1) << (63 - __builtin_clzll(bytes));
  size_t step = std::max(kGranule, power / 4);
  *rounded = (bytes + step - 1) / step * step;
  return true;
}

/// Hands a block mgpuMemAlloc returned back to the cache; false if `ptr` is
/// no such block. Reused by a later mgpuMemAlloc, whose users come later on
/// the one stream than every queued user of this block: no synchronization.
bool releaseBlock(const void *ptr) {
  State &s = state();
  std::lock_guard<std::mutex> lock(s.memoryMutex);
  auto live = s.liveBlocks.find(devicePointer(ptr));
  if (live == s.liveBlocks.end())
    return false;
  s.freeBlocks[live->second].push_back(live->first);
  s.liveBlocks.erase(live);
  return true;
}

/// Adds a finished launch or copy to its row and the totals. Called with
/// the profile's mutex held.
void account(Profile &p, const Profile::Pending &work, double seconds) {
  std::string key, shape;
  if (work.function) {
    auto known = p.names.find(work.function);
    key = known == p.names.end() ? "?" : known->second;
    const intptr_t *d = work.dims;
    shape = std::to_string(d[0]) + "x" + std::to_string(d[1]) + "x" +
            std::to_string(d[2]) + " " + std::to_string(d[3]) + "x" +
            std::to_string(d[4]) + "x" + std::to_string(d[5]);
    ++p.launches;
    p.kernelSeconds += seconds;
    p.launchHostSeconds += work.hostSeconds;
  } else {
    key = std::string("(memcpy ") + kCopyKinds[work.copyKind] + ")";
    shape = std::to_string(work.dims[0]) + " bytes";
    ++p.copies[work.copyKind];
    p.copyBytes[work.copyKind] += work.dims[0];
    p.copySeconds += seconds;
  }
  Profile::Entry &e = p.entries[key];
  ++e.calls;
  e.seconds += seconds;
  e.shape = std::move(shape);
}

/// Reads the events the GPU has passed and returns them to the pool; the
/// others (work another thread queued since) stay pending. A failed query
/// (the stream hit an error, which its synchronization reports) counts the
/// work with no time.
void resolvePending(Profile &p) {
  const Driver &d = state().driver;
  std::lock_guard<std::mutex> lock(p.mutex);
  size_t kept = 0;
  for (const Profile::Pending &work : p.pending) {
    CUresult r = d.eventQuery(work.end);
    if (r == kErrorNotReady) {
      p.pending[kept++] = work;
      continue;
    }
    float ms = 0;
    if (!r)
      r = d.eventElapsedTime(&ms, work.start, work.end);
    account(p, work, r ? 0 : ms * 1e-3);
    p.idleEvents.push_back(work.start);
    p.idleEvents.push_back(work.end);
  }
  p.pending.resize(kept);
}

/// Runs `work` (a launch or copy that fails the forward pass itself)
/// between two timing events on `stream` and adds it to the pending list.
/// Waits only when that list is full.
template <typename Work>
void timeWork(Profile &p, CUstream stream, Profile::Pending pending,
              Work work) {
  const Driver &d = state().driver;
  CUevent events[2] = {nullptr, nullptr};
  {
    std::lock_guard<std::mutex> lock(p.mutex);
    for (CUevent &event : events)
      if (!p.idleEvents.empty()) {
        event = p.idleEvents.back();
        p.idleEvents.pop_back();
      }
  }
  for (CUevent &event : events)
    if (!event)
      if (CUresult r = d.eventCreate(&event, kEventDefault))
        failInForwardPass(describe("cuEventCreate (profile)", r));
  // A failure below unwinds and leaks these two events: the run is over.
  if (CUresult r = d.eventRecord(events[0], stream))
    failInForwardPass(describe("cuEventRecord (profile)", r));
  double start = now();
  work();
  pending.hostSeconds = now() - start;
  if (CUresult r = d.eventRecord(events[1], stream))
    failInForwardPass(describe("cuEventRecord (profile)", r));
  pending.start = events[0];
  pending.end = events[1];
  bool full;
  {
    // Only once both are recorded: an event never recorded reads as done.
    std::lock_guard<std::mutex> lock(p.mutex);
    p.pending.push_back(pending);
    full = p.pending.size() > kMaxPending;
  }
  if (full) {
    if (CUresult r = d.eventSynchronize(events[1]))
      failInForwardPass(describe("cuEventSynchronize (profile)", r));
    resolvePending(p);
  }
}

/// Whether cuPointerGetAttribute knows `ptr` as device memory; pageable
/// host memory is unknown to it (an error), pinned memory is host memory.
bool isDeviceMemory(const void *ptr) {
  unsigned type = 0;
  return state().driver.pointerGetAttribute(&type, kPointerAttributeMemoryType,
                                            devicePointer(ptr)) == kSuccess &&
         type == kMemoryTypeDevice;
}

/// At exit: waits for the queued work, reads its events and prints the
/// totals, then a row per kernel (and copy direction), the costliest first.
void printProfile() {
  Profile *p = profiler;
  if (!p)
    return;
  State &s = state();
  // The driver may be shut down already; then the pending work is untimed.
  if (!ensureContext() && !s.driver.streamSynchronize(s.stream))
    resolvePending(*p);
  std::lock_guard<std::mutex> lock(p->mutex);
  std::vector<std::pair<std::string, Profile::Entry>> rows(p->entries.begin(),
                                                          p->entries.end());
  std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
    return a.second.seconds > b.second.seconds;
  });
  // The totals first: scripts show the table's head.
  std::fprintf(stderr,
               "trit CUDA profile: %.3f ms of GPU time in %zu kinds of work "
               "(events around each launch and copy, no synchronization)\n",
               (p->kernelSeconds + p->copySeconds) * 1e3, rows.size());
  // GPU time well below the host's time in cuLaunchKernel: the step is
  // bound by launch overhead, not by the kernels.
  std::fprintf(stderr,
               "  kernels: %lld launches, %.3f ms on the GPU, %.3f ms of host "
               "time in cuLaunchKernel (%.1f us each)\n",
               static_cast<long long>(p->launches), p->kernelSeconds * 1e3,
               p->launchHostSeconds * 1e3,
               p->launches ? p->launchHostSeconds * 1e6 / p->launches : 0.0);
  int64_t copies = 0;
  for (int64_t count : p->copies)
    copies += count;
  std::fprintf(stderr, "  copies: %lld, %.3f ms on the GPU",
               static_cast<long long>(copies), p->copySeconds * 1e3);
  for (int kind : {1, 2, 3, 0})
    if (kind || p->copies[kind])
      std::fprintf(stderr, "; %s %lld (%llu bytes)", kCopyKinds[kind],
                   static_cast<long long>(p->copies[kind]),
                   static_cast<unsigned long long>(p->copyBytes[kind]));
  std::fprintf(stderr, "\n");
  if (!p->pending.empty())
    std::fprintf(stderr,
                 "  untimed: %zu launches and copies (the stream did not "
                 "finish at exit)\n",
                 p->pending.size());
  std::fprintf(stderr, "  %10s %8s %10s  %-22s %s\n", "total ms", "calls",
               "us each", "grid x block/bytes", "kernel");
  for (const auto &[name, e] : rows)
    std::fprintf(stderr, "  %10.3f %8lld %10.1f  %-22s %s\n", e.seconds * 1e3,
                 static_cast<long long>(e.calls), e.seconds * 1e6 / e.calls,
                 e.shape.c_str(), name.c_str());
}

} // namespace

//===----------------------------------------------------------------------===//
// The runtime's side
//===----------------------------------------------------------------------===//

extern "C" const char *trit_cuda_status(void) {
  ensureContext();
  return firstError();
}

extern "C" void *trit_cuda_upload(const void *host, int64_t bytes) {
  if (ensureContext())
    return nullptr;
  size_t size = 0;
  if (bytes < 0 || (bytes > 0 && !host) ||
      !roundUp(static_cast<uint64_t>(bytes), &size)) {
    record("CUDA: trit_cuda_upload: bad buffer (" + std::to_string(bytes) +
           " bytes)");
    return nullptr;
  }
  State &s = state();
  CUdeviceptr ptr = 0;
  CUresult r;
  {
    std::lock_guard<std::mutex> lock(s.memoryMutex);
    r = allocateLocked(s, size, &ptr);
  }
  if (r) {
    record(describe("cuMemAlloc", r) + " (" + std::to_string(size) +
           " bytes of weights)");
    return nullptr;
  }
  // On our stream, then waited for: ordered before every later launch, and
  // the host buffer is free to go when this returns.
  if (bytes > 0) {
    r = s.driver.memcpyAsync(ptr, devicePointer(host), bytes, s.stream);
    if (!r)
      r = s.driver.streamSynchronize(s.stream);
  }
  if (r) {
    record(describe("cuMemcpyAsync (upload)", r));
    s.driver.memFree(ptr);
    return nullptr;
  }
  return reinterpret_cast<void *>(ptr);
}

extern "C" void trit_cuda_free(void *device) {
  if (!device || ensureContext())
    return;
  State &s = state();
  // Work still queued may read it.
  CUresult r = s.driver.streamSynchronize(s.stream);
  if (!r) {
    if (Profile *p = profiler)
      resolvePending(*p);
    r = s.driver.memFree(devicePointer(device));
  }
  if (r && r != kErrorDeinitialized)
    record(describe("cuMemFree", r));
}

extern "C" void trit_cuda_release(void *device) {
  // Without a driver nothing was allocated, and the status says why.
  if (!device || ensureContext())
    return;
  // Not a forward pass: no check handler to unwind to.
  if (!releaseBlock(device))
    record("CUDA: trit_cuda_release: a pointer mgpuMemAlloc did not return");
}

extern "C" void trit_cuda_set_device(int device) {
  requestedDevice.store(device);
}

extern "C" const char *trit_cuda_device_name(void) {
  if (ensureContext())
    return nullptr;
  return state().deviceName.c_str();
}

//===----------------------------------------------------------------------===//
// MLIR's GPU runtime ABI
//===----------------------------------------------------------------------===//

extern "C" void *mgpuModuleLoad(void *data, size_t /*gpuBlobSize*/) {
  if (ensureContext())
    return nullptr;
  CUmodule module = nullptr;
  // cubin, fatbin (the driver picks the image for its GPU) or PTX alike.
  if (CUresult r = state().driver.moduleLoadData(&module, data)) {
    record(describe("cuModuleLoadData", r));
    return nullptr;
  }
  return module;
}

extern "C" void *mgpuModuleLoadJIT(void *data, int optLevel) {
  if (ensureContext())
    return nullptr;
  char log[4096] = {};
  int options[] = {kJitErrorLogBuffer, kJitErrorLogBufferBytes,
                   kJitOptimizationLevel};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log) - 1),
                    reinterpret_cast<void *>(
                        static_cast<intptr_t>(optLevel < 0   ? 0
                                              : optLevel > 4 ? 4
                                                             : optLevel))};
  CUmodule module = nullptr;
  if (CUresult r = state().driver.moduleLoadDataEx(&module, data, 3, options,
                                                    values)) {
    std::string message = describe("cuModuleLoadDataEx (PTX JIT)", r);
    if (log[0])
      message += std::string(": ") + log;
    record(message);
    return nullptr;
  }
  return module;
}

extern "C" void mgpuModuleUnload(void *module) {
  // Runs in the model library's destructors, maybe as the process ends and
  // the driver is already shut down: that is no error.
  if (!module)
    return;
  State &s = state();
  {
    // A module loaded later may get the same address.
    std::unique_lock<std::shared_mutex> lock(s.kernelMutex);
    for (auto it = s.kernels.begin(); it != s.kernels.end();)
      it = it->first.first == module ? s.kernels.erase(it) : std::next(it);
  }
  if (ensureContext())
    return;
  CUresult r = s.driver.moduleUnload(static_cast<CUmodule>(module));
  if (r && r != kErrorDeinitialized)
    record(describe("cuModuleUnload", r));
}

extern "C" void *mgpuModuleGetFunction(void *module, const char *name) {
  const Driver &d = requireContext();
  if (!module) {
    const char *why = firstError();
    failInForwardPass(std::string("CUDA: kernel '") + name +
                      "': its module did not load" +
                      (why ? std::string(" (") + why + ")" : ""));
  }
  State &s = state();
  std::pair<const void *, const char *> key(module, name);
  {
    std::shared_lock<std::shared_mutex> lock(s.kernelMutex);
    auto cached = s.kernels.find(key);
    if (cached != s.kernels.end() && cached->second.second == name)
      return cached->second.first;
  }
  CUfunction function = nullptr;
  if (CUresult r = d.moduleGetFunction(&function,
                                       static_cast<CUmodule>(module), name))
    failInForwardPass(describe("cuModuleGetFunction", r) + " for kernel '" +
                      name + "'");
  {
    std::unique_lock<std::shared_mutex> lock(s.kernelMutex);
    s.kernels.insert_or_assign(key,
                               std::make_pair(function, std::string(name)));
  }
  if (Profile *p = profiler) {
    std::lock_guard<std::mutex> lock(p->mutex);
    p->names.insert_or_assign(function, name);
  }
  return function;
}

extern "C" void mgpuLaunchKernel(void *function, intptr_t gridX,
                                 intptr_t gridY, intptr_t gridZ,
                                 intptr_t blockX, intptr_t blockY,
                                 intptr_t blockZ, int32_t smem, void *stream,
                                 void **params, void **extra,
                                 size_t /*paramsCount*/) {
  intptr_t dims[] = {gridX, gridY, gridZ, blockX, blockY, blockZ};
  for (intptr_t dim : dims)
    if (dim == 0)
      return; // A loop over no elements.
  const Driver &d = requireContext();
  if (!function)
    failInForwardPass("CUDA: mgpuLaunchKernel: null kernel");
  for (intptr_t dim : dims)
    if (dim < 0 || static_cast<uintptr_t>(dim) > UINT_MAX)
      failInForwardPass("CUDA: mgpuLaunchKernel: bad grid or block size " +
                        std::to_string(dim));
  auto kernel = static_cast<CUfunction>(function);
  // Dynamic shared memory beyond the default 48 KiB must be opted into.
  if (smem > kDefaultSharedBytes)
    if (CUresult r =
            d.funcSetAttribute(kernel, kFuncMaxDynamicSharedBytes, smem))
      failInForwardPass(describe("cuFuncSetAttribute", r));
  auto launch = [&] {
    if (CUresult r = d.launchKernel(kernel, gridX, gridY, gridZ, blockX,
                                    blockY, blockZ, smem < 0 ? 0 : smem,
                                    streamOf(stream), params, extra))
      failInForwardPass(describe("cuLaunchKernel", r));
  };
  if (Profile *p = profiler) {
    Profile::Pending work{};
    work.function = function;
    std::copy(std::begin(dims), std::end(dims), work.dims);
    return timeWork(*p, streamOf(stream), work, launch);
  }
  launch();
}

extern "C" void *mgpuStreamCreate(void) {
  requireContext();
  return state().stream;
}

// The stream lives as long as the process: every forward pass shares it.
extern "C" void mgpuStreamDestroy(void * /*stream*/) {}

extern "C" void mgpuStreamSynchronize(void *stream) {
  const Driver &d = requireContext();
  // Reports any error of the work queued since the last synchronization.
  if (CUresult r = d.streamSynchronize(streamOf(stream)))
    failInForwardPass(describe("cuStreamSynchronize", r));
  if (Profile *p = profiler)
    resolvePending(*p);
}

extern "C" void mgpuStreamWaitEvent(void *stream, void *event) {
  const Driver &d = requireContext();
  if (CUresult r = d.streamWaitEvent(streamOf(stream),
                                     static_cast<CUevent>(event), 0))
    failInForwardPass(describe("cuStreamWaitEvent", r));
}

extern "C" void *mgpuEventCreate(void) {
  const Driver &d = requireContext();
  CUevent event = nullptr;
  if (CUresult r = d.eventCreate(&event, kEventDisableTiming))
    failInForwardPass(describe("cuEventCreate", r));
  return event;
}

extern "C" void mgpuEventDestroy(void *event) {
  if (!event)
    return;
  const Driver &d = requireContext();
  if (CUresult r = d.eventDestroy(static_cast<CUevent>(event)))
    failInForwardPass(describe("cuEventDestroy", r));
}

extern "C" void mgpuEventSynchronize(void *event) {
  const Driver &d = requireContext();
  if (CUresult r = d.eventSynchronize(static_cast<CUevent>(event)))
    failInForwardPass(describe("cuEventSynchronize", r));
}

extern "C" void mgpuEventRecord(void *event, void *stream) {
  const Driver &d = requireContext();
  if (CUresult r = d.eventRecord(static_cast<CUevent>(event),
                                 streamOf(stream)))
    failInForwardPass(describe("cuEventRecord", r));
}

extern "C" void *mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/,
                              bool isHostShared) {
  requireContext();
  if (isHostShared)
    failInForwardPass("CUDA: gpu.alloc host_shared is not supported");
  size_t size = 0;
  if (!roundUp(sizeBytes, &size))
    failInForwardPass("CUDA: mgpuMemAlloc: " + std::to_string(sizeBytes) +
                      " bytes is too large");
  State &s = state();
  CUdeviceptr ptr = 0;
  CUresult r;
  {
    std::lock_guard<std::mutex> lock(s.memoryMutex);
    auto cached = s.freeBlocks.find(size);
    if (cached != s.freeBlocks.end() && !cached->second.empty()) {
      ptr = cached->second.back();
      cached->second.pop_back();
      r = kSuccess;
    } else {
      r = allocateLocked(s, size, &ptr);
    }
    if (!r)
      s.liveBlocks.emplace(ptr, size);
  }
  // Outside the lock: the handler does not return.
  if (r)
    failInForwardPass(describe("cuMemAlloc", r) + " (" +
                      std::to_string(size) + " bytes)");
  return reinterpret_cast<void *>(ptr);
}

extern "C" void mgpuMemFree(void *ptr, void * /*stream*/) {
  if (!ptr)
    return;
  if (!releaseBlock(ptr))
    failInForwardPass("CUDA: mgpuMemFree: a pointer mgpuMemAlloc did not "
                      "return");
}

extern "C" void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                           void *stream) {
  if (sizeBytes == 0)
    return;
  const Driver &d = requireContext();
  // Unified addressing: any direction; host memory is pageable, so the call
  // returns once the host side is done with it.
  auto copy = [&] {
    if (CUresult r = d.memcpyAsync(devicePointer(dst), devicePointer(src),
                                   sizeBytes, streamOf(stream)))
      failInForwardPass(describe("cuMemcpyAsync", r));
  };
  if (Profile *p = profiler) {
    Profile::Pending work{};
    work.copyKind =
        (isDeviceMemory(src) ? 2 : 0) + (isDeviceMemory(dst) ? 1 : 0);
    work.dims[0] = static_cast<intptr_t>(sizeBytes);
    return timeWork(*p, streamOf(stream), work, copy);
  }
  copy();
}

extern "C" void mgpuMemset32(void *dst, unsigned int value, size_t count,
                             void *stream) {
  if (count == 0)
    return;
  const Driver &d = requireContext();
  if (CUresult r = d.memsetD32Async(devicePointer(dst), value, count,
                                    streamOf(stream)))
    failInForwardPass(describe("cuMemsetD32Async", r));
}

extern "C" void mgpuMemset16(void *dst, unsigned short value, size_t count,
                             void *stream) {
  if (count == 0)
    return;
  const Driver &d = requireContext();
  if (CUresult r = d.memsetD16Async(devicePointer(dst), value, count,
                                    streamOf(stream)))
    failInForwardPass(describe("cuMemsetD16Async", r));
}

extern "C" void mgpuSetDefaultDevice(int32_t device) {
  trit_cuda_set_device(device);
}
