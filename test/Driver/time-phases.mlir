// tritc --time-phases reports (on stderr) the time of each phase it ran, in
// order, as a tree; --mlir-timing adds every MLIR pass and LLVM optimization
// pass under its phase. Only names are checked, never times.
// RUN: tritc %s --emit=obj --kernel=addsub -o %t.o --time-phases 2>&1 | FileCheck %s --check-prefix=PHASES
// RUN: tritc %s --emit=obj --kernel=addsub -o %t.o --time-phases --mlir-timing 2>&1 | FileCheck %s --check-prefix=PASSES
// RUN: tritc %s --emit=trit -o %t.mlir --time-phases 2>&1 | FileCheck %s --check-prefix=TRIT
// Without the option nothing is reported.
// RUN: tritc %s --emit=obj --kernel=addsub -o %t.o 2>&1 | count 0

// PHASES: Execution time report
// PHASES: Wall Time
// PHASES-NEXT: import
// PHASES-NEXT: trit-fuse-quantization
// PHASES-NEXT: trit-cpu-pipeline: to loops
// PHASES-NEXT: trit-cpu-pipeline: to LLVM dialect
// PHASES-NEXT: translation to LLVM IR
// PHASES-NEXT: LLVM optimization
// PHASES-NEXT: code generation
// PHASES-NEXT: Rest
// PHASES-NEXT: Total
// PHASES-NEXT: peak resident memory: {{[0-9]+}} MiB

// PASSES: trit-fuse-quantization
// PASSES-NEXT: TritFuseQuantizationPass
// PASSES: trit-cpu-pipeline: to loops
// PASSES-NEXT: TritPackWeightsPass
// PASSES-NEXT: TritTileBitLinearPass
// PASSES: trit-cpu-pipeline: to LLVM dialect
// PASSES: TritCheckLoweredPass
// PASSES-NEXT: translation to LLVM IR
// PASSES-NEXT: LLVM optimization
// PASSES: InstCombinePass
// PASSES: code generation

// TRIT: import
// TRIT-NEXT: trit-fuse-quantization
// TRIT-NEXT: output
// TRIT-NEXT: Rest
// TRIT-NEXT: Total

func.func @main(%x: tensor<2x6xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[ 1,  0, -1,  1,  0,  0],
                             [ 0,  0,  0,  0, -1,  1],
                             [-1, -1,  1,  1,  0,  1],
                             [ 0,  1,  0, -1,  1, -1]]> : tensor<4x6xi8, #trit.ternary>
  %g = arith.constant 0.75 : f32
  %y = trit.bitlinear %x, %w, %g : tensor<2x6xf32>, tensor<4x6xi8, #trit.ternary> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
