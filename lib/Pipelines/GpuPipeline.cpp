//===- GpuPipeline.cpp - trit-gpu-pipeline ----------------------*- C++ -*-===//
//
// trit ops on tensors -> kernels for NVIDIA GPUs through upstream MLIR's GPU
// path: parallel loops mapped to blocks and threads, gpu.launch, kernel
// outlining, NVVM, gpu-module-to-binary; host code calls the mgpu* runtime
// functions that the trit runtime implements against the CUDA driver API.
//
//===----------------------------------------------------------------------===//

#include "trit/Pipelines/Pipelines.h"
#include "trit/Conversion/Passes.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::trit;

void mlir::trit::buildTritGpuKernelsPipeline(OpPassManager &pm,
                                             const GpuPipelineOptions &options) {
  // Ternary level: i2 weights, the dp4a BitLinear kernel.
  pm.addPass(createTritPackWeightsPass(TritPackWeightsPassOptions{"i2"}));
  TritTileBitLinearPassOptions bitlinear;
  bitlinear.kernel = "dp4a";
  pm.addPass(createTritTileBitLinearPass(bitlinear));
  // Matmuls by a constant (the LM head): the weight as [N, K] rows in the
  // head's type, read by a generic that extends it (a warp per output
  // then reads one row with consecutive lanes).
  TritTileMatmulPassOptions head;
  head.weightType = options.lmHeadType;
  head.kernel = "generic";
  pm.addPass(createTritTileMatmulPass(head));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addNestedPass<func::FuncOp>(createTritDecomposeAggregatesPass());
  // Chains of elementwise ops and broadcasts (RoPE, residual adds, the
  // FFN's activation, the norms' scaling, quantization's steps) as one loop
  // nest each: one kernel, not one per op. Named ops become linalg.generic
  // first, which is what the fusion takes.
  pm.addNestedPass<func::FuncOp>(createLinalgGeneralizeNamedOpsPass());
  pm.addPass(createLinalgElementwiseOpFusionPass());
  pm.addPass(createCanonicalizerPass());

  // Buffers, as on the CPU, but no deallocation pipeline: trit-gpu-host-
  // buffers frees each function's device buffers when it returns.
  buildTritBufferizePipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addNestedPass<func::FuncOp>(createTritCopiesToLoopsPass());

  // Parallel loops -> blocks and threads -> gpu.launch.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createForallToParallelLoopPass());
  pm.addPass(createCanonicalizerPass());
  // Loops over the same space that follow each other (a norm's fill and
  // sum, RoPE's steps, a transpose and the op that reads it) as one: one
  // launch, not several. Sizes that are the same value first, so that
  // the loops' bounds compare equal.
  pm.addNestedPass<func::FuncOp>(
      memref::createResolveRankedShapeTypeResultDimsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createTritFuseParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createTritGpuMapLoopsPass(
      TritGpuMapLoopsPassOptions{options.blockSize}));
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addPass(createTritGpuHostBuffersPass(
      TritGpuHostBuffersPassOptions{options.kernelConstantBytes}));
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createTritGpuMergeKernelsPass());
  pm.addPass(createCSEPass());

  // Kernels -> NVVM.
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features =
      options.features.empty() ? std::string("+ptx80")
                                : std::string(options.features);
  target.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(target));
  // Views become plain descriptor arithmetic, in kernels and host code.
  pm.addNestedPass<func::FuncOp>(createTritExpandDynamicReshapesPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createConvertGpuOpsToNVVMOps());
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::trit::buildTritGpuBinaryPipeline(OpPassManager &pm,
                                            const GpuPipelineOptions &options) {
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  binary.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void mlir::trit::buildTritGpuHostToLLVMPipeline(
    OpPassManager &pm, const GpuPipelineOptions &options) {
  // Failed run-time checks return an error through the runtime.
  pm.addPass(createTritLowerAssertsPass(TritLowerAssertsPassOptions{true}));
  // Launches, copies and allocations in stream order, one wait at the end
  // (gpu-to-llvm lowers only their async forms).
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());
  // One stream: only the entry points wait for the GPU.
  pm.addPass(createTritGpuStreamOrderPass());
  pm.addPass(createGpuToLLVMConversionPass());
  buildTritToLLVMDialectTail(pm);
}

void mlir::trit::buildTritGpuPipeline(OpPassManager &pm,
                                      const GpuPipelineOptions &options) {
  buildTritGpuKernelsPipeline(pm, options);
  buildTritGpuBinaryPipeline(pm, options);
  buildTritGpuHostToLLVMPipeline(pm, options);
}
