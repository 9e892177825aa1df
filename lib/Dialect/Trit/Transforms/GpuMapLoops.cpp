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
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "llvm/ADT/TypeSwitch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

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


/// The block dimensions the tile loop's `rank` dimensions take, from the
/// innermost out. Blocks y and z take at most 65535, x 2^31 - 1: a single
/// dimension takes x; of several, the innermost (whose tiles are few, the
/// row of a table) takes y, the next (tokens, heads, a table's rows) x, the
/// third z.
const gpu::Processor *blockOrder(unsigned rank) {
  static constexpr gpu::Processor one[] = {gpu::Processor::BlockX};
  static constexpr gpu::Processor several[] = {
      gpu::Processor::BlockY, gpu::Processor::BlockX, gpu::Processor::BlockZ};
  return rank == 1 ? one : several;
}

/// Lanes that share one reduction (a warp).
constexpr int64_t kLanes = 32;

/// A reduction of at least this many iterations (static) whose loop has
/// fewer than kFewOutputs outputs that are known at compile time (a
/// token's RMSNorm sum or absmax: the outputs are the tokens, one at
/// decode) takes a whole block rather than a warp: a warp would walk 80
/// values of a 2560-wide row one after another in each lane.
constexpr int64_t kBlockReductionTrips = 32 * kLanes;
constexpr int64_t kFewOutputs = 2048;

/// Each lane's share of a reduction is unrolled this many times, so that
/// the loads of several iterations are in flight at once.
constexpr uint64_t kReductionUnroll = 4;

/// How the loop-carried value `index` of `loop` is combined, if it is a
/// reduction: every iteration folds one value into it with the same
/// associative, commutative operation (an arith op with the carried value
/// as one operand, or a chain of nvvm.dot.accumulate.4way through their
/// accumulator, which adds), and nothing else reads it.
std::optional<gpu::AllReduceOperation> reductionKind(scf::ForOp loop,
                                                     unsigned index) {
  BlockArgument acc = loop.getRegionIterArgs()[index];
  Value yielded = loop.getYieldedValues()[index];
  if (!acc.hasOneUse())
    return std::nullopt;
  // acc -> dp4a -> dp4a -> ... -> yield, each result used once.
  if (yielded.getDefiningOp<NVVM::DotAccumulate4WayOp>()) {
    Value v = yielded;
    while (auto dot = v.getDefiningOp<NVVM::DotAccumulate4WayOp>()) {
      if (v != yielded && !v.hasOneUse())
        return std::nullopt;
      v = dot.getC();
    }
    if (v == acc)
      return gpu::AllReduceOperation::ADD;
    return std::nullopt;
  }
  Operation *def = yielded.getDefiningOp();
  if (!def || def->getNumOperands() != 2 || def->getNumResults() != 1 ||
      *acc.getUsers().begin() != def ||
      (def->getOperand(0) != acc && def->getOperand(1) != acc))
    return std::nullopt;
  return llvm::TypeSwitch<Operation *,
                          std::optional<gpu::AllReduceOperation>>(def)
      .Case<arith::AddIOp, arith::AddFOp>(
          [](auto) { return gpu::AllReduceOperation::ADD; })
      .Case<arith::MulIOp>([](auto) { return gpu::AllReduceOperation::MUL; })
      .Case<arith::MaximumFOp>(
          [](auto) { return gpu::AllReduceOperation::MAXIMUMF; })
      .Case<arith::MinimumFOp>(
          [](auto) { return gpu::AllReduceOperation::MINIMUMF; })
      .Case<arith::MaxNumFOp>(
          [](auto) { return gpu::AllReduceOperation::MAXNUMF; })
      .Case<arith::MinNumFOp>(
          [](auto) { return gpu::AllReduceOperation::MINNUMF; })
      .Case<arith::MaxSIOp>([](auto) { return gpu::AllReduceOperation::MAXSI; })
      .Case<arith::MinSIOp>([](auto) { return gpu::AllReduceOperation::MINSI; })
      .Case<arith::MaxUIOp>([](auto) { return gpu::AllReduceOperation::MAXUI; })
      .Case<arith::MinUIOp>([](auto) { return gpu::AllReduceOperation::MINUI; })
      .Case<arith::AndIOp>([](auto) { return gpu::AllReduceOperation::AND; })
      .Case<arith::OrIOp>([](auto) { return gpu::AllReduceOperation::OR; })
      .Case<arith::XOrIOp>([](auto) { return gpu::AllReduceOperation::XOR; })
      .Default([](Operation *) { return std::nullopt; });
}

/// The value `kind` leaves unchanged, of `type`.
Value identityOf(OpBuilder &b, Location loc, gpu::AllReduceOperation kind,
                 Type type) {
  using Op = gpu::AllReduceOperation;
  if (auto f = dyn_cast<FloatType>(type)) {
    const llvm::fltSemantics &sem = f.getFloatSemantics();
    APFloat v = APFloat::getZero(sem);
    if (kind == Op::MAXIMUMF || kind == Op::MAXNUMF)
      v = APFloat::getInf(sem, /*Negative=*/true);
    else if (kind == Op::MINIMUMF || kind == Op::MINNUMF)
      v = APFloat::getInf(sem);
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, v));
  }
  unsigned width = type.getIntOrFloatBitWidth();
  APInt v = APInt::getZero(width);
  switch (kind) {
  case Op::MUL:
    v = APInt(width, 1);
    break;
  case Op::MAXSI:
    v = APInt::getSignedMinValue(width);
    break;
  case Op::MINSI:
    v = APInt::getSignedMaxValue(width);
    break;
  case Op::MINUI:
  case Op::AND:
    v = APInt::getAllOnes(width);
    break;
  default:
    break;
  }
  return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v));
}

/// A reduction that linalg's lowering to loops carries in memory: `loop`'s
/// body loads out[i], combines, and stores out[i] at the same loop-invariant
/// indices, and touches the buffer nowhere else. Carries it in a register
/// instead (load before the loop, an iter_arg, store after), which is the
/// form splittableReduction recognizes. Returns the new loop, or null.
scf::ForOp carryReductionInRegister(scf::ForOp loop) {
  Block *body = loop.getBody();
  for (Operation &op : body->without_terminator()) {
    auto store = dyn_cast<memref::StoreOp>(&op);
    if (!store)
      continue;
    auto invariant = [&](Value v) {
      return !loop->isAncestor(v.getParentRegion()->getParentOp()) &&
             v.getParentRegion() != &loop.getRegion();
    };
    if (!invariant(store.getMemRef()) ||
        !llvm::all_of(store.getIndices(), invariant))
      continue;
    Value base =
        memref::skipViewLikeOps(cast<MemrefValue>(store.getMemRef()));
    memref::LoadOp load;
    bool clean = true;
    loop->walk([&](Operation *nested) {
      if (nested == store.getOperation())
        return;
      if (auto l = dyn_cast<memref::LoadOp>(nested);
          l && l.getMemRef() == store.getMemRef() &&
          l.getIndices() == store.getIndices() && l->getBlock() == body &&
          l->isBeforeInBlock(store) && !load) {
        load = l;
        return;
      }
      for (Value operand : nested->getOperands())
        if (auto buffer = dyn_cast<MemrefValue>(operand);
            buffer && memref::skipViewLikeOps(buffer) == base)
          clean = false;
    });
    if (!load || !clean)
      continue;
    IRRewriter rewriter(loop.getContext());
    rewriter.setInsertionPoint(loop);
    Value init = memref::LoadOp::create(rewriter, load.getLoc(),
                                        store.getMemRef(), store.getIndices());
    Value stored = store.getValueToStore();
    FailureOr<LoopLikeOpInterface> replaced =
        cast<LoopLikeOpInterface>(loop.getOperation())
            .replaceWithAdditionalYields(
                rewriter, ValueRange{init},
                /*replaceInitOperandUsesInLoop=*/false,
                [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                  return SmallVector<Value>{stored};
                });
    if (failed(replaced))
      return nullptr;
    auto newLoop = cast<scf::ForOp>(replaced->getOperation());
    load.getResult().replaceAllUsesWith(newLoop.getRegionIterArgs().back());
    rewriter.setInsertionPointAfter(newLoop);
    memref::StoreOp::create(rewriter, store.getLoc(),
                            newLoop.getResults().back(), store.getMemRef(),
                            store.getIndices());
    store.erase();
    load.erase();
    return newLoop;
  }
  return nullptr;
}

/// The one scf.for of `loop`'s body whose every carried value is a
/// reduction, if the body is such a loop with straight-line code around it
/// and the reduction is long enough (or of unknown length) to be worth a
/// warp: what a linalg reduction and the dp4a BitLinear kernel become.
scf::ForOp splittableReduction(scf::ParallelOp loop) {
  if (loop.getNumResults() != 0)
    return nullptr;
  scf::ForOp reduction;
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (op.getNumRegions() == 0)
      continue;
    auto inner = dyn_cast<scf::ForOp>(&op);
    if (!inner || reduction)
      return nullptr;
    reduction = inner;
  }
  if (!reduction)
    return nullptr;
  while (scf::ForOp carried = carryReductionInRegister(reduction))
    reduction = carried;
  if (reduction.getNumResults() == 0)
    return nullptr;
  bool writes = reduction->walk([](Operation *op) {
                          if (isa<scf::ParallelOp, memref::StoreOp>(op))
                            return WalkResult::interrupt();
                          return WalkResult::advance();
                        })
                    .wasInterrupted();
  if (writes)
    return nullptr;
  for (unsigned i = 0; i < reduction.getNumResults(); ++i)
    if (!reductionKind(reduction, i))
      return nullptr;
  std::optional<int64_t> trips = reduction.getStaticTripCount()
                                     ? std::optional<int64_t>(
                                           reduction.getStaticTripCount()
                                               ->getSExtValue())
                                     : std::nullopt;
  if (trips && *trips < 2 * kLanes)
    return nullptr;
  return reduction;
}

/// Whether `reduction`, the body of `loop`, is long and its outputs few
/// enough to take a block of threads rather than a warp.
bool wantsBlock(scf::ParallelOp loop, scf::ForOp reduction) {
  std::optional<APInt> trips = reduction.getStaticTripCount();
  if (!trips || trips->getSExtValue() < kBlockReductionTrips)
    return false;
  int64_t outputs = 1;
  for (auto [lb, ub, step] : llvm::zip(loop.getLowerBound(),
                                       loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb),
                           u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (l && u && s && *s > 0)
      outputs *= std::max<int64_t>(1, (*u - *l + *s - 1) / *s);
    if (outputs >= kFewOutputs)
      return false;
  }
  return true;
}

/// `loop` with one more, innermost, dimension of `lanes` threads that share
/// its reduction: thread l takes iterations l, l + lanes, ... (unrolled by
/// kReductionUnroll); gpu.subgroup_reduce (a warp, lanes = 32) or
/// gpu.all_reduce (a block) combines their partial results, and the loop's
/// initial value joins last. Integer reductions give the same result; a
/// float sum is added in another order (max and min are exact).
scf::ParallelOp splitAcrossLanes(scf::ParallelOp loop, scf::ForOp reduction,
                                 int64_t lanes) {
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  SmallVector<Value> lbs(loop.getLowerBound()), ubs(loop.getUpperBound()),
      steps(loop.getStep());
  lbs.push_back(arith::ConstantIndexOp::create(b, loc, 0));
  ubs.push_back(arith::ConstantIndexOp::create(b, loc, lanes));
  steps.push_back(arith::ConstantIndexOp::create(b, loc, 1));
  auto split = scf::ParallelOp::create(b, loc, lbs, ubs, steps);
  IRMapping map;
  for (auto [from, to] :
       llvm::zip(loop.getInductionVars(), split.getInductionVars()))
    map.map(from, to);
  Value lane = split.getInductionVars().back();
  b.setInsertionPoint(split.getBody()->getTerminator());
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (&op != reduction.getOperation()) {
      b.clone(op, map);
      continue;
    }
    Value lb = map.lookupOrDefault(reduction.getLowerBound());
    Value ub = map.lookupOrDefault(reduction.getUpperBound());
    Value step = map.lookupOrDefault(reduction.getStep());
    // Lanes past the end start at the end: unrolling computes the trip
    // count as (ub - start) / stride, which must not be negative.
    Value start = arith::MinSIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, lb,
                              arith::MulIOp::create(b, loc, lane, step)),
        ub);
    Value stride = arith::MulIOp::create(
        b, loc, step, arith::ConstantIndexOp::create(b, loc, lanes));
    SmallVector<gpu::AllReduceOperation> kinds;
    SmallVector<Value> identities;
    for (unsigned i = 0; i < reduction.getNumResults(); ++i) {
      kinds.push_back(*reductionKind(reduction, i));
      identities.push_back(identityOf(b, loc, kinds.back(),
                                      reduction.getResult(i).getType()));
    }
    auto partial = scf::ForOp::create(b, loc, start, ub, stride, identities);
    {
      OpBuilder::InsertionGuard guard(b);
      Block *body = partial.getBody();
      if (!body->empty())
        body->getTerminator()->erase();
      b.setInsertionPointToEnd(body);
      map.map(reduction.getInductionVar(), partial.getInductionVar());
      for (auto [from, to] : llvm::zip(reduction.getRegionIterArgs(),
                                       partial.getRegionIterArgs()))
        map.map(from, to);
      for (Operation &inner : reduction.getBody()->getOperations())
        b.clone(inner, map);
    }
    // The remainder loop that unrolling adds (when the trip count does not
    // divide) comes after, so its results are the partial results.
    SmallVector<Value> partials(partial.getResults());
    FailureOr<UnrolledLoopInfo> unrolled =
        loopUnrollByFactor(partial, kReductionUnroll);
    if (succeeded(unrolled) && unrolled->epilogueLoopOp)
      partials.assign(unrolled->epilogueLoopOp->getResults().begin(),
                      unrolled->epilogueLoopOp->getResults().end());
    b.setInsertionPointAfter(partials.front().getDefiningOp());
    for (unsigned i = 0; i < reduction.getNumResults(); ++i) {
      Value all =
          lanes == kLanes
              ? gpu::SubgroupReduceOp::create(b, loc, partials[i], kinds[i],
                                              /*uniform=*/true)
                    .getResult()
              : gpu::AllReduceOp::create(
                    b, loc, partials[i],
                    gpu::AllReduceOperationAttr::get(b.getContext(), kinds[i]),
                    /*uniform=*/true)
                    .getResult();
      Value init = map.lookupOrDefault(reduction.getInitArgs()[i]);
      Value yielded = reduction.getYieldedValues()[i];
      Value combined;
      if (yielded.getDefiningOp<NVVM::DotAccumulate4WayOp>()) {
        combined = arith::AddIOp::create(b, loc, init, all);
      } else {
        Operation *def = yielded.getDefiningOp();
        OperationState state(loc, def->getName().getIdentifier(),
                             ValueRange{init, all}, def->getResultTypes(),
                             def->getAttrs());
        combined = b.create(state)->getResult(0);
      }
      map.map(reduction.getResult(i), combined);
    }
  }
  loop.erase();
  return split;
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
      // Scalars the op reads for code outside it (a size, a bound): each
      // goes through a device scalar the kernel writes, copied to a host
      // scalar (trit.host) that host code reads.
      SmallVector<Value> readBack;
      for (Value result : op->getResults()) {
        bool usedOutside = llvm::any_of(result.getUsers(), [&](Operation *u) {
          return !op->isAncestor(u);
        });
        if (!usedOutside)
          continue;
        if (!result.getType().isIntOrIndexOrFloat()) {
          Operation *user = *llvm::find_if(result.getUsers(), [&](Operation *u) {
            return !op->isAncestor(u);
          });
          InFlightDiagnostic diag =
              op->emitOpError("reads device memory into a value that host "
                              "code uses; the GPU target cannot run it");
          diag.attachNote(user->getLoc()) << "used here";
          return signalPassFailure();
        }
        readBack.push_back(result);
      }
      OpBuilder b(op);
      Location loc = op->getLoc();
      SmallVector<Value> deviceScalars;
      for (Value result : readBack)
        deviceScalars.push_back(memref::AllocOp::create(
            b, loc, MemRefType::get({}, result.getType())));
      Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
      Value c1 = arith::ConstantIndexOp::create(b, loc, 1);
      auto wrapper =
          scf::ParallelOp::create(b, loc, ValueRange{c0}, ValueRange{c1},
                                  ValueRange{c1});
      op->moveBefore(wrapper.getBody()->getTerminator());
      wrapper->setAttr("trit.gpu.serial", b.getUnitAttr());
      b.setInsertionPoint(wrapper.getBody()->getTerminator());
      for (auto [result, device] : llvm::zip(readBack, deviceScalars))
        memref::StoreOp::create(b, loc, result, device);
      b.setInsertionPointAfter(wrapper);
      for (auto [result, device] : llvm::zip(readBack, deviceScalars)) {
        auto host = memref::AllocaOp::create(
            b, loc, cast<MemRefType>(device.getType()));
        host->setAttr("trit.host", b.getUnitAttr());
        gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, host, device);
        Value value = memref::LoadOp::create(b, loc, host, ValueRange{});
        result.replaceUsesWithIf(value, [&](OpOperand &use) {
          return !wrapper->isAncestor(use.getOwner());
        });
      }
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
      // A reduction as the body: a warp per output, its lanes splitting
      // the reduction; thread x is the lane, thread y the innermost
      // dimension.
      if (scf::ForOp reduction = splittableReduction(loop)) {
        // Few long reductions: a block each (one output per block, the
        // block's threads its lanes, rounded to whole warps).
        int64_t lanes = kLanes;
        if (blockSize >= 2 * kLanes && wantsBlock(loop, reduction))
          lanes = blockSize / kLanes * kLanes;
        scf::ParallelOp split = splitAcrossLanes(loop, reduction, lanes);
        unsigned splitRank = split.getNumLoops();
        SmallVector<int64_t> sizes(splitRank, 1);
        sizes[splitRank - 1] = lanes;
        if (lanes == kLanes)
          sizes[splitRank - 2] = std::max<int64_t>(1, blockSize / kLanes);
        auto [outer, inner] =
            scf::tileParallelLoop(split, sizes, /*noMinMaxBounds=*/true);
        const gpu::Processor *splitBlocks = blockOrder(splitRank - 1);
        SmallVector<gpu::ParallelLoopDimMappingAttr> outerMapping,
            innerMapping;
        for (unsigned d = 0; d < splitRank; ++d) {
          bool isLane = d == splitRank - 1;
          unsigned fromInnermost = isLane ? 0 : splitRank - 2 - d;
          outerMapping.push_back(dimMapping(
              ctx, isLane || fromInnermost >= 3 ? gpu::Processor::Sequential
                                                : splitBlocks[fromInnermost]));
          innerMapping.push_back(dimMapping(
              ctx, isLane ? gpu::Processor::ThreadX
                   : d == splitRank - 2 ? gpu::Processor::ThreadY
                                        : gpu::Processor::Sequential));
        }
        if (failed(gpu::setMappingAttr(outer, outerMapping)) ||
            failed(gpu::setMappingAttr(inner, innerMapping)) ||
            failed(mapNested(inner)))
          return signalPassFailure();
        continue;
      }
      SmallVector<int64_t> tileSizes(rank, 1);
      tileSizes.back() = blockSize;
      auto [outer, inner] =
          scf::tileParallelLoop(loop, tileSizes, /*noMinMaxBounds=*/true);
      const gpu::Processor *blocks = blockOrder(rank);
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
    if (failed(lowerSubgroupReductions()))
      return signalPassFailure();
  }

  /// gpu.subgroup_reduce as warp shuffles, which every NVVM target has.
  LogicalResult lowerSubgroupReductions() {
    RewritePatternSet patterns(&getContext());
    populateGpuLowerSubgroupReduceToShufflePatterns(patterns, kLanes);
    return applyPatternsGreedily(getOperation(), std::move(patterns));
  }

  /// Parallel loops nested in a mapped one run sequentially in its thread.
  /// They become scf.for nests: upstream's converter skips a mapped loop
  /// that the tile's bounds check (an scf.if) encloses, and the loop would
  /// stay on the host.
  LogicalResult mapNested(scf::ParallelOp mapped) {
    SmallVector<scf::ParallelOp> nested;
    mapped.getBody()->walk([&](scf::ParallelOp loop) {
      if (!loop->hasAttr(gpu::getMappingAttrName()))
        nested.push_back(loop);
    });
    for (scf::ParallelOp loop : nested) {
      if (loop.getNumResults() != 0) {
        // A parallel reduction: left to upstream as a sequential loop.
        if (failed(mapSequential(loop)))
          return failure();
        continue;
      }
      OpBuilder b(loop);
      IRMapping map;
      for (auto [iv, lb, ub, step] :
           llvm::zip(loop.getInductionVars(), loop.getLowerBound(),
                     loop.getUpperBound(), loop.getStep())) {
        auto serial = scf::ForOp::create(b, loop.getLoc(), lb, ub, step);
        map.map(iv, serial.getInductionVar());
        b.setInsertionPoint(serial.getBody()->getTerminator());
      }
      for (Operation &op : loop.getBody()->without_terminator())
        b.clone(op, map);
      loop.erase();
    }
    return success();
  }
};

} // namespace
