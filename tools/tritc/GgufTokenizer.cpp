//===- GgufTokenizer.cpp - a GGUF model's tokenizer beside it ---*- C++ -*-===//
//
// Kept out of tritc.cpp: that file works in `mlir` with `using namespace
// mlir`, where the GGUF reader's `::trit` would make every `trit::` there
// ambiguous with `mlir::trit`.
//
//===----------------------------------------------------------------------===//

#include "GgufTokenizer.h"

#include "trit/Importer/GGUF/GgufFile.h"
#include "trit/Importer/GGUF/GgufWriter.h"

bool writeGgufTokenizerBeside(const std::string &input,
                              const std::string &output, bool &written,
                              std::string &error) {
  written = false;
  auto gguf = trit::gguf::GgufFile::open(input, error);
  if (!gguf)
    return false;
  // A GGUF file without a vocabulary is a model still; it just has no text
  // side, as an ONNX model has none.
  if (!gguf->hasKey("tokenizer.ggml.tokens"))
    return true;
  if (!trit::gguf::writeGgufTokenizer(*gguf, output, error))
    return false;
  written = true;
  return true;
}
