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

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// A value that is a reshape of input 0 to `outSizes`, or a folded constant.
LogicalResult reshapeTo(GraphBuilder &g, SmallVector<OpFoldResult> outSizes) {
  OnnxValue *x = g.input(0);
  if (x->constant && !x->constant->isFloat()) {
    auto out = std::make_shared<ConstTensor>(*x->constant);
    out->shape = staticShape(outSizes);
    g.setOutput(0, OnnxValue{Value(), out});
    return success();
  }
  FailureOr<Value> v = g.reshape(g.materialize(*x), outSizes);
  if (failed(v))
    return failure();
  g.setOutput(0, *v);
  return success();
}

LogicalResult convertReshape(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  FailureOr<SmallVector<int64_t>> shape = g.intsInput(1, "shape");
  if (failed(shape))
    return failure();
  RankedTensorType type = g.typeOf(*x);
  SmallVector<OpFoldResult> inSizes =
      x->value ? g.sizes(x->value) : getAsIndexOpFoldResult(g.context, type.getShape());
  bool allowZero = g.opset >= 14 && g.intAttr("allowzero", 0);
  SmallVector<OpFoldResult> outSizes;
  int64_t inferred = -1;
  int64_t knownProduct = 1;
  for (auto [i, s] : llvm::enumerate(*shape)) {
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
      else if (!ShapedType::isDynamic(knownProduct))
        knownProduct *= type.getDimSize(i);
      continue;
    }
    if (s < 0)
      return g.fail("shape has a negative dimension " + Twine(s));
    outSizes.push_back(g.b.getIndexAttr(s));
    if (!ShapedType::isDynamic(knownProduct))
      knownProduct *= s;
  }
  if (inferred >= 0) {
    if (type.hasStaticShape() && !ShapedType::isDynamic(knownProduct)) {
      if (knownProduct == 0 || type.getNumElements() % knownProduct)
        return g.fail("cannot reshape " + Twine(type.getNumElements()) +
                      " elements to the requested shape");
      outSizes[inferred] =
          g.b.getIndexAttr(type.getNumElements() / knownProduct);
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
  Value v = g.materialize(*x);
  SmallVector<Value> elements;
  for (int64_t i = start; i < end; ++i) {
    Value d = type.isDynamicDim(i)
                  ? g.dim(v, i)
                  : Value(arith::ConstantIndexOp::create(g.b, g.loc,
                                                         type.getDimSize(i)));
    elements.push_back(arith::IndexCastOp::create(g.b, g.loc,
                                                  g.b.getI64Type(), d));
  }
  g.setOutput(0, Value(tensor::FromElementsOp::create(
                     g.b, g.loc,
                     RankedTensorType::get({int64_t(elements.size())},
                                           g.b.getI64Type()),
                     elements)));
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
  bool allConstant = llvm::all_of(inputs, [](OnnxValue *v) {
    return v->constant && !v->constant->isFloat() &&
           v->constant->shape.size() == 1;
  });
  if (allConstant) {
    SmallVector<int64_t> data;
    for (OnnxValue *v : inputs)
      data.append(v->constant->ints.begin(), v->constant->ints.end());
    auto out = intConstant(g.context, {int64_t(data.size())}, data);
    out->elementType = inputs[0]->constant->elementType;
    g.setOutput(0, OnnxValue{Value(), out});
    return success();
  }
  SmallVector<Value> operands;
  for (OnnxValue *v : inputs) {
    RankedTensorType t = g.typeOf(*v);
    if (t.getRank() != rank || t.getElementType() !=
                                   g.typeOf(*inputs[0]).getElementType())
      return g.fail("inputs differ in rank or element type");
    if (t.getNumElements() == 0 && t.hasStaticShape())
      continue;
    operands.push_back(g.materialize(*v));
  }
  if (operands.size() == 1) {
    g.setOutput(0, operands[0]);
    return success();
  }
  g.setOutput(0, Value(tensor::ConcatOp::create(g.b, g.loc, *axis, operands)));
  return success();
}

LogicalResult convertConstantOfShape(GraphBuilder &g) {
  FailureOr<SmallVector<int64_t>> shape = g.intsInput(0, "shape");
  if (failed(shape))
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
  auto out = std::make_shared<ConstTensor>();
  out->shape = *shape;
  out->elementType = value.elementType;
  int64_t n = out->numElements();
  if (value.isFloat())
    out->floats.assign(n, value.floats[0]);
  else
    out->ints.assign(n, value.ints[0]);
  g.setOutput(0, OnnxValue{Value(), out});
  return success();
}

LogicalResult convertExpand(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  FailureOr<SmallVector<int64_t>> shape = g.intsInput(1, "shape");
  if (failed(shape))
    return failure();
  // Shape arithmetic on constants is folded (exporters expand constant
  // shape vectors before splitting them).
  if (foldable(x)) {
    std::optional<SmallVector<int64_t>> outShape =
        broadcastStatic(x->constant->shape, *shape);
    if (!outShape)
      return g.fail("shape cannot be broadcast to the target shape");
    auto out = std::make_shared<ConstTensor>();
    out->shape = *outShape;
    out->elementType = x->constant->elementType;
    int64_t n = out->numElements();
    if (n > kMaxFoldedElements)
      return g.fail("expanding a constant to " + Twine(n) +
                    " elements is not supported");
    for (int64_t i = 0; i < n; ++i)
      out->ints.push_back(
          x->constant->ints[broadcastIndex(i, *outShape, x->constant->shape)]);
    g.setOutput(0, OnnxValue{Value(), out});
    return success();
  }
  RankedTensorType type = g.typeOf(*x);
  int64_t rank = std::max<int64_t>(type.getRank(), shape->size());
  Value v = g.materialize(*x);
  SmallVector<OpFoldResult> in = g.sizes(v), out;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t j = i - (rank - type.getRank());
    int64_t k = i - (rank - int64_t(shape->size()));
    int64_t s = k >= 0 ? (*shape)[k] : 1;
    if (j >= 0 && s == 1)
      out.push_back(in[j]);
    else
      out.push_back(g.b.getIndexAttr(s));
  }
  FailureOr<Value> result = g.broadcastTo(*x, out);
  if (failed(result))
    return failure();
  g.setOutput(0, *result);
  return success();
}

LogicalResult convertRange(GraphBuilder &g) {
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

/// Slice with constant starts/ends/axes/steps on dimensions of static size.
LogicalResult convertSlice(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  SmallVector<int64_t> starts, ends, axes, steps;
  if (g.opset < 10) {
    starts = g.intsAttr("starts").value_or(SmallVector<int64_t>());
    ends = g.intsAttr("ends").value_or(SmallVector<int64_t>());
    axes = g.intsAttr("axes").value_or(SmallVector<int64_t>());
  } else {
    FailureOr<SmallVector<int64_t>> s = g.intsInput(1, "starts");
    FailureOr<SmallVector<int64_t>> e = g.intsInput(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
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
  Value v = g.materialize(*x);
  for (size_t i = 0; i < starts.size(); ++i) {
    std::optional<int64_t> axis = normalizeAxis(axes[i], rank);
    if (!axis)
      return g.fail("axis " + Twine(axes[i]) + " is out of range");
    int64_t n = type.getDimSize(*axis);
    if (ShapedType::isDynamic(n))
      return g.fail("Slice along a dynamic dimension is not supported");
    if (steps[i] <= 0)
      return g.fail("Slice with a step <= 0 is not supported");
    int64_t s = starts[i] < 0 ? starts[i] + n : starts[i];
    int64_t e = ends[i] < 0 ? ends[i] + n : ends[i];
    s = std::clamp<int64_t>(s, 0, n);
    e = std::clamp<int64_t>(e, 0, n);
    int64_t count = e > s ? (e - s + steps[i] - 1) / steps[i] : 0;
    v = sliceAxis(g, v, *axis, s, count, steps[i]);
  }
  g.setOutput(0, v);
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
  OnnxValue *in = g.input(0);
  if (foldable(in) && in->constant->shape.size() == 1) {
    // A split shape vector stays a constant.
    for (auto [i, size] : llvm::enumerate(parts)) {
      if (offset + size > int64_t(in->constant->ints.size()))
        break;
      auto out = std::make_shared<ConstTensor>();
      out->shape = {size};
      out->elementType = in->constant->elementType;
      out->ints.assign(in->constant->ints.begin() + offset,
                       in->constant->ints.begin() + offset + size);
      g.setOutput(i, OnnxValue{Value(), out});
      offset += size;
    }
  } else {
    for (auto [i, size] : llvm::enumerate(parts)) {
      g.setOutput(i, sliceAxis(g, *x, *axis, offset, size, 1));
      offset += size;
    }
  }
  if (offset != n)
    return g.fail("split sizes add up to " + Twine(offset) + ", not " +
                  Twine(n));
  return success();
}
/// Trilu on a constant (PyTorch's causal mask, torch.ones(t, t).tril()):
/// folded at import. Trilu on a computed tensor is not supported.
LogicalResult convertTrilu(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x || !x->constant || x->constant->isFloat() ||
      x->constant->shape.size() < 2)
    return g.fail("Trilu is only supported on an integer or boolean constant "
                  "of rank >= 2");
  int64_t k = 0;
  if (g.input(1)) {
    FailureOr<SmallVector<int64_t>> kValue = g.intsInput(1, "k");
    if (failed(kValue) || kValue->size() != 1)
      return g.fail("k (input 1) must be one constant integer");
    k = (*kValue)[0];
  }
  bool upper = g.intAttr("upper", 1) != 0;
  const ConstTensor &in = *x->constant;
  int64_t rows = in.shape[in.shape.size() - 2];
  int64_t cols = in.shape.back();
  auto out = std::make_shared<ConstTensor>(in);
  for (int64_t i = 0; i < out->numElements(); ++i) {
    int64_t c = i % cols, r = (i / cols) % rows;
    bool keep = upper ? c - r >= k : c - r <= k;
    if (!keep)
      out->ints[i] = 0;
  }
  g.setOutput(0, OnnxValue{Value(), out});
  return success();
}

/// Not on a boolean constant, folded; on a computed tensor, xor with true.
LogicalResult convertNot(GraphBuilder &g) {
  OnnxValue *x = g.input(0);
  if (!x)
    return g.fail("input 0 is missing");
  if (x->constant && !x->constant->isFloat()) {
    auto out = std::make_shared<ConstTensor>(*x->constant);
    for (int64_t &v : out->ints)
      v = v ? 0 : 1;
    g.setOutput(0, OnnxValue{Value(), out});
    return success();
  }
  FailureOr<Value> v = g.inputValue(0);
  if (failed(v))
    return failure();
  if (!getElementTypeOrSelf(v->getType()).isInteger(1))
    return g.fail("Not takes a boolean tensor");
  Value ones = g.splat(1.0, g.b.getI1Type(), g.sizes(*v));
  g.setOutput(0, Value(arith::XOrIOp::create(g.b, g.loc, *v, ones)));
  return success();
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
  t["Not"] = convertNot;
  t["Expand"] = convertExpand;
  t["Range"] = convertRange;
  t["Slice"] = convertSlice;
  t["Split"] = convertSplit;
}
