//===- TileMatmul.cpp - trit-tile-matmul ------------------------*- C++ -*-===//
//
// f32 matmuls by a constant weight (the LM head above all) -> calls of one
// parallel, vectorized kernel function per shape.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITTILEMATMULPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;

namespace {

/// Lanes of one FMA; K must be a multiple.
constexpr int64_t kLanes = 16;
/// Output features that share one load of the activations.
constexpr int64_t kRows = 4;

/// The f32 data of a constant, or nullopt.
std::optional<ArrayRef<float>> constantFloats(Value v) {
  auto constant = v.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return std::nullopt;
  Attribute value = constant.getValue();
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(value))
    return resource.tryGetAsArrayRef();
  return std::nullopt;
}

/// Whether `v` is a linalg.fill of 0.0.
bool isZeroFill(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  if (!fill || fill.getInputs().size() != 1)
    return false;
  auto constant = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
  auto attr = constant ? dyn_cast<FloatAttr>(constant.getValue()) : nullptr;
  return attr && attr.getValue().isZero();
}

struct TritTileMatmulPass
    : public trit::impl::TritTileMatmulPassBase<TritTileMatmulPass> {
  using Base::Base;

  void runOnOperation() override {
    if (tileN < kRows) {
      getOperation().emitError("trit-tile-matmul: tile-n must be at least ")
          << kRows;
      return signalPassFailure();
    }
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    for (linalg::MatmulOp op : matmuls)
      lower(op);
  }

  /// The constant [N, K] weight of `rhs` ([K, N]): the source of a
  /// transpose, or a transposed copy of a constant; null if `rhs` is
  /// neither.
  Value weightRowsOf(Value rhs, int64_t k, int64_t n) {
    if (auto transpose = rhs.getDefiningOp<linalg::TransposeOp>())
      if (transpose.getPermutation() == ArrayRef<int64_t>{1, 0} &&
          constantFloats(transpose.getInput()))
        return transpose.getInput();
    std::optional<ArrayRef<float>> data = constantFloats(rhs);
    if (!data || static_cast<int64_t>(data->size()) != k * n)
      return nullptr;
    auto it = transposed.find(rhs);
    if (it != transposed.end())
      return it->second;
    std::vector<float> rows(k * n);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        rows[j * k + i] = (*data)[i * n + j];
    OpBuilder b(rhs.getDefiningOp());
    b.setInsertionPointAfter(rhs.getDefiningOp());
    auto type = RankedTensorType::get({n, k}, b.getF32Type());
    auto attr = DenseF32ResourceElementsAttr::get(
        type, "trit_matmul_rows_" + std::to_string(counter++),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<float>(rows)));
    Value rowsConstant =
        arith::ConstantOp::create(b, rhs.getLoc(), cast<TypedAttr>(attr));
    transposed[rhs] = rowsConstant;
    return rowsConstant;
  }

  void lower(linalg::MatmulOp op) {
    if (op.hasUserDefinedMaps() || op.getInputs().size() != 2 ||
        op.getOutputs().size() != 1 || op->getNumResults() != 1)
      return;
    Value lhs = op.getInputs()[0], rhs = op.getInputs()[1];
    auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
    auto rhsType = dyn_cast<RankedTensorType>(rhs.getType());
    auto resultType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!lhsType || !rhsType || !resultType || !rhsType.hasStaticShape() ||
        !lhsType.getElementType().isF32() ||
        !rhsType.getElementType().isF32() ||
        !resultType.getElementType().isF32() ||
        !isZeroFill(op.getOutputs()[0]))
      return;
    int64_t k = rhsType.getDimSize(0), n = rhsType.getDimSize(1);
    if (k % kLanes != 0 || lhsType.getDimSize(1) != k)
      return;
    Value rows = weightRowsOf(rhs, k, n);
    if (!rows)
      return;

    func::FuncOp kernel = getOrCreateKernel(op.getLoc(), n, k);
    OpBuilder b(op);
    Location loc = op.getLoc();
    FunctionType type = kernel.getFunctionType();
    Value x = lhs;
    if (x.getType() != type.getInput(0))
      x = tensor::CastOp::create(b, loc, type.getInput(0), x);
    Value y = func::CallOp::create(b, loc, kernel, ValueRange{x, rows})
                  .getResult(0);
    if (y.getType() != resultType)
      y = tensor::CastOp::create(b, loc, resultType, y);
    op->getResult(0).replaceAllUsesWith(y);
    op->erase();
  }

  /// __trit_matmul_f32_NxK(x [M, K], w [N, K]) -> [M, N].
  func::FuncOp getOrCreateKernel(Location loc, int64_t n, int64_t k) {
    std::string name = "__trit_matmul_f32_" + std::to_string(n) + "x" +
                       std::to_string(k);
    ModuleOp module = getOperation();
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    Type f32 = b.getF32Type();
    auto xType = RankedTensorType::get({ShapedType::kDynamic, k}, f32);
    auto wType = RankedTensorType::get({n, k}, f32);
    auto yType = RankedTensorType::get({ShapedType::kDynamic, n}, f32);
    auto fn = func::FuncOp::create(b, loc, name,
                                   b.getFunctionType({xType, wType}, {yType}));
    fn.setPrivate();
    Block *entry = fn.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Value x = entry->getArgument(0), w = entry->getArgument(1);
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value m = tensor::DimOp::create(b, loc, x, 0);
    Value empty = tensor::EmptyOp::create(
        b, loc, ArrayRef<OpFoldResult>{OpFoldResult(m), b.getIndexAttr(n)},
        f32);
    int64_t tile = std::min<int64_t>(tileN, n);
    int64_t tiles = (n + tile - 1) / tile;
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(tiles)},
        ValueRange{empty}, std::nullopt);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(forall.getBody());
      Value t = forall.getInductionVars()[0];
      Value shared = forall.getRegionIterArgs()[0];
      Value n0 = arith::MulIOp::create(b, loc, t, index(tile));
      Value tn = arith::MinSIOp::create(
          b, loc, index(tile), arith::SubIOp::create(b, loc, index(n), n0));
      SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), n0};
      SmallVector<OpFoldResult> sizes = {m, tn};
      SmallVector<OpFoldResult> strides = {b.getIndexAttr(1),
                                           b.getIndexAttr(1)};
      Value slice = tensor::ExtractSliceOp::create(b, loc, shared, offsets,
                                                   sizes, strides);
      auto vecType = VectorType::get({kLanes}, f32);
      Value zeroVec = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(vecType, 0.0f));
      Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
      Value rem = arith::RemUIOp::create(b, loc, tn, index(kRows));
      Value mainEnd = arith::SubIOp::create(b, loc, tn, rem);

      // rows [c, c + count) of the tile for token mi: count accumulators,
      // one shared activation load per 16 lanes.
      auto rowBlock = [&](Value mi, Value c, int64_t count, Value out) {
        SmallVector<Value> init(count, zeroVec);
        auto kLoop = scf::ForOp::create(
            b, loc, index(0), index(k), index(kLanes), init,
            [&](OpBuilder &, Location, Value kk, ValueRange acc) {
              Value xv = vector::TransferReadOp::create(
                  b, loc, vecType, x, ValueRange{mi, kk}, zero,
                  ArrayRef<bool>{true});
              SmallVector<Value> next;
              for (int64_t r = 0; r < count; ++r) {
                Value row = arith::AddIOp::create(
                    b, loc, n0,
                    arith::AddIOp::create(b, loc, c, index(r)));
                Value wv = vector::TransferReadOp::create(
                    b, loc, vecType, w, ValueRange{row, kk}, zero,
                    ArrayRef<bool>{true});
                next.push_back(
                    vector::FMAOp::create(b, loc, xv, wv, acc[r]));
              }
              scf::YieldOp::create(b, loc, next);
            });
        for (int64_t r = 0; r < count; ++r) {
          Value sum = vector::ReductionOp::create(
              b, loc, vector::CombiningKind::ADD, kLoop.getResult(r));
          Value col = arith::AddIOp::create(b, loc, c, index(r));
          out = tensor::InsertOp::create(b, loc, sum, out,
                                         ValueRange{mi, col});
        }
        return out;
      };
      auto tokenLoop = scf::ForOp::create(
          b, loc, index(0), m, index(1), ValueRange{slice},
          [&](OpBuilder &, Location, Value mi, ValueRange iter) {
            auto blocks = scf::ForOp::create(
                b, loc, index(0), mainEnd, index(kRows), ValueRange{iter[0]},
                [&](OpBuilder &, Location, Value c, ValueRange it) {
                  scf::YieldOp::create(b, loc,
                                       rowBlock(mi, c, kRows, it[0]));
                });
            auto tail = scf::ForOp::create(
                b, loc, mainEnd, tn, index(1),
                ValueRange{blocks.getResult(0)},
                [&](OpBuilder &, Location, Value c, ValueRange it) {
                  scf::YieldOp::create(b, loc, rowBlock(mi, c, 1, it[0]));
                });
            scf::YieldOp::create(b, loc, tail.getResult(0));
          });
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      tensor::ParallelInsertSliceOp::create(b, loc, tokenLoop.getResult(0),
                                            shared, offsets, sizes, strides);
    }
    func::ReturnOp::create(b, loc, forall.getResult(0));
    return fn;
  }

  DenseMap<Value, Value> transposed;
  unsigned counter = 0;
};

} // namespace
