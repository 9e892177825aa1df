//===- ElementwiseOps.cpp - ONNX elementwise ops ----------------*- C++ -*-===//
//
// One arith or math op per ONNX op on operands of the result's shape
// (graph contract, section 1). Small integer computations on constants
// (shape arithmetic) are folded at import time instead.
//
//===----------------------------------------------------------------------===//

#include "GraphBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::trit::onnx_import;

namespace {
enum class Binary {
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Min,
  Pow,
  Equal,
  Greater,
  Less,
  GreaterOrEqual,
  LessOrEqual,
  // Logical (bool) and bitwise (signless integer) ops: andi, ori, xori.
  And,
  Or,
  Xor
};

int64_t foldInt(Binary kind, int64_t x, int64_t y) {
  switch (kind) {
  case Binary::Add: return x + y;
  case Binary::Sub: return x - y;
  case Binary::Mul: return x * y;
  case Binary::Div: return y == 0 ? 0 : x / y;
  case Binary::Max: return std::max(x, y);
  case Binary::Min: return std::min(x, y);
  case Binary::Pow: return static_cast<int64_t>(std::pow(x, y));
  case Binary::Equal: return x == y;
  case Binary::Greater: return x > y;
  case Binary::Less: return x < y;
  case Binary::GreaterOrEqual: return x >= y;
  case Binary::LessOrEqual: return x <= y;
  case Binary::And: return x & y;
  case Binary::Or: return x | y;
  case Binary::Xor: return x ^ y;
  }
  return 0;
}

bool isComparison(Binary kind) {
  return kind == Binary::Equal || kind == Binary::Greater ||
         kind == Binary::Less || kind == Binary::GreaterOrEqual ||
         kind == Binary::LessOrEqual;
}

arith::CmpIPredicate intPredicate(Binary kind) {
  switch (kind) {
  case Binary::Greater: return arith::CmpIPredicate::sgt;
  case Binary::Less: return arith::CmpIPredicate::slt;
  case Binary::GreaterOrEqual: return arith::CmpIPredicate::sge;
  case Binary::LessOrEqual: return arith::CmpIPredicate::sle;
  default: return arith::CmpIPredicate::eq;
  }
}

arith::CmpFPredicate floatPredicate(Binary kind) {
  switch (kind) {
  case Binary::Greater: return arith::CmpFPredicate::OGT;
  case Binary::Less: return arith::CmpFPredicate::OLT;
  case Binary::GreaterOrEqual: return arith::CmpFPredicate::OGE;
  case Binary::LessOrEqual: return arith::CmpFPredicate::OLE;
  default: return arith::CmpFPredicate::OEQ;
  }
}

/// One element of symbolic shape arithmetic: folded when both operands are
/// known, else an arith op on index values (booleans as 0/1). Null for Pow,
/// which shape arithmetic does not use.
OpFoldResult symBinary(GraphBuilder &g, Binary kind, OpFoldResult x,
                       OpFoldResult y) {
  std::optional<int64_t> cx = getConstantIntValue(x),
                         cy = getConstantIntValue(y);
  if (cx && cy && isa<Attribute>(x) && isa<Attribute>(y))
    return g.b.getIndexAttr(foldInt(kind, *cx, *cy));
  OpBuilder &b = g.b;
  Location loc = g.loc;
  Value vx = g.indexValue(x), vy = g.indexValue(y);
  switch (kind) {
  case Binary::Add: return Value(arith::AddIOp::create(b, loc, vx, vy));
  case Binary::Sub: return Value(arith::SubIOp::create(b, loc, vx, vy));
  case Binary::Mul: return Value(arith::MulIOp::create(b, loc, vx, vy));
  case Binary::Div: return Value(arith::DivSIOp::create(b, loc, vx, vy));
  case Binary::Max: return Value(arith::MaxSIOp::create(b, loc, vx, vy));
  case Binary::Min: return Value(arith::MinSIOp::create(b, loc, vx, vy));
  case Binary::Pow: return OpFoldResult();
  case Binary::And: return Value(arith::AndIOp::create(b, loc, vx, vy));
  case Binary::Or: return Value(arith::OrIOp::create(b, loc, vx, vy));
  case Binary::Xor: return Value(arith::XOrIOp::create(b, loc, vx, vy));
  default: {
    Value c = arith::CmpIOp::create(b, loc, intPredicate(kind), vx, vy);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    return Value(arith::SelectOp::create(b, loc, c, one, zero));
  }
  }
}

Value createBinary(GraphBuilder &g, Binary kind, Value x, Value y) {
  OpBuilder &b = g.b;
  Location loc = g.loc;
  bool isFloat = isa<FloatType>(getElementTypeOrSelf(x.getType()));
  switch (kind) {
  case Binary::Add:
    return isFloat ? Value(arith::AddFOp::create(b, loc, x, y))
                   : Value(arith::AddIOp::create(b, loc, x, y));
  case Binary::Sub:
    return isFloat ? Value(arith::SubFOp::create(b, loc, x, y))
                   : Value(arith::SubIOp::create(b, loc, x, y));
  case Binary::Mul:
    return isFloat ? Value(arith::MulFOp::create(b, loc, x, y))
                   : Value(arith::MulIOp::create(b, loc, x, y));
  case Binary::Div:
    return isFloat ? Value(arith::DivFOp::create(b, loc, x, y))
                   : Value(arith::DivSIOp::create(b, loc, x, y));
  case Binary::Max:
    return isFloat ? Value(arith::MaximumFOp::create(b, loc, x, y))
                   : Value(arith::MaxSIOp::create(b, loc, x, y));
  case Binary::Min:
    return isFloat ? Value(arith::MinimumFOp::create(b, loc, x, y))
                   : Value(arith::MinSIOp::create(b, loc, x, y));
  case Binary::Pow:
    return math::PowFOp::create(b, loc, x, y);
  case Binary::And:
    return arith::AndIOp::create(b, loc, x, y);
  case Binary::Or:
    return arith::OrIOp::create(b, loc, x, y);
  case Binary::Xor:
    return arith::XOrIOp::create(b, loc, x, y);
  case Binary::Equal:
  case Binary::Greater:
  case Binary::Less:
  case Binary::GreaterOrEqual:
  case Binary::LessOrEqual:
    return isFloat ? Value(arith::CmpFOp::create(b, loc, floatPredicate(kind),
                                                 x, y))
                   : Value(arith::CmpIOp::create(b, loc, intPredicate(kind),
                                                 x, y));
  }
  return {};
}

LogicalResult convertBinary(GraphBuilder &g, Binary kind) {
  OnnxValue *x = g.input(0), *y = g.input(1);
  if (!x || !y || g.node->input_size() != 2)
    return g.fail("expects two inputs");
  Type xe = g.typeOf(*x).getElementType(), ye = g.typeOf(*y).getElementType();
  // x ^ 2 (RMSNorm's square): x * x, which is what powf computes (one
  // rounding of the exact square) without a libm call per element.
  if (kind == Binary::Pow && isa<FloatType>(xe) && y->constant &&
      y->constant->numElements() >= 1 &&
      g.typeOf(*y).getRank() <= g.typeOf(*x).getRank()) {
    bool square = true;
    for (int64_t i = 0; i < y->constant->numElements() && square; ++i)
      square = y->constant->at(i) == 2.0;
    if (square && y->constant->numElements() == 1) {
      Value v = g.materialize(*x);
      g.setOutput(0, Value(arith::MulFOp::create(g.b, g.loc, v, v)));
      return success();
    }
  }
  if (kind == Binary::Pow && isa<FloatType>(xe) && !isa<FloatType>(ye) &&
      y->constant) {
    // An integer exponent known at import time: use it as f32.
    auto exponent = std::make_shared<ConstTensor>(*y->constant);
    exponent->elementType = xe;
    for (int64_t v : exponent->ints)
      exponent->floats.push_back(static_cast<float>(v));
    exponent->ints.clear();
    OnnxValue converted{Value(), exponent};
    OnnxValue *operands[] = {x, &converted};
    FailureOr<SmallVector<OpFoldResult>> sizes = g.broadcastSizes(operands);
    if (failed(sizes))
      return failure();
    FailureOr<Value> vx = g.broadcastTo(*x, *sizes);
    FailureOr<Value> vy = g.broadcastTo(converted, *sizes);
    if (failed(vx) || failed(vy))
      return failure();
    g.setOutput(0, createBinary(g, kind, *vx, *vy));
    return success();
  }
  if (xe != ye)
    return g.fail("operand element types differ");
  if (kind == Binary::Pow && !isa<FloatType>(xe))
    return g.fail("integer Pow is not supported");
  bool logical =
      kind == Binary::And || kind == Binary::Or || kind == Binary::Xor;
  if (logical && isa<FloatType>(xe))
    return g.fail("operands must be bool or integers");

  // Shape arithmetic on dynamic sizes stays element by element.
  if (symbolicOperands({x, y}) && kind != Binary::Pow) {
    SymInts a = *g.symInts(x), c = *g.symInts(y);
    std::optional<SmallVector<int64_t>> shape =
        broadcastStatic(a.shape, c.shape);
    if (!shape)
      return g.fail("operand shapes cannot be broadcast together");
    SymInts out;
    out.shape = *shape;
    out.elementType = isComparison(kind) ? g.b.getI1Type() : xe;
    int64_t n = ShapedType::getNumElements(*shape);
    for (int64_t i = 0; i < n; ++i)
      out.elements.push_back(
          symBinary(g, kind, a.elements[broadcastIndex(i, *shape, a.shape)],
                    c.elements[broadcastIndex(i, *shape, c.shape)]));
    g.setOutput(0, g.symValue(std::move(out)));
    return success();
  }

  OnnxValue *operands[] = {x, y};
  FailureOr<SmallVector<OpFoldResult>> sizes = g.broadcastSizes(operands);
  if (failed(sizes))
    return failure();
  FailureOr<Value> vx = g.broadcastTo(*x, *sizes);
  if (failed(vx))
    return failure();
  FailureOr<Value> vy = g.broadcastTo(*y, *sizes);
  if (failed(vy))
    return failure();
  g.setOutput(0, createBinary(g, kind, *vx, *vy));
  return success();
}

template <Binary kind>
LogicalResult binary(GraphBuilder &g) {
  return convertBinary(g, kind);
}

/// Fails unless input 0 is a float tensor; returns it.
FailureOr<Value> floatInput(GraphBuilder &g) {
  FailureOr<Value> x = g.inputValue(0);
  if (failed(x))
    return failure();
  if (!isa<FloatType>(getElementTypeOrSelf(x->getType())))
    return g.fail("only float tensors are supported");
  return x;
}

template <typename OpTy>
LogicalResult unaryFloat(GraphBuilder &g) {
  FailureOr<Value> x = floatInput(g);
  if (failed(x))
    return failure();
  g.setOutput(0, Value(OpTy::create(g.b, g.loc, *x)));
  return success();
}

LogicalResult convertAbs(GraphBuilder &g) {
  FailureOr<Value> x = g.inputValue(0);
  if (failed(x))
    return failure();
  if (isa<FloatType>(getElementTypeOrSelf(x->getType())))
    g.setOutput(0, Value(math::AbsFOp::create(g.b, g.loc, *x)));
  else
    g.setOutput(0, Value(math::AbsIOp::create(g.b, g.loc, *x)));
  return success();
}

LogicalResult convertNeg(GraphBuilder &g) {
  FailureOr<Value> x = g.inputValue(0);
  if (failed(x))
    return failure();
  Type elementType = getElementTypeOrSelf(x->getType());
  if (isa<FloatType>(elementType)) {
    g.setOutput(0, Value(arith::NegFOp::create(g.b, g.loc, *x)));
    return success();
  }
  Value zero = g.splat(0, elementType, g.sizes(*x));
  g.setOutput(0, Value(arith::SubIOp::create(g.b, g.loc, zero, *x)));
  return success();
}

/// Not (bool) and BitwiseNot (integers): xori with all ones.
LogicalResult convertNot(GraphBuilder &g) {
  FailureOr<Value> x = g.inputValue(0);
  if (failed(x))
    return failure();
  Type elementType = getElementTypeOrSelf(x->getType());
  bool isBool = elementType.isInteger(1);
  if (isa<FloatType>(elementType) || (g.node->op_type() == "Not") != isBool)
    return g.fail(g.node->op_type() == "Not"
                      ? "the input must be bool"
                      : "the input must be an integer tensor");
  Value ones = g.splat(-1, elementType, g.sizes(*x));
  g.setOutput(0, Value(arith::XOrIOp::create(g.b, g.loc, *x, ones)));
  return success();
}

/// IsNaN: x is unordered with itself.
LogicalResult convertIsNaN(GraphBuilder &g) {
  FailureOr<Value> x = floatInput(g);
  if (failed(x))
    return failure();
  g.setOutput(0, Value(arith::CmpFOp::create(
                     g.b, g.loc, arith::CmpFPredicate::UNO, *x, *x)));
  return success();
}

LogicalResult convertReciprocal(GraphBuilder &g) {
  FailureOr<Value> x = floatInput(g);
  if (failed(x))
    return failure();
  Value one = g.splat(1.0, getElementTypeOrSelf(x->getType()), g.sizes(*x));
  g.setOutput(0, Value(arith::DivFOp::create(g.b, g.loc, one, *x)));
  return success();
}

LogicalResult convertRelu(GraphBuilder &g) {
  FailureOr<Value> x = floatInput(g);
  if (failed(x))
    return failure();
  Value zero = g.splat(0.0, getElementTypeOrSelf(x->getType()), g.sizes(*x));
  g.setOutput(0, Value(arith::MaximumFOp::create(g.b, g.loc, *x, zero)));
  return success();
}

/// Sigmoid has no single arith/math op: 1 / (1 + exp(-x)).
LogicalResult convertSigmoid(GraphBuilder &g) {
  FailureOr<Value> x = floatInput(g);
  if (failed(x))
    return failure();
  SmallVector<OpFoldResult> sizes = g.sizes(*x);
  Type f32 = getElementTypeOrSelf(x->getType());
  Value neg = arith::NegFOp::create(g.b, g.loc, *x);
  Value exp = math::ExpOp::create(g.b, g.loc, neg);
  Value one = g.splat(1.0, f32, sizes);
  Value den = arith::AddFOp::create(g.b, g.loc, one, exp);
  g.setOutput(0, Value(arith::DivFOp::create(g.b, g.loc, one, den)));
  return success();
}

/// Clip(x, lo, hi): maximumf with lo, then minimumf with hi; an absent
/// bound has no op.
LogicalResult convertClip(GraphBuilder &g) {
  FailureOr<Value> x = g.inputValue(0);
  if (failed(x))
    return failure();
  Type elementType = getElementTypeOrSelf(x->getType());
  bool isFloat = isa<FloatType>(elementType);
  SmallVector<OpFoldResult> sizes = g.sizes(*x);
  auto scalarConstant = [&](float value) {
    auto c = std::make_shared<ConstTensor>();
    c->elementType = elementType;
    c->floats.push_back(value);
    return OnnxValue{Value(), c};
  };
  std::optional<OnnxValue> bounds[2];
  if (g.opset < 11) {
    if (!isFloat)
      return g.fail("integer Clip needs opset 11 or later");
    if (g.attribute("min"))
      bounds[0] = scalarConstant(g.floatAttr("min", 0));
    if (g.attribute("max"))
      bounds[1] = scalarConstant(g.floatAttr("max", 0));
  } else {
    for (unsigned i = 0; i < 2; ++i)
      if (OnnxValue *bound = g.input(i + 1)) {
        RankedTensorType type = g.typeOf(*bound);
        if (type.hasStaticShape() && type.getNumElements() != 1)
          return g.fail("Clip bounds must be scalars");
        if (type.getElementType() != elementType)
          return g.fail("Clip bound element type differs from the input's");
        bounds[i] = *bound;
      }
  }
  Value result = *x;
  for (unsigned i = 0; i < 2; ++i) {
    if (!bounds[i])
      continue;
    OnnxValue *bound = g.input(i + 1);
    FailureOr<Value> v = g.broadcastTo(bound && g.opset >= 11 ? *bound
                                                              : *bounds[i],
                                       sizes);
    if (failed(v))
      return failure();
    if (i == 0)
      result = isFloat ? Value(arith::MaximumFOp::create(g.b, g.loc, result, *v))
                       : Value(arith::MaxSIOp::create(g.b, g.loc, result, *v));
    else
      result = isFloat ? Value(arith::MinimumFOp::create(g.b, g.loc, result, *v))
                       : Value(arith::MinSIOp::create(g.b, g.loc, result, *v));
  }
  g.setOutput(0, result);
  return success();
}

LogicalResult convertIdentity(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  g.setOutput(0, *x);
  return success();
}

/// The value of `v` if it is a splat known at import: a splat
/// arith.constant, or a 0-d one broadcast (the graph contract's splats).
std::optional<double> splatValue(Value v) {
  if (auto broadcast = v.getDefiningOp<linalg::BroadcastOp>())
    v = broadcast.getInput();
  auto constant = v.getDefiningOp<arith::ConstantOp>();
  auto dense = constant ? dyn_cast<DenseElementsAttr>(constant.getValue())
                        : DenseElementsAttr();
  if (!dense || !dense.isSplat())
    return std::nullopt;
  if (isa<FloatType>(dense.getElementType()))
    return dense.getSplatValue<APFloat>().convertToDouble();
  return double(dense.getSplatValue<APInt>().getSExtValue());
}

/// If every element of the float tensor `v` is an integer (or +-inf), the
/// interval the elements lie in; else nullopt. Follows what the importer
/// emits for rounding and clipping: roundeven/round/floor/ceil/trunc, then
/// maximumf/minimumf with integral splats; sitofp of an integer.
std::optional<std::pair<double, double>> integralRange(Value v) {
  Operation *op = v.getDefiningOp();
  if (!op)
    return std::nullopt;
  if (isa<math::RoundEvenOp, math::RoundOp, math::FloorOp, math::CeilOp,
          math::TruncOp>(op))
    return std::pair(-INFINITY, INFINITY);
  if (auto fromInt = dyn_cast<arith::SIToFPOp>(op)) {
    // Rounding to the float type may reach 2^(width-1) itself.
    unsigned width = getElementTypeOrSelf(fromInt.getIn().getType())
                         .getIntOrFloatBitWidth();
    return std::pair(-std::ldexp(1.0, width - 1), std::ldexp(1.0, width - 1));
  }
  if (isa<arith::MaximumFOp, arith::MinimumFOp>(op)) {
    for (int k = 0; k < 2; ++k) {
      std::optional<double> bound = splatValue(op->getOperand(1 - k));
      if (!bound || *bound != std::trunc(*bound))
        continue;
      std::optional<std::pair<double, double>> inner =
          integralRange(op->getOperand(k));
      if (!inner)
        return std::nullopt;
      if (isa<arith::MaximumFOp>(op))
        return std::pair(std::max(inner->first, *bound),
                         std::max(inner->second, *bound));
      return std::pair(std::min(inner->first, *bound),
                       std::min(inner->second, *bound));
    }
  }
  return std::nullopt;
}

LogicalResult convertCast(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  const onnx::AttributeProto *toAttr = g.attribute("to");
  if (!toAttr)
    return g.fail("attribute 'to' is missing");
  Type to = convertElementType(g.context, toAttr->i());
  if (!to)
    return g.fail("cast to unsupported element type " +
                  onnx::TensorProto::DataType_Name(
                      static_cast<onnx::TensorProto::DataType>(toAttr->i())));
  Type from = g.typeOf(*x).getElementType();
  if (!isRuntimeElementType(to))
    return g.fail("cast to " + onnx::TensorProto::DataType_Name(
                                   static_cast<onnx::TensorProto::DataType>(
                                       toAttr->i())) +
                  " at run time is not supported (unsigned integer tensors "
                  "are evaluated at import only)");
  if (from == to) {
    g.setOutput(0, *x);
    return success();
  }
  if (x->sym && isa<IntegerType>(to)) {
    // Shape arithmetic between integer types keeps its values (to bool: 0/1).
    SymInts out = *x->sym;
    out.elementType = to;
    if (to.isInteger(1))
      for (OpFoldResult &e : out.elements) {
        Value zero = arith::ConstantIndexOp::create(g.b, g.loc, 0);
        Value c = arith::CmpIOp::create(g.b, g.loc, arith::CmpIPredicate::ne,
                                        g.indexValue(e), zero);
        e = Value(arith::SelectOp::create(
            g.b, g.loc, c, arith::ConstantIndexOp::create(g.b, g.loc, 1),
            zero));
      }
    g.setOutput(0, g.symValue(std::move(out)));
    return success();
  }
  Value v = g.materialize(*x);
  auto resultType = cast<RankedTensorType>(v.getType()).clone(to);
  Value result;
  if (isa<FloatType>(from)) {
    if (to.isInteger(1)) {
      Value zero = g.splat(0.0, from, g.sizes(v));
      result = arith::CmpFOp::create(g.b, g.loc, arith::CmpFPredicate::UNE, v,
                                     zero);
    } else {
      result = arith::FPToSIOp::create(g.b, g.loc, resultType, v);
    }
  } else if (from.isInteger(1)) {
    result = isa<FloatType>(to)
                 ? Value(arith::UIToFPOp::create(g.b, g.loc, resultType, v))
                 : Value(arith::ExtUIOp::create(g.b, g.loc, resultType, v));
  } else if (isa<FloatType>(to)) {
    // Back to float from an integer cast of integral floats that fit the
    // integer type (Cast(Clip(Round(x), -128, 127), int8), then float): the
    // values are unchanged, so the pair is nothing.
    auto toInt = v.getDefiningOp<arith::FPToSIOp>();
    std::optional<std::pair<double, double>> range =
        toInt && toInt.getIn().getType() == resultType
            ? integralRange(toInt.getIn())
            : std::nullopt;
    unsigned width = from.getIntOrFloatBitWidth();
    if (range && width < 64 && range->first >= -std::ldexp(1.0, width - 1) &&
        range->second <= std::ldexp(1.0, width - 1) - 1)
      result = toInt.getIn();
    else
      result = arith::SIToFPOp::create(g.b, g.loc, resultType, v);
  } else if (to.isInteger(1)) {
    Value zero = g.splat(0, from, g.sizes(v));
    result = arith::CmpIOp::create(g.b, g.loc, arith::CmpIPredicate::ne, v,
                                   zero);
  } else if (to.getIntOrFloatBitWidth() > from.getIntOrFloatBitWidth()) {
    result = arith::ExtSIOp::create(g.b, g.loc, resultType, v);
  } else {
    result = arith::TruncIOp::create(g.b, g.loc, resultType, v);
  }
  g.setOutput(0, result);
  return success();
}

/// Where(c, x, y): arith.select on tensors of the broadcast shape.
LogicalResult convertWhere(GraphBuilder &g) {
  OnnxValue *c = g.input(0), *x = g.input(1), *y = g.input(2);
  if (!c || !x || !y)
    return g.fail("expects three inputs");
  if (symbolicOperands({c, x, y})) {
    SymInts sc = *g.symInts(c), sx = *g.symInts(x), sy = *g.symInts(y);
    std::optional<SmallVector<int64_t>> xy = broadcastStatic(sx.shape, sy.shape);
    std::optional<SmallVector<int64_t>> shape =
        xy ? broadcastStatic(sc.shape, *xy) : std::nullopt;
    if (!shape)
      return g.fail("operand shapes cannot be broadcast together");
    SymInts out;
    out.shape = *shape;
    out.elementType = sx.elementType;
    int64_t n = ShapedType::getNumElements(*shape);
    for (int64_t i = 0; i < n; ++i) {
      OpFoldResult ec = sc.elements[broadcastIndex(i, *shape, sc.shape)];
      OpFoldResult ex = sx.elements[broadcastIndex(i, *shape, sx.shape)];
      OpFoldResult ey = sy.elements[broadcastIndex(i, *shape, sy.shape)];
      if (std::optional<int64_t> known = getConstantIntValue(ec);
          known && isa<Attribute>(ec)) {
        out.elements.push_back(*known ? ex : ey);
        continue;
      }
      Value zero = arith::ConstantIndexOp::create(g.b, g.loc, 0);
      Value pick = arith::CmpIOp::create(g.b, g.loc, arith::CmpIPredicate::ne,
                                         g.indexValue(ec), zero);
      out.elements.push_back(Value(arith::SelectOp::create(
          g.b, g.loc, pick, g.indexValue(ex), g.indexValue(ey))));
    }
    g.setOutput(0, g.symValue(std::move(out)));
    return success();
  }
  OnnxValue *operands[] = {c, x, y};
  FailureOr<SmallVector<OpFoldResult>> sizes = g.broadcastSizes(operands);
  if (failed(sizes))
    return failure();
  FailureOr<Value> vc = g.broadcastTo(*c, *sizes);
  if (failed(vc))
    return failure();
  FailureOr<Value> vx = g.broadcastTo(*x, *sizes);
  if (failed(vx))
    return failure();
  FailureOr<Value> vy = g.broadcastTo(*y, *sizes);
  if (failed(vy))
    return failure();
  g.setOutput(0, Value(arith::SelectOp::create(g.b, g.loc, *vc, *vx, *vy)));
  return success();
}
} // namespace

void mlir::trit::onnx_import::addElementwiseConverters(
    llvm::StringMap<OpConverter> &t) {
  t["Add"] = binary<Binary::Add>;
  t["Sub"] = binary<Binary::Sub>;
  t["Mul"] = binary<Binary::Mul>;
  t["Div"] = binary<Binary::Div>;
  t["Pow"] = binary<Binary::Pow>;
  t["Max"] = binary<Binary::Max>;
  t["Min"] = binary<Binary::Min>;
  t["Equal"] = binary<Binary::Equal>;
  t["Greater"] = binary<Binary::Greater>;
  t["Less"] = binary<Binary::Less>;
  t["GreaterOrEqual"] = binary<Binary::GreaterOrEqual>;
  t["LessOrEqual"] = binary<Binary::LessOrEqual>;
  t["And"] = binary<Binary::And>;
  t["Or"] = binary<Binary::Or>;
  t["Xor"] = binary<Binary::Xor>;
  t["BitwiseAnd"] = binary<Binary::And>;
  t["BitwiseOr"] = binary<Binary::Or>;
  t["BitwiseXor"] = binary<Binary::Xor>;
  t["Not"] = convertNot;
  t["BitwiseNot"] = convertNot;
  t["IsNaN"] = convertIsNaN;
  t["Abs"] = convertAbs;
  t["Neg"] = convertNeg;
  t["Round"] = unaryFloat<math::RoundEvenOp>;
  t["Sqrt"] = unaryFloat<math::SqrtOp>;
  t["Exp"] = unaryFloat<math::ExpOp>;
  t["Log"] = unaryFloat<math::LogOp>;
  t["Tanh"] = unaryFloat<math::TanhOp>;
  t["Erf"] = unaryFloat<math::ErfOp>;
  t["Cos"] = unaryFloat<math::CosOp>;
  t["Sin"] = unaryFloat<math::SinOp>;
  t["Floor"] = unaryFloat<math::FloorOp>;
  t["Ceil"] = unaryFloat<math::CeilOp>;
  t["Reciprocal"] = convertReciprocal;
  t["Relu"] = convertRelu;
  t["Sigmoid"] = convertSigmoid;
  t["Clip"] = convertClip;
  t["Identity"] = convertIdentity;
  t["Cast"] = convertCast;
  t["Where"] = convertWhere;
}
