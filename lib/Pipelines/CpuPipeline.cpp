//===- CpuPipeline.cpp - trit-cpu-pipeline ----------------------*- C++ -*-===//

#include "trit/Pipelines/Pipelines.h"
#include "trit/Conversion/Passes.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::trit;

void mlir::trit::buildTritCpuLoopsPipeline(OpPassManager &pm,
                                           const CpuPipelineOptions &options) {
  // Ternary level: packed constants, then add/subtract loops on tensors.
  pm.addPass(createTritPackWeightsPass(
      TritPackWeightsPassOptions{options.layout.getValue()}));
  pm.addPass(createTritTileBitLinearPass(
      TritTileBitLinearPassOptions{options.kernel, options.tileN,
                                   options.tileRows, options.tileTokens}));
  // The floating-point matmuls by constant weights (the LM head).
  TritTileMatmulPassOptions matmul;
  matmul.weightType = options.lmHeadType;
  pm.addPass(createTritTileMatmulPass(matmul));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // The graph contract's elementwise arith/math ops on whole tensors become
  // linalg.generic, which bufferizes.
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addNestedPass<func::FuncOp>(createTritDecomposeAggregatesPass());

  buildTritBufferizePipeline(pm);
  bufferization::buildBufferDeallocationPipeline(pm);
  // Clones that deallocation adds for returned views become alloc + copy,
  // and every copy a loop (not a call into MLIR's runner library).
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addNestedPass<func::FuncOp>(createTritCopiesToLoopsPass());
  // Attention's float matmuls with the output row innermost, for
  // trit-vectorize-loops.
  pm.addNestedPass<func::FuncOp>(createTritInterchangeLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  pm.addPass(createCanonicalizerPass());
  // Copies, transposes and elementwise rows as vector loads and stores
  // (LLVM unrolls the short loops and then cannot tell their memrefs
  // apart).
  pm.addNestedPass<func::FuncOp>(createTritVectorizeLoopsPass());
  // Small functions for LLVM, one per distinct loop nest of the graph.
  pm.addPass(createTritOutlineLoopsPass());
}

void mlir::trit::buildTritCpuToLLVMPipeline(OpPassManager &pm,
                                            const CpuPipelineOptions &options) {
  pm.addPass(createConvertTritToLLVMPass(
      ConvertTritToLLVMPassOptions{options.vnni}));
  // The parallel tile loop becomes an OpenMP worksharing loop.
  pm.addPass(createConvertSCFToOpenMPPass());
  // Inlines the memref.alloca_scope that scf-to-openmp wraps around each
  // parallel body (it must go before scf-to-cf makes the body multi-block).
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  // Failed run-time checks return an error through the runtime, not abort.
  pm.addPass(createTritLowerAssertsPass());

  // LLVM dialect.
  pm.addNestedPass<func::FuncOp>(createTritExpandDynamicReshapesPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  // expand-strided-metadata computes offsets and strides with affine.apply.
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  buildTritToLLVMDialectTail(pm);
}

void mlir::trit::buildTritBufferizePipeline(OpPassManager &pm) {
  // Function arguments and results become identity-layout memrefs.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // Forwards loop-carried buffers, merges equal subviews, then erases the
  // self-copies that leaves (a copy of a dynamic strided memref would call
  // a runtime library).
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::trit::buildTritToLLVMDialectTail(OpPassManager &pm) {
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createTritCheckLoweredPass());
}

void mlir::trit::buildTritCpuPipeline(OpPassManager &pm,
                                      const CpuPipelineOptions &options) {
  buildTritCpuLoopsPipeline(pm, options);
  buildTritCpuToLLVMPipeline(pm, options);
}

void mlir::trit::registerTritPipelines() {
  PassPipelineRegistration<CpuPipelineOptions>(
      "trit-cpu-pipeline",
      "Lower trit ops on tensors to the LLVM dialect for CPUs: pack weights, "
      "tile BitLinear into add/subtract loops, bufferize, OpenMP, LLVM; ends "
      "with the trit-check-lowered contract check",
      buildTritCpuPipeline);
  PassPipelineRegistration<GpuPipelineOptions>(
      "trit-gpu-pipeline",
      "Lower trit ops on tensors to NVIDIA GPU kernels and host code in the "
      "LLVM dialect: i2 weights, the dp4a BitLinear kernel, parallel loops "
      "mapped to blocks and threads, kernel outlining, NVVM, "
      "gpu-module-to-binary (PTX or cubin embedded); host code calls the "
      "mgpu* functions of the trit runtime's CUDA backend; ends with the "
      "trit-check-lowered contract check",
      buildTritGpuPipeline);
}
