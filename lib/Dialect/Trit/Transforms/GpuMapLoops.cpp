//===- GpuMapLoops.cpp - trit-gpu-map-loops ---------------------*- C++ -*-===//
//
// Prepares bufferized loops for upstream's convert-parallel-loops-to-gpu:
// host code that touches memory runs as a one-thread kernel, and every
// outermost scf.parallel is tiled and mapped to blocks and threads. See the
// pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/IR/Builders.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITGPUMAPLOOPSPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

/// Whether `op` (or an op nested in it) reads or writes memref data, which
/// on the GPU target lives on the device.
bool touchesMemory(Operation *op) {
  bool touches = false;
  op->walk([&](Operation *nested) {
    if (isa<memref::LoadOp, memref::StoreOp, memref::CopyOp,
            memref::AtomicRMWOp, memref::GenericAtomicRMWOp>(nested)) {
      touches = true;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return touches;
}

gpu::ParallelLoopDimMappingAttr dimMapping(MLIRContext *ctx,
                                           gpu::Processor processor) {
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
  return gpu::ParallelLoopDimMappingAttr::get(ctx, processor, id, id);
}

/// Maps every dimension of `loop` and of the parallel loops nested in it to
/// sequential loops.
LogicalResult mapSequential(scf::ParallelOp loop) {
  SmallVector<gpu::ParallelLoopDimMappingAttr> mapping(
      loop.getNumLoops(),
      dimMapping(loop.getContext(), gpu::Processor::Sequential));
  return gpu::setMappingAttr(loop, mapping);
}

struct TritGpuMapLoopsPass
    : public trit::impl::TritGpuMapLoopsPassBase<TritGpuMapLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (blockSize < 1 || blockSize > 1024) {
      fn.emitError("trit-gpu-map-loops: block-size must be in [1, 1024]");
      return signalPassFailure();
    }
    // Memory touched outside a parallel loop: a one-iteration parallel loop
    // around it, so that it runs on the device too.
    SmallVector<Operation *> serial;
    fn.walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<scf::ParallelOp>(op))
        return WalkResult::skip();
      if (op == fn || op->hasTrait<OpTrait::IsTerminator>())
        return WalkResult::advance();
      // Host control flow around parallel loops stays on the host.
      bool holdsParallel =
          op->walk([](scf::ParallelOp) { return WalkResult::interrupt(); })
              .wasInterrupted();
      if (holdsParallel)
        return WalkResult::advance();
      if (touchesMemory(op)) {
        serial.push_back(op);
        return WalkResult::skip();
      }
      return WalkResult::advance();
    });
    for (Operation *op : serial) {
      for (Value result : op->getResults())
        for (Operation *user : result.getUsers())
          if (!op->isAncestor(user)) {
            InFlightDiagnostic diag =
                op->emitOpError("reads device memory into a value that host "
                                "code uses; the GPU target cannot run it");
            diag.attachNote(user->getLoc()) << "used here";
            return signalPassFailure();
          }
      OpBuilder b(op);
      Location loc = op->getLoc();
      Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
      Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
      auto wrapper =
          scf::ParallelOp::create(b, loc, ValueRange{c0}, ValueRange{c1},
                                  ValueRange{c1});
      op->moveBefore(wrapper.getBody()->getTerminator());
      wrapper->setAttr("trit.gpu.serial", b.getUnitAttr());
    }

    // Outermost parallel loops: the innermost dimension (unit stride in
    // the row-major buffers) tiled by block-size and mapped to threads x,
    // the tile loop's dimensions to blocks x, y, z from the innermost out;
    // everything else runs sequentially in each thread.
    SmallVector<scf::ParallelOp> outermost;
    fn.walk<WalkOrder::PreOrder>([&](scf::ParallelOp loop) {
      outermost.push_back(loop);
      return WalkResult::skip();
    });
    MLIRContext *ctx = &getContext();
    for (scf::ParallelOp loop : outermost) {
      unsigned rank = loop.getNumLoops();
      if (loop->hasAttr("trit.gpu.serial")) {
        loop->removeAttr("trit.gpu.serial");
        SmallVector<gpu::ParallelLoopDimMappingAttr> mapping = {
            dimMapping(ctx, gpu::Processor::BlockX)};
        if (failed(gpu::setMappingAttr(loop, mapping)))
          return signalPassFailure();
        if (failed(mapNested(loop)))
          return signalPassFailure();
        continue;
      }
      SmallVector<int64_t> tileSizes(rank, 1);
      tileSizes.back() = blockSize;
      auto [outer, inner] =
          scf::tileParallelLoop(loop, tileSizes, /*noMinMaxBounds=*/true);
      static constexpr gpu::Processor blocks[] = {
          gpu::Processor::BlockX, gpu::Processor::BlockY,
          gpu::Processor::BlockZ};
      SmallVector<gpu::ParallelLoopDimMappingAttr> outerMapping, innerMapping;
      for (unsigned d = 0; d < rank; ++d) {
        unsigned fromInnermost = rank - 1 - d;
        outerMapping.push_back(dimMapping(
            ctx, fromInnermost < 3 ? blocks[fromInnermost]
                                   : gpu::Processor::Sequential));
        innerMapping.push_back(dimMapping(
            ctx, fromInnermost == 0 ? gpu::Processor::ThreadX
                                    : gpu::Processor::Sequential));
      }
      if (failed(gpu::setMappingAttr(outer, outerMapping)) ||
          failed(gpu::setMappingAttr(inner, innerMapping)) ||
          failed(mapNested(inner)))
        return signalPassFailure();
    }
  }

  /// Parallel loops nested in a mapped one run sequentially in its thread.
  LogicalResult mapNested(scf::ParallelOp mapped) {
    LogicalResult result = success();
    mapped.getBody()->walk([&](scf::ParallelOp nested) {
      if (nested->hasAttr(gpu::getMappingAttrName()))
        return;
      if (failed(mapSequential(nested)))
        result = failure();
    });
    return result;
  }
};

} // namespace
