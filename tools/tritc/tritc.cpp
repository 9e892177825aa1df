//===- tritc.cpp - the trit compiler driver ---------------------*- C++ -*-===//
//
// A thin main over the driver library: reads a model, runs the stages up to
// the requested --emit level and writes the result.
//
//===----------------------------------------------------------------------===//

#include "trit/Driver/Compile.h"
#include "trit/Driver/Import.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace mlir;

namespace {
enum class Emit { Mlir, Trit, Loops, Llvm, Asm, Obj, Lib, Exe, Ptx, Cubin };

llvm::cl::OptionCategory tritcCategory("tritc options");

llvm::cl::opt<std::string> inputFile(llvm::cl::Positional,
                                     llvm::cl::desc("<model.onnx|model.onnxtext>"),
                                     llvm::cl::Required,
                                     llvm::cl::cat(tritcCategory));

llvm::cl::opt<std::string> outputFile("o", llvm::cl::desc("Output file (default: stdout)"),
                                      llvm::cl::value_desc("file"),
                                      llvm::cl::init("-"),
                                      llvm::cl::cat(tritcCategory));

llvm::cl::opt<Emit> emit(
    "emit", llvm::cl::desc("Where to stop"), llvm::cl::init(Emit::Trit),
    llvm::cl::cat(tritcCategory),
    llvm::cl::values(
        clEnumValN(Emit::Mlir, "mlir",
                   "graph-level MLIR as imported (upstream dialects)"),
        clEnumValN(Emit::Trit, "trit",
                   "after trit-fuse-quantization: BitLinear layers as "
                   "trit.bitlinear (default)"),
        clEnumValN(Emit::Loops, "loops", "not implemented yet"),
        clEnumValN(Emit::Llvm, "llvm", "not implemented yet"),
        clEnumValN(Emit::Asm, "asm", "not implemented yet"),
        clEnumValN(Emit::Obj, "obj", "not implemented yet"),
        clEnumValN(Emit::Lib, "lib", "not implemented yet"),
        clEnumValN(Emit::Exe, "exe", "not implemented yet"),
        clEnumValN(Emit::Ptx, "ptx", "not implemented yet"),
        clEnumValN(Emit::Cubin, "cubin", "not implemented yet")));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "tritc") << message << "\n";
  return 1;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  // The MLIR and LLVM libraries register hundreds of options; --help shows
  // tritc's own.
  llvm::cl::HideUnrelatedOptions(tritcCategory);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "tritc: compiles a BitNet b1.58 model (ONNX) with trit\n\n"
      "  Only the import stages exist so far: --emit=mlir and --emit=trit.\n");

  if (emit != Emit::Mlir && emit != Emit::Trit)
    return fail("--emit=" + emit.getParser().getOption(int(emit.getValue())) +
                " is not implemented yet");

  DialectRegistry registry;
  trit::registerCompilerDialects(registry);
  MLIRContext context(registry);

  std::string error;
  OwningOpRef<ModuleOp> module =
      trit::importModelFile(context, inputFile, error);
  if (!module)
    return fail(error);
  if (emit == Emit::Trit && failed(trit::runGraphToTrit(*module, error)))
    return fail(inputFile + ": " + error);

  std::string openError;
  auto output = openOutputFile(outputFile, &openError);
  if (!output)
    return fail(openError);
  module->print(output->os());
  output->os() << "\n";
  output->keep();
  return 0;
}
