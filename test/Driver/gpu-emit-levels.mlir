// Every tritc --emit level of the GPU target (--target=cuda) on the tiny
// model of emit-levels.mlir (vocabulary 5, hidden 8: embedding ->
// BitLinear -> tied LM head). None of this needs a GPU or the CUDA
// toolkit; gpu-ptxas.mlir assembles the PTX where ptxas is found.
// RUN: tritc %s --target=cuda --emit=gpu | FileCheck %s --check-prefix=GPU
// RUN: tritc %s --target=cuda --emit=ptx | FileCheck %s --check-prefix=PTX
// RUN: tritc %s --target=cuda --emit=ptx -o %t.ptx && FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: tritc %s --target=cuda --gpu-arch=sm_90 --emit=ptx | FileCheck %s --check-prefix=SM90
// RUN: tritc %s --target=cuda --gpu-arch=sm_90a --emit=ptx | FileCheck %s --check-prefix=SM90A
// RUN: tritc %s --target=cuda --emit=llvm | FileCheck %s --check-prefix=LLVM
// The trit level is the CPU target's: the target only matters below it.
// RUN: tritc %s --target=cuda --emit=trit | FileCheck %s --check-prefix=TRIT

// GPU: module attributes {gpu.container_module}
// GPU: func.func @main(%[[IDS:.*]]: memref<1x?xi64>) -> memref<1x?x5xf32>
// The ids go to the device; the logits come back to a host buffer.
// GPU: %[[DEV:.*]] = gpu.alloc  (%{{.*}}) : memref<1x?xi64>
// GPU-NEXT: gpu.memcpy  %[[DEV]], %[[IDS]]
// GPU: gpu.launch_func  @trit_kernels::@{{[a-z_0-9]+}} blocks in
// GPU-NOT: {{^ *}}memref.load
// GPU-NOT: {{^ *}}memref.store
// GPU: %[[HOST:.*]] = memref.alloc(%{{.*}}) {trit.host} : memref<1x?x5xf32>
// GPU-NEXT: gpu.memcpy  %[[HOST]], %{{.*}} : memref<1x?x5xf32>, memref<1x?x5xf32>
// GPU: gpu.dealloc  %[[DEV]]
// GPU: return %[[HOST]]
// The kernels, in NVVM, in one module.
// GPU: gpu.module @trit_kernels [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">] {
// GPU: llvm.func @{{[a-z_0-9]+}}({{.*}}) attributes {{{.*}}nvvm.kernel
// GPU: nvvm.dot.accumulate.4way {{.*}} <unsigned>, {{.*}} <signed>
// GPU-NOT: gpu.module

// PTX: .version 8.0
// PTX-NEXT: .target sm_80
// PTX-NEXT: .address_size 64
// PTX: .visible .entry main_kernel(
// PTX: dp4a.u32.s32
// PTX-NOT: .target

// SM90: .version 8.0
// SM90-NEXT: .target sm_90{{$}}
// SM90: dp4a.u32.s32
// SM90A: .target sm_90a

// Host code: the kernels load (their module) from a global constructor;
// launches, copies and allocations go through the runtime's mgpu* calls.
// LLVM: @llvm.global_ctors = appending global {{.*}} @trit_kernels_load
// LLVM: define {{.*}} @main(
// LLVM: call ptr @mgpuStreamCreate()
// LLVM: call ptr @mgpuMemAlloc(
// LLVM: call void @mgpuMemcpy(
// LLVM: call ptr @mgpuModuleGetFunction(
// LLVM: call void @mgpuLaunchKernel(
// LLVM: call void @mgpuMemFree(
// LLVM: call void @mgpuStreamSynchronize(
// LLVM: define {{.*}}@trit_kernels_load(
// LLVM: call ptr @mgpuModuleLoad(

// TRIT: func.func @main
// TRIT: trit.bitlinear

// A lib or exe needs the CUDA toolkit: the kernels' math calls libdevice,
// which comes with it. Without one the library is refused, naming the
// functions (gpu-lib.mlir builds and runs libraries where it is found).
// RUN: %if !ptxas %{ not tritc %s --target=cuda --emit=lib -o %t.nolib.so 2>&1 | FileCheck %s --check-prefix=NOLIBDEVICE %}
// NOLIBDEVICE: tritc: error: the kernels call libdevice's __nv_{{.*}}, which comes with the CUDA toolkit

// RUN: tritc %s --emit=lib --context-length=16 -o %t.cpu.so
// RUN: trit-run %t.cpu.so --generate 4 --prompt-ids 1,3 > %t.cpu.txt

// --device: a CPU model runs with --device=cpu and is refused (exit 1) on
// cuda or cuda:N; anything else is a usage error.
// RUN: trit-run %t.cpu.so --device=cpu --generate 4 --prompt-ids 1,3 | diff %t.cpu.txt -
// RUN: not trit-run %t.cpu.so --device=cuda --generate 2 --prompt-ids 1,3 2>&1 | FileCheck %s --check-prefix=WANTCUDA
// RUN: not trit-run %t.cpu.so --device=cuda:1 --generate 2 --prompt-ids 1,3 2>&1 | FileCheck %s --check-prefix=WANTCUDA1
// RUN: not trit-run %t.cpu.so --device=gpu --generate 2 --prompt-ids 1,3 2>&1 | FileCheck %s --check-prefix=BADDEVICE
// RUN: not trit-run %t.cpu.so --device=cuda:x --generate 2 --prompt-ids 1,3 2>&1 | FileCheck %s --check-prefix=BADORDINAL
// WANTCUDA: trit-run: --device=cuda, but the model was compiled for cpu (recompile it with tritc --target=cuda)
// WANTCUDA1: trit-run: --device=cuda:1, but the model was compiled for cpu (recompile it with tritc --target=cuda)
// BADDEVICE: trit-run: --device takes cpu, cuda or cuda:N, not 'gpu'
// BADORDINAL: trit-run: --device takes cpu, cuda or cuda:N, not 'cuda:x'

// A cubin needs ptxas (gpu-ptxas.mlir tests it where it is found).
// RUN: %if !ptxas %{ not tritc %s --target=cuda --emit=cubin -o %t.cubin 2>&1 | FileCheck %s --check-prefix=NOPTXAS %}
// NOPTXAS: tritc: error: --emit=cubin needs the CUDA toolkit's ptxas (not on PATH or in /usr/local/cuda/bin)

// Errors: the GPU levels need --target=cuda, the CPU levels --target=cpu;
// --gpu-arch takes an NVIDIA architecture, for --target=cuda only; what
// the GPU pipeline does not take yet is refused, not ignored.
// RUN: not tritc %s --emit=ptx 2>&1 | FileCheck %s --check-prefix=ERR-PTX
// RUN: not tritc %s --emit=gpu 2>&1 | FileCheck %s --check-prefix=ERR-GPU
// RUN: not tritc %s --emit=cubin -o %t.cubin 2>&1 | FileCheck %s --check-prefix=ERR-CUBIN
// RUN: not tritc %s --target=cuda --gpu-arch=foo 2>&1 | FileCheck %s --check-prefix=ERR-ARCH
// RUN: not tritc %s --target=cuda --gpu-arch=sm_8 2>&1 | FileCheck %s --check-prefix=ERR-ARCH8
// RUN: not tritc %s --gpu-arch=sm_90 2>&1 | FileCheck %s --check-prefix=ERR-ARCH-CPU
// RUN: not tritc %s --target=cuda --layout=tq1 2>&1 | FileCheck %s --check-prefix=ERR-TQ1
// RUN: not tritc %s --target=cuda --kernel=dot 2>&1 | FileCheck %s --check-prefix=ERR-KERNEL
// RUN: not tritc %s --target=cuda --kernel=addsub 2>&1 | FileCheck %s --check-prefix=ERR-KERNEL
// RUN: not tritc %s --target=cuda --emit=lib --weights=embedded -o %t.emb.so 2>&1 | FileCheck %s --check-prefix=ERR-EMBEDDED
// RUN: not tritc %s --target=cuda --emit=loops 2>&1 | FileCheck %s --check-prefix=ERR-LOOPS
// RUN: not tritc %s --target=cuda --emit=asm 2>&1 | FileCheck %s --check-prefix=ERR-ASM
// RUN: not tritc %s --target=cuda --emit=obj -o %t.o 2>&1 | FileCheck %s --check-prefix=ERR-OBJ
// RUN: not tritc %s --target=cuda --emit=cubin 2>&1 | FileCheck %s --check-prefix=ERR-NOOUT
// RUN: not tritc %s --target=tpu 2>&1 | FileCheck %s --check-prefix=ERR-TARGET
// ERR-PTX: tritc: error: --emit=ptx needs --target=cuda
// ERR-GPU: tritc: error: --emit=gpu needs --target=cuda
// ERR-CUBIN: tritc: error: --emit=cubin needs --target=cuda
// ERR-ARCH: tritc: error: --gpu-arch=foo is not an NVIDIA architecture (sm_80, sm_90, ...)
// ERR-ARCH8: tritc: error: --gpu-arch=sm_8 is not an NVIDIA architecture
// ERR-ARCH-CPU: tritc: error: --gpu-arch applies to --target=cuda
// ERR-TQ1: tritc: error: --layout=tq1 is not supported by --target=cuda yet (i2 only)
// ERR-KERNEL: tritc: error: --kernel applies to --target=cpu (the GPU target's BitLinear kernel is dp4a)
// ERR-EMBEDDED: tritc: error: --weights=embedded is not supported by --target=cuda: its weights go into OUTPUT.weights, which the runtime copies to the GPU
// ERR-LOOPS: tritc: error: --emit=loops is for --target=cpu (the GPU target emits mlir, trit, gpu, ptx, cubin, llvm, lib or exe)
// ERR-ASM: tritc: error: --emit=asm is for --target=cpu
// ERR-OBJ: tritc: error: --emit=obj is for --target=cpu
// ERR-NOOUT: tritc: error: --emit=cubin writes a binary: give the output file with -o
// ERR-TARGET: tritc: error: --target=tpu is not a target (cpu or cuda)

func.func @main(%ids: tensor<1x?xi64>) -> tensor<1x?x5xf32> {
  %c1 = arith.constant 1 : index
  %t = tensor.dim %ids, %c1 : tensor<1x?xi64>
  %emb = arith.constant dense<[[0.5, -1.0, 0.25, 2.0, -0.5, 1.0, 0.0, -2.0],
                               [1.5, 0.5, -0.25, -1.0, 2.0, 0.0, 1.0, 0.5],
                               [-1.0, 2.0, 1.0, 0.5, 0.0, -1.5, 0.25, 1.0],
                               [0.0, -0.5, 2.0, 1.0, -1.0, 0.5, -2.0, 0.75],
                               [2.0, 1.0, -1.0, 0.0, 0.5, 1.0, 1.5, -0.5]]> : tensor<5x8xf32>
  %e0 = tensor.empty(%t) : tensor<1x?x8xf32>
  %h = linalg.generic {indexing_maps = [affine_map<(b, s, d) -> (b, s)>, affine_map<(b, s, d) -> (b, s, d)>],
                       iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%ids : tensor<1x?xi64>) outs(%e0 : tensor<1x?x8xf32>) {
  ^bb0(%id: i64, %out: f32):
    %row = arith.index_cast %id : i64 to index
    %col = linalg.index 2 : index
    %x = tensor.extract %emb[%row, %col] : tensor<5x8xf32>
    linalg.yield %x : f32
  } -> tensor<1x?x8xf32>
  %w = arith.constant dense<[[1, 0, -1, 0, 1, 1, 0, -1], [0, 1, 1, -1, 0, 0, 1, 0],
                             [-1, 0, 0, 1, 1, -1, 0, 1], [1, 1, 0, 0, -1, 0, 1, 1],
                             [0, -1, 1, 1, 0, 1, -1, 0], [1, 0, 0, -1, -1, 1, 1, 0],
                             [0, 1, -1, 0, 1, 0, 0, -1], [-1, -1, 1, 0, 0, 1, 0, 1]]> : tensor<8x8xi8, #trit.ternary>
  %g = arith.constant 0.5 : f32
  %y = trit.bitlinear %h, %w, %g : tensor<1x?x8xf32>, tensor<8x8xi8, #trit.ternary> -> tensor<1x?x8xf32>
  %y2 = tensor.collapse_shape %y [[0, 1], [2]] : tensor<1x?x8xf32> into tensor<?x8xf32>
  %et0 = tensor.empty() : tensor<8x5xf32>
  %et = linalg.transpose ins(%emb : tensor<5x8xf32>) outs(%et0 : tensor<8x5xf32>) permutation = [1, 0]
  %zero = arith.constant 0.0 : f32
  %l0 = tensor.empty(%t) : tensor<?x5xf32>
  %l1 = linalg.fill ins(%zero : f32) outs(%l0 : tensor<?x5xf32>) -> tensor<?x5xf32>
  %l = linalg.matmul ins(%y2, %et : tensor<?x8xf32>, tensor<8x5xf32>) outs(%l1 : tensor<?x5xf32>) -> tensor<?x5xf32>
  %l3 = tensor.expand_shape %l [[0, 1], [2]] output_shape [1, %t, 5] : tensor<?x5xf32> into tensor<1x?x5xf32>
  return %l3 : tensor<1x?x5xf32>
}
