//===- ExternalWeights.h - weights in a file beside the binary --*- C++ -*-===//
//
// tritc --weights=external: the large constants of a model (packed ternary
// weights, embeddings) leave the binary for a file that the runtime
// memory-maps at load time. The file format is shared with the runtime
// (runtime/include/trit/runtime.h, TRIT_WEIGHTS_*).
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DRIVER_EXTERNALWEIGHTS_H
#define TRIT_DRIVER_EXTERNALWEIGHTS_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::trit {

/// Moves every constant `llvm.mlir.global` of `module` (LLVM dialect) with
/// at least `minBytes` bytes of data into the weights file `path`: each use
/// becomes an offset from a base pointer that the exported
/// `trit_bind_weights(ptr)` sets, and `trit_compiled_weights_size()` and
/// `trit_compiled_weights_id()` let the runtime check the file it maps.
/// Writes the file even when no constant qualifies. Diagnostics go to
/// `error`.
LogicalResult externalizeWeights(ModuleOp module, StringRef path,
                                 std::string &error, int64_t minBytes = 4096);

} // namespace mlir::trit

#endif // TRIT_DRIVER_EXTERNALWEIGHTS_H
