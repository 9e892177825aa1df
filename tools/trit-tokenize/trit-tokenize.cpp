//===- trit-tokenize.cpp - text to token ids and back -----------*- C++ -*-===//
//
// Encodes text with a tokenizer and prints the ids as the Hugging Face
// `tokenizers` library gives them, or decodes ids back to text. Links the
// runtime's tokenizer only (no MLIR, no LLVM), so options are parsed by
// hand.
//
//===----------------------------------------------------------------------===//

#include "trit/tokenizer.h"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

const char *const usage = R"(usage: trit-tokenize [options] TOKENIZER [TEXT]
       trit-tokenize --info TOKENIZER

Encodes TEXT with TOKENIZER and prints the token ids, comma-separated, as the
Hugging Face `tokenizers` library gives them (the post-processor's tokens,
such as LLaMA-3's <|begin_of_text|>, included). With --decode, TEXT is a list
of ids and their text is printed.

TOKENIZER: a tokenizer.json, a SentencePiece tokenizer.model, a directory
holding either (tokenizer.json preferred), a GGUF file (its tokenizer.ggml.*
metadata), or a model compiled by tritc (the tokenizer tritc put beside it:
MODEL.tokenizer.json, MODEL.tokenizer.model or MODEL.tokenizer.gguf).

options:
  --file PATH     read the input from PATH instead of TEXT
  --decode        the input is comma-separated ids (e.g. 1,2,3): print the
                  text they stand for, followed by a newline
  --no-special    encoding: do not add the post-processor's tokens (BOS);
                  decoding: leave special tokens (BOS, EOS, ...) out
  --lines         the input holds one record per line (the newline is not
                  part of it): encode (or decode) each, printing one result
                  per line
  -z, --null      with --lines: records end with a NUL byte instead of a
                  newline, in the input and in the output
  --stream        with --decode: decode through the streaming decoder, one
                  id at a time, as trit-run prints generated text
  --bench N       encode the input N times and print the throughput (MB/s)
                  to stderr
  --info          print the tokenizer's kind, vocabulary size, BOS and EOS
                  ids as one line of JSON, e.g. {"kind": "bpe",
                  "vocab_size": 256, "bos": null, "eos": 2}; takes no TEXT
  --help          print this help

Exit status: 0 on success, 1 on an error (a one-line message on stderr),
2 on a usage error.
)";

struct Options {
  std::string tokenizerPath;
  std::string text;
  bool haveText = false;
  std::string file;
  bool decode = false;
  bool noSpecial = false;
  bool lines = false;
  bool nullSeparated = false;
  bool stream = false;
  bool info = false;
  long bench = 0;
};

[[noreturn]] void usageError(const std::string &message) {
  std::fprintf(stderr, "trit-tokenize: %s\n(see trit-tokenize --help)\n",
               message.c_str());
  std::exit(2);
}

[[noreturn]] void fatal(const std::string &message) {
  std::fprintf(stderr, "trit-tokenize: %s\n", message.c_str());
  std::exit(1);
}

Options parseOptions(int argc, char **argv) {
  Options options;
  std::vector<std::string> positional;
  bool optionsEnded = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      size_t equals = arg.find('=');
      if (equals != std::string::npos)
        return arg.substr(equals + 1);
      if (i + 1 >= argc)
        usageError(arg + " needs a value");
      return argv[++i];
    };
    auto is = [&](const char *name) {
      return arg == name || arg.rfind(std::string(name) + "=", 0) == 0;
    };
    if (optionsEnded || arg.empty() || arg[0] != '-' || arg == "-") {
      positional.push_back(arg);
    } else if (arg == "--") {
      optionsEnded = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    } else if (is("--file")) {
      options.file = value();
    } else if (arg == "--decode") {
      options.decode = true;
    } else if (arg == "--no-special") {
      options.noSpecial = true;
    } else if (arg == "--lines") {
      options.lines = true;
    } else if (arg == "-z" || arg == "--null") {
      options.nullSeparated = true;
    } else if (arg == "--stream") {
      options.stream = true;
    } else if (arg == "--info") {
      options.info = true;
    } else if (is("--bench")) {
      std::string count = value();
      char *end = nullptr;
      options.bench = std::strtol(count.c_str(), &end, 10);
      if (count.empty() || *end || options.bench <= 0)
        usageError("--bench needs a positive count, not '" + count + "'");
    } else {
      usageError("unknown option '" + arg + "'");
    }
  }
  if (positional.empty())
    usageError("no TOKENIZER given");
  options.tokenizerPath = positional[0];
  if (positional.size() > 2)
    usageError("more than one TEXT given (quote the text)");
  if (positional.size() == 2) {
    options.text = positional[1];
    options.haveText = true;
  }
  if (options.info) {
    if (options.haveText || !options.file.empty() || options.decode ||
        options.bench || options.lines)
      usageError("--info takes only TOKENIZER");
    return options;
  }
  if (options.haveText == !options.file.empty())
    usageError(options.haveText ? "give TEXT or --file, not both"
                                : "no TEXT or --file given");
  if (options.nullSeparated && !options.lines)
    usageError("-z needs --lines");
  if (options.stream && !options.decode)
    usageError("--stream needs --decode");
  if (options.bench && options.decode)
    usageError("--bench measures encoding; it does not take --decode");
  return options;
}

/// The tokenizer of `path`: for a compiled model the one beside it, else
/// whatever Tokenizer::load reads (tokenizer files, directories, GGUF).
std::unique_ptr<trit::Tokenizer> loadTokenizer(const std::string &path,
                                               std::string &error) {
  if (trit::isCompiledModelFile(path)) {
    std::string beside = trit::findModelTokenizer(path);
    if (beside.empty()) {
      error = path +
              ": the compiled model has no tokenizer beside it "
              "(looked for " +
              path + ".tokenizer.json, .tokenizer.model and .tokenizer.gguf)";
      return nullptr;
    }
    return trit::Tokenizer::load(beside, error);
  }
  return trit::Tokenizer::load(path, error);
}

std::string optionalId(std::optional<int32_t> id) {
  return id ? std::to_string(*id) : "null";
}

std::string readInput(const Options &options) {
  if (options.haveText)
    return options.text;
  std::ifstream stream(options.file, std::ios::binary);
  if (!stream)
    fatal(options.file + ": cannot be read");
  return std::string(std::istreambuf_iterator<char>(stream),
                     std::istreambuf_iterator<char>());
}

/// The records of the input: all of it, or its lines.
std::vector<std::string> splitRecords(const std::string &input,
                                      const Options &options) {
  if (!options.lines)
    return {input};
  char terminator = options.nullSeparated ? '\0' : '\n';
  std::vector<std::string> records;
  size_t start = 0;
  while (start < input.size()) {
    size_t end = input.find(terminator, start);
    if (end == std::string::npos) {
      records.push_back(input.substr(start));
      break;
    }
    records.push_back(input.substr(start, end - start));
    start = end + 1;
  }
  return records;
}

/// Parses "1,2,3" (spaces and surrounding brackets allowed); every id must
/// name a token of `tokenizer`.
std::vector<int32_t> parseIds(const std::string &text,
                              const trit::Tokenizer &tokenizer,
                              const std::string &tokenizerPath) {
  std::vector<int32_t> ids;
  std::string cleaned;
  for (char c : text)
    cleaned += (c == '[' || c == ']' || c == ',' ||
                std::isspace(static_cast<unsigned char>(c)))
                   ? ' '
                   : c;
  std::istringstream stream(cleaned);
  std::string word;
  while (stream >> word) {
    char *end = nullptr;
    errno = 0;
    long long id = std::strtoll(word.c_str(), &end, 10);
    if (*end || errno)
      fatal("--decode: '" + word + "' is not a token id");
    if (id < 0 || id > INT32_MAX || !tokenizer.isValidId(int32_t(id)))
      fatal(tokenizerPath + ": token id " + word +
            " is out of range (vocabulary size " +
            std::to_string(tokenizer.vocabSize()) + ")");
    ids.push_back(int32_t(id));
  }
  return ids;
}

std::string joinIds(const std::vector<int32_t> &ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i)
      out += ',';
    out += std::to_string(ids[i]);
  }
  return out;
}

void benchmark(const trit::Tokenizer &tokenizer, const std::string &input,
               const Options &options) {
  size_t total = 0;
  auto start = std::chrono::steady_clock::now();
  for (long i = 0; i < options.bench; ++i)
    total += tokenizer.encode(input, !options.noSpecial).size();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  double megabytes = double(input.size()) * double(options.bench) / 1e6;
  std::fprintf(stderr,
               "encoded %zu bytes %ld times (%zu ids each) in %.3f s: "
               "%.2f MB/s\n",
               input.size(), options.bench, total / size_t(options.bench),
               seconds, seconds > 0 ? megabytes / seconds : 0.0);
}

} // namespace

int main(int argc, char **argv) {
  Options options = parseOptions(argc, argv);
  std::string error;
  auto tokenizer = loadTokenizer(options.tokenizerPath, error);
  if (!tokenizer)
    fatal(error);
  if (options.info) {
    std::printf("{\"kind\": \"%s\", \"vocab_size\": %d, \"bos\": %s, "
                "\"eos\": %s}\n",
                tokenizer->kindName(), tokenizer->vocabSize(),
                optionalId(tokenizer->bos()).c_str(),
                optionalId(tokenizer->eos()).c_str());
    return std::fflush(stdout) == 0 ? 0 : 1;
  }

  std::string input = readInput(options);
  if (options.bench) {
    benchmark(*tokenizer, input, options);
    return 0;
  }

  char terminator = options.nullSeparated ? '\0' : '\n';
  std::string out;
  for (const std::string &record : splitRecords(input, options)) {
    if (!options.decode) {
      out += joinIds(tokenizer->encode(record, !options.noSpecial));
    } else {
      std::vector<int32_t> ids =
          parseIds(record, *tokenizer, options.tokenizerPath);
      if (options.stream) {
        trit::StreamingDecoder decoder(*tokenizer, options.noSpecial);
        for (int32_t id : ids)
          out += decoder.push(id);
        out += decoder.finish();
      } else {
        out += tokenizer->decode(ids, options.noSpecial);
      }
    }
    out += terminator;
  }
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() ||
      std::fflush(stdout) != 0)
    fatal("cannot write the output");
  return 0;
}
