// RUN: trit-opt %s --pass-pipeline='builtin.module(trit-gpu-pipeline{chip=sm_80 format=isa})' | FileCheck %s
// RUN: trit-opt %s --pass-pipeline='builtin.module(trit-gpu-pipeline{chip=sm_80 format=isa})' | FileCheck %s --check-prefix=ONLY
// RUN: trit-opt %s --pass-pipeline='builtin.module(trit-gpu-pipeline{chip=sm_90 format=isa})' | FileCheck %s --check-prefix=SM90
// RUN: trit-opt %s --trit-gpu-pipeline | FileCheck %s --check-prefix=DEFAULT
// One binary, one module of kernels.
// RUN: trit-opt %s --trit-gpu-pipeline | grep "gpu.binary" | count 1

// A BitLinear with a constant ternary weight goes to NVIDIA GPU kernels and
// host code in the LLVM dialect: the kernels, merged into one gpu.module,
// are compiled into one gpu.binary @trit_kernels holding PTX (format=isa)
// for the chip, whose BitLinear kernel uses dp4a; host code launches them
// with gpu.launch_func (translated to mgpuLaunchKernel with the rest) and
// allocates, copies and frees device memory through the mgpu* calls of the
// trit runtime's CUDA backend; the run-time check hooks are there (the
// backend reports CUDA errors through __trit_check_failed).
// CHECK: module attributes {gpu.container_module}
// CHECK: llvm.func @bitlinear(
// CHECK-DAG: llvm.call @mgpuStreamCreate()
// CHECK-DAG: llvm.call @mgpuMemAlloc(
// CHECK-DAG: llvm.call @mgpuMemcpy(
// CHECK-DAG: llvm.call @malloc(
// CHECK-DAG: llvm.call @mgpuMemFree(
// CHECK-DAG: llvm.call @mgpuStreamSynchronize(
// CHECK-DAG: gpu.launch_func <%{{.*}} : !llvm.ptr> @trit_kernels::@{{[a-z_0-9]+}} blocks in
// CHECK-DAG: llvm.func @trit_set_check_handler(
// CHECK-DAG: llvm.func hidden @__trit_check_failed(
// CHECK-DAG: gpu.binary @trit_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">, {{.*}}assembly = "{{.*}}.version 8.0\0A.target sm_80\0A{{.*}}.entry {{.*}}dp4a.u32.s32
// SM90: gpu.binary @trit_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}assembly = "{{.*}}.target sm_90\0A{{.*}}dp4a.u32.s32
// The default chip is sm_80.
// DEFAULT: gpu.binary @trit_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_80"{{.*}}.target sm_80\0A

// Nothing but the LLVM dialect, the gpu.binary and its launches is left
// (no op of another dialect, at the start of a line or after '= ').
// ONLY-NOT: {{(^ *|= )}}func.func
// ONLY-NOT: {{(^ *|= )}}gpu.module
// ONLY-NOT: {{(^ *|= )}}gpu.func
// ONLY-NOT: {{(^ *|= )}}gpu.launch blocks
// ONLY-NOT: {{(^ *|= )}}gpu.alloc
// ONLY-NOT: {{(^ *|= )}}gpu.memcpy
// ONLY-NOT: {{(^ *|= )}}gpu.dealloc
// ONLY-NOT: {{(^ *|= )}}memref.
// ONLY-NOT: {{(^ *|= )}}scf.
// ONLY-NOT: {{(^ *|= )}}arith.
// ONLY-NOT: {{(^ *|= )}}tensor.
// ONLY-NOT: {{(^ *|= )}}linalg.
// ONLY-NOT: {{(^ *|= )}}cf.
// ONLY-NOT: {{(^ *|= )}}nvvm.
// ONLY-NOT: trit.{{[a-z]}}
// ONLY-NOT: #trit
// ONLY-NOT: {{(^ *|= )}}omp.
func.func @bitlinear(%x: tensor<?x6xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense<[[ 1,  0, -1,  1,  0,  0],
                             [ 0,  0,  0,  0, -1,  1],
                             [-1, -1,  1,  1,  0,  1],
                             [ 0,  1,  0, -1,  1, -1]]> : tensor<4x6xi8, #trit.ternary>
  %g = arith.constant 0.75 : f32
  %y = trit.bitlinear %x, %w, %g : tensor<?x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
