//===- LinalgOps.cpp - ONNX ops that become linalg structured ops -*- C++ -*-=//
//
// MatMul and Gemm (graph contract, section 2), reductions, Transpose,
// Softmax and Gather.
//
//===----------------------------------------------------------------------===//

#include "GraphBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::trit::onnx_import;

namespace {
std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// A rank-2 `linalg.matmul` of `x [M, K]` by `w [K, N]` into a zero-filled
/// init.
FailureOr<Value> matmul2D(GraphBuilder &g, Value x, Value w) {
  auto xt = cast<RankedTensorType>(x.getType());
  auto wt = cast<RankedTensorType>(w.getType());
  int64_t k = xt.getDimSize(1), kw = wt.getDimSize(0);
  if (!ShapedType::isDynamic(k) && !ShapedType::isDynamic(kw) && k != kw)
    return g.fail("MatMul of " + typeString(xt) + " by " + typeString(wt) +
                  ": inner dimensions differ");
  if (failed(g.requireEqualSizes(g.sizes(x)[1], g.sizes(w)[0],
                                 "the inner dimensions of the MatMul")))
    return failure();
  SmallVector<OpFoldResult> shape = {g.sizes(x)[0], g.sizes(w)[1]};
  Value acc = g.filled(shape, xt.getElementType(),
                       g.b.getZeroAttr(xt.getElementType()));
  return linalg::MatmulOp::create(g.b, g.loc, ValueRange{x, w},
                                  ValueRange{acc})
      ->getResult(0);
}

/// MatMul of an activation `x [..., K]` by `w [K, N]`: rank 2 directly,
/// rank > 2 collapsed to [M, K] and expanded back.
FailureOr<Value> matmulByMatrix(GraphBuilder &g, Value x, Value w) {
  auto xt = cast<RankedTensorType>(x.getType());
  int64_t r = xt.getRank();
  if (r == 2)
    return matmul2D(g, x, w);
  ReassociationIndices lead;
  for (int64_t i = 0; i < r - 1; ++i)
    lead.push_back(i);
  SmallVector<ReassociationIndices> reassociation = {lead, {r - 1}};
  int64_t m = 1;
  for (int64_t i = 0; i < r - 1; ++i)
    m = ShapedType::isDynamic(xt.getDimSize(i)) || ShapedType::isDynamic(m)
            ? ShapedType::kDynamic
            : m * xt.getDimSize(i);
  auto collapsedType =
      RankedTensorType::get({m, xt.getDimSize(r - 1)}, xt.getElementType());
  Value x2 = tensor::CollapseShapeOp::create(g.b, g.loc, collapsedType, x,
                                             reassociation);
  FailureOr<Value> y2 = matmul2D(g, x2, w);
  if (failed(y2))
    return failure();
  SmallVector<OpFoldResult> outSizes = g.sizes(x);
  outSizes.back() = g.sizes(w)[1];
  auto resultType = RankedTensorType::get(staticShape(outSizes),
                                          xt.getElementType());
  return tensor::ExpandShapeOp::create(g.b, g.loc, resultType, *y2,
                                       reassociation, outSizes)
      .getResult();
}

/// MatMul of two activations with equal batch dimensions: batch_matmul on
/// the batch dimensions collapsed to one.
FailureOr<Value> batchMatmul(GraphBuilder &g, Value x, Value y) {
  auto xt = cast<RankedTensorType>(x.getType());
  auto yt = cast<RankedTensorType>(y.getType());
  int64_t r = xt.getRank();
  if (yt.getRank() != r)
    return g.fail("MatMul of " + typeString(xt) + " by " + typeString(yt) +
                  ": batch dimensions must match (broadcasting them is not "
                  "supported)");
  for (int64_t i = 0; i < r - 2; ++i)
    if (xt.getDimSize(i) != yt.getDimSize(i))
      return g.fail("MatMul of " + typeString(xt) + " by " + typeString(yt) +
                    ": batch dimensions must match (broadcasting them is not "
                    "supported)");
  // Dynamic batch and inner sizes agree at run time.
  for (int64_t i = 0; i < r - 2; ++i)
    if (failed(g.requireEqualSizes(g.sizes(x)[i], g.sizes(y)[i],
                                   "batch dimension " + Twine(i) +
                                       " of the MatMul's operands")))
      return failure();
  if (failed(g.requireEqualSizes(g.sizes(x)[r - 1], g.sizes(y)[r - 2],
                                 "the inner dimensions of the MatMul")))
    return failure();
  SmallVector<ReassociationIndices> reassociation;
  ReassociationIndices batch;
  for (int64_t i = 0; i < r - 2; ++i)
    batch.push_back(i);
  reassociation = {batch, {r - 2}, {r - 1}};
  auto collapse = [&](Value v) -> Value {
    if (r == 3)
      return v;
    auto t = cast<RankedTensorType>(v.getType());
    int64_t n = 1;
    for (int64_t i = 0; i < r - 2; ++i)
      n = ShapedType::isDynamic(t.getDimSize(i)) || ShapedType::isDynamic(n)
              ? ShapedType::kDynamic
              : n * t.getDimSize(i);
    auto ct = RankedTensorType::get(
        {n, t.getDimSize(r - 2), t.getDimSize(r - 1)}, t.getElementType());
    return tensor::CollapseShapeOp::create(g.b, g.loc, ct, v, reassociation);
  };
  Value x3 = collapse(x), y3 = collapse(y);
  SmallVector<OpFoldResult> accShape = {g.sizes(x3)[0], g.sizes(x3)[1],
                                        g.sizes(y3)[2]};
  Value acc = g.filled(accShape, xt.getElementType(),
                       g.b.getZeroAttr(xt.getElementType()));
  Value z = linalg::BatchMatmulOp::create(g.b, g.loc, ValueRange{x3, y3},
                                          ValueRange{acc})
                ->getResult(0);
  if (r == 3)
    return z;
  SmallVector<OpFoldResult> outSizes = g.sizes(x);
  outSizes.back() = g.sizes(y)[r - 1];
  auto resultType =
      RankedTensorType::get(staticShape(outSizes), xt.getElementType());
  return tensor::ExpandShapeOp::create(g.b, g.loc, resultType, z,
                                       reassociation, outSizes)
      .getResult();
}

LogicalResult convertMatMul(GraphBuilder &g) {
  FailureOr<Value> x = g.inputValue(0);
  if (failed(x))
    return failure();
  FailureOr<Value> w = g.inputValue(1);
  if (failed(w))
    return failure();
  auto xt = cast<RankedTensorType>(x->getType());
  auto wt = cast<RankedTensorType>(w->getType());
  if (!isa<FloatType>(xt.getElementType()) || xt.getElementType() != wt.getElementType())
    return g.fail("only float MatMul is supported");
  if (xt.getRank() < 2 || wt.getRank() < 2)
    return g.fail("MatMul with a rank-1 operand is not supported");
  FailureOr<Value> y = wt.getRank() == 2 ? matmulByMatrix(g, *x, *w)
                                         : batchMatmul(g, *x, *w);
  if (failed(y))
    return failure();
  g.setOutput(0, *y);
  return success();
}

/// Gemm: alpha * A' * B' + beta * C, with A' / B' transposed on request.
LogicalResult convertGemm(GraphBuilder &g) {
  FailureOr<Value> a = g.inputValue(0);
  if (failed(a))
    return failure();
  FailureOr<Value> bv = g.inputValue(1);
  if (failed(bv))
    return failure();
  if (cast<RankedTensorType>(a->getType()).getRank() != 2 ||
      cast<RankedTensorType>(bv->getType()).getRank() != 2)
    return g.fail("Gemm operands must be of rank 2");
  Value lhs = *a, rhs = *bv;
  if (g.intAttr("transA", 0))
    lhs = g.transpose(lhs, {1, 0});
  if (g.intAttr("transB", 0))
    rhs = g.transpose(rhs, {1, 0});
  FailureOr<Value> y = matmul2D(g, lhs, rhs);
  if (failed(y))
    return failure();
  Value result = *y;
  Type f32 = getElementTypeOrSelf(result.getType());
  SmallVector<OpFoldResult> sizes = g.sizes(result);
  float alpha = g.floatAttr("alpha", 1.0f), beta = g.floatAttr("beta", 1.0f);
  if (alpha != 1.0f)
    result = arith::MulFOp::create(g.b, g.loc, result,
                                   g.splat(alpha, f32, sizes));
  if (OnnxValue *c = g.input(2)) {
    FailureOr<Value> bias = g.broadcastTo(*c, sizes);
    if (failed(bias))
      return failure();
    Value scaled = *bias;
    if (beta != 1.0f)
      scaled = arith::MulFOp::create(g.b, g.loc, scaled,
                                     g.splat(beta, f32, sizes));
    result = arith::AddFOp::create(g.b, g.loc, result, scaled);
  }
  g.setOutput(0, result);
  return success();
}

enum class Reduction { Max, Min, Sum, Mean };

LogicalResult convertReduce(GraphBuilder &g, Reduction kind) {
  FailureOr<Value> x = g.inputValue(0);
  if (failed(x))
    return failure();
  auto xt = cast<RankedTensorType>(x->getType());
  Type elementType = xt.getElementType();
  if (!isa<FloatType>(elementType))
    return g.fail("only float reductions are supported");
  int64_t rank = xt.getRank();

  // Axes: an attribute before opset 18 (13 for ReduceSum), an optional
  // input from then on.
  int64_t axesAsInputFrom = kind == Reduction::Sum ? 13 : 18;
  std::optional<SmallVector<int64_t>> axes;
  if (g.opset >= axesAsInputFrom) {
    if (g.attribute("axes"))
      return g.fail("attribute 'axes' is not allowed from opset " +
                    Twine(axesAsInputFrom) + " on (axes are an input)");
    if (g.input(1)) {
      FailureOr<SmallVector<int64_t>> in = g.intsInput(1, "axes");
      if (failed(in))
        return failure();
      axes = *in;
    }
  } else {
    if (g.input(1))
      return g.fail("axes as an input need opset " + Twine(axesAsInputFrom) +
                    " or later");
    axes = g.intsAttr("axes");
  }
  bool keepDims = g.intAttr("keepdims", 1) != 0;
  if (!axes || axes->empty()) {
    if (g.intAttr("noop_with_empty_axes", 0)) {
      g.setOutput(0, *x);
      return success();
    }
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : *axes) {
    std::optional<int64_t> a = normalizeAxis(axis, rank);
    if (!a)
      return g.fail("axis " + Twine(axis) + " is out of range for rank " +
                    Twine(rank));
    reduced[*a] = true;
  }
  SmallVector<int64_t> dimensions;
  SmallVector<OpFoldResult> inSizes = g.sizes(*x), outSizes, keptSizes;
  int64_t count = 1;
  for (int64_t i = 0; i < rank; ++i) {
    if (reduced[i]) {
      dimensions.push_back(i);
      if (xt.isDynamicDim(i) && kind == Reduction::Mean)
        return g.fail("ReduceMean over a dynamic dimension is not supported");
      if (!xt.isDynamicDim(i))
        count *= xt.getDimSize(i);
      keptSizes.push_back(g.b.getIndexAttr(1));
    } else {
      outSizes.push_back(inSizes[i]);
      keptSizes.push_back(inSizes[i]);
    }
  }

  auto f = cast<FloatType>(elementType);
  TypedAttr identity;
  switch (kind) {
  case Reduction::Max:
    identity = FloatAttr::get(f, APFloat::getInf(f.getFloatSemantics(), true));
    break;
  case Reduction::Min:
    identity = FloatAttr::get(f, APFloat::getInf(f.getFloatSemantics(), false));
    break;
  case Reduction::Sum:
  case Reduction::Mean:
    identity = FloatAttr::get(f, 0.0);
    break;
  }
  Value init = g.filled(outSizes, elementType, identity);
  Value result =
      linalg::ReduceOp::create(
          g.b, g.loc, ValueRange{*x}, ValueRange{init}, dimensions,
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value v;
            if (kind == Reduction::Max)
              v = arith::MaximumFOp::create(b, loc, args[1], args[0]);
            else if (kind == Reduction::Min)
              v = arith::MinimumFOp::create(b, loc, args[1], args[0]);
            else
              v = arith::AddFOp::create(b, loc, args[1], args[0]);
            linalg::YieldOp::create(b, loc, v);
          })
          ->getResult(0);
  if (kind == Reduction::Mean)
    result = arith::DivFOp::create(
        g.b, g.loc, result, g.splat(static_cast<double>(count), elementType,
                                    outSizes));
  if (keepDims && !dimensions.empty()) {
    FailureOr<Value> kept = g.reshape(result, keptSizes);
    if (failed(kept))
      return failure();
    result = *kept;
  }
  g.setOutput(0, result);
  return success();
}

template <Reduction kind>
LogicalResult reduce(GraphBuilder &g) {
  return convertReduce(g, kind);
}

LogicalResult convertTranspose(GraphBuilder &g) {
  FailureOr<Value> x = g.inputValue(0);
  if (failed(x))
    return failure();
  int64_t rank = cast<RankedTensorType>(x->getType()).getRank();
  SmallVector<int64_t> perm;
  if (std::optional<SmallVector<int64_t>> p = g.intsAttr("perm"))
    perm = *p;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  SmallVector<int64_t> sorted(perm);
  llvm::sort(sorted);
  if (sorted != llvm::to_vector(llvm::seq<int64_t>(0, rank)))
    return g.fail("perm is not a permutation of the input's " + Twine(rank) +
                  " dimensions");
  g.setOutput(0, g.transpose(*x, perm));
  return success();
}

LogicalResult convertSoftmax(GraphBuilder &g) {
  FailureOr<Value> x = g.inputValue(0);
  if (failed(x))
    return failure();
  auto xt = cast<RankedTensorType>(x->getType());
  int64_t rank = xt.getRank();
  int64_t axis = g.intAttr("axis", g.opset >= 13 ? -1 : 1);
  std::optional<int64_t> a = normalizeAxis(axis, rank);
  if (!a)
    return g.fail("axis " + Twine(axis) + " is out of range");
  // Before opset 13 Softmax flattens [axis, rank) into one: the same as a
  // single-axis softmax only when axis is the last one.
  if (g.opset < 13 && *a != rank - 1)
    return g.fail("Softmax before opset 13 over axis " + Twine(axis) +
                  " (not the last) is not supported");
  Value init = g.empty(g.sizes(*x), xt.getElementType());
  g.setOutput(0, linalg::SoftmaxOp::create(g.b, g.loc, xt, *x, init, *a)
                     ->getResult(0));
  return success();
}

/// Checks once per call, before the gather, that every index in `ids`
/// (component `component` of its last dimension, or every element when
/// nullopt) lies in [-size, size): a min/max reduction over the indices and
/// one cf.assert on the two results. (A check inside the gather's loop would
/// run per element, and in a parallel loop where the runtime's error
/// handler cannot unwind.)
void checkIndexRange(GraphBuilder &g, Value ids,
                     std::optional<int64_t> component, Value size) {
  auto it = cast<RankedTensorType>(ids.getType());
  Type elementType = it.getElementType();
  int64_t rank = it.getRank();
  int64_t loops = component ? rank - 1 : rank;
  MLIRContext *ctx = g.context;
  SmallVector<AffineExpr> idExprs;
  for (int64_t d = 0; d < loops; ++d)
    idExprs.push_back(getAffineDimExpr(d, ctx));
  if (component)
    idExprs.push_back(getAffineConstantExpr(*component, ctx));
  AffineMap idMap = AffineMap::get(loops, 0, idExprs, ctx);
  AffineMap scalarMap = AffineMap::get(loops, 0, {}, ctx);
  unsigned width = elementType.getIntOrFloatBitWidth();
  Value lowInit = g.filled({}, elementType,
                           g.b.getIntegerAttr(elementType,
                                              APInt::getSignedMaxValue(width)));
  Value highInit = g.filled({}, elementType,
                            g.b.getIntegerAttr(
                                elementType, APInt::getSignedMinValue(width)));
  SmallVector<utils::IteratorType> iterators(loops,
                                             utils::IteratorType::reduction);
  auto bounds = linalg::GenericOp::create(
      g.b, g.loc, TypeRange{lowInit.getType(), highInit.getType()},
      ValueRange{ids}, ValueRange{lowInit, highInit},
      ArrayRef<AffineMap>{idMap, scalarMap, scalarMap}, iterators,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value low = arith::MinSIOp::create(b, loc, args[1], args[0]);
        Value high = arith::MaxSIOp::create(b, loc, args[2], args[0]);
        linalg::YieldOp::create(b, loc, ValueRange{low, high});
      });
  auto extract = [&](Value t) -> Value {
    Value v = tensor::ExtractOp::create(g.b, g.loc, t, ValueRange{});
    return arith::IndexCastOp::create(g.b, g.loc, g.b.getIndexType(), v);
  };
  Value low = extract(bounds.getResult(0)), high = extract(bounds.getResult(1));
  Value zero = arith::ConstantIndexOp::create(g.b, g.loc, 0);
  Value negSize = arith::SubIOp::create(g.b, g.loc, zero, size);
  Value ok = arith::AndIOp::create(
      g.b, g.loc,
      arith::CmpIOp::create(g.b, g.loc, arith::CmpIPredicate::sge, low,
                            negSize),
      arith::CmpIOp::create(g.b, g.loc, arith::CmpIPredicate::slt, high,
                            size));
  cf::AssertOp::create(g.b, g.loc, ok,
                       "node '" + g.nodeName() + "' (" +
                           g.node->op_type() + "): an index is out of range");
}

/// The index `value` (an integer of any width) names in a dimension of
/// `size`: as an index, negative values counting from the end.
Value wrapIndex(OpBuilder &b, Location loc, Value value, Value size) {
  Value id = arith::IndexCastOp::create(b, loc, b.getIndexType(), value);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value negative =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, id, zero);
  Value wrapped = arith::AddIOp::create(b, loc, id, size);
  return arith::SelectOp::create(b, loc, negative, wrapped, id);
}

/// Gather along axis 0 (an embedding lookup): a linalg.generic that reads
/// each index and extracts the row it names (negative indices count from
/// the end).
LogicalResult convertGather(GraphBuilder &g) {
  OnnxValue *data = g.input(0), *indices = g.input(1);
  if (!data || !indices)
    return g.fail("expects two inputs");
  RankedTensorType dt = g.typeOf(*data), it = g.typeOf(*indices);
  if (isa<FloatType>(it.getElementType()))
    return g.fail("indices must be integers");
  std::optional<int64_t> axis = normalizeAxis(g.intAttr("axis", 0), dt.getRank());
  if (!axis)
    return g.fail("axis is out of range");

  // Picking sizes out of a shape computed from dynamic sizes.
  if (data->sym && foldable(indices) && dt.getRank() == 1) {
    SymInts out;
    out.shape = SmallVector<int64_t>(it.getShape());
    out.elementType = dt.getElementType();
    int64_t n = dt.getDimSize(0);
    for (int64_t i : indices->constant->ints) {
      int64_t j = i < 0 ? i + n : i;
      if (j < 0 || j >= n)
        return g.fail("index " + Twine(i) + " is out of range");
      out.elements.push_back(data->sym->elements[j]);
    }
    g.setOutput(0, g.symValue(std::move(out)));
    return success();
  }
  if (*axis != 0)
    return g.fail("Gather along axis " + Twine(*axis) + " is not supported");

  Value table = g.materialize(*data);
  Value ids = g.materialize(*indices);
  checkIndexRange(g, ids, std::nullopt, g.dim(table, 0));
  SmallVector<OpFoldResult> outSizes = g.sizes(ids);
  SmallVector<OpFoldResult> tableSizes = g.sizes(table);
  outSizes.append(tableSizes.begin() + 1, tableSizes.end());
  int64_t outRank = outSizes.size(), idRank = it.getRank();
  Value init = g.empty(outSizes, dt.getElementType());
  MLIRContext *ctx = g.context;
  AffineMap idMap = AffineMap::getMultiDimIdentityMap(outRank, ctx)
                        .getSubMap(llvm::to_vector(llvm::seq<unsigned>(0, idRank)));
  AffineMap outMap = AffineMap::getMultiDimIdentityMap(outRank, ctx);
  SmallVector<utils::IteratorType> iterators(outRank,
                                             utils::IteratorType::parallel);
  Value rows = g.dim(table, 0);
  Value result =
      linalg::GenericOp::create(
          g.b, g.loc, TypeRange{init.getType()}, ValueRange{ids},
          ValueRange{init}, ArrayRef<AffineMap>{idMap, outMap}, iterators,
          [&](OpBuilder &b, Location loc, ValueRange args) {
            SmallVector<Value> coords = {wrapIndex(b, loc, args[0], rows)};
            for (int64_t d = idRank; d < outRank; ++d)
              coords.push_back(linalg::IndexOp::create(b, loc, d));
            Value v = tensor::ExtractOp::create(b, loc, table, coords);
            linalg::YieldOp::create(b, loc, v);
          })
          ->getResult(0);
  g.setOutput(0, result);
  return success();
}

/// GatherND: a linalg.generic over the result ([indices' leading dims] +
/// [data's trailing dims]) that reads each index tuple (its last dimension
/// must be static) and extracts the element it names. Negative indices count
/// from the end; an index out of range is a run-time error (checked before).
LogicalResult convertGatherND(GraphBuilder &g) {
  FailureOr<Value> dataOr = g.inputValue(0), idsOr = g.inputValue(1);
  if (failed(dataOr) || failed(idsOr))
    return failure();
  Value data = *dataOr, ids = *idsOr;
  auto dt = cast<RankedTensorType>(data.getType());
  auto it = cast<RankedTensorType>(ids.getType());
  if (!isa<IntegerType>(it.getElementType()) ||
      it.getElementType().isInteger(1))
    return g.fail("indices must be integers");
  int64_t batchDims = g.intAttr("batch_dims", 0);
  int64_t rank = dt.getRank(), q = it.getRank();
  if (q < 1 || batchDims < 0 || batchDims >= std::min(rank, q))
    return g.fail("batch_dims " + Twine(batchDims) + " is out of range");
  int64_t k = it.getDimSize(q - 1);
  if (ShapedType::isDynamic(k))
    return g.fail("the last dimension of indices must be static");
  if (k < 1 || k > rank - batchDims)
    return g.fail("index tuples of " + Twine(k) + " do not fit data of rank " +
                  Twine(rank) + " with " + Twine(batchDims) + " batch dims");
  SmallVector<OpFoldResult> idSizes = g.sizes(ids), dataSizes = g.sizes(data);
  SmallVector<OpFoldResult> outSizes(idSizes.begin(), idSizes.end() - 1);
  outSizes.append(dataSizes.begin() + batchDims + k, dataSizes.end());
  int64_t outRank = outSizes.size(), lead = q - 1;
  // Batch dimensions of indices and data must agree.
  for (int64_t d = 0; d < batchDims; ++d)
    if (failed(g.requireEqualSizes(idSizes[d], dataSizes[d],
                                   "batch dimension " + Twine(d) +
                                       " of indices and data")))
      return failure();
  for (int64_t j = 0; j < k; ++j)
    checkIndexRange(g, ids, j, g.dim(data, batchDims + j));
  Value init = g.empty(outSizes, dt.getElementType());
  AffineMap outMap = AffineMap::getMultiDimIdentityMap(outRank, g.context);
  SmallVector<utils::IteratorType> iterators(outRank,
                                             utils::IteratorType::parallel);
  Value result =
      linalg::GenericOp::create(
          g.b, g.loc, TypeRange{init.getType()}, ValueRange{},
          ValueRange{init}, ArrayRef<AffineMap>{outMap}, iterators,
          [&](OpBuilder &b, Location loc, ValueRange) {
            SmallVector<Value> coords, idCoords;
            for (int64_t d = 0; d < lead; ++d)
              idCoords.push_back(linalg::IndexOp::create(b, loc, d));
            for (int64_t d = 0; d < batchDims; ++d)
              coords.push_back(idCoords[d]);
            idCoords.push_back(Value());
            for (int64_t j = 0; j < k; ++j) {
              idCoords.back() = arith::ConstantIndexOp::create(b, loc, j);
              Value id = tensor::ExtractOp::create(b, loc, ids, idCoords);
              Value size = tensor::DimOp::create(b, loc, data,
                                                 batchDims + j);
              coords.push_back(wrapIndex(b, loc, id, size));
            }
            for (int64_t d = lead; d < outRank; ++d)
              coords.push_back(linalg::IndexOp::create(b, loc, d));
            Value v = tensor::ExtractOp::create(b, loc, data, coords);
            linalg::YieldOp::create(b, loc, v);
          })
          ->getResult(0);
  g.setOutput(0, result);
  return success();
}

/// CumSum along a constant axis: out[.., i, ..] sums x[.., j, ..] over
/// j <= i (j < i when exclusive; j >= i, j > i when reversed), as a
/// linalg.generic with the summed index as a reduction dimension, adding in
/// index order. Quadratic in the axis' size, which is a sequence length
/// where exporters use it (position ids, masks).
LogicalResult convertCumSum(GraphBuilder &g) {
  FailureOr<Value> xOr = g.inputValue(0);
  if (failed(xOr))
    return failure();
  Value x = *xOr;
  auto type = cast<RankedTensorType>(x.getType());
  Type elementType = type.getElementType();
  if (elementType.isInteger(1))
    return g.fail("CumSum of bool is not defined");
  FailureOr<SmallVector<int64_t>> axisData = g.intsInput(1, "axis");
  if (failed(axisData))
    return failure();
  if (axisData->size() != 1)
    return g.fail("axis must hold one value");
  int64_t rank = type.getRank();
  std::optional<int64_t> axis = normalizeAxis((*axisData)[0], rank);
  if (!axis)
    return g.fail("axis is out of range");
  bool exclusive = g.intAttr("exclusive", 0), reverse = g.intAttr("reverse", 0);
  // Iteration space: the result's dimensions, then j (reduction).
  MLIRContext *ctx = g.context;
  SmallVector<AffineExpr> inExprs;
  for (int64_t d = 0; d < rank; ++d)
    inExprs.push_back(getAffineDimExpr(d == *axis ? rank : d, ctx));
  AffineMap inMap = AffineMap::get(rank + 1, 0, inExprs, ctx);
  AffineMap outMap = AffineMap::getMultiDimIdentityMap(rank + 1, ctx)
                         .getSubMap(llvm::to_vector(
                             llvm::seq<unsigned>(0, rank)));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  TypedAttr zeroAttr = isa<FloatType>(elementType)
                           ? TypedAttr(g.b.getFloatAttr(elementType, 0.0))
                           : TypedAttr(g.b.getIntegerAttr(elementType, 0));
  Value init = g.filled(g.sizes(x), elementType, zeroAttr);
  arith::CmpIPredicate keep = reverse ? (exclusive ? arith::CmpIPredicate::sgt
                                                   : arith::CmpIPredicate::sge)
                                      : (exclusive ? arith::CmpIPredicate::slt
                                                   : arith::CmpIPredicate::sle);
  Value result =
      linalg::GenericOp::create(
          g.b, g.loc, TypeRange{init.getType()}, ValueRange{x},
          ValueRange{init}, ArrayRef<AffineMap>{inMap, outMap}, iterators,
          [&](OpBuilder &b, Location loc, ValueRange args) {
            Value i = linalg::IndexOp::create(b, loc, *axis);
            Value j = linalg::IndexOp::create(b, loc, rank);
            Value take = arith::CmpIOp::create(b, loc, keep, j, i);
            Value sum = isa<FloatType>(elementType)
                            ? Value(arith::AddFOp::create(b, loc, args[1],
                                                          args[0]))
                            : Value(arith::AddIOp::create(b, loc, args[1],
                                                          args[0]));
            linalg::YieldOp::create(
                b, loc, Value(arith::SelectOp::create(b, loc, take, sum,
                                                      args[1])));
          })
          ->getResult(0);
  g.setOutput(0, result);
  return success();
}
} // namespace

void mlir::trit::onnx_import::addLinalgConverters(
    llvm::StringMap<OpConverter> &t) {
  t["MatMul"] = convertMatMul;
  t["Gemm"] = convertGemm;
  t["ReduceMax"] = reduce<Reduction::Max>;
  t["ReduceMin"] = reduce<Reduction::Min>;
  t["ReduceSum"] = reduce<Reduction::Sum>;
  t["ReduceMean"] = reduce<Reduction::Mean>;
  t["Transpose"] = convertTranspose;
  t["Softmax"] = convertSoftmax;
  t["Gather"] = convertGather;
  t["GatherND"] = convertGatherND;
  t["CumSum"] = convertCumSum;
}
