//===- FuzzUtil.h - shared pieces of the fuzz targets -----------*- C++ -*-===//
//
// The parsers that take paths (the .npy reader, safetensors, GGUF) are fed
// through one scratch file per process, rewritten for every input.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_FUZZ_FUZZUTIL_H
#define TRIT_FUZZ_FUZZUTIL_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unistd.h>

namespace trit::fuzz {

/// Writes `data` to this process's scratch file (under $TMPDIR) and
/// returns its path; aborts if it cannot (a broken setup, not a finding).
inline const std::string &writeScratch(const uint8_t *data, size_t size,
                                       const char *suffix) {
  static const std::string path = [suffix] {
    const char *dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/trit-fuzz-" +
           std::to_string(getpid()) + suffix;
  }();
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f || (size && std::fwrite(data, 1, size, f) != size) ||
      std::fclose(f) != 0) {
    std::perror(path.c_str());
    std::abort();
  }
  return path;
}

} // namespace trit::fuzz

#endif // TRIT_FUZZ_FUZZUTIL_H
