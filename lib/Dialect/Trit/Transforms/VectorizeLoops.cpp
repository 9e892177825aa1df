//===- VectorizeLoops.cpp - trit-vectorize-loops ----------------*- C++ -*-===//
//
// Innermost elementwise scf.for loops along a unit-stride dimension ->
// loops over vectors (see Passes.td for the exact conditions).
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITVECTORIZELOOPSPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;

namespace {

/// Scalar types whose values can be vector lanes: ints and floats, not
/// index.
bool isLaneType(Type type) {
  return type.isIntOrFloat() && !type.isIndex();
}

/// A memref whose elements a vector.load/store can access `lanes` at a time
/// along the last dimension: innermost stride statically 1, elements
/// neither i1 (a vector of i1 is packed bits, a memref of i1 bytes) nor
/// index.
bool isVectorAccessible(MemRefType type) {
  return type.getRank() > 0 && isLaneType(type.getElementType()) &&
         !type.getElementType().isInteger(1) && type.isLastDimUnitStride();
}

/// The ops whose vector form computes each lane as the scalar op would.
bool isLaneWiseOp(Operation *op) {
  if (isa<math::AbsFOp, math::SqrtOp, math::RsqrtOp, math::ExpOp,
          math::RoundEvenOp, math::FloorOp, math::CeilOp>(op))
    return true;
  if (op->getDialect() &&
      op->getDialect()->getNamespace() ==
          arith::ArithDialect::getDialectNamespace())
    return op->hasTrait<OpTrait::Elementwise>() &&
           !isa<arith::ConstantOp>(op) && isMemoryEffectFree(op);
  return false;
}

/// How a loop body's ops are vectorized.
enum class Kind { Vector, Invariant, Skip };

/// A reduction through memory: `store combine(load C[I], p), C[I]` with
/// loop-invariant I.
struct Reduction {
  memref::LoadOp load;
  Operation *combine = nullptr;
  memref::StoreOp store;
  Value operand; // p
};

class LoopVectorizer {
public:
  LoopVectorizer(scf::ForOp loop, int64_t lanes) : loop(loop), lanes(lanes) {}

  /// Whether the loop can be vectorized; fills `kinds`.
  bool analyze() {
    if (loop.getNumResults() != 0 || !matchPattern(loop.getStep(), m_One()))
      return false;
    Value iv = loop.getInductionVar();
    if (!iv.getType().isIndex())
      return false;
    // A known trip count below one vector is not worth it.
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
    std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
    if (lb && ub && *ub - *lb < lanes)
      return false;

    auto definedOutside = [&](Value v) {
      return !loop->isAncestor(v.getParentBlock()->getParentOp());
    };
    // Indices: the induction variable last, the rest from outside.
    auto vectorIndices = [&](OperandRange indices) {
      if (indices.empty() || indices.back() != iv)
        return false;
      return llvm::all_of(indices.drop_back(), [&](Value index) {
        return index != iv && definedOutside(index);
      });
    };
    auto invariantIndices = [&](OperandRange indices) {
      return llvm::all_of(indices, definedOutside);
    };

    // Memrefs stored to, and at which indices.
    DenseMap<Value, SmallVector<Value>> stored;
    for (Operation &op : loop.getBody()->without_terminator()) {
      auto store = dyn_cast<memref::StoreOp>(op);
      if (!store)
        continue;
      if (invariantIndices(store.getIndices())) {
        if (reduction.store || !matchReduction(store))
          return false;
        continue;
      }
      if (!definedOutside(store.getMemRef()) ||
          !isVectorAccessible(store.getMemRefType()) ||
          !vectorIndices(store.getIndices()))
        return false;
      auto [it, inserted] = stored.try_emplace(
          store.getMemRef(), llvm::to_vector(store.getIndices()));
      if (!inserted && !llvm::equal(it->second, store.getIndices()))
        return false;
    }

    if (reduction.store) {
      kinds[reduction.load] = Kind::Skip;
      kinds[reduction.combine] = Kind::Skip;
      kinds[reduction.store] = Kind::Skip;
    }
    for (Operation &op : loop.getBody()->without_terminator()) {
      if (kinds.lookup(&op) == Kind::Skip)
        continue;
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        Value memref = load.getMemRef();
        if (!definedOutside(memref))
          return false;
        // The reduction's memory is read by the reduction only.
        if (reduction.store && memref == reduction.store.getMemRef())
          return false;
        auto it = stored.find(memref);
        if (it != stored.end()) {
          // Read where it is written (in place), nowhere else.
          if (!llvm::equal(it->second, load.getIndices()))
            return false;
          kinds[&op] = Kind::Vector;
        } else if (invariantIndices(load.getIndices())) {
          if (!isLaneType(load.getType()))
            return false;
          kinds[&op] = Kind::Invariant;
        } else if (isVectorAccessible(load.getMemRefType()) &&
                   vectorIndices(load.getIndices())) {
          kinds[&op] = Kind::Vector;
        } else {
          return false;
        }
        continue;
      }
      if (isa<memref::StoreOp>(op))
        continue;
      if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
        if (!isLaneType(constant.getType()))
          return false;
        kinds[&op] = Kind::Invariant;
        continue;
      }
      if (!isLaneWiseOp(&op) || op.getNumRegions() != 0 ||
          !llvm::all_of(op.getResultTypes(), isLaneType) ||
          !llvm::all_of(op.getOperandTypes(), isLaneType))
        return false;
      kinds[&op] = Kind::Vector;
    }
    // The induction variable indexes loads and stores only.
    for (OpOperand &use : iv.getUses())
      if (!isa<memref::LoadOp, memref::StoreOp>(use.getOwner()))
        return false;
    // The reduction's memory is written by the reduction only.
    if (reduction.store && stored.count(reduction.store.getMemRef()))
      return false;
    // Something must be stored for the loop to do anything vectorizable.
    return !stored.empty() || reduction.store;
  }

  /// Whether `store` (at loop-invariant indices) ends a reduction: it
  /// stores `combine(load, p)` (maximumf or minimumf, in either order)
  /// where `load` reads the same element and has no other use, and `p`
  /// does not depend on it. Fills `reduction`. Sums stay sequential: the
  /// maximum and minimum are the same in any order, a sum is not (and the
  /// loop's order matches PyTorch's results more closely than lanes do).
  bool matchReduction(memref::StoreOp store) {
    Operation *combine = store.getValue().getDefiningOp();
    if (!combine || combine->getBlock() != loop.getBody() ||
        !isa<arith::MaximumFOp, arith::MinimumFOp>(combine) ||
        !combine->hasOneUse() || !isLaneType(combine->getResult(0).getType()))
      return false;
    // Fast-math flags would let the combine change meaning; none expected.
    if (auto fm = dyn_cast<arith::ArithFastMathInterface>(combine))
      if (fm.getFastMathFlagsAttr() &&
          fm.getFastMathFlagsAttr().getValue() != arith::FastMathFlags::none)
        return false;
    for (unsigned i = 0; i < 2; ++i) {
      auto load = combine->getOperand(i).getDefiningOp<memref::LoadOp>();
      if (!load || load.getMemRef() != store.getMemRef() ||
          !llvm::equal(load.getIndices(), store.getIndices()) ||
          !load->hasOneUse() || load->getBlock() != loop.getBody())
        continue;
      Value other = combine->getOperand(1 - i);
      if (other == load.getResult())
        return false;
      reduction = {load, combine, store, other};
      return true;
    }
    return false;
  }

  /// Rewrites the loop: a loop of step `lanes` over whole vectors, then the
  /// original loop over the remaining iterations (erased if there are
  /// none).
  void rewrite() {
    OpBuilder b(loop);
    Location loc = loop.getLoc();
    Value lb = loop.getLowerBound(), ub = loop.getUpperBound();
    Value step = arith::ConstantIndexOp::create(b, loc, lanes);
    // vectorEnd = lb + max(ub - lb, 0) / lanes * lanes: a loop that does
    // not run (ub <= lb) gets vectorEnd = lb, and neither loop runs.
    Value count = b.createOrFold<arith::MaxSIOp>(
        loc, b.createOrFold<arith::SubIOp>(loc, ub, lb),
        b.createOrFold<arith::ConstantIndexOp>(loc, 0));
    Value whole = b.createOrFold<arith::MulIOp>(
        loc, b.createOrFold<arith::DivUIOp>(loc, count, step), step);
    Value vectorEnd = b.createOrFold<arith::AddIOp>(loc, lb, whole);
    SmallVector<Value> inits;
    VectorType accType;
    if (reduction.store) {
      // The combine's identity in every lane: -inf for the maximum, +inf
      // for the minimum.
      Type element = reduction.combine->getResult(0).getType();
      accType = VectorType::get({lanes}, element);
      auto f = cast<FloatType>(element);
      APFloat identity = APFloat::getInf(
          f.getFloatSemantics(), isa<arith::MaximumFOp>(reduction.combine));
      inits.push_back(arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(accType, identity)));
    }
    auto vectorLoop = scf::ForOp::create(b, loc, lb, vectorEnd, step, inits);
    if (!reduction.store)
      b.setInsertionPoint(vectorLoop.getBody()->getTerminator());
    else
      b.setInsertionPointToStart(vectorLoop.getBody());
    IRMapping map;
    map.map(loop.getInductionVar(), vectorLoop.getInductionVar());
    auto vectorOf = [&](Value scalar) -> Value {
      if (Value mapped = map.lookupOrNull(scalar))
        return mapped;
      // Defined outside the loop: broadcast (once per use site; CSE and
      // LICM take care of repeats).
      auto type = VectorType::get({lanes}, scalar.getType());
      return vector::BroadcastOp::create(b, loc, type, scalar);
    };
    for (Operation &op : loop.getBody()->without_terminator()) {
      if (kinds.lookup(&op) == Kind::Skip)
        continue;
      if (auto store = dyn_cast<memref::StoreOp>(op)) {
        SmallVector<Value> indices =
            llvm::map_to_vector(store.getIndices(), [&](Value v) {
              return map.lookupOrDefault(v);
            });
        vector::StoreOp::create(b, loc, vectorOf(store.getValue()),
                                store.getMemRef(), indices);
        continue;
      }
      Kind kind = kinds.lookup(&op);
      if (kind == Kind::Invariant) {
        Operation *clone = b.clone(op, map);
        auto type = VectorType::get({lanes}, clone->getResult(0).getType());
        map.map(op.getResult(0), vector::BroadcastOp::create(
                                     b, loc, type, clone->getResult(0)));
        continue;
      }
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        SmallVector<Value> indices =
            llvm::map_to_vector(load.getIndices(), [&](Value v) {
              return map.lookupOrDefault(v);
            });
        auto type = VectorType::get({lanes}, load.getType());
        map.map(load.getResult(),
                vector::LoadOp::create(b, loc, type, load.getMemRef(),
                                       indices));
        continue;
      }
      OperationState state(op.getLoc(), op.getName());
      for (Value operand : op.getOperands())
        state.operands.push_back(vectorOf(operand));
      for (Type type : op.getResultTypes())
        state.types.push_back(VectorType::get({lanes}, type));
      state.attributes = op.getAttrs();
      Operation *vectorOp = b.create(state);
      map.map(op.getResults(), vectorOp->getResults());
    }

    if (reduction.store) {
      // The lanes' partial results, combined once per vector, then into
      // the element after the loop (the rest of the loop continues from
      // there, through memory).
      Value acc = vectorLoop.getRegionIterArgs()[0];
      OperationState state(reduction.combine->getLoc(),
                           reduction.combine->getName());
      state.operands = {acc, vectorOf(reduction.operand)};
      state.types = {accType};
      state.attributes = reduction.combine->getAttrs();
      scf::YieldOp::create(b, loc, b.create(state)->getResult(0));
      b.setInsertionPointAfter(vectorLoop);
      vector::CombiningKind kind = isa<arith::MaximumFOp>(reduction.combine)
                                       ? vector::CombiningKind::MAXIMUMF
                                       : vector::CombiningKind::MINIMUMF;
      Value lanesResult =
          vector::ReductionOp::create(b, loc, kind, vectorLoop.getResult(0));
      Value before = memref::LoadOp::create(
          b, loc, reduction.load.getMemRef(), reduction.load.getIndices());
      OperationState last(reduction.combine->getLoc(),
                          reduction.combine->getName());
      last.operands = {before, lanesResult};
      last.types = {accType.getElementType()};
      last.attributes = reduction.combine->getAttrs();
      memref::StoreOp::create(b, loc, b.create(last)->getResult(0),
                              reduction.store.getMemRef(),
                              reduction.store.getIndices());
    }

    // The rest runs in the original loop.
    std::optional<int64_t> lbInt = getConstantIntValue(lb);
    std::optional<int64_t> ubInt = getConstantIntValue(ub);
    if (lbInt && ubInt && (*ubInt - *lbInt) % lanes == 0) {
      loop->erase();
      return;
    }
    loop.getLowerBoundMutable().assign(vectorEnd);
  }

private:
  scf::ForOp loop;
  int64_t lanes;
  DenseMap<Operation *, Kind> kinds;
  Reduction reduction;
};

struct TritVectorizeLoopsPass
    : public trit::impl::TritVectorizeLoopsPassBase<TritVectorizeLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (lanes < 2 || !llvm::isPowerOf2_64(lanes)) {
      getOperation().emitError("trit-vectorize-loops: lanes must be a power "
                               "of two of at least 2, not ")
          << static_cast<int64_t>(lanes);
      return signalPassFailure();
    }
    // Innermost loops: no scf.for (or other loop) inside.
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) {
      bool innermost = true;
      loop.getBody()->walk([&](Operation *op) {
        if (isa<LoopLikeOpInterface>(op))
          innermost = false;
      });
      if (innermost)
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops) {
      LoopVectorizer vectorizer(loop, lanes);
      if (vectorizer.analyze())
        vectorizer.rewrite();
    }
  }
};

} // namespace
