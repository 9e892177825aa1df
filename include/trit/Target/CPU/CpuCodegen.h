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
#include "mlir/Support/Timing.h"
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
  /// Optimize the model's entry glue too (see markEntryGlueOptNone); by
  /// default it is compiled without optimization.
  bool optimizeEntryGlue = false;
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

/// Translates `module` (LLVM dialect) to LLVM IR for `targetMachine`: its
/// triple and data layout, and its CPU and features on every function.
/// Returns null and sets `error` on failure.
std::unique_ptr<llvm::Module>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                  llvm::TargetMachine &targetMachine, std::string &error);

/// Runs LLVM's optimizer at `optLevel` (0 to 3) on `llvmModule`. With
/// `passTiming` (a running timer), each optimization pass gets a timer
/// nested in it.
void optimizeLLVMModule(llvm::Module &llvmModule,
                        llvm::TargetMachine &targetMachine, unsigned optLevel,
                        TimingScope *passTiming = nullptr);

/// Marks `optnone` (and `noinline`) the entry glue of `llvmModule`: the
/// functions without a loop that run a bounded number of times per call of
/// an entry point (the externally visible functions, and local functions
/// called only directly and outside loops from such functions), such as a
/// model's forward function, which calls the kernels and outlined loop
/// nests and manages buffers. Its cost at run time is its length
/// (microseconds per step), while LLVM's schedulers and register allocator
/// are superlinear in it: a deep model's forward function took most of code
/// generation. Returns how many functions it marked.
unsigned markEntryGlueOptNone(llvm::Module &llvmModule);

/// Moves the functions of `llvmModule` marked `optnone` (the entry glue,
/// once optimized: the optimizer has already shrunk the calls it makes)
/// into a module of their own, in the same context, and returns it, or
/// null if there are none. Compiled without optimization (a target machine
/// at CodeGenOptLevel::None: fast instruction selection and register
/// allocation) and linked with the rest, it takes a fraction of the time
/// that the optimizing register allocator takes on a deep model's forward
/// function even under `optnone`. Local symbols that one module defines and
/// the other uses become hidden global ones.
std::unique_ptr<llvm::Module>
splitOffOptNoneFunctions(llvm::Module &llvmModule);

/// translateToLLVMIR, then optimizeLLVMModule.
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
/// `cuda`: host code of the GPU target, linked with the runtime's CUDA
/// backend (trit_cuda_runtime, which loads libcuda.so.1 at run time).
LogicalResult linkSharedLibrary(ArrayRef<std::string> objects,
                                StringRef outputPath, std::string &error,
                                bool cuda = false);

/// Links object files into an executable with the runtime and trit-run's
/// main (the model is the program itself; its symbols are exported for the
/// runtime to find).
LogicalResult linkExecutable(ArrayRef<std::string> objects,
                             StringRef outputPath, std::string &error,
                             bool cuda = false);

} // namespace mlir::trit

#endif // TRIT_TARGET_CPU_CPUCODEGEN_H
