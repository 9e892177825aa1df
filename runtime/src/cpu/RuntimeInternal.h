//===- RuntimeInternal.h - shared helpers of the runtime --------*- C++ -*-===//

#ifndef TRIT_RUNTIME_SRC_RUNTIMEINTERNAL_H
#define TRIT_RUNTIME_SRC_RUNTIMEINTERNAL_H

#include "trit/runtime.h"

#include <string>

namespace trit::runtime {

/// Records `message` as this thread's last error and returns `status`.
trit_status fail(trit_status status, const std::string &message);

} // namespace trit::runtime

#endif // TRIT_RUNTIME_SRC_RUNTIMEINTERNAL_H
