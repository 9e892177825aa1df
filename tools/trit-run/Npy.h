//===- Npy.h - NumPy .npy files for trit-run --------------------*- C++ -*-===//
//
// The little-endian, C-order subset of the .npy format that trit-run reads
// (int64 token ids) and writes (float32 logits).
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_TOOLS_TRITRUN_NPY_H
#define TRIT_TOOLS_TRITRUN_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace trit::npy {

/// Reads an int64 array (also accepts int32, widened); `error` says why not.
bool readInt64(const std::string &path, std::vector<int64_t> &shape,
               std::vector<int64_t> &data, std::string &error);

/// Writes a C-order array of `shape` whose elements are `descr` (numpy's
/// type string: '<f4', '|i1', ...) from the `bytes` bytes at `data`.
bool writeArray(const std::string &path, const char *descr,
                const std::vector<int64_t> &shape, const void *data,
                size_t bytes, std::string &error);

/// Writes a float32 array of `shape`.
bool writeFloat32(const std::string &path, const std::vector<int64_t> &shape,
                  const float *data, std::string &error);

} // namespace trit::npy

#endif // TRIT_TOOLS_TRITRUN_NPY_H
