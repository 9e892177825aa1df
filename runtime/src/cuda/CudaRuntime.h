//===- CudaRuntime.h - the CUDA backend's C entry points --------*- C++ -*-===//
//
// What trit_cuda_runtime (CudaRuntime.cpp) defines, for its tests and for the
// runtime, which looks the trit_cuda_* functions up in a model library with
// dlsym. The mgpu* functions are the ones MLIR's gpu-to-llvm lowering and
// gpu.binary translation call; their signatures are MLIR's.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_RUNTIME_CUDA_CUDARUNTIME_H
#define TRIT_RUNTIME_CUDA_CUDARUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRIT_CUDA_EXPORT __attribute__((visibility("default")))

#ifdef __cplusplus
extern "C" {
#endif

/* The runtime's side. trit_cuda_status initializes the driver if needed and
 * returns NULL while the driver, the device and every module loaded so far
 * are fine, else the first error (a stable string). */
TRIT_CUDA_EXPORT const char *trit_cuda_status(void);
/* Device memory outside the allocator's cache, filled from `host`; NULL on
 * failure (trit_cuda_status says why). */
TRIT_CUDA_EXPORT void *trit_cuda_upload(const void *host, int64_t bytes);
TRIT_CUDA_EXPORT void trit_cuda_free(void *device);
/* Returns a block that mgpuMemAlloc handed out (a KV cache a model returned,
 * say, that the runtime now drops) to the allocator's cache, in stream order:
 * no synchronization, since its next users come later on the one stream.
 * NULL is ignored; any other pointer is an error for trit_cuda_status, not a
 * crash. */
TRIT_CUDA_EXPORT void trit_cuda_release(void *device);
/* The device to use; only before the first use (TRIT_CUDA_DEVICE wins). */
TRIT_CUDA_EXPORT void trit_cuda_set_device(int device);
/* cuDeviceGetName's answer; NULL unless initialization succeeded. */
TRIT_CUDA_EXPORT const char *trit_cuda_device_name(void);

/* MLIR's GPU runtime ABI (mlir/lib/ExecutionEngine/CudaRuntimeWrappers.cpp). */
TRIT_CUDA_EXPORT void *mgpuModuleLoad(void *data, size_t gpuBlobSize);
TRIT_CUDA_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel);
TRIT_CUDA_EXPORT void mgpuModuleUnload(void *module);
TRIT_CUDA_EXPORT void *mgpuModuleGetFunction(void *module, const char *name);
TRIT_CUDA_EXPORT void mgpuLaunchKernel(void *function, intptr_t gridX,
                                       intptr_t gridY, intptr_t gridZ,
                                       intptr_t blockX, intptr_t blockY,
                                       intptr_t blockZ, int32_t smem,
                                       void *stream, void **params,
                                       void **extra, size_t paramsCount);
TRIT_CUDA_EXPORT void *mgpuStreamCreate(void);
TRIT_CUDA_EXPORT void mgpuStreamDestroy(void *stream);
TRIT_CUDA_EXPORT void mgpuStreamSynchronize(void *stream);
TRIT_CUDA_EXPORT void mgpuStreamWaitEvent(void *stream, void *event);
TRIT_CUDA_EXPORT void *mgpuEventCreate(void);
TRIT_CUDA_EXPORT void mgpuEventDestroy(void *event);
TRIT_CUDA_EXPORT void mgpuEventSynchronize(void *event);
TRIT_CUDA_EXPORT void mgpuEventRecord(void *event, void *stream);
TRIT_CUDA_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                                    bool isHostShared);
TRIT_CUDA_EXPORT void mgpuMemFree(void *ptr, void *stream);
TRIT_CUDA_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                                 void *stream);
TRIT_CUDA_EXPORT void mgpuMemset32(void *dst, unsigned int value,
                                   size_t count, void *stream);
TRIT_CUDA_EXPORT void mgpuMemset16(void *dst, unsigned short value,
                                   size_t count, void *stream);
TRIT_CUDA_EXPORT void mgpuSetDefaultDevice(int32_t device);

#ifdef __cplusplus
}
#endif

#endif // TRIT_RUNTIME_CUDA_CUDARUNTIME_H
