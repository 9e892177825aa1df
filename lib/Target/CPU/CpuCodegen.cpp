//===- CpuCodegen.cpp - LLVM-dialect module to native code ------*- C++ -*-===//

#include "trit/Target/CPU/CpuCodegen.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/SCCIterator.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/CFG.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassInstrumentation.h"
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
#include "llvm/Transforms/Utils/Cloning.h"

using namespace mlir;
using namespace mlir::trit;

void mlir::trit::registerCpuTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  // The GPU target: gpu.binary and gpu.launch_func in host code, NVVM in
  // the kernels gpu-module-to-binary translates.
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  registerNVVMDialectTranslation(registry);
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
  // Constructors in .init_array, which lld links and the loader runs (the
  // default, .ctors, lld leaves to a crtbegin that no longer runs it). The
  // GPU target loads its kernels in one.
  targetOptions.UseInitArray = true;
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

std::unique_ptr<llvm::Module>
mlir::trit::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                              llvm::TargetMachine &targetMachine,
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
  return llvmModule;
}

unsigned mlir::trit::markEntryGlueOptNone(llvm::Module &llvmModule) {
  // The blocks of each function that lie on a cycle of its CFG.
  DenseMap<const llvm::Function *,
           llvm::SmallPtrSet<const llvm::BasicBlock *, 8>>
      cyclic;
  for (llvm::Function &f : llvmModule) {
    if (f.isDeclaration())
      continue;
    auto &blocks = cyclic[&f];
    for (auto scc = llvm::scc_begin(&f); !scc.isAtEnd(); ++scc)
      if (scc.hasCycle())
        blocks.insert(scc->begin(), scc->end());
  }
  // Functions that run at most a bounded number of times per call of an
  // entry point: the entry points (externally visible), and local
  // functions called only directly, outside loops, from such functions.
  llvm::SmallPtrSet<const llvm::Function *, 8> bounded;
  for (llvm::Function &f : llvmModule)
    if (!f.isDeclaration() && !f.hasLocalLinkage())
      bounded.insert(&f);
  for (bool changed = true; changed;) {
    changed = false;
    for (llvm::Function &f : llvmModule) {
      if (f.isDeclaration() || bounded.contains(&f))
        continue;
      bool onlyBoundedCalls = llvm::all_of(f.uses(), [&](const llvm::Use &use) {
        auto *call = dyn_cast<llvm::CallBase>(use.getUser());
        return call && call->isCallee(&use) &&
               bounded.contains(call->getFunction()) &&
               !cyclic[call->getFunction()].contains(call->getParent());
      });
      if (onlyBoundedCalls && !f.use_empty()) {
        bounded.insert(&f);
        changed = true;
      }
    }
  }
  unsigned marked = 0;
  for (llvm::Function &f : llvmModule) {
    if (f.isDeclaration() || f.hasOptNone() || !bounded.contains(&f) ||
        !cyclic[&f].empty())
      continue;
    // optnone goes with noinline and excludes the size and inlining hints.
    f.removeFnAttr(llvm::Attribute::AlwaysInline);
    f.removeFnAttr(llvm::Attribute::InlineHint);
    f.removeFnAttr(llvm::Attribute::OptimizeForSize);
    f.removeFnAttr(llvm::Attribute::MinSize);
    f.addFnAttr(llvm::Attribute::OptimizeNone);
    f.addFnAttr(llvm::Attribute::NoInline);
    ++marked;
  }
  return marked;
}

std::unique_ptr<llvm::Module>
mlir::trit::splitOffOptNoneFunctions(llvm::Module &llvmModule) {
  llvm::SmallPtrSet<const llvm::GlobalValue *, 8> moved;
  for (llvm::Function &f : llvmModule)
    if (!f.isDeclaration() && f.hasOptNone())
      moved.insert(&f);
  if (moved.empty())
    return nullptr;

  // Whatever one side defines and the other uses becomes a hidden global
  // symbol, which the link of the two objects resolves: the local
  // definitions the moved functions use, and moved local functions.
  unsigned unnamed = 0;
  auto share = [&](llvm::GlobalValue &gv) {
    if (!gv.hasLocalLinkage())
      return;
    if (!gv.hasName())
      gv.setName("__trit_shared." + llvm::Twine(unnamed++));
    gv.setLinkage(llvm::GlobalValue::ExternalLinkage);
    gv.setVisibility(llvm::GlobalValue::HiddenVisibility);
  };
  auto usedByMoved = [&](llvm::GlobalValue &gv) {
    SmallVector<const llvm::User *> users(gv.users());
    llvm::SmallPtrSet<const llvm::User *, 16> seen;
    while (!users.empty()) {
      const llvm::User *user = users.pop_back_val();
      if (!seen.insert(user).second)
        continue;
      if (auto *inst = dyn_cast<llvm::Instruction>(user)) {
        if (moved.contains(inst->getFunction()))
          return true;
      } else if (isa<llvm::Constant>(user) && !isa<llvm::GlobalValue>(user)) {
        users.append(user->user_begin(), user->user_end());
      }
    }
    return false;
  };
  for (llvm::GlobalValue &gv : llvmModule.global_values())
    if (moved.contains(&gv) ||
        (!gv.isDeclaration() && gv.hasLocalLinkage() && usedByMoved(gv)))
      share(gv);

  llvm::ValueToValueMapTy map;
  std::unique_ptr<llvm::Module> split =
      llvm::CloneModule(llvmModule, map, [&](const llvm::GlobalValue *gv) {
        return moved.contains(gv);
      });
  for (const llvm::GlobalValue *gv : moved)
    cast<llvm::Function>(const_cast<llvm::GlobalValue *>(gv))->deleteBody();
  // Special globals (llvm.used, llvm.global_ctors, ...) stay with the
  // original module; the clone would only declare them.
  for (llvm::GlobalVariable &gv : llvm::make_early_inc_range(split->globals()))
    if (gv.isDeclaration() && gv.getName().starts_with("llvm.") &&
        gv.use_empty())
      gv.eraseFromParent();
  return split;
}

namespace {
/// Times each LLVM optimization pass under one MLIR timer: the passes that
/// run on several functions or loops sum into one timer per pass name.
/// Pass managers and adaptors are not timed (their passes are).
class LLVMPassTimers {
public:
  LLVMPassTimers(TimingScope &parent,
                 llvm::PassInstrumentationCallbacks &callbacks)
      : parent(parent) {
    callbacks.registerBeforeNonSkippedPassCallback(
        [this](StringRef pass, llvm::Any) {
          if (isTimed(pass))
            running.push_back(this->parent.nest(pass));
        });
    auto stop = [this](StringRef pass) {
      if (isTimed(pass) && !running.empty())
        running.pop_back();
    };
    callbacks.registerAfterPassCallback(
        [stop](StringRef pass, llvm::Any, const llvm::PreservedAnalyses &) {
          stop(pass);
        });
    callbacks.registerAfterPassInvalidatedCallback(
        [stop](StringRef pass, const llvm::PreservedAnalyses &) {
          stop(pass);
        });
  }

private:
  static bool isTimed(StringRef pass) {
    return !llvm::isSpecialPass(
        pass, {"PassManager", "PassAdaptor", "AnalysisManagerProxy",
               "ModuleInlinerWrapperPass", "DevirtSCCRepeatedPass"});
  }

  TimingScope &parent;
  SmallVector<TimingScope> running;
};
} // namespace

void mlir::trit::optimizeLLVMModule(llvm::Module &llvmModule,
                                    llvm::TargetMachine &targetMachine,
                                    unsigned optLevel,
                                    TimingScope *passTiming) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopUnrolling = optLevel >= 2;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassInstrumentationCallbacks callbacks;
  std::optional<LLVMPassTimers> timers;
  if (passTiming && *passTiming)
    timers.emplace(*passTiming, callbacks);
  llvm::PassBuilder builder(&targetMachine, tuning, std::nullopt, &callbacks);
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
  passes.run(llvmModule, mam);
}

std::unique_ptr<llvm::Module>
mlir::trit::translateAndOptimize(ModuleOp module, llvm::LLVMContext &context,
                                 llvm::TargetMachine &targetMachine,
                                 unsigned optLevel, std::string &error) {
  std::unique_ptr<llvm::Module> llvmModule =
      translateToLLVMIR(module, context, targetMachine, error);
  if (llvmModule)
    optimizeLLVMModule(*llvmModule, targetMachine, optLevel);
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
                                            std::string &error, bool cuda) {
  std::string libDir = TRIT_LLVM_LIBRARY_DIR;
  SmallVector<std::string> args = {std::string(TRIT_LLVM_TOOLS_DIR) +
                                       "/clang",
                                   "-shared", "-fuse-ld=lld", "-o",
                                   outputPath.str()};
  args.append(objects.begin(), objects.end());
  std::string exports;
  if (cuda) {
    args.append({TRIT_CUDA_RUNTIME_LIBRARY, "-lstdc++", "-ldl"});
    // Only the model ABI (and the CUDA backend's trit_cuda_* functions,
    // which the runtime looks up) leave the library: not the mgpu* calls
    // or the C++ library code the backend pulls in.
    exports = (outputPath + ".exports").str();
    std::error_code ec;
    llvm::raw_fd_ostream os(exports, ec, llvm::sys::fs::OF_None);
    if (ec) {
      error = "cannot write '" + exports + "': " + ec.message();
      return failure();
    }
    os << "{ global: trit_*; _mlir_ciface_trit_*; local: *; };\n";
    os.close();
    args.push_back("-Wl,--version-script=" + exports);
  }
  args.append({"-L" + libDir, "-Wl,-rpath," + libDir, "-lomp"});
  LogicalResult linked = runLinker(args, outputPath, error);
  if (!exports.empty())
    llvm::sys::fs::remove(exports);
  return linked;
}

LogicalResult mlir::trit::linkExecutable(ArrayRef<std::string> objects,
                                         StringRef outputPath,
                                         std::string &error, bool cuda) {
  std::string libDir = TRIT_LLVM_LIBRARY_DIR;
  SmallVector<std::string> args = {std::string(TRIT_LLVM_TOOLS_DIR) +
                                       "/clang++",
                                   "-fuse-ld=lld", "-Wl,--export-dynamic",
                                   "-o", outputPath.str()};
  args.append(objects.begin(), objects.end());
  if (cuda)
    args.push_back(TRIT_CUDA_RUNTIME_LIBRARY);
  // trit-run's main, then what it uses: the tokenizer (and the GGUF reader
  // and shared libraries it needs) and the runtime.
  args.append({TRIT_RUN_MAIN_LIBRARY, TRIT_TOKENIZER_LIBRARY,
               TRIT_GGUF_READER_LIBRARY, TRIT_RUNTIME_STATIC_LIBRARY,
               TRIT_PCRE2_LIBRARY, TRIT_SENTENCEPIECE_LIBRARY, "-L" + libDir,
               "-Wl,-rpath," + libDir, "-lomp", "-ldl"});
#ifdef TRIT_EXE_SANITIZE
  // A sanitized build's archives (trit-run's main, the runtime, the
  // tokenizer) are instrumented: the executable links the sanitizers too.
  args.push_back(TRIT_EXE_SANITIZE);
#endif
  return runLinker(args, outputPath, error);
}
