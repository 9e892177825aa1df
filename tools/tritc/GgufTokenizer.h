//===- GgufTokenizer.h - a GGUF model's tokenizer beside it -----*- C++ -*-===//
//
// tritc's bridge to the GGUF writer, free of namespaces (see the .cpp).
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TOOLS_TRITC_GGUFTOKENIZER_H
#define TRIT_TOOLS_TRITC_GGUFTOKENIZER_H

#include <string>

/// Writes the `tokenizer.*` metadata of the GGUF model `input` to `output`
/// (a GGUF file with no tensors); `written` says whether there was any. On
/// failure returns false and sets `error` to one line.
bool writeGgufTokenizerBeside(const std::string &input,
                              const std::string &output, bool &written,
                              std::string &error);

#endif // TRIT_TOOLS_TRITC_GGUFTOKENIZER_H
