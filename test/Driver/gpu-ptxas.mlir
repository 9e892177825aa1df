// REQUIRES: ptxas
// The GPU target's PTX assembles with the CUDA toolkit's ptxas, for the
// default sm_80 and for sm_90, and --emit=cubin writes an ELF cubin.
// RUN: tritc %S/gpu-emit-levels.mlir --target=cuda --emit=ptx -o %t.sm80.ptx
// RUN: %ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin
// RUN: tritc %S/gpu-emit-levels.mlir --target=cuda --gpu-arch=sm_90 --emit=ptx -o %t.sm90.ptx
// RUN: %ptxas -arch=sm_90 %t.sm90.ptx -o %t.sm90.cubin
// RUN: tritc %S/gpu-emit-levels.mlir --target=cuda --emit=cubin -o %t.cubin
// RUN: od -A n -c -N 4 %t.cubin | FileCheck %s --check-prefix=ELF
// RUN: od -A n -c -N 4 %t.sm80.cubin | FileCheck %s --check-prefix=ELF
// ELF: 177 E L F

// The BitLinear shapes of BitNet b1.58 2B-4T (hidden 2560, 640 for the
// key and value projections, 6912 for the MLP), with splat weights: their
// kernels assemble for sm_80 and sm_90.
// RUN: tritc %s --target=cuda --emit=ptx -o %t.2b.sm80.ptx
// RUN: FileCheck %s --check-prefix=SHAPES < %t.2b.sm80.ptx
// RUN: %ptxas -arch=sm_80 %t.2b.sm80.ptx -o %t.2b.sm80.cubin
// RUN: tritc %s --target=cuda --gpu-arch=sm_90 --emit=ptx -o %t.2b.sm90.ptx
// RUN: %ptxas -arch=sm_90 %t.2b.sm90.ptx -o %t.2b.sm90.cubin
// SHAPES: .entry
// SHAPES: dp4a.u32.s32
func.func @main(%x: tensor<?x2560xf32>) -> (tensor<?x2560xf32>, tensor<?x640xf32>, tensor<?x2560xf32>) {
  %g = arith.constant 0.5 : f32
  %wq = arith.constant dense<1> : tensor<2560x2560xi8, #trit.ternary>
  %wk = arith.constant dense<-1> : tensor<640x2560xi8, #trit.ternary>
  %wu = arith.constant dense<1> : tensor<6912x2560xi8, #trit.ternary>
  %wd = arith.constant dense<-1> : tensor<2560x6912xi8, #trit.ternary>
  %q = trit.bitlinear %x, %wq, %g : tensor<?x2560xf32>, tensor<2560x2560xi8, #trit.ternary> -> tensor<?x2560xf32>
  %k = trit.bitlinear %x, %wk, %g : tensor<?x2560xf32>, tensor<640x2560xi8, #trit.ternary> -> tensor<?x640xf32>
  %u = trit.bitlinear %x, %wu, %g : tensor<?x2560xf32>, tensor<6912x2560xi8, #trit.ternary> -> tensor<?x6912xf32>
  %d = trit.bitlinear %u, %wd, %g : tensor<?x6912xf32>, tensor<2560x6912xi8, #trit.ternary> -> tensor<?x2560xf32>
  return %q, %k, %d : tensor<?x2560xf32>, tensor<?x640xf32>, tensor<?x2560xf32>
}
