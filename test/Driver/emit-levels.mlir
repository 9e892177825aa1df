// Every tritc --emit level on a tiny hand-written model (vocabulary 5,
// hidden 8): embedding -> BitLinear -> tied LM head.
// RUN: tritc %s --emit=mlir | FileCheck %s --check-prefix=MLIR
// RUN: tritc %s --emit=trit | FileCheck %s --check-prefix=TRIT
// RUN: tritc %s --emit=loops --kernel=addsub | FileCheck %s --check-prefix=LOOPS
// RUN: tritc %s --emit=llvm --kernel=addsub | FileCheck %s --check-prefix=LLVM
// RUN: tritc %s --emit=asm --cpu=x86-64-v3 --kernel=addsub | FileCheck %s --check-prefix=ASM
// RUN: tritc %s --emit=obj -o %t.o && llvm-nm %t.o | FileCheck %s --check-prefix=OBJ
// RUN: tritc %s --emit=lib --context-length=16 -o %t.so
// The library is two objects (the entry glue compiled apart) joined by
// hidden symbols: only the model ABI is exported.
// RUN: llvm-nm -D --defined-only %t.so | FileCheck %s --check-prefix=DYN
// RUN: trit-run %t.so --generate 4 --prompt-ids 1,3 > %t.lib.txt
// RUN: FileCheck %s --check-prefix=GEN < %t.lib.txt
// RUN: tritc %s --emit=exe --context-length=16 -o %t.exe
// RUN: %t.exe --generate 4 --prompt-ids 1,3 > %t.exe.txt
// RUN: diff %t.lib.txt %t.exe.txt
// RUN: not tritc %s --emit=lib 2>&1 | FileCheck %s --check-prefix=NOOUT
// RUN: not tritc %s --emit=ptx -o %t.ptx 2>&1 | FileCheck %s --check-prefix=PTX
// Without --context-length, a dynamic sequence gets 4096 tokens.
// RUN: tritc %s --emit=lib -o %t.default.so
// RUN: trit-run %t.default.so --generate 4 --prompt-ids 1,3 | diff %t.lib.txt -

// MLIR: func.func @main
// MLIR: trit.bitlinear
// TRIT: trit.bitlinear
// LOOPS: func.func private @__trit_bitlinear_i2_addsub_8x8
// LOOPS: scf.for
// LOOPS: vector.transfer_read {{.*}} : memref<8x64xi8>, vector<32xi8>
// LOOPS-NOT: trit.bitlinear
// LLVM: target triple = "x86_64
// LLVM: define {{.*}} @main(
// LLVM: @llvm.roundeven
// ASM: main:
// ASM-NOT: zmm
// OBJ-NOT: {{ T __trit_}}
// OBJ-NOT: {{ T dealloc_helper}}
// OBJ: T main
// GEN: {{^[0-4],[0-4],[0-4],[0-4]$}}
// DYN-NOT: __trit
// DYN: T trit_forward
// DYN-NOT: __trit
// NOOUT: tritc: error: --emit=lib writes a binary: give the output file with -o
// PTX: tritc: error: --emit=ptx needs --target=cuda

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
// The artefact's default thread count is exported with the model ABI.
// RUN: tritc %s --emit=lib --context-length=16 --default-threads=1 -o %t.threads.so
// RUN: llvm-nm -D %t.threads.so | FileCheck %s --check-prefix=THREADS
// THREADS: T trit_compiled_default_threads
