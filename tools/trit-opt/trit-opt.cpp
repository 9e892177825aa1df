//===- trit-opt.cpp - trit optimizer driver ---------------------*- C++ -*-===//
//
// mlir-opt with the trit dialect and passes added to every upstream dialect,
// pass and extension.
//
//===----------------------------------------------------------------------===//

#include "trit/Conversion/Passes.h"
#include "trit/Dialect/Trit/IR/TritDialect.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"
#include "trit/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::trit::registerTritPasses();
  mlir::trit::registerTritConversionPasses();
  mlir::trit::registerTritPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<mlir::trit::TritDialect>();
  // gpu-module-to-binary (trit-gpu-pipeline) translates kernels to LLVM IR.
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
  mlir::registerNVVMDialectTranslation(registry);
  mlir::registerGPUDialectTranslation(registry);
  mlir::gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "trit optimizer: the trit dialect and its passes\n",
      registry));
}
