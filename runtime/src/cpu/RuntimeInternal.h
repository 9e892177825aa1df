//===- RuntimeInternal.h - shared helpers of the runtime --------*- C++ -*-===//

#ifndef TRIT_RUNTIME_SRC_RUNTIMEINTERNAL_H
#define TRIT_RUNTIME_SRC_RUNTIMEINTERNAL_H

#include "trit/runtime.h"

#include <string>

namespace trit::runtime {

/// Records `message` as this thread's last error and returns `status`.
trit_status fail(trit_status status, const std::string &message);

/// Why the `bytes`-byte weights file at `file` (its mapping; null if it
/// could not be read) is not the one a model with weights `id` and
/// `dataBytes` bytes of weights was built with, or "" when it is. Checks
/// the size first, then the header (magic, format version, id and size).
std::string checkWeightsFile(const unsigned char *file, size_t bytes,
                             uint64_t id, int64_t dataBytes);

} // namespace trit::runtime

#endif // TRIT_RUNTIME_SRC_RUNTIMEINTERNAL_H
