//===- trit-run.cpp - run a compiled trit model -----------------*- C++ -*-===//
//
// Runs a model library compiled by tritc through the runtime's C API: a
// forward pass from .npy token ids to .npy logits, or generation from a
// prompt. Links the runtime only (no MLIR, no LLVM).
//
//===----------------------------------------------------------------------===//

#include "trit/runtime.h"

#include "Npy.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

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
    "  --generate N           generate N tokens after the prompt\n"
    "  --prompt-ids 1,2,3     the prompt's token ids\n"
    "  --temperature T        0 (default) is greedy\n"
    "  --top-k K              keep the K most likely tokens (0: all)\n"
    "  --top-p P              keep the smallest set of probability >= P\n"
    "  --seed S               seed of the sampler (default 0)\n"
    "both:\n"
    "  --threads N            OpenMP threads (default: all cores)\n"
    "  --help                 this text\n";

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

} // namespace

int main(int argc, char **argv) {
  std::string model, input, output, promptText;
  int64_t generate = -1, threads = 0, topK = 0, seed = 0;
  float temperature = 0.0f, topP = 1.0f;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](std::string &out) {
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
      if (!value(promptText))
        return usageError("--prompt-ids needs a list");
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

  trit_set_num_threads(static_cast<int>(threads));
  trit_model *m = nullptr;
  if (trit_model_load(model.empty() ? nullptr : model.c_str(), &m) != TRIT_OK)
    return runtimeError("loading failed");
  int64_t vocab = trit_model_vocab_size(m);

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
    std::vector<float> logits(shape[0] * shape[1] * vocab);
    if (trit_model_forward(m, ids.data(), shape[0], shape[1], logits.data()))
      rc = runtimeError("forward pass failed");
    else if (!trit::npy::writeFloat32(output, {shape[0], shape[1], vocab},
                                      logits.data(), error)) {
      std::fprintf(stderr, "%s: %s\n", kTool, error.c_str());
      rc = 1;
    }
  } else {
    std::vector<int64_t> prompt;
    std::stringstream list(promptText);
    std::string item;
    while (std::getline(list, item, ',')) {
      int64_t id;
      if (!parseInt(item, id)) {
        trit_model_free(m);
        return usageError("--prompt-ids takes integers separated by commas");
      }
      prompt.push_back(id);
    }
    if (prompt.empty()) {
      trit_model_free(m);
      return usageError("generation needs --prompt-ids");
    }
    trit_sampling sampling{temperature, static_cast<int32_t>(topK), topP,
                           static_cast<uint64_t>(seed)};
    std::vector<int64_t> out(generate);
    int64_t generated = 0;
    trit_timing timing{};
    if (!trit_model_has_kv_cache(m))
      std::fprintf(stderr,
                   "%s: note: the model has no KV cache: every step runs the "
                   "whole sequence (export it with its cache to decode one "
                   "token a step)\n",
                   kTool);
    if (trit_generate(m, prompt.data(), static_cast<int64_t>(prompt.size()),
                      generate, &sampling, out.data(), &generated, &timing)) {
      rc = runtimeError("generation failed");
    } else {
      for (int64_t i = 0; i < generated; ++i)
        std::printf("%s%lld", i ? "," : "", static_cast<long long>(out[i]));
      std::printf("\n");
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
  }
  trit_model_free(m);
  return rc;
}
