//===- Pipelines.h - trit's named pass pipelines ----------------*- C++ -*-===//
//
// Each pipeline is built by one function, used by trit-opt (through its
// registered name) and by tritc.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_PIPELINES_PIPELINES_H
#define TRIT_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::trit {

/// Options of trit-cpu-pipeline.
struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<std::string> layout{*this, "layout",
                             llvm::cl::desc("Packed weight layout: i2 or tq1"),
                             llvm::cl::init("i2")};
  Option<std::string> kernel{
      *this, "kernel",
      llvm::cl::desc("BitLinear inner kernel: addsub (portable add/subtract) "
                     "or dot (dot products on weight codes); tools resolve "
                     "'auto' from the target CPU before building the "
                     "pipeline"),
      llvm::cl::init("addsub")};
  Option<bool> vnni{*this, "vnni",
                    llvm::cl::desc("The target has AVX512-VNNI: emit "
                                   "vpdpbusd for the dot kernel"),
                    llvm::cl::init(false)};
  Option<std::string> lmHeadType{
      *this, "lm-head-type",
      llvm::cl::desc("Element type of the weights of f32 matmuls by a "
                     "constant (the LM head): f32 (the numerics contract), "
                     "f16 or bf16 (half the bytes, each weight rounded)"),
      llvm::cl::init("f32")};
  Option<int64_t> tileN{*this, "tile-n",
                        llvm::cl::desc("Output features per parallel tile"),
                        llvm::cl::init(64)};
  Option<int64_t> tileRows{
      *this, "tile-rows",
      llvm::cl::desc("Weight rows per register tile (0: kernel default)"),
      llvm::cl::init(0)};
  Option<int64_t> tileTokens{
      *this, "tile-tokens",
      llvm::cl::desc("Tokens per register tile (0: kernel default)"),
      llvm::cl::init(0)};
};

/// trit-cpu-pipeline: tensors with trit ops -> LLVM dialect (+ OpenMP),
/// ending with the trit-check-lowered contract check. It is the two halves
/// below, one after the other.
void buildTritCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// The first half (tritc --emit=loops): packed weights, tiled BitLinear,
/// bufferized; scf loops (the tile loop an scf.parallel) on memrefs, vector
/// ops and trit.dot_codes.
void buildTritCpuLoopsPipeline(OpPassManager &pm,
                               const CpuPipelineOptions &options);

/// The second half: loops -> LLVM dialect and OpenMP, then the contract
/// check.
void buildTritCpuToLLVMPipeline(OpPassManager &pm,
                                const CpuPipelineOptions &options);

/// Options of trit-gpu-pipeline.
struct GpuPipelineOptions : public PassPipelineOptions<GpuPipelineOptions> {
  Option<std::string> chip{*this, "chip",
                           llvm::cl::desc("GPU architecture: sm_80, sm_86, "
                                          "sm_89, sm_90, ..."),
                           llvm::cl::init("sm_80")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("NVPTX target features (empty: +ptx80, which sm_90 "
                     "needs and every CUDA 12+ driver reads)"),
      llvm::cl::init("")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What gpu-module-to-binary embeds: isa (PTX, which the "
                     "driver compiles at load), bin (cubin, through the CUDA "
                     "toolkit's ptxas) or fatbin"),
      llvm::cl::init("isa")};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit directory for ptxas (empty: MLIR's "
                     "default search)"),
      llvm::cl::init("")};
  Option<int64_t> blockSize{*this, "block-size",
                            llvm::cl::desc("Threads per block"),
                            llvm::cl::init(256)};
  Option<int64_t> kernelConstantBytes{
      *this, "kernel-constant-bytes",
      llvm::cl::desc("Constants below this size are compiled into the "
                     "kernels; larger ones are read through pointers (the "
                     "weights file)"),
      llvm::cl::init(4096)};
  Option<std::string> lmHeadType{
      *this, "lm-head-type",
      llvm::cl::desc("Element type of the weights of f32 matmuls by a "
                     "constant (the LM head): f16 (half the bytes read per "
                     "token, each weight rounded to nearest even), bf16 or "
                     "f32"),
      llvm::cl::init("f16")};
};

/// trit-gpu-pipeline: tensors with trit ops -> gpu kernels in NVVM, their
/// binary embedded, host code in the LLVM dialect calling the mgpu* runtime
/// functions; ends with the trit-check-lowered contract check. It is the
/// three parts below, one after the other.
void buildTritGpuPipeline(OpPassManager &pm, const GpuPipelineOptions &options);

/// Up to outlined kernels (tritc --emit=gpu): gpu.module with gpu.func
/// kernels lowered to NVVM, host functions in memref + gpu.launch_func.
void buildTritGpuKernelsPipeline(OpPassManager &pm,
                                 const GpuPipelineOptions &options);

/// gpu.module -> gpu.binary (PTX, cubin or fatbin per `format`).
void buildTritGpuBinaryPipeline(OpPassManager &pm,
                                const GpuPipelineOptions &options);

/// Host code -> LLVM dialect, then the contract check.
void buildTritGpuHostToLLVMPipeline(OpPassManager &pm,
                                    const GpuPipelineOptions &options);

/// One-shot bufferization as both targets run it (identity layouts at
/// function boundaries), with the clean-up after it.
void buildTritBufferizePipeline(OpPassManager &pm);

/// The end both targets share: memref, func, arith, ... to the LLVM dialect,
/// then the trit-check-lowered contract check.
void buildTritToLLVMDialectTail(OpPassManager &pm);

/// Registers every named trit pipeline with the pass registry.
void registerTritPipelines();

} // namespace mlir::trit

#endif // TRIT_PIPELINES_PIPELINES_H
