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

  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "trit optimizer: the trit dialect and its passes\n",
      registry));
}
