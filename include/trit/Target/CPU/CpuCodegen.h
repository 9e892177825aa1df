//===- CpuCodegen.h - LLVM-dialect module to native code --------*- C++ -*-===//
//
// Translates a module that trit-cpu-pipeline lowered to the LLVM dialect into
// LLVM IR, optimizes it for a CPU through LLVM's TargetMachine and emits an
// object file; links objects into a shared library with libomp.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TARGET_CPU_CPUCODEGEN_H
#define TRIT_TARGET_CPU_CPUCODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
} // namespace llvm

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::trit {

struct CpuTargetOptions {
  /// `native` (the host CPU and its features) or an LLVM CPU name such as
  /// `x86-64-v3`, `znver4` or `skylake-avx512`.
  std::string cpu = "native";
  /// Extra LLVM target features, e.g. `+avx512vnni,-avx512f`.
  std::string features;
  /// LLVM optimization level, 0 to 3.
  unsigned optLevel = 3;
};

/// Whether the CPU of `options` has AVX512-VNNI (for kernel=auto).
bool cpuHasAvx512Vnni(const CpuTargetOptions &options);

/// Registers the dialect translations to LLVM IR that trit's output needs
/// (builtin, llvm, omp).
void registerCpuTranslations(DialectRegistry &registry);

/// Creates the TargetMachine for `options` (host triple). Returns null and
/// sets `error` on failure (unknown CPU name, ...).
std::unique_ptr<llvm::TargetMachine>
createCpuTargetMachine(const CpuTargetOptions &options, std::string &error);

/// Translates `module` (LLVM dialect) to LLVM IR and runs LLVM's optimizer at
/// the options' level for `targetMachine`.
std::unique_ptr<llvm::Module>
translateAndOptimize(ModuleOp module, llvm::LLVMContext &context,
                     llvm::TargetMachine &targetMachine, unsigned optLevel,
                     std::string &error);

/// Emits `llvmModule` as an object file (or assembly) into `os`.
LogicalResult emitMachineCode(llvm::Module &llvmModule,
                              llvm::TargetMachine &targetMachine,
                              llvm::raw_pwrite_stream &os, bool assembly,
                              std::string &error);

/// Links object files into a shared library that loads libomp and libc.
/// Runs clang (as a linker driver, with lld) from the LLVM 22 toolchain.
LogicalResult linkSharedLibrary(ArrayRef<std::string> objects,
                                StringRef outputPath, std::string &error);

/// Links object files into an executable with the runtime and trit-run's
/// main (the model is the program itself; its symbols are exported for the
/// runtime to find).
LogicalResult linkExecutable(ArrayRef<std::string> objects,
                             StringRef outputPath, std::string &error);

} // namespace mlir::trit

#endif // TRIT_TARGET_CPU_CPUCODEGEN_H
