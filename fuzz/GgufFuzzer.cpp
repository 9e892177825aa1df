//===- GgufFuzzer.cpp - the GGUF reader and its tokenizer -------*- C++ -*-===//
//
// Opens any bytes as a GGUF file, then builds the tokenizer its
// tokenizer.ggml.* metadata describes (where it has one) and encodes and
// decodes a fixed text with it.
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"
#include "trit/Importer/GGUF/GgufFile.h"
#include "trit/tokenizer.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = trit::fuzz::writeScratch(data, size, ".gguf");
  std::string error;
  std::unique_ptr<trit::gguf::GgufFile> file = trit::gguf::GgufFile::open(path, error);
  if (!file) {
    if (error.empty())
      __builtin_trap();
    return 0;
  }
  std::unique_ptr<trit::Tokenizer> tokenizer =
      trit::Tokenizer::fromGgufFile(path, error);
  if (tokenizer) {
    std::vector<int32_t> ids = tokenizer->encode("Hello, world! 123", true);
    (void)tokenizer->decode(ids);
  }
  return 0;
}
