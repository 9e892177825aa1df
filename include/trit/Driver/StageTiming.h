//===- StageTiming.h - how the driver's stages report their time -*- C++ -*-//
//
// tritc --time-phases (and MLIR's --mlir-timing) time each stage of a
// compile; the stages nest their timers under the caller's.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DRIVER_STAGETIMING_H
#define TRIT_DRIVER_STAGETIMING_H

#include "mlir/Support/Timing.h"

namespace mlir::trit {

/// Where a driver stage reports its time: a timer per phase of the stage
/// nested in `parent` (when it is a running timer) and, with `passes`, a
/// timer per MLIR pass and per LLVM optimization pass nested in the phase's.
/// The default reports nothing.
struct StageTiming {
  TimingScope *parent = nullptr;
  bool passes = false;

  /// A running timer for the phase `name` (a no-op one without a parent).
  TimingScope nest(StringRef name) const {
    return parent ? parent->nest(name) : TimingScope();
  }
};

} // namespace mlir::trit

#endif // TRIT_DRIVER_STAGETIMING_H
