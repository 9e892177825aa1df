//===- CudaRuntimeTest.cpp - the CUDA backend of the runtime -----*- C++ -*-===//
//
// Without libcuda.so.1 (the usual build machine): every entry point fails
// cleanly, with a message that names the missing driver. With a driver and a
// GPU: uploads, copies, the allocator's cache and a PTX kernel.
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
