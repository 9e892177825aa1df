//===- ConstantFolding.cpp - evaluate constant subgraphs at import -*- C++ -*-===//
//
// A node whose inputs are all known at import time (initializers, Constant
// nodes, earlier folded nodes) is evaluated here, following the ONNX
// operator definitions, and its outputs become compile-time data. This is
// how exporters' weight computations (packed uint8 codes unpacked with
// BitShift/BitwiseAnd/ScatterND/Cast, transposes, scale arithmetic) arrive
// as one constant, for every element type, without an op lowering for each.
//
// Element types: every integer type ONNX has (held as int64, wrapped to the
// type's width after each op; uint64 as its bit pattern) and bool; floats of
// every width are f32 (the graph contract), values cast to f16/bf16 rounded
// to that precision. Float arithmetic is f32's, as a runtime's would be.
//
// A node is left to its converter (nothing folded) when the op is not
// evaluated here, or when evaluating it would make much more data than its
// inputs hold (Expand, Tile, ConstantOfShape, Range into large shapes: the
// compiled code makes those).
//
//===----------------------------------------------------------------------===//

#include "GraphBuilder.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <numeric>

using namespace mlir;
using namespace mlir::trit::onnx_import;

namespace {

/// Folding may make this many elements however small its inputs are.
constexpr int64_t kMaxGrownElements = 1 << 16;

using Shape = SmallVector<int64_t>;

//===----------------------------------------------------------------------===//
// Element types and values
//===----------------------------------------------------------------------===//

bool isUnsignedInt(Type t) {
  auto i = dyn_cast<IntegerType>(t);
  return i && i.isUnsigned();
}

/// `v` wrapped to integer type `t` (two's complement; bool: 0 or 1).
int64_t wrap(int64_t v, Type t) {
  unsigned width = t.getIntOrFloatBitWidth();
  if (width == 1)
    return v != 0;
  if (width >= 64)
    return v;
  uint64_t bits = static_cast<uint64_t>(v) & ((uint64_t(1) << width) - 1);
  if (isUnsignedInt(t))
    return static_cast<int64_t>(bits);
  return llvm::SignExtend64(bits, width);
}

/// An integer element as a double (uint64 from its bit pattern).
double intToDouble(int64_t v, Type t) {
  if (isUnsignedInt(t) && t.getIntOrFloatBitWidth() == 64)
    return static_cast<double>(static_cast<uint64_t>(v));
  return static_cast<double>(v);
}

float roundTo(float v, const llvm::fltSemantics &semantics) {
  llvm::APFloat value(v);
  bool lost;
  value.convert(semantics, llvm::APFloat::rmNearestTiesToEven, &lost);
  value.convert(llvm::APFloat::IEEEsingle(),
                llvm::APFloat::rmNearestTiesToEven, &lost);
  return value.convertToFloat();
}

ConstTensor makeTensor(ArrayRef<int64_t> shape, Type elementType) {
  ConstTensor out;
  out.shape.assign(shape.begin(), shape.end());
  out.elementType = elementType;
  if (out.isFloat())
    out.floats.resize(out.numElements());
  else
    out.ints.resize(out.numElements());
  return out;
}

/// The elements of `in` at flat indices `from`, in a tensor of `shape`.
ConstTensor take(const ConstTensor &in, ArrayRef<int64_t> shape,
                 ArrayRef<int64_t> from) {
  ConstTensor out;
  out.shape.assign(shape.begin(), shape.end());
  out.elementType = in.elementType;
  if (in.isFloat()) {
    ArrayRef<float> data = in.floatData();
    out.floats.reserve(from.size());
    for (int64_t i : from)
      out.floats.push_back(data[i]);
  } else {
    out.ints.reserve(from.size());
    for (int64_t i : from)
      out.ints.push_back(in.ints[i]);
  }
  return out;
}

/// Copies element `from` of `in` to element `to` of `out` (same types).
void copyElement(const ConstTensor &in, int64_t from, ConstTensor &out,
                 int64_t to) {
  if (in.isFloat())
    out.floats[to] = in.floatData()[from];
  else
    out.ints[to] = in.ints[from];
}

/// `in` with its own (mutable) storage.
ConstTensor copyOf(const ConstTensor &in) {
  ConstTensor out;
  out.shape = in.shape;
  out.elementType = in.elementType;
  if (in.isFloat())
    out.floats.assign(in.floatData().begin(), in.floatData().end());
  else
    out.ints = in.ints;
  return out;
}

Shape stridesOf(ArrayRef<int64_t> shape) {
  Shape strides(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// The element count of `shape`, saturated at INT64_MAX (which no
/// tensor's data reaches, so any use of it fails a size check).
int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (llvm::MulOverflow(n, d, n))
      return INT64_MAX;
  return n;
}

/// Steps the multi-index `index` of a tensor of `shape` to the next
/// element in row-major order (wrapping to all zeros after the last).
void advance(MutableArrayRef<int64_t> index, ArrayRef<int64_t> shape) {
  for (int64_t d = int64_t(shape.size()) - 1; d >= 0; --d) {
    if (++index[d] < shape[d])
      return;
    index[d] = 0;
  }
}

/// The element count of `shape`; nullopt on overflow or a negative size.
std::optional<int64_t> checkedProduct(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (llvm::MulOverflow(n, d, n))
      return std::nullopt;
  }
  return n;
}

//===----------------------------------------------------------------------===//
// The evaluator
//===----------------------------------------------------------------------===//

class Evaluator {
public:
  explicit Evaluator(GraphBuilder &g) : g(g) {}

  /// Evaluates the current node: true if it did (outputs bound), false if
  /// it is left to the converter, failure (with g.error) on a malformed
  /// node.
  FailureOr<bool> run();

private:
  GraphBuilder &g;
  SmallVector<const ConstTensor *> in;
  int64_t inputElements = 0;

  const ConstTensor *input(unsigned i) {
    return i < in.size() ? in[i] : nullptr;
  }
  LogicalResult fail(const Twine &message) { return g.fail(message); }
  /// Whether an output of `n` elements may be made.
  bool mayMake(int64_t n) {
    return n <= std::max(kMaxGrownElements, 4 * inputElements);
  }
  FailureOr<SmallVector<int64_t>> ints(unsigned i, StringRef what);
  /// Axes from the attribute (before `inputOpset`) or input `i`; nullopt
  /// when neither is given.
  FailureOr<std::optional<Shape>> axes(unsigned i, int64_t inputOpset);
  FailureOr<int64_t> axis(int64_t axis, int64_t rank);

  void set(unsigned i, ConstTensor t) {
    // Named after the output (names its resource blob, if it gets one).
    if (int(i) < g.node->output_size())
      t.name = g.node->output(i);
    g.setOutput(i, OnnxValue{Value(),
                             std::make_shared<ConstTensor>(std::move(t))});
  }

  /// The elementwise binary `op` of `a` and `b` with numpy broadcasting;
  /// nullopt where it is not evaluated (left to the converter).
  FailureOr<std::optional<ConstTensor>>
  combine(StringRef op, const ConstTensor &a, const ConstTensor &b);

  // Families of ops; each returns true when it bound the outputs.
  FailureOr<bool> unary(StringRef op);
  FailureOr<bool> binary(StringRef op);
  FailureOr<bool> variadic(StringRef op);
  FailureOr<bool> where();
  FailureOr<bool> clip();
  FailureOr<bool> cast(Type to);
  FailureOr<bool> reshapeLike(StringRef op);
  FailureOr<bool> transpose();
  FailureOr<bool> concat();
  FailureOr<bool> split();
  FailureOr<bool> slice();
  FailureOr<bool> expand();
  FailureOr<bool> tile();
  FailureOr<bool> gather();
  FailureOr<bool> gatherElements();
  FailureOr<bool> gatherND();
  FailureOr<bool> scatterND();
  FailureOr<bool> scatterElements();
  FailureOr<bool> shape(bool size);
  FailureOr<bool> constantOfShape();
  FailureOr<bool> range();
  FailureOr<bool> reduce(StringRef op);
  FailureOr<bool> cumSum();
  FailureOr<bool> matMul();
  FailureOr<bool> trilu();
};

FailureOr<SmallVector<int64_t>> Evaluator::ints(unsigned i, StringRef what) {
  const ConstTensor *t = input(i);
  if (!t)
    return fail(what + " (input " + Twine(i) + ") is missing");
  if (t->isFloat())
    return fail(what + " (input " + Twine(i) + ") must be integers");
  return SmallVector<int64_t>(t->ints.begin(), t->ints.end());
}

FailureOr<std::optional<Shape>> Evaluator::axes(unsigned i,
                                                int64_t inputOpset) {
  if (g.opset < inputOpset) {
    if (std::optional<SmallVector<int64_t>> a = g.intsAttr("axes"))
      return std::optional<Shape>(*a);
    return std::optional<Shape>();
  }
  if (!input(i))
    return std::optional<Shape>();
  FailureOr<SmallVector<int64_t>> a = ints(i, "axes");
  if (failed(a))
    return failure();
  return std::optional<Shape>(*a);
}

FailureOr<int64_t> Evaluator::axis(int64_t a, int64_t rank) {
  std::optional<int64_t> n = normalizeAxis(a, rank);
  if (!n)
    return fail("axis " + Twine(a) + " is out of range for rank " +
                Twine(rank));
  return *n;
}

//===- Elementwise ---------------------------------------------------------===//

/// Round half to even (the default rounding mode), infinities kept.
double roundHalfEven(double v) { return std::nearbyint(v); }

FailureOr<bool> Evaluator::unary(StringRef op) {
  const ConstTensor &x = *in[0];
  bool isBoolOut = op == "IsNaN" || op == "IsInf";
  ConstTensor out = makeTensor(
      x.shape, isBoolOut ? IntegerType::get(g.context, 1) : x.elementType);
  int64_t n = x.numElements();
  if (x.isFloat()) {
    ArrayRef<float> d = x.floatData();
    std::function<float(float)> f;
    if (op == "Abs") f = [](float v) { return std::fabs(v); };
    else if (op == "Neg") f = [](float v) { return -v; };
    else if (op == "Sqrt") f = [](float v) { return std::sqrt(v); };
    else if (op == "Reciprocal") f = [](float v) { return 1.0f / v; };
    else if (op == "Exp") f = [](float v) { return std::exp(v); };
    else if (op == "Log") f = [](float v) { return std::log(v); };
    else if (op == "Sin") f = [](float v) { return std::sin(v); };
    else if (op == "Cos") f = [](float v) { return std::cos(v); };
    else if (op == "Tanh") f = [](float v) { return std::tanh(v); };
    else if (op == "Erf") f = [](float v) { return std::erf(v); };
    else if (op == "Sigmoid") f = [](float v) { return 1.0f / (1.0f + std::exp(-v)); };
    else if (op == "Relu") f = [](float v) { return v > 0 ? v : 0.0f; };
    else if (op == "Floor") f = [](float v) { return std::floor(v); };
    else if (op == "Ceil") f = [](float v) { return std::ceil(v); };
    else if (op == "Round") f = [](float v) { return float(roundHalfEven(v)); };
    else if (op == "Sign") f = [](float v) { return float((v > 0) - (v < 0)); };
    else if (op == "Identity") f = [](float v) { return v; };
    else if (op == "IsNaN") f = [](float v) { return float(std::isnan(v)); };
    else if (op == "IsInf") {
      bool pos = g.intAttr("detect_positive", 1), neg = g.intAttr("detect_negative", 1);
      f = [=](float v) {
        return float(std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg)));
      };
    } else
      return false;
    for (int64_t i = 0; i < n; ++i) {
      if (isBoolOut)
        out.ints[i] = f(d[i]) != 0;
      else
        out.floats[i] = f(d[i]);
    }
  } else {
    Type t = x.elementType;
    bool isBool = t.isInteger(1);
    std::function<int64_t(int64_t)> f;
    if (op == "Not" && isBool) f = [](int64_t v) { return int64_t(!v); };
    else if (op == "BitwiseNot" && !isBool) f = [](int64_t v) { return ~v; };
    else if (op == "Abs" && !isBool) f = [](int64_t v) { return v < 0 ? -v : v; };
    else if (op == "Neg" && !isBool) f = [](int64_t v) { return -v; };
    else if (op == "Sign" && !isBool) f = [](int64_t v) { return int64_t((v > 0) - (v < 0)); };
    else if (op == "Relu" && !isBool) f = [](int64_t v) { return v > 0 ? v : 0; };
    else if (op == "Identity") f = [](int64_t v) { return v; };
    else if (op == "IsNaN" || op == "IsInf") f = [](int64_t) { return int64_t(0); };
    else
      return false;
    if (isUnsignedInt(t) && (op == "Abs" || op == "Sign"))
      f = op == "Abs" ? std::function<int64_t(int64_t)>([](int64_t v) { return v; })
                      : [](int64_t v) { return int64_t(v != 0); };
    for (int64_t i = 0; i < n; ++i)
      out.ints[i] = isBoolOut ? f(x.ints[i]) : wrap(f(x.ints[i]), t);
  }
  set(0, std::move(out));
  return true;
}

/// Applies `f(lhsIndex, rhsIndex, outIndex)` over numpy broadcasting of
/// `a` and `b` into `result`.
template <typename F>
void broadcastLoop(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                   ArrayRef<int64_t> result, F f) {
  int64_t n = product(result);
  bool sameA = Shape(a) == Shape(result), sameB = Shape(b) == Shape(result);
  bool scalarA = product(a) == 1, scalarB = product(b) == 1;
  for (int64_t i = 0; i < n; ++i) {
    int64_t ia = sameA ? i : scalarA ? 0 : broadcastIndex(i, result, a);
    int64_t ib = sameB ? i : scalarB ? 0 : broadcastIndex(i, result, b);
    f(ia, ib, i);
  }
}

std::optional<int64_t> intBinary(StringRef op, int64_t x, int64_t y, Type t,
                                 GraphBuilder &g, bool &divideByZero) {
  bool isUnsigned = isUnsignedInt(t);
  uint64_t ux = x, uy = y;
  if (op == "Add") return int64_t(ux + uy);
  if (op == "Sub") return int64_t(ux - uy);
  if (op == "Mul") return int64_t(ux * uy);
  if (op == "Div" || op == "Mod") {
    if (y == 0) {
      divideByZero = true;
      return 0;
    }
    if (op == "Div")
      return isUnsigned ? int64_t(ux / uy)
                        : (x == INT64_MIN && y == -1 ? x : x / y);
    if (isUnsigned)
      return int64_t(ux % uy);
    int64_t r = (x == INT64_MIN && y == -1) ? 0 : x % y;
    // fmod = 0: the remainder takes the divisor's sign (numpy, Python).
    if (!g.intAttr("fmod", 0) && r != 0 && ((r < 0) != (y < 0)))
      r += y;
    return r;
  }
  if (op == "Pow") {
    if (y < 0)
      return x == 1 ? 1 : x == -1 ? (y % 2 ? -1 : 1) : 0;
    uint64_t r = 1, base = ux;
    for (uint64_t e = uy; e; e >>= 1, base *= base)
      if (e & 1)
        r *= base;
    return int64_t(r);
  }
  if (op == "Max") return isUnsigned ? int64_t(std::max(ux, uy)) : std::max(x, y);
  if (op == "Min") return isUnsigned ? int64_t(std::min(ux, uy)) : std::min(x, y);
  if (op == "BitwiseAnd" || op == "And") return x & y;
  if (op == "BitwiseOr" || op == "Or") return x | y;
  if (op == "BitwiseXor" || op == "Xor") return x ^ y;
  if (op == "BitShift") {
    unsigned width = t.getIntOrFloatBitWidth();
    if (uy >= width)
      return 0;
    const onnx::AttributeProto *d = g.attribute("direction");
    bool left = d && d->s() == "LEFT";
    return left ? int64_t(ux << uy) : int64_t(ux >> uy);
  }
  return std::nullopt;
}

std::optional<bool> compare(StringRef op, double x, double y) {
  if (op == "Equal") return x == y;
  if (op == "Less") return x < y;
  if (op == "LessOrEqual") return x <= y;
  if (op == "Greater") return x > y;
  if (op == "GreaterOrEqual") return x >= y;
  return std::nullopt;
}

std::optional<bool> compareInts(StringRef op, int64_t x, int64_t y,
                                bool isUnsigned) {
  if (isUnsigned) {
    uint64_t ux = x, uy = y;
    if (op == "Less") return ux < uy;
    if (op == "LessOrEqual") return ux <= uy;
    if (op == "Greater") return ux > uy;
    if (op == "GreaterOrEqual") return ux >= uy;
  }
  if (op == "Equal") return x == y;
  if (op == "Less") return x < y;
  if (op == "LessOrEqual") return x <= y;
  if (op == "Greater") return x > y;
  if (op == "GreaterOrEqual") return x >= y;
  return std::nullopt;
}

std::optional<float> floatBinary(StringRef op, float x, float y,
                                 GraphBuilder &g) {
  if (op == "Add") return x + y;
  if (op == "Sub") return x - y;
  if (op == "Mul") return x * y;
  if (op == "Div") return x / y;
  if (op == "Pow") return std::pow(x, y);
  if (op == "Max") return std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
  if (op == "Min") return std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
  if (op == "Mod") {
    if (g.intAttr("fmod", 0))
      return std::fmod(x, y);
    float r = std::fmod(x, y);
    if (r != 0 && ((r < 0) != (y < 0)))
      r += y;
    return r;
  }
  return std::nullopt;
}

FailureOr<std::optional<ConstTensor>>
Evaluator::combine(StringRef op, const ConstTensor &a, const ConstTensor &b) {
  if (a.isFloat() != b.isFloat() ||
      (!a.isFloat() && a.elementType != b.elementType))
    return fail("operands have different element types");
  std::optional<Shape> shape = broadcastStatic(a.shape, b.shape);
  if (!shape)
    return fail("operand shapes cannot broadcast");
  if (!mayMake(product(*shape)))
    return std::optional<ConstTensor>();
  bool isCompare = compare(op, 0, 0).has_value();
  Type t = a.elementType;
  ConstTensor out =
      makeTensor(*shape, isCompare ? IntegerType::get(g.context, 1) : t);
  bool unsupported = false, divideByZero = false;
  if (a.isFloat()) {
    ArrayRef<float> da = a.floatData(), db = b.floatData();
    if (isCompare) {
      broadcastLoop(a.shape, b.shape, *shape, [&](int64_t i, int64_t j, int64_t k) {
        out.ints[k] = *compare(op, da[i], db[j]);
      });
    } else {
      if (!floatBinary(op, 1, 1, g))
        return std::optional<ConstTensor>();
      broadcastLoop(a.shape, b.shape, *shape, [&](int64_t i, int64_t j, int64_t k) {
        out.floats[k] = *floatBinary(op, da[i], db[j], g);
      });
    }
  } else {
    bool isUnsigned = isUnsignedInt(t);
    bool isBool = t.isInteger(1);
    bool logical = op == "And" || op == "Or" || op == "Xor";
    if (logical != isBool && !isCompare)
      return std::optional<ConstTensor>();
    if (op == "BitShift" && !isUnsigned)
      return fail("BitShift is defined for unsigned integers only");
    broadcastLoop(a.shape, b.shape, *shape, [&](int64_t i, int64_t j, int64_t k) {
      if (isCompare) {
        out.ints[k] = *compareInts(op, a.ints[i], b.ints[j], isUnsigned);
        return;
      }
      std::optional<int64_t> r = intBinary(op, a.ints[i], b.ints[j], t, g,
                                           divideByZero);
      if (!r)
        unsupported = true;
      else
        out.ints[k] = wrap(*r, t);
    });
    if (unsupported)
      return std::optional<ConstTensor>();
    if (divideByZero)
      return fail("integer division by zero");
  }
  return std::optional<ConstTensor>(std::move(out));
}

FailureOr<bool> Evaluator::binary(StringRef op) {
  FailureOr<std::optional<ConstTensor>> out = combine(op, *in[0], *in[1]);
  if (failed(out))
    return failure();
  if (!*out)
    return false;
  set(0, std::move(**out));
  return true;
}

/// Max, Min, Sum, Mean: a left fold of the binary op over the inputs.
FailureOr<bool> Evaluator::variadic(StringRef op) {
  if (in.empty())
    return fail("expects at least one input");
  ConstTensor acc = copyOf(*in[0]);
  StringRef step = op == "Sum" || op == "Mean" ? "Add" : op;
  for (size_t i = 1; i < in.size(); ++i) {
    if (!in[i])
      return fail("an input is missing");
    FailureOr<std::optional<ConstTensor>> out = combine(step, acc, *in[i]);
    if (failed(out))
      return failure();
    if (!*out)
      return false;
    acc = std::move(**out);
  }
  if (op == "Mean") {
    if (!acc.isFloat())
      return false;
    for (float &v : acc.floats)
      v /= float(in.size());
  }
  set(0, std::move(acc));
  return true;
}

FailureOr<bool> Evaluator::where() {
  if (in.size() != 3 || !in[0] || !in[1] || !in[2])
    return fail("expects three inputs");
  const ConstTensor &c = *in[0], &x = *in[1], &y = *in[2];
  if (!c.elementType.isInteger(1))
    return fail("the condition must be bool");
  if (x.isFloat() != y.isFloat())
    return fail("operands have different element types");
  std::optional<Shape> xy = broadcastStatic(x.shape, y.shape);
  std::optional<Shape> shape = xy ? broadcastStatic(c.shape, *xy) : xy;
  if (!shape)
    return fail("operand shapes cannot broadcast");
  if (!mayMake(product(*shape)))
    return false;
  ConstTensor out = makeTensor(*shape, x.elementType);
  for (int64_t i = 0, n = out.numElements(); i < n; ++i) {
    bool pick = c.ints[broadcastIndex(i, *shape, c.shape)];
    const ConstTensor &from = pick ? x : y;
    copyElement(from, broadcastIndex(i, *shape, from.shape), out, i);
  }
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::clip() {
  const ConstTensor &x = *in[0];
  double lo = -INFINITY, hi = INFINITY;
  bool hasLo = false, hasHi = false;
  if (g.opset < 11) {
    if (g.attribute("min")) lo = g.floatAttr("min", 0), hasLo = true;
    if (g.attribute("max")) hi = g.floatAttr("max", 0), hasHi = true;
  } else {
    for (unsigned i : {1u, 2u}) {
      const ConstTensor *b = input(i);
      if (!b)
        continue;
      if (b->numElements() != 1)
        return fail("bounds must be scalars");
      if (b->isFloat() != x.isFloat())
        return fail("bounds have a different element type");
      double v = b->isFloat() ? b->floatData()[0]
                              : intToDouble(b->ints[0], b->elementType);
      (i == 1 ? lo : hi) = v;
      (i == 1 ? hasLo : hasHi) = true;
    }
  }
  ConstTensor out = copyOf(x);
  if (x.isFloat()) {
    for (float &v : out.floats) {
      if (hasLo) v = std::isnan(v) ? v : std::max(v, float(lo));
      if (hasHi) v = std::isnan(v) ? v : std::min(v, float(hi));
    }
  } else {
    // Integer bounds are inputs (opset 11 and later, checked above).
    if (g.opset < 11)
      return false;
    bool isUnsigned = isUnsignedInt(x.elementType);
    auto less = [&](int64_t p, int64_t q) {
      return isUnsigned ? uint64_t(p) < uint64_t(q) : p < q;
    };
    const ConstTensor *bl = input(1), *bh = input(2);
    for (int64_t &v : out.ints) {
      if (bl && less(v, bl->ints[0]))
        v = bl->ints[0];
      if (bh && less(bh->ints[0], v))
        v = bh->ints[0];
    }
  }
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::cast(Type to) {
  const ConstTensor &x = *in[0];
  const onnx::AttributeProto *toAttr = g.attribute("to");
  int32_t dataType = toAttr ? toAttr->i() : 0;
  ConstTensor out = makeTensor(x.shape, to);
  int64_t n = x.numElements();
  if (x.isFloat()) {
    ArrayRef<float> d = x.floatData();
    for (int64_t i = 0; i < n; ++i) {
      float v = d[i];
      if (out.isFloat()) {
        out.floats[i] =
            dataType == onnx::TensorProto::FLOAT16
                ? roundTo(v, llvm::APFloat::IEEEhalf())
            : dataType == onnx::TensorProto::BFLOAT16
                ? roundTo(v, llvm::APFloat::BFloat())
                : v;
      } else if (to.isInteger(1)) {
        out.ints[i] = v != 0;
      } else {
        // Out of range is undefined in ONNX: saturate NaN to 0, others as
        // C++ conversion of the truncated value, wrapped.
        double t = std::trunc(double(v));
        int64_t iv = std::isnan(t) ? 0
                     : t >= 9.2233720368547758e18 ? INT64_MAX
                     : t <= -9.2233720368547758e18 ? INT64_MIN
                                                   : int64_t(t);
        out.ints[i] = wrap(iv, to);
      }
    }
  } else {
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = x.ints[i];
      if (out.isFloat()) {
        float f = float(intToDouble(v, x.elementType));
        out.floats[i] =
            dataType == onnx::TensorProto::FLOAT16
                ? roundTo(f, llvm::APFloat::IEEEhalf())
            : dataType == onnx::TensorProto::BFLOAT16
                ? roundTo(f, llvm::APFloat::BFloat())
                : f;
      } else {
        out.ints[i] = wrap(v, to);
      }
    }
  }
  set(0, std::move(out));
  return true;
}

//===- Data movement -------------------------------------------------------===//

FailureOr<bool> Evaluator::reshapeLike(StringRef op) {
  const ConstTensor &x = *in[0];
  Shape shape;
  int64_t rank = x.shape.size();
  if (op == "Identity") {
    shape = x.shape;
  } else if (op == "Reshape") {
    FailureOr<SmallVector<int64_t>> target = ints(1, "shape");
    if (failed(target))
      return failure();
    bool allowZero = g.intAttr("allowzero", 0);
    int64_t inferred = -1, known = 1;
    for (auto [i, d] : llvm::enumerate(*target)) {
      if (d == 0 && !allowZero) {
        if (int64_t(i) >= rank)
          return fail("shape copies dimension " + Twine(i) +
                      " of a rank-" + Twine(rank) + " input");
        d = x.shape[i];
      }
      if (d == -1) {
        if (inferred >= 0)
          return fail("shape has more than one -1");
        inferred = i;
        shape.push_back(1);
        continue;
      }
      if (d < 0)
        return fail("shape has a negative size " + Twine(d));
      shape.push_back(d);
      if (llvm::MulOverflow(known, d, known))
        return fail("the shape has more elements than int64 counts");
    }
    if (inferred >= 0) {
      if (known == 0 || x.numElements() % known)
        return fail("cannot infer the -1 size");
      shape[inferred] = x.numElements() / known;
    }
  } else if (op == "Flatten") {
    FailureOr<int64_t> a = g.intAttr("axis", 1) == rank
                               ? FailureOr<int64_t>(rank)
                               : axis(g.intAttr("axis", 1), rank);
    if (failed(a))
      return failure();
    shape = {product(ArrayRef<int64_t>(x.shape).take_front(*a)),
             product(ArrayRef<int64_t>(x.shape).drop_front(*a))};
  } else if (op == "Squeeze") {
    FailureOr<std::optional<Shape>> a = axes(1, 13);
    if (failed(a))
      return failure();
    SmallVector<bool> drop(rank, false);
    if (!*a) {
      for (int64_t i = 0; i < rank; ++i)
        drop[i] = x.shape[i] == 1;
    }
    for (int64_t v : a->value_or(Shape())) {
      FailureOr<int64_t> n = axis(v, rank);
      if (failed(n))
        return failure();
      if (x.shape[*n] != 1)
        return fail("cannot squeeze axis " + Twine(v) + " of size " +
                    Twine(x.shape[*n]));
      drop[*n] = true;
    }
    for (int64_t i = 0; i < rank; ++i)
      if (!drop[i])
        shape.push_back(x.shape[i]);
  } else if (op == "Unsqueeze") {
    FailureOr<std::optional<Shape>> a = axes(1, 13);
    if (failed(a))
      return failure();
    if (!*a)
      return fail("axes are missing");
    int64_t outRank = rank + (*a)->size();
    SmallVector<bool> inserted(outRank, false);
    for (int64_t v : **a) {
      FailureOr<int64_t> n = axis(v, outRank);
      if (failed(n))
        return failure();
      if (inserted[*n])
        return fail("axis " + Twine(v) + " is repeated");
      inserted[*n] = true;
    }
    for (int64_t i = 0, j = 0; i < outRank; ++i)
      shape.push_back(inserted[i] ? 1 : x.shape[j++]);
  } else {
    return false;
  }
  if (product(shape) != x.numElements())
    return fail("cannot reshape " + Twine(x.numElements()) +
                " elements to " + Twine(product(shape)));
  ConstTensor out;
  // The data is unchanged: share it (a view) rather than copy.
  out = x;
  out.shape = shape;
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::transpose() {
  const ConstTensor &x = *in[0];
  int64_t rank = x.shape.size();
  Shape perm;
  if (std::optional<SmallVector<int64_t>> p = g.intsAttr("perm"))
    perm = *p;
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  if (int64_t(perm.size()) != rank)
    return fail("perm has " + Twine(perm.size()) + " entries for rank " +
                Twine(rank));
  SmallVector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return fail("perm is not a permutation");
    seen[p] = true;
  }
  Shape shape, inStrides = stridesOf(x.shape);
  for (int64_t p : perm)
    shape.push_back(x.shape[p]);
  int64_t n = x.numElements();
  std::vector<int64_t> from(n);
  Shape index(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += index[d] * inStrides[perm[d]];
    from[i] = src;
    advance(index, shape);
  }
  set(0, take(x, shape, from));
  return true;
}

FailureOr<bool> Evaluator::concat() {
  if (in.empty())
    return fail("expects at least one input");
  int64_t rank = in[0]->shape.size();
  FailureOr<int64_t> a = axis(g.intAttr("axis", 0), rank);
  if (failed(a))
    return failure();
  Shape shape = in[0]->shape;
  shape[*a] = 0;
  for (const ConstTensor *t : in) {
    if (!t)
      return fail("an input is missing");
    if (int64_t(t->shape.size()) != rank || t->isFloat() != in[0]->isFloat())
      return fail("inputs differ in rank or element type");
    for (int64_t d = 0; d < rank; ++d)
      if (d != *a && t->shape[d] != in[0]->shape[d])
        return fail("inputs differ in size along axis " + Twine(d));
    shape[*a] += t->shape[*a];
  }
  if (!mayMake(product(shape)))
    return false;
  ConstTensor out = makeTensor(shape, in[0]->elementType);
  int64_t outer = product(ArrayRef<int64_t>(shape).take_front(*a));
  int64_t inner = product(ArrayRef<int64_t>(shape).drop_front(*a + 1));
  int64_t offset = 0;
  for (const ConstTensor *t : in) {
    int64_t along = t->shape[*a];
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < along * inner; ++j)
        copyElement(*t, o * along * inner + j, out,
                    (o * shape[*a] + offset) * inner + j);
    offset += along;
  }
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::split() {
  const ConstTensor &x = *in[0];
  int64_t rank = x.shape.size();
  FailureOr<int64_t> a = axis(g.intAttr("axis", 0), rank);
  if (failed(a))
    return failure();
  int64_t outputs = g.node->output_size();
  Shape sizes;
  if (g.opset >= 13 && input(1)) {
    FailureOr<SmallVector<int64_t>> s = ints(1, "split");
    if (failed(s))
      return failure();
    sizes = *s;
  } else if (std::optional<SmallVector<int64_t>> s = g.intsAttr("split")) {
    sizes = *s;
  } else {
    int64_t parts = g.intAttr("num_outputs", outputs);
    if (parts <= 0)
      return fail("num_outputs must be positive");
    int64_t chunk = llvm::divideCeil(x.shape[*a], parts);
    for (int64_t i = 0, left = x.shape[*a]; i < parts; ++i, left -= chunk)
      sizes.push_back(std::max<int64_t>(0, std::min(chunk, left)));
  }
  if (int64_t(sizes.size()) != outputs ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) !=
          x.shape[*a] ||
      llvm::any_of(sizes, [](int64_t s) { return s < 0; }))
    return fail("split sizes do not divide axis " + Twine(*a));
  int64_t outer = product(ArrayRef<int64_t>(x.shape).take_front(*a));
  int64_t inner = product(ArrayRef<int64_t>(x.shape).drop_front(*a + 1));
  int64_t offset = 0;
  for (auto [k, size] : llvm::enumerate(sizes)) {
    Shape shape = x.shape;
    shape[*a] = size;
    std::vector<int64_t> from;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < size * inner; ++j)
        from.push_back((o * x.shape[*a] + offset) * inner + j);
    set(k, take(x, shape, from));
    offset += size;
  }
  return true;
}

FailureOr<bool> Evaluator::slice() {
  const ConstTensor &x = *in[0];
  int64_t rank = x.shape.size();
  Shape starts, ends, axesList, steps;
  if (g.opset < 10) {
    starts = g.intsAttr("starts").value_or(Shape());
    ends = g.intsAttr("ends").value_or(Shape());
    axesList = g.intsAttr("axes").value_or(Shape());
  } else {
    FailureOr<SmallVector<int64_t>> s = ints(1, "starts"), e = ints(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (input(3)) {
      FailureOr<SmallVector<int64_t>> a = ints(3, "axes");
      if (failed(a))
        return failure();
      axesList = *a;
    }
    if (input(4)) {
      FailureOr<SmallVector<int64_t>> st = ints(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axesList.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axesList.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axesList.size() != starts.size() ||
      steps.size() != starts.size())
    return fail("starts, ends, axes and steps differ in length");
  Shape begin(rank, 0), step(rank, 1), shape = x.shape;
  for (size_t i = 0; i < starts.size(); ++i) {
    FailureOr<int64_t> a = axis(axesList[i], rank);
    if (failed(a))
      return failure();
    int64_t dim = x.shape[*a], st = steps[i];
    if (st == 0)
      return fail("a step is 0");
    // ONNX: negative positions count from the end; then starts clamp to
    // [0, dim] ([0, dim - 1] for a negative step), ends to [0, dim]
    // ([-1, dim - 1]).
    auto clampIndex = [&](int64_t v, bool isEnd) {
      if (v < 0)
        v = v < -dim ? -1 : v + dim;
      if (st > 0)
        return std::clamp<int64_t>(v, 0, dim);
      return std::clamp<int64_t>(v, isEnd ? -1 : 0, dim - 1);
    };
    int64_t b = clampIndex(starts[i], false), e = clampIndex(ends[i], true);
    // ceil(distance / |step|), in unsigned magnitudes (a step may be
    // INT64_MIN).
    int64_t distance = st > 0 ? e - b : b - e;
    uint64_t magnitude = st > 0 ? uint64_t(st) : 0 - uint64_t(st);
    int64_t count =
        distance <= 0 ? 0 : int64_t(1 + uint64_t(distance - 1) / magnitude);
    begin[*a] = b;
    step[*a] = st;
    shape[*a] = count;
  }
  Shape strides = stridesOf(x.shape);
  int64_t n = product(shape);
  std::vector<int64_t> from(n);
  Shape index(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += (begin[d] + index[d] * step[d]) * strides[d];
    from[i] = src;
    advance(index, shape);
  }
  set(0, take(x, shape, from));
  return true;
}

FailureOr<bool> Evaluator::expand() {
  const ConstTensor &x = *in[0];
  FailureOr<SmallVector<int64_t>> target = ints(1, "shape");
  if (failed(target))
    return failure();
  std::optional<Shape> shape = broadcastStatic(x.shape, *target);
  if (!shape)
    return fail("cannot expand the input to the shape");
  std::optional<int64_t> n = checkedProduct(*shape);
  if (!n)
    return fail("the expanded shape is too large");
  if (!mayMake(*n))
    return false;
  std::vector<int64_t> from(*n);
  for (int64_t i = 0; i < *n; ++i)
    from[i] = broadcastIndex(i, *shape, x.shape);
  set(0, take(x, *shape, from));
  return true;
}

FailureOr<bool> Evaluator::tile() {
  const ConstTensor &x = *in[0];
  FailureOr<SmallVector<int64_t>> repeats = ints(1, "repeats");
  if (failed(repeats))
    return failure();
  int64_t rank = x.shape.size();
  if (int64_t(repeats->size()) != rank)
    return fail("repeats has " + Twine(repeats->size()) +
                " entries for rank " + Twine(rank));
  Shape shape;
  for (int64_t d = 0; d < rank; ++d) {
    if ((*repeats)[d] < 0)
      return fail("a repeat is negative");
    shape.push_back(x.shape[d] * (*repeats)[d]);
  }
  std::optional<int64_t> n = checkedProduct(shape);
  if (!n)
    return fail("the tiled shape is too large");
  if (!mayMake(*n))
    return false;
  Shape strides = stridesOf(x.shape);
  std::vector<int64_t> from(*n);
  Shape index(rank, 0);
  for (int64_t i = 0; i < *n; ++i) {
    int64_t src = 0;
    for (int64_t d = 0; d < rank; ++d)
      src += (index[d] % x.shape[d]) * strides[d];
    from[i] = src;
    advance(index, shape);
  }
  set(0, take(x, shape, from));
  return true;
}

/// Index `i` into a dimension of size `dim` (negative from the end).
FailureOr<int64_t> indexInto(GraphBuilder &g, int64_t i, int64_t dim) {
  int64_t j = i < 0 ? i + dim : i;
  if (j < 0 || j >= dim)
    return g.fail("index " + Twine(i) + " is out of range for a dimension "
                  "of size " + Twine(dim));
  return j;
}

/// GatherElements' and ScatterElements' addressing: for each element of an
/// index tensor of shape `indexShape` (the data's rank), the flat offset in
/// data of shape `dataShape` that it names: its own coordinates, but along
/// `axis` the index it holds.
FailureOr<std::vector<int64_t>>
elementOffsets(GraphBuilder &g, ArrayRef<int64_t> dataShape,
               ArrayRef<int64_t> indexShape, ArrayRef<int64_t> indices,
               int64_t axis) {
  int64_t rank = dataShape.size();
  Shape strides = stridesOf(dataShape);
  std::vector<int64_t> offsets(indices.size());
  Shape index(rank, 0);
  for (size_t i = 0; i < indices.size(); ++i) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t c = index[d];
      if (d == axis) {
        FailureOr<int64_t> j = indexInto(g, indices[i], dataShape[d]);
        if (failed(j))
          return failure();
        c = *j;
      } else if (c >= dataShape[d]) {
        return g.fail("indices are larger than the data along axis " +
                      Twine(d));
      }
      offset += c * strides[d];
    }
    offsets[i] = offset;
    advance(index, indexShape);
  }
  return offsets;
}

FailureOr<bool> Evaluator::gather() {
  const ConstTensor &x = *in[0];
  FailureOr<SmallVector<int64_t>> indices = ints(1, "indices");
  if (failed(indices))
    return failure();
  const ConstTensor &idx = *in[1];
  int64_t rank = x.shape.size();
  FailureOr<int64_t> a = axis(g.intAttr("axis", 0), rank);
  if (failed(a))
    return failure();
  Shape shape(x.shape.begin(), x.shape.begin() + *a);
  shape.append(idx.shape.begin(), idx.shape.end());
  shape.append(x.shape.begin() + *a + 1, x.shape.end());
  if (!mayMake(product(shape)))
    return false;
  int64_t outer = product(ArrayRef<int64_t>(x.shape).take_front(*a));
  int64_t inner = product(ArrayRef<int64_t>(x.shape).drop_front(*a + 1));
  int64_t dim = x.shape[*a];
  std::vector<int64_t> from;
  from.reserve(product(shape));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : *indices) {
      FailureOr<int64_t> j = indexInto(g, i, dim);
      if (failed(j))
        return failure();
      for (int64_t k = 0; k < inner; ++k)
        from.push_back((o * dim + *j) * inner + k);
    }
  set(0, take(x, shape, from));
  return true;
}

FailureOr<bool> Evaluator::gatherElements() {
  const ConstTensor &x = *in[0];
  FailureOr<SmallVector<int64_t>> indices = ints(1, "indices");
  if (failed(indices))
    return failure();
  const ConstTensor &idx = *in[1];
  int64_t rank = x.shape.size();
  if (int64_t(idx.shape.size()) != rank)
    return fail("indices must have the data's rank");
  FailureOr<int64_t> a = axis(g.intAttr("axis", 0), rank);
  if (failed(a))
    return failure();
  FailureOr<std::vector<int64_t>> from =
      elementOffsets(g, x.shape, idx.shape, *indices, *a);
  if (failed(from))
    return failure();
  set(0, take(x, idx.shape, *from));
  return true;
}

FailureOr<bool> Evaluator::gatherND() {
  const ConstTensor &x = *in[0];
  FailureOr<SmallVector<int64_t>> indices = ints(1, "indices");
  if (failed(indices))
    return failure();
  const ConstTensor &idx = *in[1];
  int64_t b = g.intAttr("batch_dims", 0);
  int64_t rank = x.shape.size(), q = idx.shape.size();
  if (q < 1 || b < 0 || b >= std::min(rank, q))
    return fail("batch_dims is out of range");
  int64_t k = idx.shape.back();
  if (k < 1 || k > rank - b)
    return fail("the last dimension of indices is out of range");
  for (int64_t d = 0; d < b; ++d)
    if (idx.shape[d] != x.shape[d])
      return fail("batch dimensions differ");
  Shape shape(idx.shape.begin(), idx.shape.end() - 1);
  shape.append(x.shape.begin() + b + k, x.shape.end());
  int64_t batch = product(ArrayRef<int64_t>(x.shape).take_front(b));
  int64_t perBatch = product(ArrayRef<int64_t>(x.shape).drop_front(b));
  int64_t slice = product(ArrayRef<int64_t>(x.shape).drop_front(b + k));
  if (!mayMake(product(shape)))
    return false;
  if (product(shape) == 0 || batch == 0) {
    set(0, makeTensor(shape, x.elementType));
    return true;
  }
  int64_t tuples = idx.numElements() / k, tuplesPerBatch = tuples / batch;
  Shape strides = stridesOf(ArrayRef<int64_t>(x.shape).drop_front(b));
  std::vector<int64_t> from;
  from.reserve(tuples * slice);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t src = (t / tuplesPerBatch) * perBatch;
    for (int64_t j = 0; j < k; ++j) {
      FailureOr<int64_t> c =
          indexInto(g, (*indices)[t * k + j], x.shape[b + j]);
      if (failed(c))
        return failure();
      src += *c * strides[j];
    }
    for (int64_t s = 0; s < slice; ++s)
      from.push_back(src + s);
  }
  set(0, take(x, shape, from));
  return true;
}

/// Combines `update` into element `to` of `out` as `reduction` says.
LogicalResult scatterInto(GraphBuilder &g, ConstTensor &out, int64_t to,
                          const ConstTensor &updates, int64_t from,
                          StringRef reduction) {
  if (reduction == "none" || reduction.empty()) {
    copyElement(updates, from, out, to);
    return success();
  }
  if (out.isFloat()) {
    float u = updates.floatData()[from], &v = out.floats[to];
    if (reduction == "add") v += u;
    else if (reduction == "mul") v *= u;
    else if (reduction == "max") v = std::max(v, u);
    else if (reduction == "min") v = std::min(v, u);
    else return g.fail("unknown reduction '" + reduction + "'");
  } else {
    int64_t u = updates.ints[from], &v = out.ints[to];
    if (reduction == "add") v = wrap(int64_t(uint64_t(v) + uint64_t(u)), out.elementType);
    else if (reduction == "mul") v = wrap(int64_t(uint64_t(v) * uint64_t(u)), out.elementType);
    else if (reduction == "max") v = isUnsignedInt(out.elementType) ? int64_t(std::max<uint64_t>(v, u)) : std::max(v, u);
    else if (reduction == "min") v = isUnsignedInt(out.elementType) ? int64_t(std::min<uint64_t>(v, u)) : std::min(v, u);
    else return g.fail("unknown reduction '" + reduction + "'");
  }
  return success();
}

StringRef reductionAttr(GraphBuilder &g) {
  const onnx::AttributeProto *r = g.attribute("reduction");
  return r ? StringRef(r->s()) : StringRef("none");
}

FailureOr<bool> Evaluator::scatterND() {
  if (in.size() < 3 || !in[2])
    return fail("expects three inputs");
  const ConstTensor &x = *in[0], &updates = *in[2];
  FailureOr<SmallVector<int64_t>> indices = ints(1, "indices");
  if (failed(indices))
    return failure();
  const ConstTensor &idx = *in[1];
  if (updates.isFloat() != x.isFloat())
    return fail("updates have a different element type");
  int64_t rank = x.shape.size(), q = idx.shape.size();
  if (q < 1)
    return fail("indices must have rank 1 or more");
  int64_t k = idx.shape.back();
  if (k < 1 || k > rank)
    return fail("the last dimension of indices is out of range");
  Shape want(idx.shape.begin(), idx.shape.end() - 1);
  want.append(x.shape.begin() + k, x.shape.end());
  if (want != updates.shape)
    return fail("updates have the wrong shape");
  ConstTensor out = copyOf(x);
  Shape strides = stridesOf(x.shape);
  int64_t slice = product(ArrayRef<int64_t>(x.shape).drop_front(k));
  int64_t tuples = k ? idx.numElements() / k : 0;
  StringRef reduction = reductionAttr(g);
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t dst = 0;
    for (int64_t j = 0; j < k; ++j) {
      FailureOr<int64_t> c = indexInto(g, (*indices)[t * k + j], x.shape[j]);
      if (failed(c))
        return failure();
      dst += *c * strides[j];
    }
    for (int64_t s = 0; s < slice; ++s)
      if (failed(scatterInto(g, out, dst + s, updates, t * slice + s,
                             reduction)))
        return failure();
  }
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::scatterElements() {
  if (in.size() < 3 || !in[2])
    return fail("expects three inputs");
  const ConstTensor &x = *in[0], &updates = *in[2];
  FailureOr<SmallVector<int64_t>> indices = ints(1, "indices");
  if (failed(indices))
    return failure();
  const ConstTensor &idx = *in[1];
  int64_t rank = x.shape.size();
  if (idx.shape != updates.shape || int64_t(idx.shape.size()) != rank ||
      updates.isFloat() != x.isFloat())
    return fail("indices and updates must have one shape of the data's rank");
  FailureOr<int64_t> a = axis(g.intAttr("axis", 0), rank);
  if (failed(a))
    return failure();
  FailureOr<std::vector<int64_t>> to =
      elementOffsets(g, x.shape, idx.shape, *indices, *a);
  if (failed(to))
    return failure();
  ConstTensor out = copyOf(x);
  StringRef reduction = reductionAttr(g);
  for (size_t i = 0; i < to->size(); ++i)
    if (failed(scatterInto(g, out, (*to)[i], updates, i, reduction)))
      return failure();
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::shape(bool size) {
  const ConstTensor &x = *in[0];
  ConstTensor out;
  out.elementType = IntegerType::get(g.context, 64);
  if (size) {
    out.ints = {x.numElements()};
  } else {
    int64_t rank = x.shape.size();
    int64_t start = g.intAttr("start", 0), end = g.intAttr("end", rank);
    start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
    end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
    for (int64_t i = start; i < end; ++i)
      out.ints.push_back(x.shape[i]);
    out.shape = {int64_t(out.ints.size())};
  }
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::constantOfShape() {
  FailureOr<SmallVector<int64_t>> shape = ints(0, "shape");
  if (failed(shape))
    return failure();
  std::optional<int64_t> n = checkedProduct(*shape);
  if (!n)
    return fail("the shape is negative or too large");
  if (!mayMake(*n))
    return false;
  ConstTensor value;
  value.elementType = Float32Type::get(g.context);
  value.floats = {0.0f};
  if (const onnx::AttributeProto *attr = g.attribute("value")) {
    std::optional<ConstTensor> decoded =
        decodeTensor(g.context, attr->t(), g.modelDir, g.error);
    if (!decoded)
      return failure();
    if (decoded->numElements() != 1)
      return fail("value must hold one element");
    value = std::move(*decoded);
  }
  ConstTensor out = makeTensor(*shape, value.elementType);
  for (int64_t i = 0; i < *n; ++i)
    copyElement(value, 0, out, i);
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::range() {
  for (unsigned i = 0; i < 3; ++i)
    if (!input(i) || input(i)->numElements() != 1)
      return fail("start, limit and delta must be scalars");
  const ConstTensor &s = *in[0], &l = *in[1], &d = *in[2];
  if (s.elementType != l.elementType || s.elementType != d.elementType)
    return fail("start, limit and delta must have one element type");
  ConstTensor out;
  out.elementType = s.elementType;
  if (s.isFloat()) {
    float start = s.floatData()[0], limit = l.floatData()[0],
          delta = d.floatData()[0];
    if (delta == 0)
      return fail("delta is 0");
    double count = std::ceil((double(limit) - start) / delta);
    if (!std::isfinite(count))
      return fail("the number of elements is not finite");
    if (count > double(std::max(kMaxGrownElements, 4 * inputElements)))
      return false;
    int64_t n = std::max<int64_t>(0, int64_t(count));
    for (int64_t i = 0; i < n; ++i)
      out.floats.push_back(start + float(i) * delta);
  } else {
    int64_t start = s.ints[0], limit = l.ints[0], delta = d.ints[0];
    if (delta == 0)
      return fail("delta is 0");
    // ceil((limit - start) / delta) without overflow.
    __int128 distance = __int128(limit) - start;
    __int128 step = delta;
    if (step < 0) {
      distance = -distance;
      step = -step;
    }
    __int128 count = distance <= 0 ? 0 : (distance + step - 1) / step;
    if (count > std::max(kMaxGrownElements, 4 * inputElements))
      return false;
    for (int64_t i = 0; i < int64_t(count); ++i)
      out.ints.push_back(wrap(start + i * delta, s.elementType));
  }
  out.shape = {int64_t(s.isFloat() ? out.floats.size() : out.ints.size())};
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::reduce(StringRef op) {
  const ConstTensor &x = *in[0];
  int64_t rank = x.shape.size();
  // ReduceSum takes axes as an input from opset 13, the others from 18.
  FailureOr<std::optional<Shape>> a = axes(1, op == "ReduceSum" ? 13 : 18);
  if (failed(a))
    return failure();
  bool keep = g.intAttr("keepdims", 1);
  SmallVector<bool> reduced(rank, false);
  if (!*a || (*a)->empty()) {
    if (g.intAttr("noop_with_empty_axes", 0)) {
      set(0, copyOf(x));
      return true;
    }
    reduced.assign(rank, true);
  }
  for (int64_t v : a->value_or(Shape())) {
    FailureOr<int64_t> n = axis(v, rank);
    if (failed(n))
      return failure();
    reduced[*n] = true;
  }
  Shape shape, kept;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d] || keep)
      shape.push_back(reduced[d] ? 1 : x.shape[d]);
    kept.push_back(reduced[d] ? 1 : x.shape[d]);
  }
  if (!x.isFloat() && op == "ReduceMean")
    return false;
  if (!mayMake(product(shape)))
    return false;
  ConstTensor out = makeTensor(shape, x.elementType);
  int64_t n = x.numElements(), m = out.numElements();
  int64_t count = m ? n / m : 0;
  std::vector<double> acc(m, op == "ReduceMax"   ? -INFINITY
                             : op == "ReduceMin" ? INFINITY
                             : op == "ReduceProd" ? 1.0
                                                  : 0.0);
  std::vector<int64_t> iacc(m, op == "ReduceMax"   ? INT64_MIN
                               : op == "ReduceMin" ? INT64_MAX
                               : op == "ReduceProd" ? 1
                                                    : 0);
  if (op != "ReduceSum" && op != "ReduceMean" && op != "ReduceMax" &&
      op != "ReduceMin" && op != "ReduceProd")
    return false;
  for (int64_t i = 0; i < n; ++i) {
    int64_t o = broadcastIndex(i, x.shape, kept);
    if (x.isFloat()) {
      double v = x.floatData()[i];
      if (op == "ReduceMax") acc[o] = std::isnan(v) ? v : std::max(acc[o], v);
      else if (op == "ReduceMin") acc[o] = std::isnan(v) ? v : std::min(acc[o], v);
      else if (op == "ReduceProd") acc[o] *= v;
      else acc[o] += v;
    } else {
      int64_t v = x.ints[i];
      if (op == "ReduceMax") iacc[o] = std::max(iacc[o], v);
      else if (op == "ReduceMin") iacc[o] = std::min(iacc[o], v);
      else if (op == "ReduceProd") iacc[o] = int64_t(uint64_t(iacc[o]) * uint64_t(v));
      else iacc[o] = int64_t(uint64_t(iacc[o]) + uint64_t(v));
    }
  }
  for (int64_t o = 0; o < m; ++o) {
    if (x.isFloat())
      out.floats[o] = float(op == "ReduceMean" ? acc[o] / count : acc[o]);
    else
      out.ints[o] = wrap(iacc[o], x.elementType);
  }
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::cumSum() {
  const ConstTensor &x = *in[0];
  FailureOr<SmallVector<int64_t>> axisData = ints(1, "axis");
  if (failed(axisData))
    return failure();
  if (axisData->size() != 1)
    return fail("axis must be a scalar");
  int64_t rank = x.shape.size();
  FailureOr<int64_t> a = axis((*axisData)[0], rank);
  if (failed(a))
    return failure();
  bool exclusive = g.intAttr("exclusive", 0), reverse = g.intAttr("reverse", 0);
  ConstTensor out = makeTensor(x.shape, x.elementType);
  int64_t outer = product(ArrayRef<int64_t>(x.shape).take_front(*a));
  int64_t inner = product(ArrayRef<int64_t>(x.shape).drop_front(*a + 1));
  int64_t dim = x.shape[*a];
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t k = 0; k < inner; ++k) {
      double facc = 0;
      float f32acc = 0;
      int64_t iacc = 0;
      (void)facc;
      for (int64_t s = 0; s < dim; ++s) {
        int64_t j = reverse ? dim - 1 - s : s;
        int64_t at = (o * dim + j) * inner + k;
        if (x.isFloat()) {
          float v = x.floatData()[at];
          if (exclusive) { out.floats[at] = f32acc; f32acc += v; }
          else { f32acc += v; out.floats[at] = f32acc; }
        } else {
          int64_t v = x.ints[at];
          if (exclusive) { out.ints[at] = wrap(iacc, x.elementType); iacc += v; }
          else { iacc += v; out.ints[at] = wrap(iacc, x.elementType); }
        }
      }
    }
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::matMul() {
  if (!input(1))
    return fail("expects two inputs");
  const ConstTensor &a = *in[0], &b = *in[1];
  if (a.isFloat() != b.isFloat())
    return fail("operands have different element types");
  Shape as = a.shape, bs = b.shape;
  if (as.empty() || bs.empty())
    return fail("operands must have rank 1 or more");
  bool vecA = as.size() == 1, vecB = bs.size() == 1;
  if (vecA) as.insert(as.begin(), 1);
  if (vecB) bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  if (bs[bs.size() - 2] != k)
    return fail("contraction sizes differ: " + Twine(k) + " and " +
                Twine(bs[bs.size() - 2]));
  Shape batchA(as.begin(), as.end() - 2), batchB(bs.begin(), bs.end() - 2);
  std::optional<Shape> batch = broadcastStatic(batchA, batchB);
  if (!batch)
    return fail("batch dimensions cannot broadcast");
  int64_t batches = product(*batch);
  Shape shape = *batch;
  if (!vecA) shape.push_back(m);
  if (!vecB) shape.push_back(n);
  // Bounded output and work (multiply-adds); a larger product is left to
  // the compiled code.
  int64_t work = product({batches, m, n, k});
  if (!mayMake(product(shape)) || work > (int64_t(1) << 28))
    return false;
  ConstTensor out = makeTensor(shape, a.elementType);
  for (int64_t t = 0; t < batches; ++t) {
    int64_t ia = broadcastIndex(t, *batch, batchA) * m * k;
    int64_t ib = broadcastIndex(t, *batch, batchB) * k * n;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int64_t at = (t * m + i) * n + j;
        if (a.isFloat()) {
          float s = 0;
          for (int64_t l = 0; l < k; ++l)
            s += a.floatData()[ia + i * k + l] * b.floatData()[ib + l * n + j];
          out.floats[at] = s;
        } else {
          uint64_t s = 0;
          for (int64_t l = 0; l < k; ++l)
            s += uint64_t(a.ints[ia + i * k + l]) * uint64_t(b.ints[ib + l * n + j]);
          out.ints[at] = wrap(int64_t(s), a.elementType);
        }
      }
  }
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::trilu() {
  const ConstTensor &x = *in[0];
  if (x.shape.size() < 2)
    return fail("the input must have rank 2 or more");
  int64_t k = 0;
  if (input(1)) {
    FailureOr<SmallVector<int64_t>> kValue = ints(1, "k");
    if (failed(kValue))
      return failure();
    if (kValue->size() != 1)
      return fail("k (input 1) must hold one integer");
    k = (*kValue)[0];
  }
  bool upper = g.intAttr("upper", 1) != 0;
  int64_t rows = x.shape[x.shape.size() - 2], cols = x.shape.back();
  ConstTensor out = copyOf(x);
  for (int64_t i = 0, n = out.numElements(); i < n; ++i) {
    int64_t c = i % cols, r = (i / cols) % rows;
    if (upper ? c - r >= k : c - r <= k)
      continue;
    if (out.isFloat())
      out.floats[i] = 0;
    else
      out.ints[i] = 0;
  }
  set(0, std::move(out));
  return true;
}

FailureOr<bool> Evaluator::run() {
  const onnx::NodeProto &node = *g.node;
  StringRef op = node.op_type();
  // Every present input must be compile-time data.
  for (int i = 0; i < node.input_size(); ++i) {
    if (node.input(i).empty()) {
      in.push_back(nullptr);
      continue;
    }
    OnnxValue *v = g.input(i);
    if (!v || !v->constant)
      return false;
    in.push_back(v->constant.get());
    inputElements += v->constant->numElements();
  }
  while (!in.empty() && !in.back())
    in.pop_back();
  if (in.empty() && op != "ConstantOfShape")
    return false;
  if (op != "ConstantOfShape" && op != "Range" && !in[0])
    return fail("input 0 is missing");

  static const llvm::StringSet<> unaryOps = {
      "Abs", "Neg", "Sqrt", "Reciprocal", "Exp", "Log", "Sin", "Cos",
      "Tanh", "Erf", "Sigmoid", "Relu", "Floor", "Ceil", "Round", "Sign",
      "IsNaN", "IsInf", "Not", "BitwiseNot"};
  static const llvm::StringSet<> binaryOps = {
      "Add", "Sub", "Mul", "Div", "Pow", "Mod", "BitShift", "BitwiseAnd",
      "BitwiseOr", "BitwiseXor", "And", "Or", "Xor", "Equal", "Less",
      "LessOrEqual", "Greater", "GreaterOrEqual"};
  if (unaryOps.contains(op))
    return unary(op);
  if (binaryOps.contains(op)) {
    if (in.size() != 2 || !in[1])
      return fail("expects two inputs");
    return binary(op);
  }
  if (op == "Max" || op == "Min" || op == "Sum" || op == "Mean")
    return variadic(op);
  if (op == "Where") return where();
  if (op == "Clip") return clip();
  if (op == "Cast" || op == "CastLike") {
    Type to;
    if (op == "CastLike") {
      if (!input(1))
        return fail("target_type (input 1) is missing");
      to = input(1)->elementType;
    } else {
      const onnx::AttributeProto *toAttr = g.attribute("to");
      if (!toAttr)
        return fail("attribute 'to' is missing");
      to = convertElementType(g.context, toAttr->i());
      if (!to)
        return fail("cast to unsupported element type " +
                    onnx::TensorProto::DataType_Name(
                        static_cast<onnx::TensorProto::DataType>(
                            toAttr->i())));
    }
    return cast(to);
  }
  if (op == "Identity" || op == "Reshape" || op == "Flatten" ||
      op == "Squeeze" || op == "Unsqueeze")
    return reshapeLike(op);
  if (op == "Transpose") return transpose();
  if (op == "Concat") return concat();
  if (op == "Split") return split();
  if (op == "Slice") return slice();
  if (op == "Expand") return expand();
  if (op == "Tile") return tile();
  if (op == "Gather") return gather();
  if (op == "GatherElements") return gatherElements();
  if (op == "GatherND") return gatherND();
  if (op == "ScatterND") return scatterND();
  if (op == "ScatterElements" || op == "Scatter") return scatterElements();
  if (op == "Shape") return shape(false);
  if (op == "Size") return shape(true);
  if (op == "ConstantOfShape") return constantOfShape();
  if (op == "Range") return range();
  if (op == "ReduceSum" || op == "ReduceMean" || op == "ReduceMax" ||
      op == "ReduceMin" || op == "ReduceProd")
    return reduce(op);
  if (op == "CumSum") return cumSum();
  if (op == "MatMul") return matMul();
  if (op == "Trilu") return trilu();
  return false;
}

} // namespace

FailureOr<bool> mlir::trit::onnx_import::evaluateConstantNode(GraphBuilder &g) {
  return Evaluator(g).run();
}
