//===- GraphBuilder.cpp - values, constants and broadcasting ----*- C++ -*-===//
//
// The pieces every op converter shares: the value table, constants
// (dense_resource for weights), tensor.dim sizes, and numpy broadcasting
// spelled out as the graph contract asks (splats, collapse_shape +
// linalg.broadcast).
//
//===----------------------------------------------------------------------===//

#include "GraphBuilder.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"

#include "llvm/ADT/ScopeExit.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

using namespace mlir;
using namespace mlir::trit::onnx_import;

/// Constants with more elements than this become dense_resource blobs.
static constexpr int64_t kMaxInlineElements = 16;

SmallVector<int64_t>
mlir::trit::onnx_import::staticShape(ArrayRef<OpFoldResult> sizes) {
  SmallVector<int64_t> shape;
  for (OpFoldResult s : sizes) {
    std::optional<int64_t> c = getConstantIntValue(s);
    shape.push_back(c && isa<Attribute>(s) ? *c : ShapedType::kDynamic);
  }
  return shape;
}

std::optional<int64_t> mlir::trit::onnx_import::normalizeAxis(int64_t axis,
                                                              int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

LogicalResult GraphBuilder::fail(const Twine &message) {
  error = message.str();
  return failure();
}

OnnxValue *GraphBuilder::input(unsigned i) {
  if (int(i) >= node->input_size() || node->input(i).empty())
    return nullptr;
  auto it = values.find(node->input(i));
  return it == values.end() ? nullptr : &it->second;
}

FailureOr<Value> GraphBuilder::inputValue(unsigned i) {
  if (int(i) >= node->input_size() || node->input(i).empty())
    return fail("input " + Twine(i) + " is missing");
  auto it = values.find(node->input(i));
  if (it == values.end())
    return fail("input '" + node->input(i) + "' is not defined");
  return materialize(it->second);
}

FailureOr<const ConstTensor *> GraphBuilder::constantInput(unsigned i,
                                                           StringRef what) {
  OnnxValue *v = input(i);
  if (!v)
    return fail(what + " (input " + Twine(i) + ") is missing");
  if (!v->constant)
    return fail(what + " (input " + Twine(i) + ") must be a constant known "
                "at import time" + (v->sym ? " (it depends on a dynamic size)"
                                           : ""));
  return v->constant.get();
}

FailureOr<SmallVector<int64_t>> GraphBuilder::intsInput(unsigned i,
                                                        StringRef what) {
  FailureOr<const ConstTensor *> c = constantInput(i, what);
  if (failed(c))
    return failure();
  if ((*c)->isFloat())
    return fail(what + " must be an integer tensor");
  return SmallVector<int64_t>((*c)->ints.begin(), (*c)->ints.end());
}

FailureOr<SymInts> GraphBuilder::symIntsInput(unsigned i, StringRef what) {
  OnnxValue *v = input(i);
  if (!v)
    return fail(what + " (input " + Twine(i) + ") is missing");
  std::optional<SymInts> data = symInts(v);
  if (!data)
    return fail(what + " (input " + Twine(i) +
                ") must be integers known at import time or computed from "
                "the input's dynamic sizes");
  return *data;
}

std::optional<SymInts> GraphBuilder::symInts(const OnnxValue *v) {
  if (!v)
    return std::nullopt;
  if (v->sym)
    return *v->sym;
  if (!foldable(v))
    return std::nullopt;
  SymInts data;
  data.shape = v->constant->shape;
  data.elementType = v->constant->elementType;
  for (int64_t x : v->constant->ints)
    data.elements.push_back(b.getIndexAttr(x));
  return data;
}

OnnxValue GraphBuilder::symValue(SymInts data) {
  bool known = llvm::all_of(data.elements, [](OpFoldResult e) {
    return isa<Attribute>(e);
  });
  if (!known)
    return OnnxValue{Value(), nullptr,
                     std::make_shared<SymInts>(std::move(data))};
  auto c = std::make_shared<ConstTensor>();
  c->shape = data.shape;
  c->elementType = data.elementType;
  for (OpFoldResult e : data.elements)
    c->ints.push_back(*getConstantIntValue(e));
  return OnnxValue{Value(), c, nullptr};
}

Value GraphBuilder::indexValue(OpFoldResult v) {
  return getValueOrCreateConstantIndexOp(b, loc, v);
}

void GraphBuilder::setOutput(unsigned i, Value value) {
  setOutput(i, OnnxValue{value, nullptr});
}

void GraphBuilder::setOutput(unsigned i, OnnxValue value) {
  if (int(i) < node->output_size() && !node->output(i).empty())
    values[node->output(i)] = std::move(value);
}

const onnx::AttributeProto *GraphBuilder::attribute(StringRef name) {
  for (const auto &attr : node->attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t GraphBuilder::intAttr(StringRef name, int64_t defaultValue) {
  const onnx::AttributeProto *attr = attribute(name);
  return attr ? attr->i() : defaultValue;
}

float GraphBuilder::floatAttr(StringRef name, float defaultValue) {
  const onnx::AttributeProto *attr = attribute(name);
  return attr ? attr->f() : defaultValue;
}

std::optional<SmallVector<int64_t>> GraphBuilder::intsAttr(StringRef name) {
  const onnx::AttributeProto *attr = attribute(name);
  if (!attr)
    return std::nullopt;
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

RankedTensorType GraphBuilder::typeOf(const OnnxValue &v) {
  if (v.value)
    return cast<RankedTensorType>(v.value.getType());
  if (v.sym)
    return RankedTensorType::get(v.sym->shape, v.sym->elementType);
  return RankedTensorType::get(v.constant->shape, v.constant->elementType);
}

Value GraphBuilder::createConstant(const ConstTensor &data, StringRef name) {
  auto type = RankedTensorType::get(data.shape, data.elementType);
  int64_t n = data.numElements();
  bool splatValue = n > 0;
  for (int64_t i = 1; i < n && splatValue; ++i)
    splatValue = data.at(i) == data.at(0);
  TypedAttr attr;
  if (data.isFloat() && n > kMaxInlineElements && !splatValue) {
    // Weights go into a resource blob, never into textual dense<>.
    std::string key = "onnx_";
    for (char c : name)
      key += llvm::isAlnum(c) ? c : '_';
    AsmResourceBlob blob;
    if (data.owner) {
      // Mapped external data: the blob is the mapping (no copy), kept
      // alive by the deleter for as long as the blob lives.
      ArrayRef<float> view = data.view;
      blob = AsmResourceBlob(
          ArrayRef<char>(reinterpret_cast<const char *>(view.data()),
                         view.size() * sizeof(float)),
          alignof(float),
          [owner = data.owner](void *, size_t, size_t) {},
          /*dataIsMutable=*/false);
    } else {
      blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(
          ArrayRef<float>(data.floats));
    }
    attr = cast<TypedAttr>(
        DenseF32ResourceElementsAttr::get(type, key, std::move(blob)));
  } else if (data.isFloat()) {
    attr = DenseElementsAttr::get(type, data.floatData());
  } else {
    unsigned width = data.elementType.getIntOrFloatBitWidth();
    SmallVector<APInt> ints;
    for (int64_t v : data.ints)
      ints.push_back(APInt(width, v, /*isSigned=*/true, /*implicitTrunc=*/true));
    attr = DenseElementsAttr::get(type, ints);
  }
  return arith::ConstantOp::create(b, loc, attr);
}

Value GraphBuilder::materialize(OnnxValue &v) {
  if (!v.value && v.sym) {
    // Shape arithmetic used as data: one tensor.from_elements.
    SmallVector<Value> elements;
    Type type = v.sym->elementType;
    for (OpFoldResult e : v.sym->elements) {
      Value x = indexValue(e);
      if (type.isInteger(1)) {
        Value zero = arith::ConstantIndexOp::create(b, loc, 0);
        elements.push_back(arith::CmpIOp::create(
            b, loc, arith::CmpIPredicate::ne, x, zero));
      } else {
        elements.push_back(arith::IndexCastOp::create(b, loc, type, x));
      }
    }
    v.value = tensor::FromElementsOp::create(
        b, loc, RankedTensorType::get(v.sym->shape, type), elements);
    return v.value;
  }
  if (!v.value)
    v.value = createConstant(*v.constant,
                             v.constant->name.empty()
                                 ? "c" + std::to_string(constantCounter++)
                                 : v.constant->name);
  return v.value;
}

Value GraphBuilder::dim(Value t, int64_t i) {
  auto key = std::make_pair(t, i);
  auto it = dims.find(key);
  if (it != dims.end())
    return it->second;
  Value &index = indexConstants[i];
  if (!index)
    index = arith::ConstantIndexOp::create(b, loc, i);
  Value d = tensor::DimOp::create(b, loc, t, index);
  dims[key] = d;
  return d;
}

SmallVector<OpFoldResult> GraphBuilder::sizes(Value t) {
  auto type = cast<RankedTensorType>(t.getType());
  // A dynamic size is read where it comes from (the tensor.empty of a
  // linalg op, the operand of an elementwise op, the output_shape of an
  // expand_shape), so that no result gains a tensor.dim use of its own:
  // the fuse pass wants a MatMul result used by its rescale only.
  if (!type.hasStaticShape()) {
    if (Operation *def = t.getDefiningOp()) {
      if (auto emptyOp = dyn_cast<tensor::EmptyOp>(def))
        return emptyOp.getMixedSizes();
      if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def))
        return expand.getMixedOutputShape();
      if (auto dps = dyn_cast<DestinationStyleOpInterface>(def))
        if (dps.getNumDpsInits() == def->getNumResults())
          return sizes(
              dps.getDpsInitOperand(cast<OpResult>(t).getResultNumber())
                  ->get());
      if (def->hasTrait<OpTrait::Elementwise>())
        for (Value operand : def->getOperands())
          if (auto operandType = dyn_cast<RankedTensorType>(operand.getType()))
            if (operandType.getShape() == type.getShape())
              return sizes(operand);
    }
  }
  SmallVector<OpFoldResult> out;
  for (int64_t i = 0; i < type.getRank(); ++i)
    out.push_back(type.isDynamicDim(i)
                      ? OpFoldResult(dim(t, i))
                      : OpFoldResult(b.getIndexAttr(type.getDimSize(i))));
  return out;
}

Value GraphBuilder::empty(ArrayRef<OpFoldResult> shape, Type elementType) {
  return tensor::EmptyOp::create(b, loc, shape, elementType);
}

Value GraphBuilder::filled(ArrayRef<OpFoldResult> shape, Type elementType,
                           TypedAttr value) {
  Value scalar = arith::ConstantOp::create(b, loc, value);
  Value init = empty(shape, elementType);
  return linalg::FillOp::create(b, loc, scalar, init).getResult(0);
}

static TypedAttr scalarAttr(Type elementType, double value) {
  if (auto f = dyn_cast<FloatType>(elementType))
    return FloatAttr::get(f, value);
  return IntegerAttr::get(elementType, static_cast<int64_t>(value));
}

std::string GraphBuilder::nodeName() const {
  return !node                  ? ""
         : !node->name().empty() ? node->name()
         : node->output_size()   ? node->output(0)
                                 : "";
}

LogicalResult GraphBuilder::requireEqualSizes(OpFoldResult lhs,
                                              OpFoldResult rhs,
                                              const Twine &what) {
  std::optional<int64_t> kl = knownInt(lhs), kr = knownInt(rhs);
  if (kl && kr) {
    if (*kl != *kr)
      return fail(what + " differ: " + Twine(*kl) + " and " + Twine(*kr));
    return success();
  }
  if (lhs == rhs)
    return success();
  Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                   indexValue(lhs), indexValue(rhs));
  cf::AssertOp::create(b, loc, ok,
                       llvm::formatv("node '{0}' ({1}): {2} differ",
                                     nodeName(),
                                     node ? node->op_type() : "", what.str())
                           .str());
  return success();
}

Value GraphBuilder::splat(double value, Type elementType,
                          ArrayRef<OpFoldResult> resultSizes) {
  SmallVector<int64_t> shape = staticShape(resultSizes);
  TypedAttr scalar = scalarAttr(elementType, value);
  if (!ShapedType::isDynamicShape(shape)) {
    auto type = RankedTensorType::get(shape, elementType);
    return arith::ConstantOp::create(b, loc,
                                     DenseElementsAttr::get(type, scalar));
  }
  // A dynamic result: a 0-d constant broadcast over every dimension.
  auto scalarType = RankedTensorType::get({}, elementType);
  Value zeroD = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(scalarType, scalar));
  Value init = empty(resultSizes, elementType);
  SmallVector<int64_t> all = llvm::to_vector(llvm::seq<int64_t>(0, shape.size()));
  return linalg::BroadcastOp::create(b, loc, zeroD, init, all)->getResult(0);
}

FailureOr<SmallVector<OpFoldResult>>
GraphBuilder::broadcastSizes(ArrayRef<OnnxValue *> operands) {
  int64_t rank = 0;
  for (OnnxValue *v : operands)
    rank = std::max<int64_t>(rank, typeOf(*v).getRank());
  SmallVector<OpFoldResult> result;
  for (int64_t i = 0; i < rank; ++i) {
    std::optional<int64_t> size;   // static size, if any operand fixes it
    OnnxValue *dynamicFrom = nullptr; // an operand whose size is dynamic
    int64_t dynamicIndex = 0;
    for (OnnxValue *v : operands) {
      RankedTensorType type = typeOf(*v);
      int64_t j = i - (rank - type.getRank());
      if (j < 0)
        continue;
      int64_t d = type.getDimSize(j);
      if (ShapedType::isDynamic(d)) {
        if (!dynamicFrom) {
          dynamicFrom = v;
          dynamicIndex = j;
        }
        continue;
      }
      if (d == 1)
        continue;
      if (size && *size != d)
        return fail("shapes " + llvm::join(llvm::map_range(operands,
                                               [&](OnnxValue *o) {
                                                 std::string s;
                                                 llvm::raw_string_ostream os(s);
                                                 os << typeOf(*o);
                                                 return s;
                                               }),
                                           " and ") +
                    " cannot be broadcast together");
      size = d;
    }
    OpFoldResult chosen;
    if (size)
      chosen = b.getIndexAttr(*size);
    else if (dynamicFrom)
      chosen = sizes(materialize(*dynamicFrom))[dynamicIndex];
    else
      chosen = b.getIndexAttr(1);
    result.push_back(chosen);
    // A dynamic size is taken to be the chosen one: checked at run time, so
    // that a mismatch (or a 1 that ONNX would broadcast) is an error, not a
    // read past a buffer.
    for (auto [k, v] : llvm::enumerate(operands)) {
      RankedTensorType type = typeOf(*v);
      int64_t j = i - (rank - type.getRank());
      if (j < 0 || !type.isDynamicDim(j))
        continue;
      OpFoldResult actual = sizes(materialize(*v))[j];
      if (actual == chosen)
        continue;
      Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                       indexValue(actual), indexValue(chosen));
      // Named as import errors name nodes: its name, else its output's.
      std::string name = !node                ? ""
                         : !node->name().empty() ? node->name()
                         : node->output_size()   ? node->output(0)
                                                 : "";
      cf::AssertOp::create(
          b, loc, ok,
          llvm::formatv("node '{0}' ({1}): dimension {2} of input {3} does "
                        "not match the other inputs'",
                        name, node ? node->op_type() : "", i, k)
              .str());
    }
  }
  return result;
}

FailureOr<Value> GraphBuilder::broadcastTo(OnnxValue &v,
                                           ArrayRef<OpFoldResult> resultSizes) {
  RankedTensorType type = typeOf(v);
  Type elementType = type.getElementType();
  SmallVector<int64_t> resultShape = staticShape(resultSizes);
  int64_t rank = resultShape.size();
  if (type.getRank() > rank)
    return fail("operand of rank " + Twine(type.getRank()) +
                " cannot broadcast to rank " + Twine(rank));
  // A constant scalar is a splat of the result shape.
  if (v.constant && v.constant->numElements() == 1 &&
      type.getShape() != ArrayRef<int64_t>(resultShape))
    return splat(v.constant->at(0), elementType, resultSizes);

  Value value = materialize(v);
  if (type.getShape() == ArrayRef<int64_t>(resultShape))
    return value;

  // Which dimensions of the operand are stretched from 1.
  int64_t offset = rank - type.getRank();
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  SmallVector<int64_t> kept, broadcastDims;
  for (int64_t i = 0; i < offset; ++i)
    broadcastDims.push_back(i);
  for (int64_t j = 0; j < type.getRank(); ++j) {
    int64_t d = type.getDimSize(j), r = resultShape[j + offset];
    if (!ShapedType::isDynamic(d) && !ShapedType::isDynamic(r) && d != r &&
        d != 1)
      return fail("operand of type " + Twine(llvm::formatv("{0}", type).str()) +
                  " cannot broadcast to the result shape");
    bool stretched = d == 1 && r != 1;
    if (stretched) {
      broadcastDims.push_back(j + offset);
      if (groups.empty())
        pending.push_back(j);
      else
        groups.back().push_back(j);
      continue;
    }
    ReassociationIndices group = pending;
    pending.clear();
    group.push_back(j);
    groups.push_back(group);
    // A dynamic size that the result fixes statically.
    kept.push_back(ShapedType::isDynamic(d) ? r : d);
  }
  auto keptType = RankedTensorType::get(kept, elementType);
  if (kept.size() != size_t(type.getRank())) {
    if (groups.empty())
      groups.clear(); // 0-d: the reassociation is []
    SmallVector<int64_t> collapsedShape;
    for (const ReassociationIndices &g : groups) {
      int64_t s = 1;
      for (int64_t j : g)
        s = ShapedType::isDynamic(type.getDimSize(j)) || ShapedType::isDynamic(s)
                ? ShapedType::kDynamic
                : s * type.getDimSize(j);
      collapsedShape.push_back(s);
    }
    value = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get(collapsedShape, elementType), value,
        groups);
  }
  if (value.getType() != keptType)
    value = tensor::CastOp::create(b, loc, keptType, value);
  if (broadcastDims.empty())
    return value;
  Value init = empty(resultSizes, elementType);
  return linalg::BroadcastOp::create(b, loc, value, init, broadcastDims)
      ->getResult(0);
}

FailureOr<Value> GraphBuilder::reshape(Value v, ArrayRef<OpFoldResult> shape) {
  auto type = cast<RankedTensorType>(v.getType());
  auto resultType =
      RankedTensorType::get(staticShape(shape), type.getElementType());
  if (resultType == type)
    return v;
  if (resultType.getRank() < type.getRank()) {
    if (auto reassociation =
            getReassociationIndicesForCollapse(type.getShape(),
                                               resultType.getShape()))
      return tensor::CollapseShapeOp::create(b, loc, resultType, v,
                                             *reassociation)
          .getResult();
  } else if (resultType.getRank() > type.getRank()) {
    if (auto reassociation = getReassociationIndicesForCollapse(
            resultType.getShape(), type.getShape()))
      return tensor::ExpandShapeOp::create(b, loc, resultType, v,
                                           *reassociation, shape)
          .getResult();
  }
  if (!resultType.hasStaticShape())
    return fail("a reshape from " + llvm::formatv("{0}", type).str() +
                " to a dynamic shape that is not a collapse or expand is "
                "not supported");
  SmallVector<int64_t> dims(resultType.getShape());
  auto shapeType =
      RankedTensorType::get({int64_t(dims.size())}, b.getIntegerType(64));
  Value shapeValue = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(shapeType, ArrayRef<int64_t>(dims)));
  return tensor::ReshapeOp::create(b, loc, resultType, v, shapeValue)
      .getResult();
}

Value GraphBuilder::transpose(Value v, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> in = sizes(v), out;
  for (int64_t p : perm)
    out.push_back(in[p]);
  Value init = empty(out, type.getElementType());
  return linalg::TransposeOp::create(b, loc, v, init, perm)->getResult(0);
}

LogicalResult GraphBuilder::addInitializers(const onnx::GraphProto &graph) {
  for (const onnx::TensorProto &tensor : graph.initializer()) {
    std::optional<ConstTensor> data =
        decodeTensor(context, tensor, modelDir, error, &sources);
    if (!data)
      return failure();
    data->name = tensor.name();
    values[tensor.name()] =
        OnnxValue{Value(), std::make_shared<ConstTensor>(std::move(*data))};
  }
  return success();
}

FailureOr<SmallVector<Value>>
GraphBuilder::importGraph(const onnx::GraphProto &graph,
                          ArrayRef<std::string> inputNames,
                          ValueRange arguments) {
  for (auto [name, argument] : llvm::zip(inputNames, arguments))
    values[name] = OnnxValue{argument, nullptr};
  // Remaining uses of each name: a value is dropped (its compile-time data
  // freed) after its last use, so folding a chain of large constants holds
  // only the live ones.
  llvm::StringMap<int64_t> uses;
  for (const onnx::NodeProto &n : graph.node())
    for (const std::string &in : n.input())
      ++uses[in];
  for (const onnx::ValueInfoProto &output : graph.output())
    ++uses[output.name()];
  for (const onnx::NodeProto &n : graph.node()) {
    node = &n;
    std::string name = n.name().empty() ? (n.output_size() ? n.output(0) : "")
                                        : n.name();
    loc = NameLoc::get(b.getStringAttr(name));
    if (failed(convertNode(n))) {
      error = "node '" + name + "' (" + n.op_type() + ", opset " +
              std::to_string(opset) + "): " + error;
      return failure();
    }
    for (const std::string &in : n.input())
      if (!in.empty() && --uses[in] == 0)
        values.erase(in);
  }
  node = nullptr;
  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &output : graph.output()) {
    auto it = values.find(output.name());
    if (it == values.end()) {
      error = "graph output '" + output.name() + "' is not computed";
      return failure();
    }
    if (Type t = typeOf(it->second).getElementType();
        !isRuntimeElementType(t)) {
      error = "graph output '" + output.name() + "' is " +
              llvm::formatv("{0}", t).str() +
              " data; unsigned integer tensors are not supported as "
              "outputs";
      return failure();
    }
    results.push_back(materialize(it->second));
  }
  return results;
}

LogicalResult GraphBuilder::convertNode(const onnx::NodeProto &n) {
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    return fail("operators of domain '" + n.domain() + "' are not supported");
  for (const std::string &in : n.input())
    if (!in.empty() && !values.count(in))
      return fail("input '" + in + "' is not defined before its use");
  // Constant subgraphs are evaluated, whatever their ops and types.
  FailureOr<bool> folded = evaluateConstantNode(*this);
  if (failed(folded))
    return failure();
  if (*folded)
    return success();
  for (int i = 0; i < n.input_size(); ++i) {
    OnnxValue *v = input(i);
    if (v && !isRuntimeElementType(typeOf(*v).getElementType()))
      return fail("input '" + n.input(i) + "' is " +
                  llvm::formatv("{0}", typeOf(*v).getElementType()).str() +
                  " data used at run time; trit evaluates unsigned integer "
                  "tensors only where every input of the node is known at "
                  "import time");
  }
  OpConverter converter = lookupConverter(n.op_type());
  if (!converter)
    return fail("unsupported operator");
  return converter(*this);
}

LogicalResult
GraphBuilder::convertExpansion(ArrayRef<onnx::NodeProto> nodes) {
  const onnx::NodeProto *outer = node;
  llvm::scope_exit restore([&] { node = outer; });
  for (const onnx::NodeProto &n : nodes) {
    node = &n;
    if (failed(convertNode(n))) {
      error = "in its expansion, " + n.op_type() + ": " + error;
      return failure();
    }
  }
  return success();
}

OpConverter mlir::trit::onnx_import::lookupConverter(StringRef opType) {
  static const llvm::StringMap<OpConverter> table = [] {
    llvm::StringMap<OpConverter> t;
    addElementwiseConverters(t);
    addLinalgConverters(t);
    addShapeConverters(t);
    addCompositeConverters(t);
    return t;
  }();
  return table.lookup(opType);
}

std::optional<SmallVector<int64_t>>
mlir::trit::onnx_import::broadcastStatic(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i + a.size() >= rank ? a[i + a.size() - rank] : 1;
    int64_t db = i + b.size() >= rank ? b[i + b.size() - rank] : 1;
    if (da != db && da != 1 && db != 1)
      return std::nullopt;
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int64_t mlir::trit::onnx_import::broadcastIndex(int64_t flat, ArrayRef<int64_t> result,
                       ArrayRef<int64_t> shape) {
  int64_t index = 0, stride = 1;
  for (int64_t i = result.size() - 1, j = shape.size() - 1; j >= 0; --i, --j) {
    int64_t coord = flat % result[i];
    flat /= result[i];
    if (shape[j] != 1)
      index += coord * stride;
    stride *= shape[j];
  }
  return index;
}

bool mlir::trit::onnx_import::symbolicOperands(
    ArrayRef<const OnnxValue *> values) {
  bool anySymbolic = false;
  for (const OnnxValue *v : values) {
    if (!v || !(v->sym || foldable(v)))
      return false;
    anySymbolic |= v->sym != nullptr;
  }
  return anySymbolic;
}

bool mlir::trit::onnx_import::foldable(const OnnxValue *v) {
  return v && v->constant && !v->constant->isFloat() &&
         v->constant->numElements() <= kMaxFoldedElements;
}
