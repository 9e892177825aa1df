//===- trit-run.cpp - run a compiled trit model -----------------*- C++ -*-===//
//
// Runs a model library compiled by tritc through the runtime's C API: a
// forward pass from .npy token ids to .npy logits, or generation from a
// prompt given as token ids or as text. Text goes through the runtime's
// tokenizer (the one tritc put beside the model, or --tokenizer), and the
// generated text is printed token by token as trit_generate_stream draws it.
// Links the runtime and the tokenizer only (no MLIR, no LLVM).
//
//===----------------------------------------------------------------------===//

#include "trit/runtime.h"
#include "trit/tokenizer.h"

#include "Npy.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

#ifdef TRIT_RUN_EMBEDDED
#define TRIT_RUN_MODEL "executable"
#define TRIT_RUN_MODEL_NAME "EXECUTABLE"
#else
#define TRIT_RUN_MODEL "model"
#define TRIT_RUN_MODEL_NAME "MODEL"
#endif

#ifdef TRIT_RUN_EMBEDDED
// Linked into an executable by tritc --emit=exe: the model is this program.
const char *kUsage =
    "usage: MODEL-EXECUTABLE [options]\n"
    "\n"
    "Runs the model compiled into this executable by tritc.\n"
#else
const char *kUsage =
    "usage: trit-run MODEL [options]\n"
    "\n"
    "Runs a model library compiled by tritc.\n"
#endif
    "\n"
    "forward pass:\n"
    "  --input IDS.npy        int64 token ids [batch, seq]\n"
    "  --output LOGITS.npy    float32 logits [batch, seq, vocab]\n"
    "generation:\n"
    "  --generate N           generate up to N tokens after the prompt\n"
    "  --prompt TEXT          the prompt as text: it is encoded with the\n"
    "                         model's tokenizer (BOS added where the\n"
    "                         tokenizer adds one), and the generated text is\n"
    "                         printed as it is produced, until N tokens or\n"
    "                         the tokenizer's end-of-sequence token\n"
    "  --prompt-ids 1,2,3     the prompt's token ids; the generated ids are\n"
    "                         printed, comma-separated, when all are drawn\n"
    "  --tokenizer PATH       the tokenizer for --prompt: a tokenizer.json,\n"
    "                         tokenizer.model, a directory holding one, a\n"
    "                         .gguf file or a compiled model (default: the\n"
    "                         one tritc put beside the " TRIT_RUN_MODEL ",\n"
    "                         " TRIT_RUN_MODEL_NAME ".tokenizer.json, "
    ".tokenizer.model or\n"
    "                         .tokenizer.gguf)\n"
    "  --stop-ids 1,2         also stop after generating any of these ids\n"
    "                         (e.g. the model's own EOS, which a compiled\n"
    "                         model does not carry)\n"
    "  --temperature T        0 (default) is greedy\n"
    "  --top-k K              keep the K most likely tokens (0: all)\n"
    "  --top-p P              keep the smallest set of probability >= P\n"
    "  --seed S               seed of the sampler (default 0)\n"
    "both:\n"
    "  --threads N            OpenMP threads (default: all cores)\n"
    "  --device D             cpu, cuda or cuda:N (default: what the model\n"
    "                         was compiled for; tritc --target=cuda makes a\n"
    "                         model that runs on the GPU, cuda:N picks GPU\n"
    "                         N; a model runs only on its own target)\n"
    "  --help                 this text\n"
    "\n"
    "Generation prints the prefill and decode speeds (tokens/s) to stderr.\n";

#ifdef TRIT_RUN_EMBEDDED
const char *kTool = "model";
#else
const char *kTool = "trit-run";
#endif

int usageError(const std::string &message) {
  std::fprintf(stderr, "%s: %s\n\n%s", kTool, message.c_str(), kUsage);
  return 2;
}

int runtimeError(const std::string &what) {
  std::fprintf(stderr, "%s: %s: %s\n", kTool, what.c_str(), trit_last_error());
  return 1;
}

bool parseInt(const std::string &text, int64_t &value) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno || end == text.c_str() || *end)
    return false;
  value = v;
  return true;
}

bool parseFloat(const std::string &text, float &value) {
  char *end = nullptr;
  value = std::strtof(text.c_str(), &end);
  return end != text.c_str() && !*end;
}

/// Parses "1,2,3" into `ids`; false on anything that is not an integer.
bool parseIdList(const std::string &text, std::vector<int64_t> &ids) {
  std::stringstream list(text);
  std::string item;
  while (std::getline(list, item, ',')) {
    int64_t id;
    if (!parseInt(item, id))
      return false;
    ids.push_back(id);
  }
  return true;
}

/// The file of the running program: where an executable from tritc
/// --emit=exe finds the tokenizer tritc wrote beside it.
std::string selfPath(const char *argv0) {
  std::vector<char> buffer(4096);
  ssize_t length = readlink("/proc/self/exe", buffer.data(), buffer.size());
  if (length > 0 && size_t(length) < buffer.size())
    return std::string(buffer.data(), size_t(length));
  return argv0;
}

/// The tokenizer for a text prompt: `explicitPath` if given (a compiled
/// model there means the tokenizer beside it), else the one beside `model`.
/// On failure sets `error` to one line.
std::unique_ptr<trit::Tokenizer> loadTokenizer(const std::string &explicitPath,
                                               const std::string &model,
                                               std::string &error) {
  std::string path = explicitPath;
  if (path.empty() || trit::isCompiledModelFile(path)) {
    std::string owner = path.empty() ? model : path;
    path = trit::findModelTokenizer(owner);
    if (path.empty()) {
      error = "a text prompt needs a tokenizer, and " + owner +
              " has none beside it (looked for " + owner +
              ".tokenizer.json, .tokenizer.model and .tokenizer.gguf); "
              "give one with --tokenizer, or the ids with --prompt-ids";
      return nullptr;
    }
  }
  return trit::Tokenizer::load(path, error);
}

/// What the streaming callback needs: the decoder to print through and the
/// ids that end generation.
struct TextStream {
  trit::StreamingDecoder *decoder = nullptr;
  std::vector<int64_t> stopIds;
  bool writeFailed = false;
};

bool writeOut(const std::string &text) {
  return text.empty() ||
         (std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
          std::fflush(stdout) == 0);
}

/// trit_generate_stream's callback: prints the text the token completes, at
/// once (flushed, so that a reader sees it as it is produced), and stops
/// generation at a stop id.
int onToken(int64_t id, int64_t /*index*/, void *user) {
  auto *stream = static_cast<TextStream *>(user);
  if (stream->decoder && !writeOut(stream->decoder->push(int32_t(id)))) {
    stream->writeFailed = true;
    return 1;
  }
  return std::find(stream->stopIds.begin(), stream->stopIds.end(), id) !=
         stream->stopIds.end();
}

} // namespace

int main(int argc, char **argv) {
  std::string model, input, output, promptIdsText, promptText, tokenizerPath,
      stopIdsText, device;
  bool havePromptIds = false, havePrompt = false;
  int64_t generate = -1, threads = 0, topK = 0, seed = 0;
  float temperature = 0.0f, topP = 1.0f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    // --option=value is --option value.
    std::optional<std::string> inlineValue;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 &&
                                   eq != std::string::npos) {
      inlineValue = arg.substr(eq + 1);
      arg.resize(eq);
    }
    auto value = [&](std::string &out) {
      if (inlineValue) {
        out = *inlineValue;
        return true;
      }
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--input") {
      if (!value(input))
        return usageError("--input needs a file");
    } else if (arg == "--output") {
      if (!value(output))
        return usageError("--output needs a file");
    } else if (arg == "--prompt-ids") {
      if (!value(promptIdsText))
        return usageError("--prompt-ids needs a list");
      havePromptIds = true;
    } else if (arg == "--prompt") {
      if (!value(promptText))
        return usageError("--prompt needs a text");
      havePrompt = true;
    } else if (arg == "--tokenizer") {
      if (!value(tokenizerPath))
        return usageError("--tokenizer needs a path");
    } else if (arg == "--device") {
      if (!value(device))
        return usageError("--device needs cpu, cuda or cuda:N");
    } else if (arg == "--stop-ids") {
      if (!value(stopIdsText))
        return usageError("--stop-ids needs a list");
    } else if (arg == "--generate" || arg == "--threads" || arg == "--top-k" ||
               arg == "--seed") {
      int64_t n;
      if (!value(v) || !parseInt(v, n) || n < 0)
        return usageError(arg + " needs a non-negative integer");
      (arg == "--generate" ? generate
       : arg == "--threads" ? threads
       : arg == "--top-k"   ? topK
                            : seed) = n;
    } else if (arg == "--temperature" || arg == "--top-p") {
      float f;
      if (!value(v) || !parseFloat(v, f))
        return usageError(arg + " needs a number");
      (arg == "--temperature" ? temperature : topP) = f;
    } else if (!arg.empty() && arg[0] == '-') {
      return usageError("unknown option '" + arg + "'");
#ifndef TRIT_RUN_EMBEDDED
    } else if (model.empty()) {
      model = arg;
#endif
    } else {
      return usageError("unexpected argument '" + arg + "'");
    }
  }
#ifndef TRIT_RUN_EMBEDDED
  if (model.empty())
    return usageError("no model given");
#endif
  bool forward = !input.empty() || !output.empty();
  if (forward == (generate >= 0))
    return usageError("give either --input and --output, or --generate");
  if (forward && (input.empty() || output.empty()))
    return usageError("a forward pass needs both --input and --output");
  if (!forward && havePrompt == havePromptIds)
    return usageError(havePrompt ? "give --prompt or --prompt-ids, not both"
                                 : "generation needs --prompt or --prompt-ids");
  if (forward && (havePrompt || havePromptIds))
    return usageError("a forward pass takes its ids from --input, not a "
                      "prompt");
  if (!tokenizerPath.empty() && !havePrompt)
    return usageError("--tokenizer applies to a text --prompt");
  std::vector<int64_t> stopIds;
  if (!parseIdList(stopIdsText, stopIds))
    return usageError("--stop-ids takes integers separated by commas");

  // The tokenizer first: a text prompt that cannot be encoded fails before
  // the model is loaded.
  std::unique_ptr<trit::Tokenizer> tokenizer;
  std::string modelFile = model;
  if (havePrompt) {
    if (modelFile.empty())
      modelFile = selfPath(argv[0]);
    std::string error;
    tokenizer = loadTokenizer(tokenizerPath, modelFile, error);
    if (!tokenizer) {
      std::fprintf(stderr, "%s: %s\n", kTool, error.c_str());
      return 1;
    }
  }
  // dlopen reads a name without a slash as a library to search for, not a
  // file here: "trit-run m.so" means ./m.so.
  if (!model.empty() && model.find('/') == std::string::npos)
    model = "./" + model;

  // A CUDA model opens its device as it loads: pick it first.
  std::string wantTarget;
  if (!device.empty()) {
    int64_t ordinal = 0;
    if (device == "cpu" || device == "cuda") {
      wantTarget = device;
    } else if (device.rfind("cuda:", 0) == 0 &&
               parseInt(device.substr(5), ordinal) && ordinal >= 0) {
      wantTarget = "cuda";
      setenv("TRIT_CUDA_DEVICE", device.substr(5).c_str(), 1);
    } else {
      return usageError("--device takes cpu, cuda or cuda:N, not '" + device +
                        "'");
    }
  }
  trit_set_num_threads(static_cast<int>(threads));
  trit_model *m = nullptr;
  if (trit_model_load(model.empty() ? nullptr : model.c_str(), &m) != TRIT_OK)
    return runtimeError("loading failed");
  if (!wantTarget.empty() && wantTarget != trit_model_target(m)) {
    std::fprintf(stderr,
                 "%s: --device=%s, but the model was compiled for %s "
                 "(recompile it with tritc --target=%s)\n",
                 kTool, device.c_str(), trit_model_target(m),
                 wantTarget.c_str());
    trit_model_free(m);
    return 1;
  }
  int64_t vocab = trit_model_vocab_size(m);
  // A tokenizer with ids the model does not have would make some prompts
  // fail and others silently mean something else: refuse it outright.
  if (tokenizer && tokenizer->vocabSize() > vocab) {
    std::fprintf(stderr,
                 "%s: the tokenizer has %d tokens, more than the model's "
                 "vocabulary of %lld: it is not this model's tokenizer\n",
                 kTool, tokenizer->vocabSize(), static_cast<long long>(vocab));
    trit_model_free(m);
    return 1;
  }

  int rc = 0;
  if (forward) {
    std::vector<int64_t> shape, ids;
    std::string error;
    if (!trit::npy::readInt64(input, shape, ids, error)) {
      std::fprintf(stderr, "%s: %s\n", kTool, error.c_str());
      trit_model_free(m);
      return 1;
    }
    if (shape.size() != 2) {
      std::fprintf(stderr,
                   "%s: '%s' must hold token ids of shape [batch, seq], got "
                   "rank %zu\n",
                   kTool, input.c_str(), shape.size());
      trit_model_free(m);
      return 1;
    }
    const int64_t batch = shape[0], seq = shape[1];
    std::string shapeText =
        "[" + std::to_string(batch) + ", " + std::to_string(seq) + "]";
    if (batch == 0 || seq == 0) {
      std::fprintf(stderr,
                   "%s: '%s' holds an empty %s (shape %s): a forward pass "
                   "needs at least one %s\n",
                   kTool, input.c_str(), batch == 0 ? "batch" : "sequence",
                   shapeText.c_str(), batch == 0 ? "sequence" : "token");
      trit_model_free(m);
      return 1;
    }
    // batch * seq ids are in the file (the reader checked), so the product
    // fits; the logits are `vocab` times as many, which may not.
    int64_t logitCount;
    std::vector<float> logits;
    try {
      if (__builtin_mul_overflow(batch * seq, vocab, &logitCount))
        throw std::bad_alloc();
      logits.resize(logitCount);
    } catch (const std::bad_alloc &) {
      std::fprintf(stderr,
                   "%s: cannot allocate the logits of '%s' (shape %s, "
                   "vocabulary %lld)\n",
                   kTool, input.c_str(), shapeText.c_str(),
                   static_cast<long long>(vocab));
      trit_model_free(m);
      return 1;
    }
    if (trit_model_forward(m, ids.data(), batch, seq, logits.data()))
      rc = runtimeError("forward pass failed");
    else if (!trit::npy::writeFloat32(output, {batch, seq, vocab},
                                      logits.data(), error)) {
      std::fprintf(stderr, "%s: %s\n", kTool, error.c_str());
      rc = 1;
    }
  } else {
    std::vector<int64_t> prompt;
    if (havePrompt) {
      for (int32_t id : tokenizer->encode(promptText))
        prompt.push_back(id);
      if (prompt.empty()) {
        std::fprintf(stderr,
                     "%s: --prompt is a prompt of 0 tokens (the tokenizer "
                     "adds no BOS to an empty text): generation needs at "
                     "least one\n",
                     kTool);
        trit_model_free(m);
        return 1;
      }
      if (std::optional<int32_t> eos = tokenizer->eos())
        stopIds.push_back(*eos);
    } else if (!parseIdList(promptIdsText, prompt)) {
      trit_model_free(m);
      return usageError("--prompt-ids takes integers separated by commas");
    } else if (prompt.empty()) {
      std::fprintf(stderr,
                   "%s: --prompt-ids is a prompt of 0 tokens: generation "
                   "needs at least one\n",
                   kTool);
      trit_model_free(m);
      return 1;
    }
    trit_sampling sampling{temperature, static_cast<int32_t>(topK), topP,
                           static_cast<uint64_t>(seed)};
    std::vector<int64_t> out(std::max<int64_t>(generate, 1));
    int64_t generated = 0;
    trit_timing timing{};
    if (!trit_model_has_kv_cache(m))
      std::fprintf(stderr,
                   "%s: note: the model has no KV cache: every step runs the "
                   "whole sequence (export it with its cache to decode one "
                   "token a step)\n",
                   kTool);
    // Special tokens (EOS, BOS) are not printed as text.
    std::unique_ptr<trit::StreamingDecoder> decoder;
    if (tokenizer)
      decoder = std::make_unique<trit::StreamingDecoder>(*tokenizer,
                                                         /*skipSpecial=*/true);
    TextStream stream;
    stream.decoder = decoder.get();
    stream.stopIds = stopIds;
    bool streaming = decoder || !stopIds.empty();
    if (trit_generate_stream(m, prompt.data(),
                             static_cast<int64_t>(prompt.size()), generate,
                             &sampling, out.data(), &generated, &timing,
                             streaming ? onToken : nullptr, &stream)) {
      if (decoder)
        writeOut(decoder->finish() + "\n");
      rc = runtimeError("generation failed");
    } else if (decoder) {
      if (stream.writeFailed || !writeOut(decoder->finish() + "\n")) {
        std::fprintf(stderr, "%s: cannot write the output\n", kTool);
        rc = 1;
      }
    } else {
      for (int64_t i = 0; i < generated; ++i)
        std::printf("%s%lld", i ? "," : "", static_cast<long long>(out[i]));
      std::printf("\n");
    }
    if (rc == 0)
      std::fprintf(stderr,
                   "%s: prefill %lld tokens in %.3f s (%.1f tokens/s), "
                   "decode %lld tokens in %.3f s (%.1f tokens/s)\n",
                   kTool, static_cast<long long>(timing.prompt_tokens),
                   timing.prefill_seconds,
                   timing.prefill_seconds > 0
                       ? timing.prompt_tokens / timing.prefill_seconds
                       : 0.0,
                   static_cast<long long>(generated > 0 ? generated - 1 : 0),
                   timing.decode_seconds,
                   timing.decode_seconds > 0
                       ? (generated - 1) / timing.decode_seconds
                       : 0.0);
  }
  trit_model_free(m);
  return rc;
}
