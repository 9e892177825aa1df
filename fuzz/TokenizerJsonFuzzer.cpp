//===- TokenizerJsonFuzzer.cpp - tokenizer.json ------------------*- C++ -*-===//
//
// Builds a tokenizer from any text as a tokenizer.json; where one is built,
// encodes a fixed text (with and without special tokens) and decodes the
// ids back.
//
//===----------------------------------------------------------------------===//

#include "trit/tokenizer.h"

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string_view json(reinterpret_cast<const char *>(data), size);
  std::string error;
  std::unique_ptr<trit::Tokenizer> tokenizer =
      trit::Tokenizer::fromJson(json, "fuzz.json", error);
  if (!tokenizer) {
    if (error.empty())
      __builtin_trap();
    return 0;
  }
  for (bool special : {false, true}) {
    std::vector<int32_t> ids =
        tokenizer->encode("Hello, world! \xc3\xa9t\xc3\xa9 123 <s>", special);
    (void)tokenizer->decode(ids);
  }
  return 0;
}
