//===- WeightsFuzzer.cpp - the runtime's weights-file check -----*- C++ -*-===//
//
// The check the runtime makes of a --weights=external model's .weights file
// before binding it: any bytes, against a model that expects weights id
// 0x74726974 and the file's own data size (so that the header fields, not
// only the size, decide).
//
//===----------------------------------------------------------------------===//

#include "../runtime/src/cpu/RuntimeInternal.h"
#include "trit/runtime.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int64_t dataBytes = size >= TRIT_WEIGHTS_HEADER_BYTES
                          ? int64_t(size - TRIT_WEIGHTS_HEADER_BYTES)
                          : 0;
  std::string problem =
      trit::runtime::checkWeightsFile(data, size, 0x74726974, dataBytes);
  // A file the check accepts has the magic and a full header.
  if (problem.empty() && size < TRIT_WEIGHTS_HEADER_BYTES)
    __builtin_trap();
  (void)trit::runtime::checkWeightsFile(data, size, 0x74726974,
                                        dataBytes + 1);
  return 0;
}
