//===- tritc.cpp - the trit compiler driver ---------------------*- C++ -*-===//
//
// A thin main over the driver library: reads a model, runs the stages up to
// the requested --emit level and writes the result.
//
//===----------------------------------------------------------------------===//

#include "GgufTokenizer.h"

#include "trit/Driver/Compile.h"
#include "trit/Driver/ExternalWeights.h"
#include "trit/Driver/Import.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

#include <sys/resource.h>

using namespace mlir;

namespace {
enum class Emit { Mlir, Trit, Loops, Gpu, Llvm, Asm, Obj, Lib, Exe, Ptx, Cubin };

llvm::cl::OptionCategory tritcCategory("tritc options");

llvm::cl::opt<std::string>
    inputFile(llvm::cl::Positional,
              llvm::cl::desc("<model.onnx|model.onnxtext|hf-directory|"
                             "model.gguf|module.mlir>"),
              llvm::cl::Required, llvm::cl::cat(tritcCategory));

llvm::cl::opt<std::string>
    outputFile("o",
               llvm::cl::desc("Output file (default: stdout for text, "
                              "required for obj, lib and exe)"),
               llvm::cl::value_desc("file"), llvm::cl::init("-"),
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
        clEnumValN(Emit::Loops, "loops",
                   "packed weights, tiled kernels, bufferized loops (cpu)"),
        clEnumValN(Emit::Gpu, "gpu",
                   "kernels outlined into a gpu.module in NVVM, host code "
                   "launching them (cuda)"),
        clEnumValN(Emit::Llvm, "llvm",
                   "optimized LLVM IR (text; cuda: the host code, the "
                   "kernels embedded)"),
        clEnumValN(Emit::Asm, "asm", "assembly for the target CPU (cpu)"),
        clEnumValN(Emit::Obj, "obj", "an object file (cpu)"),
        clEnumValN(Emit::Lib, "lib",
                   "a shared library with the runtime's model ABI"),
        clEnumValN(Emit::Exe, "exe",
                   "an executable with the model and the runtime inside "
                   "(takes trit-run's options)"),
        clEnumValN(Emit::Ptx, "ptx",
                   "the kernels' PTX for --gpu-arch (cuda)"),
        clEnumValN(Emit::Cubin, "cubin",
                   "the kernels assembled by the CUDA toolkit's ptxas for "
                   "--gpu-arch (cuda; needs ptxas)")));

llvm::cl::opt<trit::InputFormat> inputFormat(
    "input-format",
    llvm::cl::desc("The model's format (default: told from the content; "
                   "a .mlir file is MLIR)"),
    llvm::cl::values(
        clEnumValN(trit::InputFormat::Auto, "auto",
                   "a directory with config.json is a Hugging Face "
                   "checkpoint, a file starting with 'GGUF' a GGUF file, "
                   "anything else ONNX (default)"),
        clEnumValN(trit::InputFormat::Onnx, "onnx",
                   "ONNX protobuf (textual if the name ends in .onnxtext)"),
        clEnumValN(trit::InputFormat::HuggingFace, "hf",
                   "a Hugging Face directory: config.json and safetensors "
                   "(BitNetForCausalLM, packed or master weights; 1bitLLM)"),
        clEnumValN(trit::InputFormat::Gguf, "gguf",
                   "a GGUF file: architecture bitnet, bitnet-25 or "
                   "bitnet-b1.58 (TQ1_0, TQ2_0, I2_S or float weights)")),
    llvm::cl::init(trit::InputFormat::Auto), llvm::cl::cat(tritcCategory));

llvm::cl::opt<std::string> target(
    "target",
    llvm::cl::desc("Target: cpu (default) or cuda (NVIDIA GPUs: every step "
                   "runs on the GPU; a lib or exe needs the CUDA toolkit "
                   "(ptxas, libdevice) and embeds a fatbin, the cubin for "
                   "--gpu-arch and its PTX for newer GPUs; it keeps its "
                   "weights in OUTPUT.weights, which the runtime copies to "
                   "the GPU)"),
    llvm::cl::init("cpu"), llvm::cl::cat(tritcCategory));
llvm::cl::opt<std::string>
    gpuArch("gpu-arch",
            llvm::cl::desc("GPU architecture for --target=cuda: sm_80 "
                           "(default), sm_86, sm_89, sm_90, ..."),
            llvm::cl::init("sm_80"), llvm::cl::cat(tritcCategory));
llvm::cl::opt<std::string>
    cpu("cpu",
        llvm::cl::desc("CPU to generate code for: native (default) or an "
                       "LLVM CPU name such as x86-64-v3 or znver4"),
        llvm::cl::init("native"), llvm::cl::cat(tritcCategory));
llvm::cl::opt<unsigned> optLevel("O",
                                 llvm::cl::desc("LLVM optimization level "
                                                "(0-3, default 3)"),
                                 llvm::cl::Prefix, llvm::cl::init(3),
                                 llvm::cl::cat(tritcCategory));
llvm::cl::opt<std::string>
    kernel("kernel",
           llvm::cl::desc("BitLinear kernel: auto (default: dot with VNNI "
                          "where the CPU has AVX512-VNNI, else addsub), "
                          "addsub or dot"),
           llvm::cl::init("auto"), llvm::cl::cat(tritcCategory));
llvm::cl::opt<std::string>
    layout("layout",
           llvm::cl::desc("Packed weight layout: i2 (2 bits, default) or "
                          "tq1 (1.6 bits)"),
           llvm::cl::init("i2"), llvm::cl::cat(tritcCategory));
llvm::cl::opt<std::string> lmHeadType(
    "lm-head-type",
    llvm::cl::desc("Element type of the LM head's weights (every f32 "
                   "matmul by a constant): f32 (the CPU's default; the "
                   "numerics contract), f16 (--target=cuda's default) or "
                   "bf16; f16 and bf16 read half the bytes per token, each "
                   "weight rounded to nearest even"),
    llvm::cl::init(""), llvm::cl::cat(tritcCategory));
llvm::cl::opt<std::string>
    entry("entry",
          llvm::cl::desc("The model's forward function (imports: main); "
                         "for lib and exe it gets the runtime's model ABI"),
          llvm::cl::init("main"), llvm::cl::cat(tritcCategory));
llvm::cl::opt<int64_t> contextLength(
    "context-length",
    llvm::cl::desc("Longest sequence the model takes (0: its static "
                   "sequence length, or the checkpoint's "
                   "max_position_embeddings, or 4096)"),
    llvm::cl::init(0), llvm::cl::cat(tritcCategory));

enum class Weights { Embedded, External };
llvm::cl::opt<Weights> weights(
    "weights", llvm::cl::desc("Where a lib or exe keeps its weights:"),
    llvm::cl::values(
        clEnumValN(Weights::Embedded, "embedded",
                   "inside the binary (default)"),
        clEnumValN(Weights::External, "external",
                   "in OUTPUT.weights beside it, memory-mapped at load")),
    llvm::cl::init(Weights::Embedded), llvm::cl::cat(tritcCategory));

llvm::cl::opt<int64_t> weightsMinBytes(
    "weights-min-bytes",
    llvm::cl::desc("With --weights=external, constants of fewer bytes stay "
                   "in the binary"),
    llvm::cl::init(4096), llvm::cl::cat(tritcCategory));

llvm::cl::opt<int64_t> defaultThreads(
    "default-threads",
    llvm::cl::desc("Default thread count of the model library or executable "
                   "(0: all cores; trit-run --threads overrides it)"),
    llvm::cl::init(0), llvm::cl::cat(tritcCategory));

llvm::cl::opt<bool> optimizeEntryGlue(
    "optimize-entry-glue",
    llvm::cl::desc("Optimize the model's entry functions (the straight-line "
                   "glue that calls the kernels and loop nests) like the "
                   "rest; by default they are compiled without "
                   "optimization, which is much faster for deep models and "
                   "costs microseconds per forward pass"),
    llvm::cl::init(false), llvm::cl::cat(tritcCategory));

llvm::cl::opt<bool> timePhases(
    "time-phases",
    llvm::cl::desc("Print how long each phase took (import, "
                   "trit-fuse-quantization, the pipeline's halves, LLVM "
                   "translation, optimization and code generation, link) "
                   "to stderr; --mlir-timing adds each MLIR and LLVM "
                   "optimization pass"),
    llvm::cl::init(false), llvm::cl::cat(tritcCategory));

int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "tritc") << message << "\n";
  return 1;
}

bool isBinaryLevel(Emit level) {
  return level == Emit::Obj || level == Emit::Lib || level == Emit::Exe ||
         level == Emit::Cubin;
}

/// Whether `arch` names an NVIDIA architecture: sm_ and a number of two or
/// more digits, optionally followed by 'a' (sm_90a).
bool isGpuArch(llvm::StringRef arch) {
  if (!arch.consume_front("sm_"))
    return false;
  arch.consume_back("a");
  unsigned number;
  return arch.size() >= 2 && !arch.getAsInteger(10, number) && number >= 50;
}

/// Whether `path` is a GGUF file (told by content, as the importer does).
bool isGgufFile(llvm::StringRef path) {
  llvm::sys::fs::file_status status;
  if (llvm::sys::fs::status(path, status) ||
      status.type() != llvm::sys::fs::file_type::regular_file)
    return false;
  auto head = llvm::MemoryBuffer::getFileSlice(path, 4, 0);
  return head && (*head)->getBuffer() == "GGUF";
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  // The MLIR and LLVM libraries register hundreds of options; --help shows
  // tritc's own (and -help-hidden the pass manager's, e.g.
  // --mlir-print-ir-after-all).
  llvm::cl::HideUnrelatedOptions(tritcCategory);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "tritc: compiles a BitNet b1.58 model with trit\n\n"
      "  Input: ONNX (.onnx, textual .onnxtext), a Hugging Face directory "
      "(config.json + safetensors), a GGUF file, or MLIR (.mlir) at the "
      "graph or trit level. A lib or exe from a checkpoint with a tokenizer "
      "gets it beside it (OUTPUT.tokenizer.json or .tokenizer.model; from a "
      "GGUF file, OUTPUT.tokenizer.gguf, its tokenizer.* metadata), where "
      "trit-run --prompt and trit-tokenize find it.\n"
      "  Stages: import -> trit-fuse-quantization -> trit-cpu-pipeline -> "
      "LLVM -> native code; with --target=cuda, trit-gpu-pipeline -> NVVM "
      "-> PTX or cubin, embedded in host code that the runtime's CUDA "
      "backend runs.\n");
  trit::applyPassManagerOptionsFromCommandLine();

  // The report prints when the manager goes, after everything below
  // (declared later, destroyed earlier) is done.
  DefaultTimingManager timingManager;
  applyDefaultTimingManagerCLOptions(timingManager);
  bool passTiming = timingManager.isEnabled();
  if (timePhases) {
    timingManager.setEnabled(true);
    if (!passTiming)
      timingManager.setDisplayMode(DefaultTimingManager::DisplayMode::Tree);
  }
  TimingScope rootTiming = timingManager.getRootScope();
  trit::StageTiming timing{&rootTiming, passTiming};
  // The report, then tritc's peak resident memory (the linker, a child
  // process, not included), once every phase's timer has stopped.
  llvm::scope_exit report([&] {
    if (!timingManager.isEnabled())
      return;
    rootTiming.stop();
    timingManager.print();
    timingManager.setEnabled(false);
    if (!timePhases)
      return;
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) == 0)
      llvm::errs() << "  peak resident memory: " << usage.ru_maxrss / 1024
                   << " MiB\n";
  });

  auto emitName = [&] {
    return emit.getParser().getOption(int(emit.getValue())).str();
  };
  if (target != "cpu" && target != "cuda")
    return fail("--target=" + target + " is not a target (cpu or cuda)");
  const bool cuda = target == "cuda";
  if (!cuda && (emit == Emit::Gpu || emit == Emit::Ptx || emit == Emit::Cubin))
    return fail("--emit=" + emitName() + " needs --target=cuda");
  if (cuda && (emit == Emit::Loops || emit == Emit::Asm || emit == Emit::Obj))
    return fail("--emit=" + emitName() +
                " is for --target=cpu (the GPU target emits mlir, trit, gpu, "
                "ptx, cubin, llvm, lib or exe)");
  if (!cuda && gpuArch.getNumOccurrences())
    return fail("--gpu-arch applies to --target=cuda");
  if (cuda && !isGpuArch(gpuArch))
    return fail("--gpu-arch=" + gpuArch +
                " is not an NVIDIA architecture (sm_80, sm_90, ...)");
  if (cuda) {
    // What the GPU pipeline does not take yet, refused rather than ignored.
    if (layout != "i2")
      return fail("--layout=" + layout +
                  " is not supported by --target=cuda yet (i2 only)");
    if (kernel != "auto")
      return fail("--kernel applies to --target=cpu (the GPU target's "
                  "BitLinear kernel is dp4a)");
    if (weights.getNumOccurrences() && weights == Weights::Embedded)
      return fail("--weights=embedded is not supported by --target=cuda: "
                  "its weights go into OUTPUT.weights, which the runtime "
                  "copies to the GPU");
  }
  if (optLevel > 3)
    return fail("-O" + llvm::Twine(optLevel) + " is not a level (0 to 3)");
  if (layout != "i2" && layout != "tq1")
    return fail("--layout=" + layout + " is not a layout (i2 or tq1)");
  // The target's default: the GPU reads the head at half the bytes.
  if (lmHeadType.empty())
    lmHeadType = cuda ? "f16" : "f32";
  if (lmHeadType != "f32" && lmHeadType != "f16" && lmHeadType != "bf16")
    return fail("--lm-head-type=" + lmHeadType +
                " is not a type (f32, f16 or bf16)");
  if (kernel != "auto" && kernel != "addsub" && kernel != "dot")
    return fail("--kernel=" + kernel + " is not a kernel (auto, addsub, dot)");
  if (isBinaryLevel(emit) && outputFile == "-")
    return fail("--emit=" +
                emit.getParser().getOption(int(emit.getValue())) +
                " writes a binary: give the output file with -o");
  if (weights.getNumOccurrences() && weights == Weights::External &&
      emit != Emit::Lib && emit != Emit::Exe)
    return fail("--weights=external applies to --emit=lib and --emit=exe");

  DialectRegistry registry;
  trit::registerCompilerDialects(registry);
  MLIRContext context(registry);
  // Errors name the op by location; a dump of a whole model helps nobody.
  context.printOpOnDiagnostic(false);

  std::string error;
  OwningOpRef<ModuleOp> module;
  TimingScope importTiming = timing.nest("import");
  std::string tokenizerPath, tokenizerConfigPath;
  if (llvm::StringRef(inputFile).ends_with(".mlir") &&
      inputFormat == trit::InputFormat::Auto) {
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(inputFile);
    if (!buffer)
      return fail(inputFile + ": " + buffer.getError().message());
    module = trit::parseModule(context, (*buffer)->getBuffer(), inputFile,
                               error);
    if (!module)
      return fail("cannot parse " + inputFile + ":\n" + error);
  } else {
    trit::ImportOptions import;
    import.format = inputFormat;
    import.progress = llvm::errs().is_displayed();
    import.packLayout = layout;
    trit::ImportResult imported =
        trit::importModel(context, inputFile, import, error);
    if (!imported.module)
      return fail(error);
    module = std::move(imported.module);
    tokenizerPath = imported.tokenizerPath;
    tokenizerConfigPath = imported.tokenizerConfigPath;
  }
  importTiming.stop();
  // Stage errors are compiler diagnostics ("file:line:col: error: ...").
  auto stageError = [&]() {
    llvm::errs() << error;
    return 1;
  };
  auto writeText = [&](llvm::function_ref<LogicalResult(llvm::raw_ostream &)>
                           print) {
    std::string openError;
    TimingScope outputTiming = timing.nest("output");
    auto output = openOutputFile(outputFile, &openError);
    if (!output)
      return fail(openError);
    if (failed(print(output->os())))
      return stageError();
    output->keep();
    return 0;
  };
  auto printModule = [&](llvm::raw_ostream &os) {
    module->print(os);
    os << "\n";
    return success();
  };
  if (emit == Emit::Mlir)
    return writeText(printModule);

  if (failed(trit::runGraphToTrit(*module, error, timing)))
    return stageError();
  if (emit == Emit::Trit)
    return writeText(printModule);

  // A model library or executable gets the runtime's model ABI.
  if (emit == Emit::Lib || emit == Emit::Exe) {
    trit::ModelExportOptions model;
    model.entry = entry;
    model.contextLength = contextLength;
    model.defaultThreads = defaultThreads;
    if (failed(trit::exportModel(*module, model, error, timing)))
      return stageError();
  }

  trit::CpuTargetOptions cpuTarget;
  cpuTarget.cpu = cpu;
  cpuTarget.optLevel = optLevel;
  cpuTarget.optimizeEntryGlue = optimizeEntryGlue;
  // The tokenizer travels with a lib or exe: trit-run finds it beside it.
  auto copyTokenizer = [&]() -> int {
    // The tokenizer travels with the model: trit-run finds it beside it. A
    // tokenizer left there by an earlier compile to the same output would
    // be taken for this model's (trit-run takes the first it finds), so
    // every other one goes.
    std::string tokenizerCopy;
    if (!tokenizerPath.empty())
      tokenizerCopy = outputFile + ".tokenizer" +
                      llvm::sys::path::extension(tokenizerPath).str();
    else if (isGgufFile(inputFile))
      tokenizerCopy = outputFile + ".tokenizer.gguf";
    for (const char *suffix : {".json", ".model", ".gguf"}) {
      std::string stale = outputFile + ".tokenizer" + suffix;
      if (stale != tokenizerCopy)
        llvm::sys::fs::remove(stale);
    }
    // Its BOS and EOS, as OUTPUT.tokenizer_config.json (the runtime reads the
    // one named after the model, never another in the folder).
    std::string configCopy = outputFile + ".tokenizer_config.json";
    llvm::sys::fs::remove(configCopy);
    if (!tokenizerConfigPath.empty())
      if (std::error_code ec =
              llvm::sys::fs::copy_file(tokenizerConfigPath, configCopy))
        return fail("cannot copy " + tokenizerConfigPath + " to " + configCopy +
                    ": " + ec.message());
    if (!tokenizerPath.empty()) {
      if (std::error_code ec =
              llvm::sys::fs::copy_file(tokenizerPath, tokenizerCopy))
        return fail("cannot copy the tokenizer " + tokenizerPath + " to " +
                    tokenizerCopy + ": " + ec.message());
    } else if (!tokenizerCopy.empty()) {
      // A GGUF model carries its tokenizer in its metadata: its tokenizer.*
      // keys, in a GGUF file of their own with no tensors, which the
      // runtime's tokenizer reads as it reads the model.
      bool written = false;
      if (!writeGgufTokenizerBeside(inputFile, tokenizerCopy, written, error))
        return fail(error);
      if (!written)
        llvm::sys::fs::remove(tokenizerCopy);
    }
    return 0;
  };
  if (cuda) {
    trit::GpuPipelineOptions gpu;
    gpu.chip = gpuArch;
    gpu.lmHeadType = lmHeadType;
    gpu.kernelConstantBytes = weightsMinBytes;
    std::string toolkit = trit::findCudaToolkit();
    gpu.toolkit = toolkit;
    // A lib or exe embeds a fatbin where the CUDA toolkit is found: the
    // cubin for --gpu-arch and its PTX, which the driver compiles for
    // newer GPUs (an sm_80 cubin alone does not run on an sm_90 GPU); PTX
    // alone elsewhere.
    gpu.format = emit == Emit::Ptx     ? "isa"
                 : emit == Emit::Cubin ? "bin"
                 : !toolkit.empty()    ? "fatbin"
                                       : "isa";
    if (emit == Emit::Cubin && toolkit.empty())
      return fail("--emit=cubin needs the CUDA toolkit's ptxas (not on PATH "
                  "or in /usr/local/cuda/bin)");
    if (failed(trit::runGpuKernelsPipeline(*module, gpu, error, timing)))
      return stageError();
    if (emit == Emit::Gpu)
      return writeText(printModule);
    if (failed(trit::runGpuBinaryPipeline(*module, gpu, error, timing)))
      return stageError();
    if (emit == Emit::Ptx || emit == Emit::Cubin) {
      SmallVector<std::string> objects = trit::gpuBinaryObjects(*module);
      if (objects.size() != 1)
        return fail("expected one GPU binary, got " +
                    llvm::Twine(objects.size()));
      return writeText([&](llvm::raw_ostream &os) {
        os << objects.front();
        return success();
      });
    }
    // Without the toolkit, its libdevice is not linked either: PTX that
    // calls a libdevice function (__nv_expf, ...) would fail to load.
    if (toolkit.empty()) {
      llvm::SmallVector<std::string> missing;
      for (const std::string &object : trit::gpuBinaryObjects(*module))
        for (llvm::StringRef line : llvm::split(object, '\n'))
          if (line.contains(".extern .func") && line.contains("__nv_"))
            missing.push_back(
                line.substr(line.find("__nv_")).take_while([](char c) {
                  return llvm::isAlnum(c) || c == '_';
                }).str());
      if (!missing.empty())
        return fail("the kernels call libdevice's " +
                    llvm::join(missing, ", ") +
                    ", which comes with the CUDA toolkit (nvvm/libdevice); "
                    "no toolkit was found (ptxas on PATH or in "
                    "/usr/local/cuda/bin), so the PTX would not load");
    }
    if (failed(trit::runGpuHostToLLVMPipeline(*module, gpu, error, timing)))
      return stageError();
    if (emit == Emit::Llvm)
      return writeText([&](llvm::raw_ostream &os) {
        return trit::emitLLVMIR(*module, cpuTarget, os, error, timing);
      });
    // lib, exe: the weights in OUTPUT.weights (the runtime copies them to
    // the GPU), the host code linked with the CUDA backend.
    {
      TimingScope externalTiming = timing.nest("external weights");
      if (failed(trit::externalizeWeights(*module, outputFile + ".weights",
                                          error, weightsMinBytes)))
        return fail(error);
    }
    FailureOr<SmallVector<std::string>> objects = trit::emitObjectFiles(
        *module, cpuTarget, outputFile + ".o", error, timing);
    if (failed(objects))
      return fail(error);
    TimingScope linkTiming = timing.nest("link");
    LogicalResult linked =
        emit == Emit::Lib
            ? trit::linkSharedLibrary(*objects, outputFile, error, true)
            : trit::linkExecutable(*objects, outputFile, error, true);
    linkTiming.stop();
    for (const std::string &object : *objects)
      llvm::sys::fs::remove(object);
    if (failed(linked))
      return fail(error);
    return copyTokenizer();
  }
  trit::CpuPipelineOptions pipeline;
  pipeline.layout = layout;
  pipeline.kernel = kernel;
  pipeline.lmHeadType = lmHeadType;
  trit::resolveCpuPipelineOptions(pipeline, cpuTarget);
  if (pipeline.kernel == "dot" && kernel == "dot")
    pipeline.vnni = trit::cpuHasAvx512Vnni(cpuTarget);

  if (failed(trit::runCpuLoopsPipeline(*module, pipeline, error, timing)))
    return stageError();
  if (emit == Emit::Loops)
    return writeText(printModule);
  if (failed(trit::runCpuToLLVMPipeline(*module, pipeline, error, timing)))
    return stageError();
  if (emit == Emit::Llvm)
    return writeText([&](llvm::raw_ostream &os) {
      return trit::emitLLVMIR(*module, cpuTarget, os, error, timing);
    });
  if (emit == Emit::Asm || emit == Emit::Obj) {
    if (outputFile == "-" && emit == Emit::Asm)
      return writeText([&](llvm::raw_ostream &os) {
        llvm::SmallString<128> tmp;
        if (llvm::sys::fs::createTemporaryFile("tritc", "s", tmp))
          return failure();
        if (failed(trit::emitMachineCodeFile(*module, cpuTarget, tmp,
                                             /*assembly=*/true, error, timing)))
          return failure();
        auto text = llvm::MemoryBuffer::getFile(tmp);
        llvm::sys::fs::remove(tmp);
        if (!text)
          return failure();
        os << (*text)->getBuffer();
        return success();
      });
    if (failed(trit::emitMachineCodeFile(*module, cpuTarget, outputFile,
                                         emit == Emit::Asm, error, timing)))
      return fail(error);
    return 0;
  }

  // lib, exe: an object beside the output, then the link.
  if (weights == Weights::External) {
    TimingScope externalTiming = timing.nest("external weights");
    if (failed(trit::externalizeWeights(*module, outputFile + ".weights", error,
                                        weightsMinBytes)))
      return fail(error);
  }
  FailureOr<SmallVector<std::string>> objects = trit::emitObjectFiles(
      *module, cpuTarget, outputFile + ".o", error, timing);
  if (failed(objects))
    return fail(error);
  TimingScope linkTiming = timing.nest("link");
  LogicalResult linked =
      emit == Emit::Lib ? trit::linkSharedLibrary(*objects, outputFile, error)
                        : trit::linkExecutable(*objects, outputFile, error);
  linkTiming.stop();
  for (const std::string &object : *objects)
    llvm::sys::fs::remove(object);
  if (failed(linked))
    return fail(error);
  return copyTokenizer();
}
