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

#include <cmath>

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
    Builder b(&getContext());
    if (weightType == "f32")
      weightElementType = b.getF32Type();
    else if (weightType == "f16")
      weightElementType = b.getF16Type();
    else if (weightType == "bf16")
      weightElementType = b.getBF16Type();
    else {
      getOperation().emitError("trit-tile-matmul: weight-type must be f32, "
                               "f16 or bf16, not '")
          << weightType << "'";
      return signalPassFailure();
    }
    if (kernel != "vector" && kernel != "generic") {
      getOperation().emitError("trit-tile-matmul: kernel must be vector or "
                               "generic, not '")
          << kernel << "'";
      return signalPassFailure();
    }
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    for (linalg::MatmulOp op : matmuls) {
      lower(op);
      if (hadError)
        return signalPassFailure();
    }
  }

  /// The constant [N, K] weight of `rhs` ([K, N]) in the kernel's element
  /// type: the source of a transpose (f32 weights), or a copy of the
  /// constant transposed and rounded to nearest even as needed; null if
  /// `rhs` is neither.
  Value weightRowsOf(Value rhs, int64_t k, int64_t n) {
    bool isF32 = weightElementType.isF32();
    Value source = rhs;
    bool sourceIsRows = false;
    if (auto transpose = rhs.getDefiningOp<linalg::TransposeOp>())
      if (transpose.getPermutation() == ArrayRef<int64_t>{1, 0} &&
          constantFloats(transpose.getInput())) {
        if (isF32)
          return transpose.getInput();
        source = transpose.getInput();
        sourceIsRows = true;
      }
    std::optional<ArrayRef<float>> data = constantFloats(source);
    if (!data || static_cast<int64_t>(data->size()) != k * n)
      return nullptr;
    auto it = converted.find(source);
    if (it != converted.end())
      return it->second;
    // Element [j, i] of the rows is element (i, j) of a [K, N] source.
    auto at = [&](int64_t j, int64_t i) {
      return sourceIsRows ? (*data)[j * k + i] : (*data)[i * n + j];
    };
    AsmResourceBlob blob;
    std::string name;
    if (isF32) {
      std::vector<float> rows(k * n);
      for (int64_t j = 0; j < n; ++j)
        for (int64_t i = 0; i < k; ++i)
          rows[j * k + i] = at(j, i);
      blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
          ArrayRef<float>(rows));
      name = "trit_matmul_rows_";
    } else {
      // Half-precision bit patterns, rounded to nearest even.
      const llvm::fltSemantics &semantics =
          cast<FloatType>(weightElementType).getFloatSemantics();
      std::vector<uint16_t> rows(k * n);
      for (int64_t j = 0; j < n; ++j)
        for (int64_t i = 0; i < k; ++i) {
          APFloat v(at(j, i));
          bool lostInfo;
          APFloat::opStatus status =
              v.convert(semantics, APFloat::rmNearestTiesToEven, &lostInfo);
          if ((status & APFloat::opOverflow) && std::isfinite(at(j, i))) {
            overflow = at(j, i);
            return nullptr;
          }
          rows[j * k + i] =
              static_cast<uint16_t>(v.bitcastToAPInt().getZExtValue());
        }
      blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
          ArrayRef<uint16_t>(rows));
      name = "trit_matmul_rows_" + weightType + "_";
    }
    OpBuilder b(source.getDefiningOp());
    b.setInsertionPointAfter(source.getDefiningOp());
    auto type = RankedTensorType::get({n, k}, weightElementType);
    auto attr = DenseResourceElementsAttr::get(
        type, name + std::to_string(counter++), std::move(blob));
    Value rowsConstant =
        arith::ConstantOp::create(b, source.getLoc(), cast<TypedAttr>(attr));
    converted[source] = rowsConstant;
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
    if ((kernel == "vector" && k % kLanes != 0) || lhsType.getDimSize(1) != k)
      return;
    overflow.reset();
    Value rows = weightRowsOf(rhs, k, n);
    if (overflow) {
      op.emitError("trit-tile-matmul: weight ")
          << *overflow << " is out of the range of " << weightType
          << " (use bf16 or f32 weights)";
      hadError = true;
      return;
    }
    if (!rows)
      return;
    if (kernel == "generic") {
      lowerToGeneric(op, rows);
      return;
    }

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

  /// kernel=generic: y[m, n] += x[m, k] * f32(rows[n, k]) as one
  /// linalg.generic into the matmul's own zero fill.
  void lowerToGeneric(linalg::MatmulOp op, Value rows) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    auto map = [&](ArrayRef<AffineExpr> results) {
      return AffineMap::get(3, 0, results, ctx);
    };
    Type f32 = b.getF32Type();
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{op->getResult(0).getType()},
        ValueRange{op.getInputs()[0], rows}, ValueRange{op.getOutputs()[0]},
        ArrayRef<AffineMap>{map({m, k}), map({n, k}), map({m, n})},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                      utils::IteratorType::parallel,
                                      utils::IteratorType::reduction},
        [&](OpBuilder &nb, Location nloc, ValueRange args) {
          Value w = args[1];
          // Exact: every f16 / bf16 value is an f32.
          if (w.getType() != f32)
            w = arith::ExtFOp::create(nb, nloc, f32, w);
          Value product = arith::MulFOp::create(nb, nloc, args[0], w);
          linalg::YieldOp::create(
              nb, nloc,
              ValueRange{arith::AddFOp::create(nb, nloc, args[2], product)});
        });
    op->getResult(0).replaceAllUsesWith(generic.getResult(0));
    op->erase();
  }

  /// __trit_matmul_T_NxK(x [M, K], w [N, K] of T) -> [M, N], T the weight
  /// type (f32, f16 or bf16; accumulation in f32).
  func::FuncOp getOrCreateKernel(Location loc, int64_t n, int64_t k) {
    std::string name = "__trit_matmul_" + weightType + "_" +
                       std::to_string(n) + "x" + std::to_string(k);
    ModuleOp module = getOperation();
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;
    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    Type f32 = b.getF32Type();
    auto xType = RankedTensorType::get({ShapedType::kDynamic, k}, f32);
    auto wType = RankedTensorType::get({n, k}, weightElementType);
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
      auto wVecType = VectorType::get({kLanes}, weightElementType);
      Value zeroVec = arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(vecType, 0.0f));
      Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
      Value wZero = arith::ConstantOp::create(
          b, loc, b.getFloatAttr(weightElementType, 0.0));
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
                    b, loc, wVecType, w, ValueRange{row, kk}, wZero,
                    ArrayRef<bool>{true});
                // Exact: every f16 / bf16 value is an f32.
                if (wVecType != vecType)
                  wv = arith::ExtFOp::create(b, loc, vecType, wv);
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

  /// A finite weight that the weight type cannot hold, if one was met.
  std::optional<float> overflow;
  bool hadError = false;
  /// The kernel's weight element type (the weight-type option).
  Type weightElementType;
  /// The [N, K] constants made so far, by the constant they come from.
  DenseMap<Value, Value> converted;
  unsigned counter = 0;
};

} // namespace
