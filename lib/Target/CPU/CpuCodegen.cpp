//===- CpuCodegen.cpp - LLVM-dialect module to native code ------*- C++ -*-===//

#include "trit/Target/CPU/CpuCodegen.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace mlir::trit;

void mlir::trit::registerCpuTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

bool mlir::trit::cpuHasAvx512Vnni(const CpuTargetOptions &options) {
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      createCpuTargetMachine(options, error);
  if (!machine)
    return false;
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      machine->getTarget().createMCSubtargetInfo(
          machine->getTargetTriple(), machine->getTargetCPU(),
          machine->getTargetFeatureString()));
  return info && info->checkFeatures("+avx512vnni,+avx512bw");
}

std::unique_ptr<llvm::TargetMachine>
mlir::trit::createCpuTargetMachine(const CpuTargetOptions &options,
                                   std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::InitializeNativeTargetAsmParser();

  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return nullptr;

  std::string cpu = options.cpu;
  std::string features;
  if (cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features += (feature.second ? "+" : "-") + feature.first().str() + ",";
  }
  features += options.features;
  if (!features.empty() && features.back() == ',')
    features.pop_back();

  std::unique_ptr<llvm::MCSubtargetInfo> known(
      target->createMCSubtargetInfo(triple, cpu, ""));
  if (!known || !known->isCPUStringValid(cpu)) {
    error = "unknown CPU '" + cpu + "' for target " + triple.str();
    return nullptr;
  }

  llvm::TargetOptions targetOptions;
  llvm::CodeGenOptLevel level = options.optLevel == 0
                                    ? llvm::CodeGenOptLevel::None
                                : options.optLevel == 1
                                    ? llvm::CodeGenOptLevel::Less
                                : options.optLevel == 2
                                    ? llvm::CodeGenOptLevel::Default
                                    : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, llvm::Reloc::PIC_, std::nullopt,
      level));
  if (!machine)
    error = "cannot create a target machine for " + triple.str();
  return machine;
}

std::unique_ptr<llvm::Module> mlir::trit::translateAndOptimize(
    ModuleOp module, llvm::LLVMContext &context,
    llvm::TargetMachine &targetMachine, unsigned optLevel,
    std::string &error) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context);
  if (!llvmModule) {
    error = "translation to LLVM IR failed";
    return nullptr;
  }
  llvmModule->setTargetTriple(targetMachine.getTargetTriple());
  llvmModule->setDataLayout(targetMachine.createDataLayout());
  // Let the optimizer and instruction selection see the CPU's features on
  // every function, not only as the target machine's defaults.
  for (llvm::Function &f : *llvmModule) {
    if (f.isDeclaration())
      continue;
    f.addFnAttr("target-cpu", targetMachine.getTargetCPU());
    if (!targetMachine.getTargetFeatureString().empty())
      f.addFnAttr("target-features", targetMachine.getTargetFeatureString());
  }

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = optLevel >= 2;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder builder(&targetMachine, tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 0   ? llvm::OptimizationLevel::O0
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager passes =
      optLevel == 0 ? builder.buildO0DefaultPipeline(level)
                    : builder.buildPerModuleDefaultPipeline(level);
  passes.run(*llvmModule, mam);
  return llvmModule;
}

LogicalResult mlir::trit::emitMachineCode(llvm::Module &llvmModule,
                                          llvm::TargetMachine &targetMachine,
                                          llvm::raw_pwrite_stream &os,
                                          bool assembly, std::string &error) {
  // Loop strength reduction is superlinear in the loops of one function,
  // and a model's graph function has thousands: it took a third of code
  // generation without measurably helping the kernels (trit-bench). Off
  // unless the command line says otherwise (--disable-lsr=false).
  auto &options = llvm::cl::getRegisteredOptions();
  if (auto it = options.find("disable-lsr"); it != options.end())
    if (auto *disableLsr = static_cast<llvm::cl::opt<bool> *>(it->second);
        disableLsr->getNumOccurrences() == 0)
      *disableLsr = true;
  llvm::legacy::PassManager codegen;
  auto fileType = assembly ? llvm::CodeGenFileType::AssemblyFile
                           : llvm::CodeGenFileType::ObjectFile;
  if (targetMachine.addPassesToEmitFile(codegen, os, nullptr, fileType)) {
    error = "the target cannot emit this file type";
    return failure();
  }
  codegen.run(llvmModule);
  return success();
}

/// Runs the toolchain's clang++ as a linker driver (with lld).
static LogicalResult runLinker(ArrayRef<std::string> args, StringRef output,
                               std::string &error) {
  std::string clang = args.front();
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(clang, argRefs, std::nullopt, {}, 0, 0,
                                     &message);
  if (rc == 0)
    return success();
  error = "linking '" + output.str() + "' failed";
  if (!message.empty())
    error += ": " + message;
  error += " (command:";
  for (const std::string &arg : args)
    error += " " + arg;
  error += ")";
  return failure();
}

LogicalResult mlir::trit::linkSharedLibrary(ArrayRef<std::string> objects,
                                            StringRef outputPath,
                                            std::string &error) {
  std::string libDir = TRIT_LLVM_LIBRARY_DIR;
  SmallVector<std::string> args = {std::string(TRIT_LLVM_TOOLS_DIR) +
                                       "/clang",
                                   "-shared", "-fuse-ld=lld", "-o",
                                   outputPath.str()};
  args.append(objects.begin(), objects.end());
  args.append({"-L" + libDir, "-Wl,-rpath," + libDir, "-lomp"});
  return runLinker(args, outputPath, error);
}

LogicalResult mlir::trit::linkExecutable(ArrayRef<std::string> objects,
                                         StringRef outputPath,
                                         std::string &error) {
  std::string libDir = TRIT_LLVM_LIBRARY_DIR;
  SmallVector<std::string> args = {std::string(TRIT_LLVM_TOOLS_DIR) +
                                       "/clang++",
                                   "-fuse-ld=lld", "-Wl,--export-dynamic",
                                   "-o", outputPath.str()};
  args.append(objects.begin(), objects.end());
  args.append({TRIT_RUN_MAIN_LIBRARY, TRIT_RUNTIME_STATIC_LIBRARY,
               "-L" + libDir, "-Wl,-rpath," + libDir, "-lomp", "-ldl"});
  return runLinker(args, outputPath, error);
}
