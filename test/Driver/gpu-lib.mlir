// A model library and executable for --target=cuda (they need the CUDA
// toolkit: the kernels' math links libdevice); run where there is a driver,
// refused cleanly where there is none.
// REQUIRES: ptxas
// A library: the host code linked with the runtime's CUDA backend, which
// it exports (trit_cuda_*) with the model ABI; the mgpu* functions the host
// code calls are resolved inside it, neither exported nor imported. Its
// weights (none here of the default 4096 bytes: the file has its header)
// go to OUTPUT.weights.
// RUN: rm -f %t.so.weights
// RUN: tritc %s --target=cuda --emit=lib --context-length=16 -o %t.so
// RUN: llvm-nm -D --defined-only %t.so | FileCheck %s --check-prefix=DYN
// RUN: llvm-nm -D %t.so | FileCheck %s --check-prefix=NOMGPU
// RUN: od -A n -c -N 7 %t.so.weights | FileCheck %s --check-prefix=MAGIC
// With --weights-min-bytes=64 the embedding and the packed BitLinear go
// there too.
// RUN: tritc %s --target=cuda --emit=lib --context-length=16 --weights-min-bytes=64 -o %t.w64.so
// RUN: %python -c "import os, sys; a, b = (os.path.getsize(f) for f in sys.argv[1:]); print('larger' if b > a else 'not larger')" %t.so.weights %t.w64.so.weights | FileCheck %s --check-prefix=LARGER
// An executable, likewise.
// RUN: tritc %s --target=cuda --emit=exe --context-length=16 -o %t.exe
// RUN: test -f %t.exe.weights

// DYN-DAG: T trit_forward
// DYN-DAG: T _mlir_ciface_trit_forward
// DYN-DAG: T trit_compiled_abi_version
// DYN-DAG: T trit_compiled_vocab_size
// DYN-DAG: T trit_bind_weights
// DYN-DAG: T trit_set_check_handler
// DYN-DAG: T trit_cuda_status
// DYN-DAG: T trit_cuda_upload
// DYN-DAG: T trit_cuda_free
// DYN-NOT: mgpu
// DYN-NOT: __trit
// NOMGPU-NOT: mgpu
// NOMGPU-NOT: __trit_check_failed
// MAGIC: T R I T W G T
// LARGER: {{^larger$}}

// Without an NVIDIA driver, the runtime refuses the model at load (exit
// status 1), naming the target and why; the executable too. Where there is
// one, it generates what the CPU build of the model generates.
// RUN: tritc %s --emit=lib --context-length=16 -o %t.cpu.so
// RUN: trit-run %t.cpu.so --generate 4 --prompt-ids 1,3 > %t.cpu.txt
// RUN: %if no-cuda-driver %{ not trit-run %t.so --generate 2 --prompt-ids 1,3 > %t.nodrv.out 2> %t.nodrv.err %}
// RUN: %if no-cuda-driver %{ FileCheck %s --check-prefix=NODRIVER < %t.nodrv.err %}
// RUN: %if no-cuda-driver %{ count 0 < %t.nodrv.out %}
// RUN: %if no-cuda-driver %{ not %t.exe --generate 2 --prompt-ids 1,3 2>&1 | FileCheck %s --check-prefix=NODRIVER-EXE %}
// RUN: %if cuda-driver %{ trit-run %t.so --generate 4 --prompt-ids 1,3 | diff %t.cpu.txt - %}
// RUN: %if cuda-driver %{ trit-run %t.w64.so --generate 4 --prompt-ids 1,3 | diff %t.cpu.txt - %}
// RUN: %if cuda-driver %{ %t.exe --generate 4 --prompt-ids 1,3 | diff %t.cpu.txt - %}
// RUN: %if cuda-driver %{ not trit-run %t.so --device=cpu --generate 2 --prompt-ids 1,3 2>&1 | FileCheck %s --check-prefix=WANTCPU %}
// NODRIVER: trit-run: loading failed: '{{.*}}.so' was compiled for CUDA (tritc --target=cuda) and cannot run here: CUDA: cannot load libcuda.so.1
// NODRIVER-EXE: model: loading failed: '<this program>' was compiled for CUDA (tritc --target=cuda) and cannot run here
// WANTCPU: trit-run: --device=cpu, but the model was compiled for cuda (recompile it with tritc --target=cpu)

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
