//===- CudaRuntimeTest.cpp - the CUDA backend of the runtime -----*- C++ -*-===//
//
// Without libcuda.so.1 (the usual build machine): every entry point fails
// cleanly, with a message that names the missing driver. With a driver and a
// GPU: uploads, copies, the allocator's cache, a PTX kernel, the kernel
// lookup cache and the TRIT_CUDA_PROFILE table.
//
//===----------------------------------------------------------------------===//

#include "CudaRuntime.h"

#include <gtest/gtest.h>

#include <dlfcn.h>

#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

/// Stands in for the model library's check handler (trit-lower-asserts):
/// unwinds to the test that expected the failure.
std::jmp_buf *checkUnwind = nullptr;
std::string checkMessage;

} // namespace

extern "C" void __trit_check_failed(const char *message, int64_t, int64_t) {
  checkMessage = message ? message : "";
  if (!checkUnwind)
    std::abort();
  std::longjmp(*checkUnwind, 1);
}

namespace {

/// Runs `call`; returns the message it failed with, or "" if it returned.
template <typename Call> std::string checkFailure(Call call) {
  std::jmp_buf unwind;
  checkUnwind = &unwind;
  checkMessage.clear();
  if (setjmp(unwind) == 0)
    call();
  checkUnwind = nullptr;
  return checkMessage;
}

bool driverLoadable() {
  void *library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (library)
    dlclose(library);
  return library != nullptr;
}

/// Skips a test that needs a working driver and device.
#define REQUIRE_GPU()                                                          \
  do {                                                                         \
    if (!driverLoadable())                                                     \
      GTEST_SKIP() << "no libcuda.so.1";                                       \
    if (const char *error = trit_cuda_status())                                \
      GTEST_SKIP() << error;                                                   \
  } while (false)

/// out[i] += 1 for i < n (llc -mcpu=sm_80 from a five-line LLVM IR kernel).
const char kAddOnePtx[] = R"(
.version 7.0
.target sm_80
.address_size 64
.visible .entry add_one(
	.param .u64 .ptr .global .align 1 add_one_param_0,
	.param .u32 add_one_param_1
)
{
	.reg .pred 	%p<2>;
	.reg .b32 	%r<8>;
	.reg .b64 	%rd<4>;
	ld.param.b32 	%r1, [add_one_param_1];
	mov.u32 	%r2, %tid.x;
	mov.u32 	%r3, %ctaid.x;
	mov.u32 	%r4, %ntid.x;
	mad.lo.s32 	%r5, %r3, %r4, %r2;
	setp.ge.s32 	%p1, %r5, %r1;
	@%p1 bra 	$L__BB0_2;
	ld.param.b64 	%rd2, [add_one_param_0];
	mul.wide.s32 	%rd3, %r5, 4;
	add.s64 	%rd1, %rd2, %rd3;
	ld.global.b32 	%r6, [%rd1];
	add.s32 	%r7, %r6, 1;
	st.global.b32 	[%rd1], %r7;
$L__BB0_2:
	ret;
}
)";

TEST(CudaRuntimeNoDriver, StatusNamesTheMissingDriver) {
  if (driverLoadable())
    GTEST_SKIP() << "libcuda.so.1 is loadable here";
  const char *status = trit_cuda_status();
  ASSERT_NE(status, nullptr);
  EXPECT_NE(std::strstr(status, "libcuda.so.1"), nullptr) << status;
  // Stable: the same first error every time.
  EXPECT_EQ(trit_cuda_status(), status);
  EXPECT_EQ(trit_cuda_device_name(), nullptr);
}

TEST(CudaRuntimeNoDriver, ModuleLoadsReturnNull) {
  if (driverLoadable())
    GTEST_SKIP() << "libcuda.so.1 is loadable here";
  std::string ptx = kAddOnePtx;
  EXPECT_EQ(mgpuModuleLoad(ptx.data(), ptx.size()), nullptr);
  EXPECT_EQ(mgpuModuleLoadJIT(ptx.data(), 2), nullptr);
  mgpuModuleUnload(nullptr);
  std::vector<char> host(1024, 7);
  EXPECT_EQ(trit_cuda_upload(host.data(), host.size()), nullptr);
  trit_cuda_free(nullptr);
}

TEST(CudaRuntimeNoDriver, ForwardPassCallsTheCheckHandler) {
  if (driverLoadable())
    GTEST_SKIP() << "libcuda.so.1 is loadable here";
  std::string message = checkFailure([] { mgpuMemAlloc(64, nullptr, false); });
  EXPECT_NE(message.find("libcuda.so.1"), std::string::npos) << message;
  message = checkFailure([] { mgpuStreamCreate(); });
  EXPECT_NE(message.find("libcuda.so.1"), std::string::npos) << message;
  // A launch over no elements is skipped, driver or not.
  message = checkFailure([] {
    mgpuLaunchKernel(nullptr, 0, 1, 1, 128, 1, 1, 0, nullptr, nullptr,
                     nullptr, 0);
  });
  EXPECT_EQ(message, "");
}

TEST(CudaRuntimeNoDriver, ReleaseIgnoresNullAndForeignPointers) {
  if (driverLoadable())
    GTEST_SKIP() << "libcuda.so.1 is loadable here";
  int local = 0;
  // Not in a forward pass: neither may unwind through the check handler.
  EXPECT_EQ(checkFailure([] { trit_cuda_release(nullptr); }), "");
  EXPECT_EQ(checkFailure([&] { trit_cuda_release(&local); }), "");
  // The first error stays the missing driver.
  const char *status = trit_cuda_status();
  ASSERT_NE(status, nullptr);
  EXPECT_NE(std::strstr(status, "libcuda.so.1"), nullptr) << status;
}

/// In a fresh process (the profiler is chosen once): TRIT_CUDA_PROFILE=1 with
/// whatever driver there is; prints the status and exits with 3, which runs
/// the profile's exit handler where there is one.
[[noreturn]] void printStatusWhileProfiling() {
  setenv("TRIT_CUDA_PROFILE", "1", 1);
  const char *status = trit_cuda_status();
  std::fprintf(stderr, "status: %s\n", status ? status : "ok");
  std::exit(3);
}

TEST(CudaRuntimeNoDriver, ProfileWithoutDriverExitsCleanly) {
  if (driverLoadable())
    GTEST_SKIP() << "libcuda.so.1 is loadable here";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(printStatusWhileProfiling(), testing::ExitedWithCode(3),
              "status: CUDA: cannot load libcuda.so.1");
}

/// In a fresh process (the device is chosen once): prints the status and
/// exits with 3.
[[noreturn]] void printStatusWithDevice(const char *env) {
  setenv("TRIT_CUDA_DEVICE", env, 1);
  const char *status = trit_cuda_status();
  std::fprintf(stderr, "%s\n", status ? status : "ok");
  std::exit(3);
}

TEST(CudaRuntime, BadDeviceVariableIsAnError) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(printStatusWithDevice("gpu0"), testing::ExitedWithCode(3),
              "TRIT_CUDA_DEVICE='gpu0' is not a device index");
  EXPECT_EXIT(printStatusWithDevice("-1"), testing::ExitedWithCode(3),
              "TRIT_CUDA_DEVICE='-1' is not a device index");
}

TEST(CudaRuntimeGpu, UploadAndCopyBack) {
  REQUIRE_GPU();
  ASSERT_NE(trit_cuda_device_name(), nullptr);
  std::printf("device: %s\n", trit_cuda_device_name());
  std::vector<uint32_t> host(1 << 18);
  for (size_t i = 0; i < host.size(); ++i)
    host[i] = static_cast<uint32_t>(i * 2654435761u);
  size_t bytes = host.size() * sizeof(uint32_t);
  void *device = trit_cuda_upload(host.data(), bytes);
  ASSERT_NE(device, nullptr) << trit_cuda_status();
  void *stream = mgpuStreamCreate();
  EXPECT_EQ(mgpuStreamCreate(), stream);
  std::vector<uint32_t> back(host.size(), 0);
  mgpuMemcpy(back.data(), device, bytes, stream);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(back, host);
  trit_cuda_free(device);
  EXPECT_EQ(trit_cuda_status(), nullptr);
}

TEST(CudaRuntimeGpu, AllocatorReusesFreedBlocks) {
  REQUIRE_GPU();
  void *stream = mgpuStreamCreate();
  void *a = mgpuMemAlloc(1000, stream, false);
  ASSERT_NE(a, nullptr);
  void *b = mgpuMemAlloc(1000, stream, false);
  EXPECT_NE(a, b);
  mgpuMemFree(a, stream);
  // 1000 and 1024 bytes are the same 256-byte-rounded block.
  EXPECT_EQ(mgpuMemAlloc(1024, stream, false), a);
  void *empty = mgpuMemAlloc(0, stream, false);
  EXPECT_NE(empty, nullptr);
  EXPECT_NE(empty, a);
  mgpuMemFree(a, stream);
  mgpuMemFree(b, stream);
  mgpuMemFree(empty, stream);
  EXPECT_EQ(trit_cuda_status(), nullptr);
}

TEST(CudaRuntimeGpu, JitKernelRuns) {
  REQUIRE_GPU();
  std::string ptx = kAddOnePtx;
  void *module = mgpuModuleLoadJIT(ptx.data(), 2);
  ASSERT_NE(module, nullptr) << trit_cuda_status();
  void *function = mgpuModuleGetFunction(module, "add_one");
  ASSERT_NE(function, nullptr);
  void *stream = mgpuStreamCreate();
  const int32_t n = 1000;
  void *data = mgpuMemAlloc(n * sizeof(int32_t), stream, false);
  mgpuMemset32(data, 41, n, stream);
  int32_t count = n;
  void *params[] = {&data, &count};
  mgpuLaunchKernel(function, (n + 127) / 128, 1, 1, 128, 1, 1, 0, stream,
                   params, nullptr, 2);
  // Skipped: grid 0.
  mgpuLaunchKernel(function, 0, 1, 1, 128, 1, 1, 0, stream, params, nullptr,
                   2);
  void *event = mgpuEventCreate();
  mgpuEventRecord(event, stream);
  mgpuStreamWaitEvent(stream, event);
  mgpuEventSynchronize(event);
  mgpuEventDestroy(event);
  std::vector<int32_t> back(n, 0);
  mgpuMemcpy(back.data(), data, n * sizeof(int32_t), stream);
  mgpuStreamSynchronize(stream);
  EXPECT_EQ(back, std::vector<int32_t>(n, 42));
  mgpuMemFree(data, stream);
  mgpuModuleUnload(module);
  EXPECT_EQ(trit_cuda_status(), nullptr);
}

TEST(CudaRuntimeGpu, ReleaseReturnsBlocksToTheCache) {
  REQUIRE_GPU();
  void *stream = mgpuStreamCreate();
  void *a = mgpuMemAlloc(3000, stream, false);
  ASSERT_NE(a, nullptr);
  trit_cuda_release(a);
  trit_cuda_release(nullptr);
  // The same size class: the released block, with no cuMemAlloc.
  EXPECT_EQ(mgpuMemAlloc(3000, stream, false), a);
  mgpuMemFree(a, stream);
  EXPECT_EQ(trit_cuda_status(), nullptr);
}

/// In a fresh process (the first error is kept): releases a pointer the
/// allocator never returned; prints whether the check handler ran and the
/// status, and exits with 3.
[[noreturn]] void releaseForeignPointer() {
  int local = 0;
  std::string message = checkFailure([&] { trit_cuda_release(&local); });
  const char *status = trit_cuda_status();
  std::fprintf(stderr, "handler: '%s' status: %s\n", message.c_str(),
               status ? status : "ok");
  std::exit(3);
}

TEST(CudaRuntimeGpu, ReleaseOfAForeignPointerIsRecorded) {
  REQUIRE_GPU();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(releaseForeignPointer(), testing::ExitedWithCode(3),
              "handler: '' status: CUDA: trit_cuda_release: a pointer "
              "mgpuMemAlloc did not return");
}

TEST(CudaRuntimeGpu, KernelLookupsAreCached) {
  REQUIRE_GPU();
  std::string ptx = kAddOnePtx;
  void *module = mgpuModuleLoadJIT(ptx.data(), 2);
  ASSERT_NE(module, nullptr) << trit_cuda_status();
  void *function = mgpuModuleGetFunction(module, "add_one");
  ASSERT_NE(function, nullptr);
  EXPECT_EQ(mgpuModuleGetFunction(module, "add_one"), function);
  // Another pointer to the same name: a miss, and the driver's answer.
  char name[] = "add_one";
  EXPECT_EQ(mgpuModuleGetFunction(module, name), function);
  mgpuModuleUnload(module);
  // A module loaded again (maybe at the same address) answers afresh.
  module = mgpuModuleLoadJIT(ptx.data(), 2);
  ASSERT_NE(module, nullptr) << trit_cuda_status();
  EXPECT_NE(mgpuModuleGetFunction(module, "add_one"), nullptr);
  mgpuModuleUnload(module);
}

/// In a fresh process (the error is kept): asks for a kernel through a
/// pointer that the cache knows, now to another name; prints the failure and
/// exits with 3.
[[noreturn]] void lookUpChangedName() {
  std::string ptx = kAddOnePtx;
  void *module = mgpuModuleLoadJIT(ptx.data(), 2);
  char name[] = "add_one";
  void *function = mgpuModuleGetFunction(module, name);
  std::memcpy(name, "missing", sizeof(name));
  std::string message =
      checkFailure([&] { mgpuModuleGetFunction(module, name); });
  std::fprintf(stderr, "%s %s\n", function ? "found" : "null", message.c_str());
  std::exit(3);
}

TEST(CudaRuntimeGpu, KernelCacheComparesNames) {
  REQUIRE_GPU();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(lookUpChangedName(), testing::ExitedWithCode(3),
              "found CUDA: cuModuleGetFunction failed: CUDA_ERROR_.* for "
              "kernel 'missing'");
}

/// In a fresh process with TRIT_CUDA_PROFILE=1 (set before REQUIRE_GPU
/// initializes the backend): a copy in, more launches than the pending list
/// holds, a copy on the device and one back; prints the result and exits
/// with 3, which prints the profile.
[[noreturn]] void runProfiled() {
  std::string ptx = kAddOnePtx;
  void *module = mgpuModuleLoadJIT(ptx.data(), 2);
  void *function = mgpuModuleGetFunction(module, "add_one");
  void *stream = mgpuStreamCreate();
  const int32_t n = 1000;
  std::vector<int32_t> host(n, 41);
  void *data = mgpuMemAlloc(n * sizeof(int32_t), stream, false);
  void *copy = mgpuMemAlloc(n * sizeof(int32_t), stream, false);
  mgpuMemcpy(data, host.data(), n * sizeof(int32_t), stream);
  int32_t count = n;
  void *params[] = {&data, &count};
  for (int i = 0; i < 5000; ++i)
    mgpuLaunchKernel(function, (n + 127) / 128, 1, 1, 128, 1, 1, 0, stream,
                     params, nullptr, 2);
  mgpuMemcpy(copy, data, n * sizeof(int32_t), stream);
  mgpuMemcpy(host.data(), copy, n * sizeof(int32_t), stream);
  mgpuStreamSynchronize(stream);
  const char *status = trit_cuda_status();
  std::fprintf(stderr, "value: %d status: %s\n", host[n - 1],
               status ? status : "ok");
  std::exit(3);
}

TEST(CudaRuntimeGpu, ProfileTimesLaunchesAndCopies) {
  // Read once, by the first use of the backend: here in the fresh process.
  setenv("TRIT_CUDA_PROFILE", "1", 1);
  const char *error = driverLoadable() ? trit_cuda_status() : "no libcuda.so.1";
  unsetenv("TRIT_CUDA_PROFILE");
  if (error)
    GTEST_SKIP() << error;
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(runProfiled(), testing::ExitedWithCode(3),
              "value: 5041 status: ok.*"
              "kernels: 5000 launches.*"
              "copies: 3, .*; host to device 1 \\(4000 bytes\\); "
              "device to host 1 \\(4000 bytes\\); "
              "device to device 1 \\(4000 bytes\\).*"
              "5000 +[0-9.]+ +8x1x1 128x1x1 +add_one");
}

/// In a fresh process: a damaged image; prints the status and exits with 3.
[[noreturn]] void loadDamagedModule() {
  char garbage[64] = "not a cubin";
  void *module = mgpuModuleLoad(garbage, sizeof(garbage));
  const char *status = trit_cuda_status();
  std::fprintf(stderr, "%s %s\n", module ? "loaded" : "null",
               status ? status : "ok");
  std::exit(3);
}

TEST(CudaRuntimeGpu, DamagedModuleIsReported) {
  REQUIRE_GPU();
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(loadDamagedModule(), testing::ExitedWithCode(3),
              "null CUDA: cuModuleLoadData failed: CUDA_ERROR_");
}

} // namespace
