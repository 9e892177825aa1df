//===- ShapeOps.cpp - ONNX constants and shape ops --------------*- C++ -*-===//
//
// Constant, Reshape, Unsqueeze, Squeeze, Flatten, Shape, Concat,
// ConstantOfShape, Expand, Range, Slice and Split. Shape computations on
// constants are folded; tensors become tensor dialect ops
// (collapse_shape / expand_shape where a reshape only merges, splits,
// inserts or drops unit dimensions).
//
//===----------------------------------------------------------------------===//

#include "GraphBuilder.h"

#include "llvm/Support/MathExtras.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::trit::onnx_import;

namespace {
std::shared_ptr<ConstTensor> intConstant(MLIRContext *context,
                                         ArrayRef<int64_t> shape,
                                         ArrayRef<int64_t> data) {
  auto c = std::make_shared<ConstTensor>();
  c->shape = SmallVector<int64_t>(shape);
  c->elementType = IntegerType::get(context, 64);
  c->ints.assign(data.begin(), data.end());
  return c;
}

LogicalResult convertConstant(GraphBuilder &g) {
  auto out = std::make_shared<ConstTensor>();
  if (const onnx::AttributeProto *value = g.attribute("value")) {
    std::optional<ConstTensor> data =
        decodeTensor(g.context, value->t(), g.modelDir, g.error);
    if (!data)
      return failure();
    *out = std::move(*data);
    if (g.node->output_size())
      out->name = g.node->output(0);
  } else if (const onnx::AttributeProto *f = g.attribute("value_float")) {
    out->elementType = g.b.getF32Type();
    out->floats.push_back(f->f());
  } else if (const onnx::AttributeProto *fs = g.attribute("value_floats")) {
    out->elementType = g.b.getF32Type();
    out->shape.push_back(fs->floats_size());
    out->floats.assign(fs->floats().begin(), fs->floats().end());
  } else if (const onnx::AttributeProto *i = g.attribute("value_int")) {
    out = intConstant(g.context, {}, {i->i()});
  } else if (const onnx::AttributeProto *is = g.attribute("value_ints")) {
    SmallVector<int64_t> ints(is->ints().begin(), is->ints().end());
    out = intConstant(g.context, {int64_t(ints.size())}, ints);
  } else {
    return g.fail("only the value, value_float(s) and value_int(s) "
                  "attributes are supported");
  }
  g.setOutput(0, OnnxValue{Value(), out});
  return success();
}

/// The product of `sizes` as an index value.
Value product(GraphBuilder &g, ArrayRef<OpFoldResult> sizes) {
  Value p = arith::ConstantIndexOp::create(g.b, g.loc, 1);
  for (OpFoldResult s : sizes) {
    Value v = isa<Value>(s)
                  ? cast<Value>(s)
                  : Value(arith::ConstantIndexOp::create(
                        g.b, g.loc, *getConstantIntValue(s)));
    p = arith::MulIOp::create(g.b, g.loc, p, v);
  }
  return p;
}

/// A value that is a reshape of input 0 to `outSizes` (symbolic shape data
/// stays symbolic; constant inputs were evaluated before this is reached).
LogicalResult reshapeTo(GraphBuilder &g, SmallVector<OpFoldResult> outSizes) {
  OnnxValue *x = g.input(0);
  if (x->sym) {
    SymInts out = *x->sym;
    out.shape = staticShape(outSizes);
    g.setOutput(0, g.symValue(std::move(out)));
    return success();
  }
  FailureOr<Value> v = g.reshape(g.materialize(*x), outSizes);
  if (failed(v))
    return failure();
  g.setOutput(0, *v);
  return success();
}

/// The size a Reshape's -1 (at `inferred` in `outSizes`) stands for, found
/// by cancelling: every dynamic size among the other output sizes must be
/// one of the input's dynamic sizes (the same SSA value), and the static
/// remainder must divide. The result is static when every dynamic input
/// size cancels ([1, 4, T, 16] to [-1, T, 16] gives 4), so the reshape stays
/// a collapse or expand. Nullopt where it does not cancel.
std::optional<OpFoldResult> cancelSizes(GraphBuilder &g,
                                        ArrayRef<OpFoldResult> inSizes,
                                        ArrayRef<OpFoldResult> outSizes,
                                        int64_t inferred) {
  SmallVector<Value> dynamic;
  int64_t staticIn = 1, staticOut = 1;
  for (OpFoldResult s : inSizes) {
    if (std::optional<int64_t> c = knownInt(s)) {
      if (llvm::MulOverflow(staticIn, *c, staticIn))
        return std::nullopt;
    } else
      dynamic.push_back(g.indexValue(s));
  }
  for (auto [i, s] : llvm::enumerate(outSizes)) {
    if (int64_t(i) == inferred)
      continue;
    if (std::optional<int64_t> c = knownInt(s)) {
      if (llvm::MulOverflow(staticOut, *c, staticOut))
        return std::nullopt;
      continue;
    }
    auto it = llvm::find(dynamic, g.indexValue(s));
    if (it == dynamic.end())
      return std::nullopt;
    dynamic.erase(it);
  }
  if (staticOut == 0 || staticIn % staticOut)
    return std::nullopt;
  OpFoldResult quotient = g.b.getIndexAttr(staticIn / staticOut);
  for (Value d : dynamic)
    quotient = knownInt(quotient) == 1
                   ? OpFoldResult(d)
                   : OpFoldResult(Value(arith::MulIOp::create(
                         g.b, g.loc, g.indexValue(quotient), d)));
  return quotient;
}

LogicalResult convertReshape(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  FailureOr<SymInts> shape = g.symIntsInput(1, "shape");
  if (failed(shape))
    return failure();
  if (shape->shape.size() != 1)
    return g.fail("shape must be a 1-D tensor");
  RankedTensorType type = g.typeOf(*x);
  SmallVector<OpFoldResult> inSizes =
      x->value ? g.sizes(x->value) : getAsIndexOpFoldResult(g.context, type.getShape());
  bool allowZero = g.opset >= 14 && g.intAttr("allowzero", 0);
  SmallVector<OpFoldResult> outSizes;
  int64_t inferred = -1;
  int64_t knownProduct = 1;
  for (auto [i, element] : llvm::enumerate(shape->elements)) {
    std::optional<int64_t> known = getConstantIntValue(element);
    if (!known || !isa<Attribute>(element)) {
      // A size computed from dynamic sizes: a size, never -1 or 0 (an
      // exporter copies dimensions by value).
      outSizes.push_back(element);
      knownProduct = ShapedType::kDynamic;
      continue;
    }
    int64_t s = *known;
    if (s == -1) {
      if (inferred >= 0)
        return g.fail("shape has more than one -1");
      inferred = i;
      outSizes.push_back(OpFoldResult());
      continue;
    }
    if (s == 0 && !allowZero) {
      if (int64_t(i) >= type.getRank())
        return g.fail("shape copies dimension " + Twine(i) +
                      " which the input does not have");
      outSizes.push_back(inSizes[i]);
      if (type.isDynamicDim(i))
        knownProduct = ShapedType::kDynamic;
      else if (!ShapedType::isDynamic(knownProduct) &&
               llvm::MulOverflow(knownProduct, type.getDimSize(i),
                                 knownProduct))
        return g.fail("the shape has more elements than int64 counts");
      continue;
    }
    if (s < 0)
      return g.fail("shape has a negative dimension " + Twine(s));
    outSizes.push_back(g.b.getIndexAttr(s));
    if (!ShapedType::isDynamic(knownProduct) &&
        llvm::MulOverflow(knownProduct, s, knownProduct))
      return g.fail("the shape has more elements than int64 counts");
  }
  if (inferred >= 0) {
    if (type.hasStaticShape() && !ShapedType::isDynamic(knownProduct)) {
      if (knownProduct == 0 || type.getNumElements() % knownProduct)
        return g.fail("cannot reshape " + Twine(type.getNumElements()) +
                      " elements to the requested shape");
      outSizes[inferred] =
          g.b.getIndexAttr(type.getNumElements() / knownProduct);
    } else if (std::optional<OpFoldResult> quotient =
                   cancelSizes(g, inSizes, outSizes, inferred)) {
      outSizes[inferred] = *quotient;
    } else {
      SmallVector<OpFoldResult> known(outSizes);
      known.erase(known.begin() + inferred);
      Value total = product(g, inSizes);
      outSizes[inferred] = Value(arith::DivUIOp::create(
          g.b, g.loc, total, product(g, known)));
    }
  } else if (type.hasStaticShape() && !ShapedType::isDynamic(knownProduct) &&
             knownProduct != type.getNumElements()) {
    return g.fail("cannot reshape " + Twine(type.getNumElements()) +
                  " elements to " + Twine(knownProduct));
  }
  // Where a size is dynamic, the element counts agree at run time (a -1
  // inferred by division checks that the division was exact).
  if (!x->sym && (!type.hasStaticShape() ||
                  llvm::any_of(outSizes, [](OpFoldResult s) {
                    return !knownInt(s);
                  }))) {
    if (failed(g.requireEqualSizes(Value(product(g, inSizes)),
                                   Value(product(g, outSizes)),
                                   "the element counts of the input and the "
                                   "shape")))
      return failure();
  }
  return reshapeTo(g, outSizes);
}

/// Axes of Unsqueeze/Squeeze: an attribute before opset 13, an input from
/// then on.
FailureOr<std::optional<SmallVector<int64_t>>> squeezeAxes(GraphBuilder &g) {
  if (g.opset >= 13) {
    if (!g.input(1))
      return std::optional<SmallVector<int64_t>>();
    FailureOr<SmallVector<int64_t>> axes = g.intsInput(1, "axes");
    if (failed(axes))
      return failure();
    return std::optional<SmallVector<int64_t>>(*axes);
  }
  return g.intsAttr("axes");
}

LogicalResult convertUnsqueeze(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  FailureOr<std::optional<SmallVector<int64_t>>> axes = squeezeAxes(g);
  if (failed(axes))
    return failure();
  if (!*axes)
    return g.fail("axes are required");
  RankedTensorType type = g.typeOf(*x);
  int64_t outRank = type.getRank() + (*axes)->size();
  SmallVector<bool> inserted(outRank, false);
  for (int64_t axis : **axes) {
    std::optional<int64_t> a = normalizeAxis(axis, outRank);
    if (!a || inserted[*a])
      return g.fail("axis " + Twine(axis) + " is out of range or repeated");
    inserted[*a] = true;
  }
  SmallVector<OpFoldResult> inSizes =
      x->value ? g.sizes(x->value) : getAsIndexOpFoldResult(g.context, type.getShape());
  SmallVector<OpFoldResult> outSizes;
  for (int64_t i = 0, j = 0; i < outRank; ++i)
    outSizes.push_back(inserted[i] ? OpFoldResult(g.b.getIndexAttr(1))
                                   : inSizes[j++]);
  return reshapeTo(g, outSizes);
}

LogicalResult convertSqueeze(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  FailureOr<std::optional<SmallVector<int64_t>>> axes = squeezeAxes(g);
  if (failed(axes))
    return failure();
  RankedTensorType type = g.typeOf(*x);
  int64_t rank = type.getRank();
  SmallVector<bool> removed(rank, false);
  if (*axes) {
    for (int64_t axis : **axes) {
      std::optional<int64_t> a = normalizeAxis(axis, rank);
      if (!a)
        return g.fail("axis " + Twine(axis) + " is out of range");
      if (type.getDimSize(*a) != 1)
        return g.fail("cannot squeeze dimension " + Twine(*a) +
                      " which is not of size 1");
      removed[*a] = true;
    }
  } else {
    for (int64_t i = 0; i < rank; ++i)
      removed[i] = type.getDimSize(i) == 1;
  }
  SmallVector<OpFoldResult> inSizes =
      x->value ? g.sizes(x->value) : getAsIndexOpFoldResult(g.context, type.getShape());
  SmallVector<OpFoldResult> outSizes;
  for (int64_t i = 0; i < rank; ++i)
    if (!removed[i])
      outSizes.push_back(inSizes[i]);
  return reshapeTo(g, outSizes);
}

LogicalResult convertFlatten(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  RankedTensorType type = g.typeOf(*x);
  std::optional<int64_t> axis =
      normalizeAxis(g.intAttr("axis", 1), type.getRank() + 1);
  if (!axis)
    return g.fail("axis is out of range");
  Value v = g.materialize(*x);
  SmallVector<OpFoldResult> in = g.sizes(v);
  auto fold = [&](ArrayRef<OpFoldResult> sizes) -> OpFoldResult {
    int64_t p = 1;
    for (OpFoldResult s : sizes) {
      std::optional<int64_t> c = getConstantIntValue(s);
      if (!c || !isa<Attribute>(s))
        return product(g, sizes);
      p *= *c;
    }
    return g.b.getIndexAttr(p);
  };
  SmallVector<OpFoldResult> out = {fold(ArrayRef(in).take_front(*axis)),
                                   fold(ArrayRef(in).drop_front(*axis))};
  return reshapeTo(g, out);
}

LogicalResult convertShape(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  RankedTensorType type = g.typeOf(*x);
  int64_t rank = type.getRank();
  int64_t start = g.intAttr("start", 0), end = g.intAttr("end", rank);
  start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
  end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
  SmallVector<int64_t> dims;
  for (int64_t i = start; i < end; ++i)
    dims.push_back(type.getDimSize(i));
  if (!ShapedType::isDynamicShape(dims)) {
    g.setOutput(0, OnnxValue{Value(), intConstant(g.context,
                                                  {int64_t(dims.size())},
                                                  dims)});
    return success();
  }
  // Dynamic sizes are read with tensor.dim and carried symbolically, so
  // that the shape arithmetic on them folds where it can.
  Value v = g.materialize(*x);
  SmallVector<OpFoldResult> all = g.sizes(v);
  SymInts out;
  out.shape = {end - start};
  out.elementType = g.b.getI64Type();
  out.elements.assign(all.begin() + start, all.begin() + end);
  g.setOutput(0, g.symValue(std::move(out)));
  return success();
}

LogicalResult convertConcat(GraphBuilder &g) {
  if (g.node->input_size() == 0)
    return g.fail("expects at least one input");
  SmallVector<OnnxValue *> inputs;
  for (int i = 0; i < g.node->input_size(); ++i) {
    OnnxValue *v = g.input(i);
    if (!v)
      return g.fail("input " + Twine(i) + " is missing");
    inputs.push_back(v);
  }
  int64_t rank = g.typeOf(*inputs[0]).getRank();
  std::optional<int64_t> axis = normalizeAxis(g.intAttr("axis", 0), rank);
  if (!axis)
    return g.fail("axis is out of range");
  SmallVector<const OnnxValue *> constInputs(inputs.begin(), inputs.end());
  if (rank == 1 && symbolicOperands(constInputs)) {
    SymInts out;
    out.elementType = g.typeOf(*inputs[0]).getElementType();
    for (OnnxValue *v : inputs) {
      SymInts part = *g.symInts(v);
      out.elements.append(part.elements.begin(), part.elements.end());
    }
    out.shape = {int64_t(out.elements.size())};
    g.setOutput(0, g.symValue(std::move(out)));
    return success();
  }
  SmallVector<Value> operands;
  for (OnnxValue *v : inputs) {
    RankedTensorType t = g.typeOf(*v);
    if (t.getRank() != rank || t.getElementType() !=
                                   g.typeOf(*inputs[0]).getElementType())
      return g.fail("inputs differ in rank or element type");
    if (t.hasStaticShape() && t.getNumElements() == 0)
      continue;
    operands.push_back(g.materialize(*v));
  }
  // Every size but the axis' agrees with the first operand's (at run time
  // where one is dynamic).
  for (size_t k = 1; k < operands.size(); ++k)
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis &&
          failed(g.requireEqualSizes(g.sizes(operands[0])[d],
                                     g.sizes(operands[k])[d],
                                     "dimension " + Twine(d) + " of input " +
                                         Twine(k) + " and of input 0")))
        return failure();
  if (operands.size() == 1) {
    g.setOutput(0, operands[0]);
    return success();
  }
  g.setOutput(0, Value(tensor::ConcatOp::create(g.b, g.loc, *axis, operands)));
  return success();
}

LogicalResult convertConstantOfShape(GraphBuilder &g) {
  FailureOr<SymInts> symShape = g.symIntsInput(0, "shape");
  if (failed(symShape))
    return failure();
  ConstTensor value;
  value.elementType = g.b.getF32Type();
  value.floats = {0.0f};
  if (const onnx::AttributeProto *attr = g.attribute("value")) {
    std::optional<ConstTensor> data =
        decodeTensor(g.context, attr->t(), g.modelDir, g.error);
    if (!data)
      return failure();
    if (data->numElements() != 1)
      return g.fail("value must have one element");
    value = std::move(*data);
  }
  // A shape known at import was evaluated (ConstantFolding.cpp) unless the
  // result is large: both become a filled tensor made at run time.
  if (!isRuntimeElementType(value.elementType))
    return g.fail("a value of an unsigned type is not supported at run time");
  for (OpFoldResult e : symShape->elements)
    if (std::optional<int64_t> size = knownInt(e); size && *size < 0)
      return g.fail("the shape has a negative size " + Twine(*size));
  TypedAttr attr =
      value.isFloat()
          ? TypedAttr(FloatAttr::get(value.elementType, value.floatData()[0]))
          : TypedAttr(IntegerAttr::get(value.elementType, value.ints[0]));
  g.setOutput(0, g.filled(symShape->elements, value.elementType, attr));
  return success();
}

LogicalResult convertExpand(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  FailureOr<SymInts> symShape = g.symIntsInput(1, "shape");
  if (failed(symShape))
    return failure();
  if (symShape->shape.size() != 1)
    return g.fail("shape must be a 1-D tensor");
  ArrayRef<OpFoldResult> target = symShape->elements;
  RankedTensorType type = g.typeOf(*x);
  int64_t rank = std::max<int64_t>(type.getRank(), target.size());
  Value v = g.materialize(*x);
  SmallVector<OpFoldResult> in = g.sizes(v), out;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t j = i - (rank - type.getRank());
    int64_t k = i - (rank - int64_t(target.size()));
    OpFoldResult s = k >= 0 ? target[k] : g.b.getIndexAttr(1);
    std::optional<int64_t> ks = knownInt(s);
    if (j < 0) {
      out.push_back(s);
    } else if (ks && *ks == 1) {
      out.push_back(in[j]);
    } else if (!type.isDynamicDim(j)) {
      // Numpy broadcasting: a static input size other than 1 wins; the
      // target must be 1 or equal (checked by broadcastTo when known).
      out.push_back(type.getDimSize(j) == 1 ? s : in[j]);
    } else if (ks) {
      out.push_back(s);
    } else {
      // Both dynamic: one is 1 or they are equal, so the larger.
      out.push_back(Value(arith::MaxSIOp::create(
          g.b, g.loc, g.indexValue(in[j]), g.indexValue(s))));
    }
  }
  FailureOr<Value> result = g.broadcastTo(*x, out);
  if (failed(result))
    return failure();
  g.setOutput(0, *result);
  return success();
}

/// The f32 scalar held by the one-element `v` (rank 0 or 1): an
/// arith.constant if it is known at import time, else a tensor.extract.
FailureOr<Value> floatScalar(GraphBuilder &g, OnnxValue &v, StringRef what) {
  RankedTensorType type = g.typeOf(v);
  if (!type.getElementType().isF32() || type.getRank() > 1 ||
      (type.getRank() == 1 && type.getDimSize(0) != 1))
    return g.fail(what + " must be an f32 scalar like start");
  if (v.constant)
    return Value(arith::ConstantOp::create(
        g.b, g.loc, g.b.getF32FloatAttr(float(v.constant->at(0)))));
  Value tensor = g.materialize(v);
  SmallVector<Value> indices;
  if (type.getRank() == 1)
    indices.push_back(arith::ConstantIndexOp::create(g.b, g.loc, 0));
  return Value(tensor::ExtractOp::create(g.b, g.loc, tensor, indices));
}

/// A float Range whose bounds are known only at run time: positions built
/// as `Range(0, Cast(T, float), 1)` with `T` from `Shape` (the Cast makes
/// the symbolic size an f32 tensor). As ONNX says, it has
/// `max(ceil((limit - start) / delta), 0)` elements `start + i * delta`;
/// the count is computed as onnxruntime does (the difference in f32, the
/// quotient in f64), the elements in f32 by a linalg.generic.
LogicalResult convertRuntimeFloatRange(GraphBuilder &g,
                                       ArrayRef<OnnxValue *> inputs) {
  FailureOr<Value> start = floatScalar(g, *inputs[0], "start");
  if (failed(start))
    return failure();
  FailureOr<Value> limit = floatScalar(g, *inputs[1], "limit");
  if (failed(limit))
    return failure();
  FailureOr<Value> delta = floatScalar(g, *inputs[2], "delta");
  if (failed(delta))
    return failure();
  // A zero delta known at import time is refused as for a constant Range;
  // one computed at run time gives an infinite or NaN count, which the
  // clamp below turns into an empty range rather than a huge allocation.
  if (inputs[2]->constant && inputs[2]->constant->at(0) == 0)
    return g.fail("delta is zero");
  Type f64 = g.b.getF64Type();
  Value span = arith::SubFOp::create(g.b, g.loc, *limit, *start);
  Value quotient = arith::DivFOp::create(
      g.b, g.loc, arith::ExtFOp::create(g.b, g.loc, f64, span),
      arith::ExtFOp::create(g.b, g.loc, f64, *delta));
  Value steps = math::CeilOp::create(g.b, g.loc, quotient);
  // max(steps, 0) with NaN -> 0 (maxnumf), and at most 2^62 so that the
  // conversion to an integer is defined.
  Value zero = arith::ConstantOp::create(g.b, g.loc, g.b.getF64FloatAttr(0));
  Value most =
      arith::ConstantOp::create(g.b, g.loc, g.b.getF64FloatAttr(0x1p62));
  steps = arith::MaxNumFOp::create(g.b, g.loc, steps, zero);
  steps = arith::MinNumFOp::create(g.b, g.loc, steps, most);
  Value count = arith::IndexCastOp::create(
      g.b, g.loc, g.b.getIndexType(),
      arith::FPToSIOp::create(g.b, g.loc, g.b.getI64Type(), steps));
  Type f32 = g.b.getF32Type();
  Value init = g.empty({OpFoldResult(count)}, f32);
  AffineMap map = AffineMap::getMultiDimIdentityMap(1, g.context);
  Value result =
      linalg::GenericOp::create(
          g.b, g.loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
          ArrayRef<AffineMap>{map},
          ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
          [&](OpBuilder &b, Location loc, ValueRange) {
            Value i = arith::IndexCastOp::create(
                b, loc, b.getI64Type(), linalg::IndexOp::create(b, loc, 0));
            Value fi = arith::SIToFPOp::create(b, loc, f32, i);
            Value x = arith::AddFOp::create(
                b, loc, *start, arith::MulFOp::create(b, loc, fi, *delta));
            linalg::YieldOp::create(b, loc, x);
          })
          ->getResult(0);
  g.setOutput(0, result);
  return success();
}

LogicalResult convertRange(GraphBuilder &g) {
  OnnxValue *inputs[] = {g.input(0), g.input(1), g.input(2)};
  if (!inputs[0] || !inputs[1] || !inputs[2])
    return g.fail("expects start, limit and delta");
  if (symbolicOperands({inputs[0], inputs[1], inputs[2]})) {
    // Integer range with a bound known only at run time (positions of a
    // dynamic sequence): a linalg.generic computing start + i * delta.
    SymInts start = *g.symInts(inputs[0]), limit = *g.symInts(inputs[1]),
            delta = *g.symInts(inputs[2]);
    if (start.elements.size() != 1 || limit.elements.size() != 1 ||
        delta.elements.size() != 1)
      return g.fail("start, limit and delta must be scalars");
    std::optional<int64_t> d = getConstantIntValue(delta.elements[0]);
    if (!d || !isa<Attribute>(delta.elements[0]))
      return g.fail("delta must be known at import time");
    if (*d == 0)
      return g.fail("delta is zero");
    Value s = g.indexValue(start.elements[0]);
    Value l = g.indexValue(limit.elements[0]);
    // count = max(0, ceil((l - s) / d))
    Value span = arith::SubIOp::create(g.b, g.loc, l, s);
    Value dv = arith::ConstantIndexOp::create(g.b, g.loc, *d);
    Value count = arith::CeilDivSIOp::create(g.b, g.loc, span, dv);
    Value zero = arith::ConstantIndexOp::create(g.b, g.loc, 0);
    count = arith::MaxSIOp::create(g.b, g.loc, count, zero);
    Type elementType = start.elementType;
    Value init = g.empty({OpFoldResult(count)}, elementType);
    AffineMap map = AffineMap::getMultiDimIdentityMap(1, g.context);
    Value result =
        linalg::GenericOp::create(
            g.b, g.loc, TypeRange{init.getType()}, ValueRange{},
            ValueRange{init}, ArrayRef<AffineMap>{map},
            ArrayRef<utils::IteratorType>{utils::IteratorType::parallel},
            [&](OpBuilder &b, Location loc, ValueRange) {
              Value i = linalg::IndexOp::create(b, loc, 0);
              Value x = arith::AddIOp::create(
                  b, loc, s, arith::MulIOp::create(b, loc, i, dv));
              linalg::YieldOp::create(
                  b, loc,
                  Value(arith::IndexCastOp::create(b, loc, elementType, x)));
            })
            ->getResult(0);
    g.setOutput(0, result);
    return success();
  }
  if (g.typeOf(*inputs[0]).getElementType().isF32() &&
      llvm::any_of(inputs, [](OnnxValue *v) { return !v->constant; }))
    return convertRuntimeFloatRange(g, inputs);
  FailureOr<const ConstTensor *> start = g.constantInput(0, "start");
  FailureOr<const ConstTensor *> limit = g.constantInput(1, "limit");
  FailureOr<const ConstTensor *> delta = g.constantInput(2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  double s = (*start)->at(0), l = (*limit)->at(0), d = (*delta)->at(0);
  if (d == 0)
    return g.fail("delta is zero");
  int64_t n = std::max<int64_t>(0, int64_t(std::ceil((l - s) / d)));
  auto out = std::make_shared<ConstTensor>();
  out->shape = {n};
  out->elementType = (*start)->elementType;
  for (int64_t i = 0; i < n; ++i) {
    if (out->isFloat())
      out->floats.push_back(static_cast<float>(s + i * d));
    else
      out->ints.push_back(static_cast<int64_t>(s) + i * static_cast<int64_t>(d));
  }
  g.setOutput(0, OnnxValue{Value(), out});
  return success();
}

/// tensor.extract_slice of `v` along `axis` from `offset`, `size` elements,
/// every `stride`-th.
Value sliceAxis(GraphBuilder &g, Value v, int64_t axis, int64_t offset,
                int64_t size, int64_t stride) {
  SmallVector<OpFoldResult> offsets(
      cast<RankedTensorType>(v.getType()).getRank(), g.b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = g.sizes(v);
  SmallVector<OpFoldResult> strides(offsets.size(), g.b.getIndexAttr(1));
  offsets[axis] = g.b.getIndexAttr(offset);
  sizes[axis] = g.b.getIndexAttr(size);
  strides[axis] = g.b.getIndexAttr(stride);
  return tensor::ExtractSliceOp::create(g.b, g.loc, v, offsets, sizes, strides);
}

/// The Slice bounds of one axis of size `n`: (offset, count) for a start
/// and end that are known or computed at run time, clamped to [0, n] as
/// ONNX clamps them (step > 0).
std::pair<OpFoldResult, OpFoldResult>
sliceBounds(GraphBuilder &g, OpFoldResult n, OpFoldResult start,
            OpFoldResult end, int64_t step) {
  std::optional<int64_t> kn = knownInt(n), ks = knownInt(start),
                         ke = knownInt(end);
  if (kn && ks && ke) {
    int64_t s = std::clamp<int64_t>(*ks < 0 ? *ks + *kn : *ks, 0, *kn);
    int64_t e = std::clamp<int64_t>(*ke < 0 ? *ke + *kn : *ke, 0, *kn);
    int64_t count = e > s ? (e - s + step - 1) / step : 0;
    return {g.b.getIndexAttr(s), g.b.getIndexAttr(count)};
  }
  OpBuilder &b = g.b;
  Location loc = g.loc;
  Value size = g.indexValue(n);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  auto normalize = [&](OpFoldResult v) -> Value {
    std::optional<int64_t> k = knownInt(v);
    // INT64_MAX-style ends mean "to the end".
    if (k && *k >= (int64_t(1) << 62))
      return size;
    if (k && *k <= -(int64_t(1) << 62))
      return zero;
    Value x = g.indexValue(v);
    if (!k || *k < 0) {
      Value negative =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x, zero);
      x = arith::SelectOp::create(b, loc, negative,
                                  arith::AddIOp::create(b, loc, x, size), x);
    }
    x = arith::MaxSIOp::create(b, loc, x, zero);
    return arith::MinSIOp::create(b, loc, x, size);
  };
  Value s = normalize(start), e = normalize(end);
  Value span = arith::MaxSIOp::create(
      b, loc, arith::SubIOp::create(b, loc, e, s), zero);
  Value count = arith::CeilDivSIOp::create(
      b, loc, span, arith::ConstantIndexOp::create(b, loc, step));
  return {OpFoldResult(s), OpFoldResult(count)};
}

/// Slice with steps > 0 and known axes; starts and ends known at import
/// time or computed from dynamic sizes, on static or dynamic dimensions.
LogicalResult convertSlice(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  SmallVector<OpFoldResult> starts, ends;
  SmallVector<int64_t> axes, steps;
  auto attrs = [&](ArrayRef<int64_t> v) {
    SmallVector<OpFoldResult> out;
    for (int64_t i : v)
      out.push_back(g.b.getIndexAttr(i));
    return out;
  };
  if (g.opset < 10) {
    starts = attrs(g.intsAttr("starts").value_or(SmallVector<int64_t>()));
    ends = attrs(g.intsAttr("ends").value_or(SmallVector<int64_t>()));
    axes = g.intsAttr("axes").value_or(SmallVector<int64_t>());
  } else {
    FailureOr<SymInts> s = g.symIntsInput(1, "starts");
    FailureOr<SymInts> e = g.symIntsInput(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = s->elements;
    ends = e->elements;
    if (g.input(3)) {
      FailureOr<SmallVector<int64_t>> a = g.intsInput(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (g.input(4)) {
      FailureOr<SmallVector<int64_t>> st = g.intsInput(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  RankedTensorType type = g.typeOf(*x);
  int64_t rank = type.getRank();
  if (axes.empty())
    axes = llvm::to_vector(llvm::seq<int64_t>(0, starts.size()));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return g.fail("starts, ends, axes and steps differ in length");
  SmallVector<int64_t> normalizedAxes;
  for (size_t i = 0; i < starts.size(); ++i) {
    std::optional<int64_t> axis = normalizeAxis(axes[i], rank);
    if (!axis)
      return g.fail("axis " + Twine(axes[i]) + " is out of range");
    if (steps[i] <= 0)
      return g.fail("Slice with a step <= 0 is not supported");
    normalizedAxes.push_back(*axis);
  }
  // Shape arithmetic: a slice of a symbolic shape vector stays symbolic.
  if (x->sym && rank == 1) {
    SymInts out = *x->sym;
    int64_t n = type.getDimSize(0);
    for (size_t i = 0; i < starts.size(); ++i) {
      auto [offset, count] =
          sliceBounds(g, g.b.getIndexAttr(n), starts[i], ends[i], steps[i]);
      std::optional<int64_t> o = getConstantIntValue(offset),
                             c = getConstantIntValue(count);
      if (!o || !c || !isa<Attribute>(offset) || !isa<Attribute>(count))
        return g.fail("slicing a shape with bounds known only at run time "
                      "is not supported");
      SmallVector<OpFoldResult> picked;
      for (int64_t k = 0; k < *c; ++k)
        picked.push_back(out.elements[*o + k * steps[i]]);
      out.elements = picked;
      out.shape = {*c};
    }
    g.setOutput(0, g.symValue(std::move(out)));
    return success();
  }
  Value v = g.materialize(*x);
  SmallVector<OpFoldResult> offsets(rank, g.b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes = g.sizes(v);
  SmallVector<OpFoldResult> strides(rank, g.b.getIndexAttr(1));
  SmallVector<bool> sliced(rank, false);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = normalizedAxes[i];
    if (sliced[axis])
      return g.fail("axis " + Twine(axis) + " is sliced twice");
    sliced[axis] = true;
    auto [offset, count] =
        sliceBounds(g, sizes[axis], starts[i], ends[i], steps[i]);
    offsets[axis] = offset;
    sizes[axis] = count;
    strides[axis] = g.b.getIndexAttr(steps[i]);
  }
  g.setOutput(0, Value(tensor::ExtractSliceOp::create(g.b, g.loc, v, offsets,
                                                      sizes, strides)));
  return success();
}

LogicalResult convertSplit(GraphBuilder &g) {
  FailureOr<Value> x = g.inputValue(0);
  if (failed(x))
    return failure();
  auto type = cast<RankedTensorType>(x->getType());
  std::optional<int64_t> axis = normalizeAxis(g.intAttr("axis", 0), type.getRank());
  if (!axis)
    return g.fail("axis is out of range");
  int64_t n = type.getDimSize(*axis);
  if (ShapedType::isDynamic(n))
    return g.fail("Split along a dynamic dimension is not supported");
  SmallVector<int64_t> parts;
  if (g.opset >= 13 && g.input(1)) {
    FailureOr<SmallVector<int64_t>> split = g.intsInput(1, "split");
    if (failed(split))
      return failure();
    parts = *split;
  } else if (g.opset < 13 && g.intsAttr("split")) {
    parts = *g.intsAttr("split");
  } else {
    int64_t outputs = g.opset >= 18 ? g.intAttr("num_outputs", g.node->output_size())
                                    : g.node->output_size();
    if (outputs <= 0)
      return g.fail("no outputs");
    int64_t chunk = (n + outputs - 1) / outputs;
    for (int64_t i = 0; i < outputs; ++i)
      parts.push_back(std::clamp<int64_t>(n - i * chunk, 0, chunk));
  }
  if (int64_t(parts.size()) != g.node->output_size())
    return g.fail("split has " + Twine(parts.size()) + " parts for " +
                  Twine(g.node->output_size()) + " outputs");
  int64_t offset = 0;
  for (auto [i, size] : llvm::enumerate(parts)) {
    g.setOutput(i, sliceAxis(g, *x, *axis, offset, size, 1));
    offset += size;
  }
  if (offset != n)
    return g.fail("split sizes add up to " + Twine(offset) + ", not " +
                  Twine(n));
  return success();
}
/// Trilu on a constant (PyTorch's causal mask, torch.ones(t, t).tril()) is
/// evaluated at import (ConstantFolding.cpp); on a computed tensor it is
/// not supported.
LogicalResult convertTrilu(GraphBuilder &g) {
  return g.fail("Trilu is only supported on data known at import time");
}

} // namespace

void mlir::trit::onnx_import::addShapeConverters(
    llvm::StringMap<OpConverter> &t) {
  t["Constant"] = convertConstant;
  t["Reshape"] = convertReshape;
  t["Unsqueeze"] = convertUnsqueeze;
  t["Squeeze"] = convertSqueeze;
  t["Flatten"] = convertFlatten;
  t["Shape"] = convertShape;
  t["Concat"] = convertConcat;
  t["ConstantOfShape"] = convertConstantOfShape;
  t["Trilu"] = convertTrilu;
  t["Expand"] = convertExpand;
  t["Range"] = convertRange;
  t["Slice"] = convertSlice;
  t["Split"] = convertSplit;
}
