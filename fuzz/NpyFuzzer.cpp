//===- NpyFuzzer.cpp - trit-run's .npy reader -------------------*- C++ -*-===//

#include "../tools/trit-run/Npy.h"
#include "FuzzUtil.h"

#include <cstdint>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path = trit::fuzz::writeScratch(data, size, ".npy");
  std::vector<int64_t> shape, values;
  std::string error;
  if (trit::npy::readInt64(path, shape, values, error)) {
    // What was read is what the shape says.
    size_t count = 1;
    for (int64_t d : shape) {
      if (d < 0)
        __builtin_trap();
      count *= static_cast<size_t>(d);
    }
    if (count != values.size())
      __builtin_trap();
  } else if (error.empty()) {
    __builtin_trap();
  }
  return 0;
}
