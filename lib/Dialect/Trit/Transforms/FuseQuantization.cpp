//===- FuseQuantization.cpp - trit-fuse-quantization ------------*- C++ -*-===//
//
// Replaces BitNet's quantize-dequantize graph around a MatMul, in the form of
// the graph contract (docs/graph-contract.md), by `trit.bitlinear` on a
// constant ternary weight.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/IR/TritOps.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Threading.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/bit.h"

#include <cmath>
#include <limits>
#include <vector>

namespace mlir::trit {
#define GEN_PASS_DEF_TRITFUSEQUANTIZATIONPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

//===----------------------------------------------------------------------===//
// Shared matchers
//===----------------------------------------------------------------------===//

/// The value the straight-through-estimator pair `x + (q - x)` stands for in
/// the forward pass (`q`), or null if `v` is not such a pair. The contract
/// defines the pair to mean `q`; its f32 evaluation may differ from `q` by an
/// ulp, which is exactly what the pair is there to hide.
Value getStraightThroughValue(Value v) {
  auto add = v.getDefiningOp<arith::AddFOp>();
  if (!add)
    return {};
  for (auto [x, diff] : {std::pair(add.getLhs(), add.getRhs()),
                         std::pair(add.getRhs(), add.getLhs())}) {
    auto sub = diff.getDefiningOp<arith::SubFOp>();
    if (sub && sub.getRhs() == x)
      return sub.getLhs();
  }
  return {};
}

bool isStaticF32Tensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && tensor.hasStaticShape() && tensor.getElementType().isF32() &&
         !tensor.getEncoding();
}

bool isF32ScalarOrStaticTensor(Type type) {
  return type.isF32() || isStaticF32Tensor(type);
}

/// The payload of a `linalg.reduce` whose combiner is one binary `arith` op on
/// its two block arguments (in either order), or null.
Operation *getReduceCombiner(linalg::ReduceOp reduce) {
  Block &body = reduce.getCombiner().front();
  if (body.getNumArguments() != 2 || !llvm::hasNItems(body, 2))
    return nullptr;
  Operation *payload = &body.front();
  auto yield = dyn_cast<linalg::YieldOp>(body.back());
  if (!yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != payload->getResult(0) ||
      payload->getNumOperands() != 2)
    return nullptr;
  Value lhs = payload->getOperand(0), rhs = payload->getOperand(1);
  Value in = body.getArgument(0), acc = body.getArgument(1);
  bool onArgs = (lhs == in && rhs == acc) || (lhs == acc && rhs == in);
  return onArgs ? payload : nullptr;
}

//===----------------------------------------------------------------------===//
// Constant evaluation
//===----------------------------------------------------------------------===//

/// A dense f32 array in row-major order (rank 0 for a scalar). Its elements
/// are `data`: its own `storage`, or a view of a constant's blob (which the
/// IR keeps alive). One element for a larger shape is a splat.
struct F32Array {
  SmallVector<int64_t> shape;
  std::vector<float> storage;
  ArrayRef<float> data;

  F32Array() = default;
  F32Array(F32Array &&) = default;
  F32Array &operator=(F32Array &&) = default;
  // A copy would view the other's storage: use `clone`.
  F32Array(const F32Array &) = delete;
  F32Array &operator=(const F32Array &) = delete;

  /// Zeroed elements of its own for `shape`.
  static F32Array allocate(ArrayRef<int64_t> shape) {
    F32Array array;
    array.shape.assign(shape.begin(), shape.end());
    array.storage.resize(ShapedType::getNumElements(shape));
    array.data = array.storage;
    return array;
  }
  static F32Array splat(ArrayRef<int64_t> shape, float value) {
    F32Array array;
    array.shape.assign(shape.begin(), shape.end());
    array.storage.assign(1, value);
    array.data = array.storage;
    return array;
  }
  static F32Array view(ArrayRef<int64_t> shape, ArrayRef<float> data) {
    F32Array array;
    array.shape.assign(shape.begin(), shape.end());
    array.data = data;
    return array;
  }

  bool isSplat() const { return data.size() == 1; }
  bool isOwned() const { return !storage.empty(); }
  float *mutableData() { return storage.data(); }

  /// The same elements under `newShape`: this array's buffer if `steal`
  /// (this was its last reader) or it is a view, a copy otherwise.
  F32Array reshaped(ArrayRef<int64_t> newShape, bool steal) {
    F32Array out;
    if (steal || !isOwned()) {
      out.storage = std::move(storage);
      out.data = data; // A moved vector keeps its buffer.
    } else {
      out.storage.assign(data.begin(), data.end());
      out.data = out.storage;
    }
    out.shape.assign(newShape.begin(), newShape.end());
    return out;
  }

  F32Array clone() const {
    F32Array out;
    out.shape = shape;
    if (isOwned()) {
      out.storage = storage;
      out.data = out.storage;
    } else {
      out.data = data;
    }
    return out;
  }

  /// Makes a splat explicit: afterwards `data` has one element per index.
  void materialize() {
    int64_t count = ShapedType::getNumElements(shape);
    if (static_cast<int64_t>(data.size()) == count)
      return;
    float value = data.front();
    storage.assign(count, value);
    data = storage;
  }
};

SmallVector<int64_t> getRowMajorStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

/// Calls `fn(linear, mapped, stride, size)` for each row (the last
/// dimension; the whole array for rank 0) of `shape` in row-major order: the
/// row's elements are at row-major positions `linear + j` and map to
/// `mapped + j * stride`, where `mapped` is `sum_d index[d] * strides[d]` of
/// its first element. A template, so that the row loop inlines.
template <typename Fn>
void forEachRow(ArrayRef<int64_t> shape, ArrayRef<int64_t> strides, Fn fn) {
  int64_t count = ShapedType::getNumElements(shape);
  if (count == 0)
    return;
  if (shape.empty()) {
    fn(0, 0, 0, 1);
    return;
  }
  int64_t rank = shape.size();
  int64_t size = shape.back(), stride = strides.back();
  SmallVector<int64_t> index(rank - 1, 0);
  int64_t mapped = 0;
  for (int64_t linear = 0; linear < count; linear += size) {
    fn(linear, mapped, stride, size);
    for (int64_t d = rank - 2; d >= 0; --d) {
      mapped += strides[d];
      if (++index[d] < shape[d])
        break;
      mapped -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
}

/// IEEE 754-2019 maximum, as `arith.maximumf`: NaN propagates, -0 < +0.
float maximumF32(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<float>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? b : a;
  return a > b ? a : b;
}

/// IEEE 754-2019 minimum, as `arith.minimumf`.
float minimumF32(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<float>::quiet_NaN();
  if (a == b)
    return std::signbit(a) ? a : b;
  return a < b ? a : b;
}

/// Values of at most this many elements that an evaluation computes are
/// remembered (`SmallValueCache`): scales, which the weight's chain and the
/// rescale after the product share.
constexpr int64_t kSmallValueElements = 64;
using SmallValueCache = DenseMap<Value, F32Array>;

/// Evaluates f32 values that depend only on constants, through the ops of
/// the graph contract, in f32 as the ops say: every elementwise op rounds
/// once, and an STE pair is its forward value. A `linalg.reduce` sum or
/// product leaves its order open; it is accumulated in f64 and rounded once,
/// i.e. (for any realistic size) correctly rounded, which is what the
/// source's own pairwise or blocked f32 reductions approach to a few ulp. A
/// sequential f32 sum would not: over a 1536 x 4096 weight it moves the
/// absmean scale by 0.3% and flips about 5000 ternary values.
///
/// Real-size weights go through it, so it does not copy what it can share:
/// constants are views of their blobs, splats (fills, broadcasts of a
/// scalar) stay one element, and an op that is the last reader of its
/// operand computes in that operand's buffer. Reading the IR only, it may
/// run on several values at once (one evaluator each).
class ConstantEvaluator {
public:
  /// `cache`, if given, supplies values computed before and receives the
  /// small ones this evaluator computes.
  explicit ConstantEvaluator(SmallValueCache *cache = nullptr) : cache(cache) {}

  /// The value of `root` (one element per index), or failure if it depends
  /// on anything but constants or on an op the evaluator does not know.
  FailureOr<F32Array> evaluate(Value root) {
    if (cache)
      if (auto it = cache->find(root); it != cache->end()) {
        F32Array result = it->second.clone();
        result.materialize();
        return result;
      }
    SmallVector<Operation *> order;
    DenseSet<Operation *> visited;
    if (failed(collect(root, order, visited)))
      return failure();

    // Free each intermediate array once its last reader has run, so that a
    // real-size weight does not keep one copy per op of its chain alive.
    DenseMap<Operation *, unsigned> readersLeft;
    for (Operation *op : order)
      for (Value v : getReadOperands(op))
        ++readersLeft[v.getDefiningOp()];
    DenseMap<Operation *, F32Array> values;
    for (Operation *op : order) {
      Value result = op->getResult(0);
      if (cache)
        if (auto it = cache->find(result); it != cache->end()) {
          values[op] = it->second.clone();
          continue;
        }
      SmallVector<Value> reads = getReadOperands(op);
      SmallVector<F32Array *> inputs;
      SmallVector<bool> lastRead;
      for (Value v : reads) {
        Operation *def = v.getDefiningOp();
        inputs.push_back(&values.find(def)->second);
        lastRead.push_back(readersLeft[def] == 1);
      }
      FailureOr<F32Array> value = evaluateOp(op, inputs, lastRead);
      if (failed(value))
        return failure();
      for (Value v : reads)
        if (--readersLeft[v.getDefiningOp()] == 0)
          values.erase(v.getDefiningOp());
      if (cache && value->data.size() <= kSmallValueElements &&
          ShapedType::getNumElements(value->shape) <= kSmallValueElements)
        (*cache)[result] = value->clone();
      values[op] = std::move(*value);
    }
    F32Array rootValue = std::move(values[root.getDefiningOp()]);
    rootValue.materialize();
    return rootValue;
  }

private:
  /// Post-order walk over the ops `v` depends on, checking that each is one
  /// the evaluator knows. A cached value is a leaf.
  LogicalResult collect(Value v, SmallVectorImpl<Operation *> &order,
                        DenseSet<Operation *> &visited) {
    Operation *op = v.getDefiningOp();
    if (!op || op->getNumResults() != 1 ||
        !isF32ScalarOrStaticTensor(v.getType()))
      return failure();
    if (visited.contains(op))
      return success();
    visited.insert(op);
    if (!cache || !cache->contains(v)) {
      if (!isSupported(op))
        return failure();
      for (Value read : getReadOperands(op))
        if (failed(collect(read, order, visited)))
          return failure();
    }
    order.push_back(op);
    return success();
  }

  static bool isSupported(Operation *op) {
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      Attribute value = constant.getValue();
      return isa<FloatAttr, DenseFPElementsAttr, DenseF32ResourceElementsAttr>(
          value);
    }
    if (isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
            arith::MaximumFOp, arith::MinimumFOp, arith::NegFOp, math::AbsFOp,
            math::RoundEvenOp, tensor::ExpandShapeOp, tensor::CollapseShapeOp,
            linalg::TransposeOp, linalg::BroadcastOp>(op))
      return true;
    if (auto fill = dyn_cast<linalg::FillOp>(op))
      return fill.getInputs().size() == 1 && fill.getOutputs().size() == 1;
    if (auto reduce = dyn_cast<linalg::ReduceOp>(op))
      return reduce.getInputs().size() == 1 && reduce.getInits().size() == 1 &&
             isa_and_present<arith::AddFOp, arith::MulFOp, arith::MaximumFOp,
                             arith::MinimumFOp>(getReduceCombiner(reduce));
    return false;
  }

  /// The operands whose values `op` reads. Destination operands that are
  /// only overwritten (`tensor.empty` under a fill, broadcast or transpose)
  /// are not read, and an STE pair reads only its forward value.
  static SmallVector<Value> getReadOperands(Operation *op) {
    if (auto add = dyn_cast<arith::AddFOp>(op))
      if (Value forward = getStraightThroughValue(add.getResult()))
        return {forward};
    if (auto fill = dyn_cast<linalg::FillOp>(op))
      return {fill.getInputs()[0]};
    if (auto broadcast = dyn_cast<linalg::BroadcastOp>(op))
      return {broadcast.getInput()};
    if (auto transpose = dyn_cast<linalg::TransposeOp>(op))
      return {transpose.getInput()};
    if (auto reduce = dyn_cast<linalg::ReduceOp>(op))
      return {reduce.getInputs()[0], reduce.getInits()[0]};
    return SmallVector<Value>(op->getOperands());
  }

  /// `op` on `in`; `lastRead[i]` says that `op` is the last reader of
  /// `in[i]`, whose buffer it may then take (if it reads it only once).
  static FailureOr<F32Array> evaluateOp(Operation *op, ArrayRef<F32Array *> in,
                                        ArrayRef<bool> lastRead) {
    SmallVector<int64_t> shape;
    if (auto tensor = dyn_cast<RankedTensorType>(op->getResult(0).getType()))
      shape.assign(tensor.getShape().begin(), tensor.getShape().end());
    int64_t count = ShapedType::getNumElements(shape);
    auto canTake = [&](unsigned i) {
      return lastRead[i] && in[i]->isOwned() && !in[i]->isSplat() &&
             llvm::count(in, in[i]) == 1;
    };

    if (auto constant = dyn_cast<arith::ConstantOp>(op))
      return evaluateConstant(constant, shape);

    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op) ||
        (isa<arith::AddFOp>(op) && in.size() == 1))
      return in[0]->reshaped(shape, canTake(0)); // New shape / STE value.

    auto unary = [&](auto fn) {
      const F32Array &a = *in[0];
      if (a.isSplat())
        return F32Array::splat(shape, fn(a.data[0]));
      const float *src = a.data.data();
      F32Array out = canTake(0) ? in[0]->reshaped(shape, /*steal=*/true)
                                : F32Array::allocate(shape);
      float *dst = out.mutableData();
      for (int64_t i = 0; i < count; ++i)
        dst[i] = fn(src[i]);
      return out;
    };
    auto binary = [&](auto fn) {
      const F32Array &a = *in[0], &b = *in[1];
      if (a.isSplat() && b.isSplat())
        return F32Array::splat(shape, fn(a.data[0], b.data[0]));
      const float *lhs = a.data.data(), *rhs = b.data.data();
      F32Array out =
          !a.isSplat() && canTake(0)   ? in[0]->reshaped(shape, /*steal=*/true)
          : !b.isSplat() && canTake(1) ? in[1]->reshaped(shape, /*steal=*/true)
                                       : F32Array::allocate(shape);
      float *dst = out.mutableData();
      if (a.isSplat()) {
        float x = lhs[0];
        for (int64_t i = 0; i < count; ++i)
          dst[i] = fn(x, rhs[i]);
      } else if (b.isSplat()) {
        float y = rhs[0];
        for (int64_t i = 0; i < count; ++i)
          dst[i] = fn(lhs[i], y);
      } else {
        for (int64_t i = 0; i < count; ++i)
          dst[i] = fn(lhs[i], rhs[i]);
      }
      return out;
    };
    // Each operation is its own statement so that no two of them can be
    // contracted into one fused multiply-add.
    if (isa<arith::AddFOp>(op))
      return binary([](float a, float b) { return a + b; });
    if (isa<arith::SubFOp>(op))
      return binary([](float a, float b) { return a - b; });
    if (isa<arith::MulFOp>(op))
      return binary([](float a, float b) { return a * b; });
    if (isa<arith::DivFOp>(op))
      return binary([](float a, float b) { return a / b; });
    // (Lambdas, not function pointers, so that the loops inline them.)
    if (isa<arith::MaximumFOp>(op))
      return binary([](float a, float b) { return maximumF32(a, b); });
    if (isa<arith::MinimumFOp>(op))
      return binary([](float a, float b) { return minimumF32(a, b); });
    if (isa<arith::NegFOp>(op))
      return unary([](float a) { return -a; });
    if (isa<math::AbsFOp>(op))
      return unary([](float a) { return std::fabs(a); });
    if (isa<math::RoundEvenOp>(op))
      // The default rounding mode, round to nearest with ties to even.
      return unary([](float a) { return std::nearbyint(a); });

    if (isa<linalg::FillOp>(op))
      return F32Array::splat(shape, in[0]->data[0]);
    if (auto transpose = dyn_cast<linalg::TransposeOp>(op)) {
      if (in[0]->isSplat())
        return F32Array::splat(shape, in[0]->data[0]);
      SmallVector<int64_t> inStrides = getRowMajorStrides(in[0]->shape);
      SmallVector<int64_t> strides;
      for (int64_t d : transpose.getPermutation())
        strides.push_back(inStrides[d]);
      return gather(shape, *in[0], strides);
    }
    if (auto broadcast = dyn_cast<linalg::BroadcastOp>(op)) {
      if (in[0]->isSplat())
        return F32Array::splat(shape, in[0]->data[0]);
      SmallVector<int64_t> inStrides = getRowMajorStrides(in[0]->shape);
      ArrayRef<int64_t> added = broadcast.getDimensions();
      SmallVector<int64_t> strides;
      unsigned next = 0;
      for (int64_t d = 0, e = shape.size(); d < e; ++d)
        strides.push_back(llvm::is_contained(added, d) ? 0
                                                        : inStrides[next++]);
      return gather(shape, *in[0], strides);
    }
    if (auto reduce = dyn_cast<linalg::ReduceOp>(op)) {
      in[0]->materialize();
      // Output position of every input element: reduced dims do not move it.
      SmallVector<int64_t> outStrides = getRowMajorStrides(shape);
      ArrayRef<int64_t> reduced = reduce.getDimensions();
      SmallVector<int64_t> strides;
      unsigned next = 0;
      for (int64_t d = 0, e = in[0]->shape.size(); d < e; ++d)
        strides.push_back(llvm::is_contained(reduced, d) ? 0
                                                         : outStrides[next++]);
      const float *src = in[0]->data.data();
      F32Array init = in[1]->clone();
      init.materialize();
      Operation *combiner = getReduceCombiner(reduce);
      // In the input's row-major order, as `acc = fn(element, acc)`.
      auto accumulate = [&](auto fn, auto zero) {
        using Acc = decltype(zero);
        std::vector<Acc> acc(init.data.begin(), init.data.end());
        forEachRow(in[0]->shape, strides,
                   [&](int64_t i, int64_t o, int64_t stride, int64_t size) {
                     if (stride == 0) {
                       Acc sum = acc[o];
                       for (int64_t j = 0; j < size; ++j)
                         sum = fn(static_cast<Acc>(src[i + j]), sum);
                       acc[o] = sum;
                       return;
                     }
                     for (int64_t j = 0; j < size; ++j)
                       acc[o + j * stride] = fn(static_cast<Acc>(src[i + j]),
                                                acc[o + j * stride]);
                   });
        F32Array out = F32Array::allocate(shape);
        for (auto [to, from] : llvm::zip_equal(out.storage, acc))
          to = static_cast<float>(from);
        return out;
      };
      if (isa<arith::AddFOp>(combiner))
        return accumulate([](double a, double b) { return a + b; }, 0.0);
      if (isa<arith::MulFOp>(combiner))
        return accumulate([](double a, double b) { return a * b; }, 0.0);
      // Exact in any order.
      if (isa<arith::MaximumFOp>(combiner))
        return accumulate([](float a, float b) { return maximumF32(a, b); },
                          0.0f);
      return accumulate([](float a, float b) { return minimumF32(a, b); },
                        0.0f);
    }
    return failure();
  }

  static FailureOr<F32Array> evaluateConstant(arith::ConstantOp constant,
                                              ArrayRef<int64_t> shape) {
    int64_t count = ShapedType::getNumElements(shape);
    Attribute value = constant.getValue();
    if (auto scalar = dyn_cast<FloatAttr>(value))
      return F32Array::splat(shape, scalar.getValue().convertToFloat());
    if (auto dense = dyn_cast<DenseFPElementsAttr>(value)) {
      if (dense.isSplat())
        return F32Array::splat(shape, dense.getSplatValue<float>());
      F32Array out = F32Array::allocate(shape);
      llvm::copy(dense.getValues<float>(), out.storage.begin());
      return out;
    }
    auto resource = cast<DenseF32ResourceElementsAttr>(value);
    std::optional<ArrayRef<float>> data = resource.tryGetAsArrayRef();
    if (!data || static_cast<int64_t>(data->size()) != count)
      return failure(); // An elided or missing blob is not a known constant.
    return F32Array::view(shape, *data);
  }

  /// The array of `shape` whose element at each index is
  /// `in.data[sum_d index[d] * strides[d]]`.
  static F32Array gather(ArrayRef<int64_t> shape, const F32Array &in,
                         ArrayRef<int64_t> strides) {
    F32Array out = F32Array::allocate(shape);
    const float *src = in.data.data();
    float *dst = out.mutableData();
    forEachRow(shape, strides,
               [&](int64_t o, int64_t i, int64_t stride, int64_t size) {
                 for (int64_t j = 0; j < size; ++j)
                   dst[o + j] = src[i + j * stride];
               });
    return out;
  }

  SmallValueCache *cache;
};

/// The single value every element of `v` has, if `v` is a constant splat.
/// Looks through the ways the contract spells a scalar (`linalg.fill`,
/// `linalg.broadcast` of a 0-d tensor, reshapes), which also works for
/// dynamic shapes; other static constants are evaluated (with `cache`, if
/// given).
std::optional<float> getSplatValue(Value v, SmallValueCache *cache = nullptr) {
  while (Operation *op = v.getDefiningOp()) {
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      if (auto scalar = dyn_cast<FloatAttr>(constant.getValue());
          scalar && scalar.getType().isF32())
        return scalar.getValue().convertToFloat();
      auto dense = dyn_cast<DenseFPElementsAttr>(constant.getValue());
      if (dense && dense.isSplat() && dense.getElementType().isF32())
        return dense.getSplatValue<float>();
      break;
    }
    if (auto fill = dyn_cast<linalg::FillOp>(op)) {
      if (fill.getInputs().size() != 1)
        return std::nullopt;
      v = fill.getInputs()[0];
    } else if (auto broadcast = dyn_cast<linalg::BroadcastOp>(op)) {
      v = broadcast.getInput();
    } else if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op)) {
      v = op->getOperand(0);
    } else {
      break;
    }
  }
  FailureOr<F32Array> array = ConstantEvaluator(cache).evaluate(v);
  if (failed(array) || array->data.empty())
    return std::nullopt;
  float first = array->data.front();
  for (float x : array->data)
    if (!(x == first))
      return std::nullopt;
  return first;
}

bool isSplatOf(Value v, float expected) {
  std::optional<float> splat = getSplatValue(v);
  return splat && *splat == expected;
}

//===----------------------------------------------------------------------===//
// The activation chain
//===----------------------------------------------------------------------===//

/// `v` with any `tensor.expand_shape` / `tensor.collapse_shape` that only
/// adds or drops one trailing unit dimension looked through (the keepdims
/// shape `[..., 1]` of a per-token value and its collapsed form `[...]`).
Value skipTrailingUnitReshapes(Value v) {
  while (Operation *op = v.getDefiningOp()) {
    if (!isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op))
      break;
    auto src = cast<RankedTensorType>(op->getOperand(0).getType());
    auto dst = cast<RankedTensorType>(op->getResult(0).getType());
    RankedTensorType big = src.getRank() > dst.getRank() ? src : dst;
    RankedTensorType small = big == src ? dst : src;
    if (big.getRank() != small.getRank() + 1 || big.getShape().back() != 1 ||
        big.getShape().drop_back() != small.getShape())
      break;
    v = op->getOperand(0);
  }
  return v;
}

/// The per-token value broadcast along the last dimension by `v` (a
/// `linalg.broadcast` with `dimensions = [rank - 1]`), unit reshapes looked
/// through, or null.
Value getRowBroadcastSource(Value v) {
  auto broadcast = v.getDefiningOp<linalg::BroadcastOp>();
  if (!broadcast)
    return {};
  auto type = cast<RankedTensorType>(broadcast.getInit().getType());
  ArrayRef<int64_t> added = broadcast.getDimensions();
  if (added.size() != 1 || added[0] != type.getRank() - 1)
    return {};
  return skipTrailingUnitReshapes(broadcast.getInput());
}

/// The operands of the commutative binary op `op` as (the result of an
/// `OpTy`, the other operand), trying both orders, or failure.
template <typename OpTy>
FailureOr<std::pair<OpTy, Value>>
splitOperands(Operation *op, function_ref<bool(Value)> other) {
  for (unsigned i = 0; i < 2; ++i) {
    auto def = op->getOperand(i).getDefiningOp<OpTy>();
    if (def && other(op->getOperand(1 - i)))
      return std::pair(def, op->getOperand(1 - i));
  }
  return failure();
}

/// Matches the per-token absmax int8 quantize-dequantize chain of the
/// contract and returns the float activation `x` it quantizes, or null:
///
///   s = 127 / clip(max(|x|, axis = -1, keepdims), min = 1e-5)
///       (or 127 * (1 / clip(...)), the exporter's Reciprocal + Mul)
///   q = clip(roundeven(x * s), -128, 127) / s
Value matchActivationChain(Value q) {
  // q = c / s
  auto dequant = q.getDefiningOp<arith::DivFOp>();
  if (!dequant)
    return {};
  Value scale = getRowBroadcastSource(dequant.getRhs());
  if (!scale)
    return {};

  // c = min(max(r, -128), 127)
  auto clampHigh = dequant.getLhs().getDefiningOp<arith::MinimumFOp>();
  if (!clampHigh)
    return {};
  auto high = splitOperands<arith::MaximumFOp>(
      clampHigh, [](Value v) { return isSplatOf(v, 127.0f); });
  if (failed(high))
    return {};
  auto low = splitOperands<math::RoundEvenOp>(
      high->first, [](Value v) { return isSplatOf(v, -128.0f); });
  if (failed(low))
    return {};

  // r = roundeven(x * s), with the same s as the dequantization.
  auto mul = low->first.getOperand().getDefiningOp<arith::MulFOp>();
  if (!mul)
    return {};
  Value x;
  for (unsigned i = 0; i < 2 && !x; ++i)
    if (getRowBroadcastSource(mul->getOperand(1 - i)) == scale)
      x = mul->getOperand(i);
  if (!x)
    return {};

  // s = 127 / max(m, 1e-5), or as PyTorch's exporter writes it,
  // s = (1 / max(m, 1e-5)) * 127 (ONNX Reciprocal then Mul). The two can
  // differ by an ulp; trit.bitlinear computes the first.
  Value clipped;
  if (auto div = scale.getDefiningOp<arith::DivFOp>()) {
    if (isSplatOf(div.getLhs(), 127.0f))
      clipped = div.getRhs();
  } else if (auto times = scale.getDefiningOp<arith::MulFOp>()) {
    for (unsigned i = 0; i < 2 && !clipped; ++i) {
      if (!isSplatOf(times->getOperand(1 - i), 127.0f))
        continue;
      auto inverse = times->getOperand(i).getDefiningOp<arith::DivFOp>();
      if (inverse && isSplatOf(inverse.getLhs(), 1.0f))
        clipped = inverse.getRhs();
    }
  }
  if (!clipped)
    return {};
  auto floor = skipTrailingUnitReshapes(clipped)
                   .getDefiningOp<arith::MaximumFOp>();
  if (!floor)
    return {};
  Value absMax;
  for (unsigned i = 0; i < 2 && !absMax; ++i)
    if (isSplatOf(floor->getOperand(1 - i), 1e-5f))
      absMax = skipTrailingUnitReshapes(floor->getOperand(i));
  if (!absMax)
    return {};

  // m = max(|x|) over the last axis, from an initial value that cannot win.
  auto reduce = absMax.getDefiningOp<linalg::ReduceOp>();
  if (!reduce || reduce.getInputs().size() != 1 ||
      !isa_and_present<arith::MaximumFOp>(getReduceCombiner(reduce)))
    return {};
  auto xType = cast<RankedTensorType>(x.getType());
  ArrayRef<int64_t> reduced = reduce.getDimensions();
  if (reduced.size() != 1 || reduced[0] != xType.getRank() - 1)
    return {};
  std::optional<float> init = getSplatValue(reduce.getInits()[0]);
  if (!init || !(*init <= 0.0f))
    return {};
  auto abs = reduce.getInputs()[0].getDefiningOp<math::AbsFOp>();
  if (!abs || abs.getOperand() != x)
    return {};
  return x;
}

//===----------------------------------------------------------------------===//
// Canonicalizing the dequantization: matmul(q, W) / (s * c)
//===----------------------------------------------------------------------===//

/// The row-broadcast per-token scale `s` that `clamped` (the rounded and
/// clipped `clip(roundeven(x * sb), -128, 127)` of the activation chain,
/// before its division) was scaled with: the operand `sb` of the `x * sb`
/// whose row-broadcast source is `scale`, or null. The rest of the chain is
/// checked by matchActivationChain once the division is in place.
Value findScaleBroadcast(Value clamped, Value scale) {
  auto high = clamped.getDefiningOp<arith::MinimumFOp>();
  if (!high)
    return {};
  for (Value highOperand : high->getOperands()) {
    auto low = highOperand.getDefiningOp<arith::MaximumFOp>();
    if (!low)
      continue;
    for (Value lowOperand : low->getOperands()) {
      auto round = lowOperand.getDefiningOp<math::RoundEvenOp>();
      auto mul =
          round ? round.getOperand().getDefiningOp<arith::MulFOp>() : nullptr;
      if (!mul)
        continue;
      for (Value factor : mul->getOperands())
        if (getRowBroadcastSource(factor) == scale)
          return factor;
    }
  }
  return {};
}

/// A divisor of a matmul result that is a per-token scale times a constant:
/// `s` (the per-token value, shape `[..., 1]` or `[...]`) and the splat `c`
/// (nullopt when the divisor is `s` alone).
struct ScaledDivisor {
  Value scale;
  std::optional<float> constant;
};

/// Matches `divisor` as one of
///
///   broadcast(s * c) / broadcast(c * s)   (the product per token, then
///                                          broadcast along the last axis)
///   broadcast(s) * c / c * broadcast(s)   (the product at full shape)
///   broadcast(s)                          (no constant factor)
///
/// where `broadcast` is the contract's row broadcast (reshapes of the
/// trailing unit dimension looked through) and `c` a splat constant of any
/// shape (a 0-d or `[1]` value broadcast by the importer included). The
/// per-token `s` is not checked here: the caller compares it with the
/// quantization's.
std::optional<ScaledDivisor> matchScaledDivisor(Value divisor) {
  // (other, c) for a product with exactly one splat constant factor.
  auto splitProduct = [](Value v) -> std::optional<std::pair<Value, float>> {
    auto mul = v.getDefiningOp<arith::MulFOp>();
    if (!mul)
      return std::nullopt;
    for (unsigned i = 0; i < 2; ++i)
      if (std::optional<float> c = getSplatValue(mul->getOperand(1 - i)))
        return std::pair(mul->getOperand(i), *c);
    return std::nullopt;
  };
  auto valid = [](float c) { return std::isfinite(c) && c != 0.0f; };
  if (Value perToken = getRowBroadcastSource(divisor)) {
    if (auto product = splitProduct(perToken)) {
      if (!valid(product->second))
        return std::nullopt;
      return ScaledDivisor{skipTrailingUnitReshapes(product->first),
                           product->second};
    }
    return ScaledDivisor{perToken, std::nullopt};
  }
  if (auto product = splitProduct(divisor)) {
    Value scale = getRowBroadcastSource(product->first);
    if (!scale || !valid(product->second))
      return std::nullopt;
    return ScaledDivisor{scale, product->second};
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// The weight
//===----------------------------------------------------------------------===//

/// A weight folded to ternary values: the `[N, K]` constant and the magnitude
/// `a` of its nonzero elements in the graph.
struct TernaryWeight {
  Value constant;
  float magnitude;
};

/// How far (relative) a nonzero |element| of a weight may be from the
/// magnitude and still count as it: 2^-16. An exporter that folds the
/// straight-through pair `w + (q - w)` of a small weight into a constant
/// (the dynamo exporter's optimizer does, up to 8192 elements) leaves each
/// element within 1/2 ulp(|q - w|) + 1/2 ulp(q) of `q`: an ulp or two for
/// most, up to 2^-16 relative for an outlier |w| of 256 times the absmean.
constexpr float kTernaryTolerance = 1.0f / 65536.0f;

/// The magnitude `a > 0` such that every element of `values` is -a, 0 or
/// +a, or nullopt. An all-zero weight has magnitude 1. Nonzero elements
/// within kTernaryTolerance (relative) of the largest |element| count as
/// +-a, `a` being the most frequent of their magnitudes (the smaller one on
/// a tie): the value the rounding noise of a folded STE pair is around.
std::optional<float> getTernaryMagnitude(ArrayRef<float> values) {
  // Two branch-free passes (they vectorize; weights are large): the largest
  // |v| (a NaN never wins the compare), then every |v| is 0 or close to that
  // (a NaN is neither).
  float largest = 0.0f;
  for (float v : values) {
    float m = std::fabs(v);
    largest = m > largest ? m : largest;
  }
  if (!std::isfinite(largest))
    return std::nullopt;
  if (largest == 0.0f)
    return 1.0f;
  float lowest = largest - largest * kTernaryTolerance;
  bool ternary = true, exact = true;
  for (float v : values) {
    float m = std::fabs(v);
    ternary &= (m == 0.0f) | (m >= lowest);
    exact &= (m == 0.0f) | (m == largest);
  }
  if (!ternary)
    return std::nullopt;
  if (exact)
    return largest;
  // Positive floats order as their bit patterns: count each magnitude by
  // its distance in ulps below the largest (at most ~2^8 of them).
  auto bits = [](float f) { return llvm::bit_cast<uint32_t>(f); };
  std::vector<int64_t> counts(bits(largest) - bits(lowest) + 1, 0);
  for (float v : values)
    if (v != 0.0f)
      ++counts[bits(largest) - bits(std::fabs(v))];
  size_t mode = 0;
  for (size_t i = 1; i < counts.size(); ++i)
    if (counts[i] >= counts[mode])
      mode = i;
  return llvm::bit_cast<float>(bits(largest) - static_cast<uint32_t>(mode));
}

/// A weight evaluated to ternary values: the signs `[N, K]` (i8 -1/0/+1, in
/// the blob of the constant to be) and the magnitude of its nonzero
/// elements.
struct EvaluatedWeight {
  int64_t n, k;
  AsmResourceBlob signs;
  float magnitude;
};

/// The constant `[K, N]` weight `rhs` evaluated to ternary values, or
/// nullopt if it is not a compile-time constant with at most the three
/// values {-a, 0, +a}. Reads the IR only (see ConstantEvaluator).
std::optional<EvaluatedWeight> evaluateTernaryWeight(Value rhs,
                                                     SmallValueCache *cache) {
  // The graph transposes the source's [N, K] (trit's layout too) to [K, N]:
  // evaluate the [N, K] value instead of transposing twice.
  Value source = rhs;
  bool transposed = true;
  if (auto transpose = rhs.getDefiningOp<linalg::TransposeOp>();
      transpose && transpose.getPermutation() == ArrayRef<int64_t>{1, 0}) {
    source = transpose.getInput();
    transposed = false;
  }
  FailureOr<F32Array> array = ConstantEvaluator(cache).evaluate(source);
  if (failed(array) || array->shape.size() != 2)
    return std::nullopt;
  std::optional<float> magnitude = getTernaryMagnitude(array->data);
  if (!magnitude)
    return std::nullopt;

  int64_t rows = array->shape[0], cols = array->shape[1];
  EvaluatedWeight weight{
      transposed ? cols : rows, transposed ? rows : cols,
      HeapAsmResourceBlob::allocate(rows * cols, alignof(int8_t)), *magnitude};
  auto *signs =
      reinterpret_cast<int8_t *>(weight.signs.getMutableData().data());
  auto sign = [](float w) -> int8_t {
    return static_cast<int8_t>((w > 0.0f) - (w < 0.0f));
  };
  const float *data = array->data.data();
  if (transposed) {
    for (int64_t row = 0; row < weight.n; ++row)
      for (int64_t col = 0; col < weight.k; ++col)
        signs[row * weight.k + col] = sign(data[col * weight.n + row]);
  } else {
    for (int64_t i = 0, e = rows * cols; i < e; ++i)
      signs[i] = sign(data[i]);
  }
  return weight;
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct TritFuseQuantizationPass
    : public trit::impl::TritFuseQuantizationPassBase<
          TritFuseQuantizationPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) { matmuls.push_back(op); });
    // Bring `matmul(q, W) / (s * c)` to the form matched below first; a
    // rewrite whose matmul then does not fuse is undone.
    DenseMap<Operation *, ScaleRewrite> rewrites;
    for (linalg::MatmulOp matmul : matmuls)
      if (std::optional<ScaleRewrite> rewrite =
              canonicalizeScaledDivision(matmul))
        rewrites.try_emplace(matmul, std::move(*rewrite));
    Evaluations runEvaluations;
    evaluations = &runEvaluations;
    evaluateWeights(matmuls);
    SmallVector<Operation *> replaced;
    for (linalg::MatmulOp matmul : matmuls) {
      Operation *op = fuse(matmul);
      if (op)
        replaced.push_back(op);
      auto rewrite = rewrites.find(matmul);
      if (rewrite == rewrites.end())
        continue;
      if (!op) {
        undo(rewrite->second);
        continue;
      }
      // What the rewrite left unused: the old divisor and activation operand.
      for (Value old : {rewrite->second.divisor, rewrite->second.oldInput})
        if (Operation *def = old.getDefiningOp())
          replaced.push_back(def);
    }
    replaced.append(deadRescales.begin(), deadRescales.end());
    eraseDeadChains(replaced);
    evaluations = nullptr;
  }

private:
  /// What a matmul's activation operand is made of.
  struct MatchedInput {
    /// The float activation that the operand quantizes.
    Value x;
    /// The quantized value (the operand, or what the collapse reads).
    Value quantized;
    /// The collapse of a rank > 2 activation to [M, K], or null.
    tensor::CollapseShapeOp collapse;
  };

  /// The activation side of `matmul` if it is a BitLinear's (a quantized
  /// activation times a static f32 weight into zeros), else nullopt.
  static std::optional<MatchedInput> matchInput(linalg::MatmulOp matmul) {
    if (matmul.hasUserDefinedMaps() || matmul.getInputs().size() != 2 ||
        matmul.getOutputs().size() != 1 || matmul->getNumResults() != 1)
      return std::nullopt;
    Value lhs = matmul.getInputs()[0];
    Value rhs = matmul.getInputs()[1];
    Value result = matmul->getResult(0);
    auto lhsType = dyn_cast<RankedTensorType>(lhs.getType());
    auto resultType = dyn_cast<RankedTensorType>(result.getType());
    if (!lhsType || !resultType || !lhsType.getElementType().isF32() ||
        !resultType.getElementType().isF32() ||
        !isStaticF32Tensor(rhs.getType()))
      return std::nullopt;
    if (!isSplatOf(matmul.getOutputs()[0], 0.0f))
      return std::nullopt;

    // A rank > 2 activation reaches the matmul collapsed to [M, K].
    MatchedInput input;
    input.quantized = lhs;
    input.collapse = lhs.getDefiningOp<tensor::CollapseShapeOp>();
    if (input.collapse && !isLeadingDimsCollapse(input.collapse))
      input.collapse = nullptr;
    if (input.collapse)
      input.quantized = input.collapse.getSrc();
    if (Value forward = getStraightThroughValue(input.quantized))
      input.quantized = forward;
    input.x = matchActivationChain(input.quantized);
    if (!input.x)
      return std::nullopt;
    return input;
  }

  /// Evaluates the weights of the matmuls that have a BitLinear's
  /// activation, on the context's threads (one weight each at a time): the
  /// weight chains are pure computations on constants, as large as the
  /// model, and only reading the IR.
  void evaluateWeights(ArrayRef<linalg::MatmulOp> matmuls) {
    llvm::SetVector<Value> weights;
    for (linalg::MatmulOp matmul : matmuls)
      if (matchInput(matmul))
        weights.insert(matmul.getInputs()[1]);
    SmallVector<std::optional<EvaluatedWeight>> results(weights.size());
    SmallVector<SmallValueCache> caches(weights.size());
    parallelFor(&getContext(), 0, weights.size(), [&](size_t i) {
      results[i] = evaluateTernaryWeight(weights[i], &caches[i]);
    });
    for (auto [weight, result, cache] :
         llvm::zip_equal(weights, results, caches)) {
      evaluations->weights.try_emplace(weight, std::move(result));
      for (auto &entry : cache)
        evaluations->smallValues.try_emplace(entry.first,
                                             std::move(entry.second));
    }
  }

  /// Replaces `matmul` and its quantization by `trit.bitlinear` and returns
  /// the last replaced op, or returns null and leaves the IR untouched.
  Operation *fuse(linalg::MatmulOp matmul) {
    std::optional<MatchedInput> input = matchInput(matmul);
    if (!input)
      return nullptr;
    Value rhs = matmul.getInputs()[1];
    Value result = matmul->getResult(0);
    Value x = input->x, quantized = input->quantized;
    tensor::CollapseShapeOp collapse = input->collapse;

    std::optional<TernaryWeight> weight = getTernaryWeight(rhs);
    if (!weight)
      return nullptr;

    // What the bitlinear replaces: the matmul, or the expand_shape back to
    // the activation's rank, then possibly a rescale by a constant.
    Value bitlinearInput = x;
    Value tail = result;
    if (collapse) {
      auto expand = result.hasOneUse()
                        ? dyn_cast<tensor::ExpandShapeOp>(*result.user_begin())
                        : nullptr;
      // The clipped value the division reads has x's shape too (a
      // canonicalized dequantization's expand reads its sizes off it).
      Value clamped = quantized.getDefiningOp<arith::DivFOp>().getLhs();
      if (expand && isInverseExpand(expand, collapse,
                                    {x, quantized, collapse.getSrc(), clamped}))
        tail = expand.getResult();
      else
        bitlinearInput = nullptr; // Collapse x itself below.
    }
    float scale = weight->magnitude;
    // A rescale by a splat may come after reshapes of the product (the
    // expand back to [batch, seq, N] when its sizes are not read off x):
    // it commutes with them.
    Value reshaped = tail;
    while (reshaped.hasOneUse() &&
           isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(
               *reshaped.user_begin()))
      reshaped = reshaped.user_begin()->getResult(0);
    Operation *rescale = nullptr;
    if (reshaped.hasOneUse()) {
      Operation *user = *reshaped.user_begin();
      std::optional<float> rescaled;
      if (auto mul = dyn_cast<arith::MulFOp>(user)) {
        if (mul.getLhs() != mul.getRhs()) {
          Value factor =
              mul.getLhs() == reshaped ? mul.getRhs() : mul.getLhs();
          if (std::optional<float> c =
                  getSplatValue(factor, &evaluations->smallValues))
            rescaled = scale * *c;
        }
      } else if (auto div = dyn_cast<arith::DivFOp>(user)) {
        if (div.getLhs() == reshaped && div.getRhs() != reshaped)
          if (std::optional<float> c =
                  getSplatValue(div.getRhs(), &evaluations->smallValues))
            rescaled = scale / *c;
      }
      if (rescaled && std::isfinite(*rescaled) && *rescaled != 0.0f) {
        scale = *rescaled;
        if (reshaped == tail)
          tail = user->getResult(0);
        else
          rescale = user;
      }
    }

    Operation *last = tail.getDefiningOp();
    OpBuilder builder(last);
    Location loc = matmul.getLoc();
    Value ternary = weight->constant;
    if (scale < 0.0f) {
      // Keep the scale positive, as the absmean scale is: negate the values.
      ternary = getNegatedWeight(ternary);
      scale = -scale;
    }
    if (!bitlinearInput)
      bitlinearInput = tensor::CollapseShapeOp::create(
          builder, loc, x, collapse.getReassociationIndices());
    Value scaleConstant = arith::ConstantOp::create(
        builder, loc, builder.getF32FloatAttr(scale));
    Value bitlinear = BitLinearOp::create(builder, loc, tail.getType(),
                                          bitlinearInput, ternary,
                                          scaleConstant);
    tail.replaceAllUsesWith(bitlinear);
    if (rescale) {
      // The reshapes now carry the rescaled bitlinear: skip the rescale.
      rescale->getResult(0).replaceAllUsesWith(reshaped);
      deadRescales.push_back(rescale);
    }
    return last;
  }

  /// A `matmul(xq, W) / (s * c)` rewritten to `matmul(q, W) / c` with
  /// `q = xq / s`, and what undoing it needs.
  struct ScaleRewrite {
    linalg::MatmulOp matmul;
    /// The matmul's activation operand before the rewrite.
    Value oldInput;
    /// What the division divided: the matmul result, or its expand_shape.
    Value product;
    /// The old divisor `s * c`, and the old division's location and flags.
    Value divisor;
    Location loc;
    arith::FastMathFlagsAttr fastmath;
    /// The division by `c` (by 1 without a constant factor, which fuse
    /// folds exactly).
    Operation *newDivision;
    /// Ops created for the rewrite, in creation order.
    SmallVector<Operation *> created;
  };

  /// Canonicalizes the dequantization `y = matmul(xq, W) / (s * c)` (the
  /// division by both scales after the product, transformers' BitLinear) to
  /// the contract's `matmul(xq / s, W) / c`, so that the activation-chain
  /// matcher sees `xq / s`. Applies when `xq` is the rounded and clipped
  /// `x * s` of the activation chain with the very same per-token `s` as
  /// the divisor (so the divisor is per token), `c` is a splat constant
  /// (either operand order), and the product reaches the division directly
  /// or through the expand back to a rank > 2 activation.
  ///
  /// Numerically the graph divides by `s * c` rounded to f32, the result by
  /// `s` and `c` separately (the fused scale `a / c` rounded once): the same
  /// up to float rounding, a few ulp relative, as for every fused rescale.
  /// The division by `c` is kept a division (never `* (1 / c)` at run time).
  std::optional<ScaleRewrite>
  canonicalizeScaledDivision(linalg::MatmulOp matmul) {
    if (matmul.hasUserDefinedMaps() || matmul.getInputs().size() != 2 ||
        matmul.getOutputs().size() != 1 || matmul->getNumResults() != 1)
      return std::nullopt;
    Value lhs = matmul.getInputs()[0];
    Value clamped = lhs;
    auto collapse = lhs.getDefiningOp<tensor::CollapseShapeOp>();
    if (collapse && isLeadingDimsCollapse(collapse))
      clamped = collapse.getSrc();
    else
      collapse = nullptr;

    Value product = matmul->getResult(0);
    if (collapse) {
      auto expand = product.hasOneUse()
                        ? dyn_cast<tensor::ExpandShapeOp>(*product.user_begin())
                        : nullptr;
      if (!expand || expand.getReassociationIndices() !=
                         collapse.getReassociationIndices())
        return std::nullopt;
      product = expand.getResult();
    }
    if (!product.hasOneUse())
      return std::nullopt;
    auto division = dyn_cast<arith::DivFOp>(*product.user_begin());
    if (!division || division.getLhs() != product ||
        division.getRhs() == product)
      return std::nullopt;
    std::optional<ScaledDivisor> divisor =
        matchScaledDivisor(division.getRhs());
    if (!divisor)
      return std::nullopt;
    Value broadcastScale = findScaleBroadcast(clamped, divisor->scale);
    if (!broadcastScale)
      return std::nullopt;

    ScaleRewrite rewrite{matmul,
                         lhs,
                         product,
                         division.getRhs(),
                         division.getLoc(),
                         division.getFastmathAttr(),
                         nullptr,
                         {}};
    OpBuilder builder(matmul);
    Location loc = matmul.getLoc();
    auto quantized =
        arith::DivFOp::create(builder, loc, clamped, broadcastScale);
    rewrite.created.push_back(quantized);
    Value input = quantized;
    if (collapse) {
      input = tensor::CollapseShapeOp::create(
          builder, loc, quantized, collapse.getReassociationIndices());
      rewrite.created.push_back(input.getDefiningOp());
    }
    // The whole chain, checked by the matcher that fuse uses.
    if (!matchActivationChain(quantized) || input.getType() != lhs.getType()) {
      for (Operation *op : llvm::reverse(rewrite.created))
        op->erase();
      return std::nullopt;
    }
    matmul->setOperand(0, input);

    builder.setInsertionPoint(division);
    // Without a constant factor the division becomes one by 1, which is
    // exact and which fuse folds like any rescale.
    float factor = divisor->constant.value_or(1.0f);
    auto type = cast<RankedTensorType>(division.getType());
    Value constant;
    if (type.hasStaticShape()) {
      constant = arith::ConstantOp::create(
          builder, loc, DenseElementsAttr::get(type, factor));
      rewrite.created.push_back(constant.getDefiningOp());
    } else {
      // Sizes of the old divisor, not of the product: the product must keep
      // the division as its only use for fuse's rescale.
      SmallVector<Value> sizes;
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (type.isDynamicDim(d)) {
          sizes.push_back(
              tensor::DimOp::create(builder, loc, division.getRhs(), d));
          rewrite.created.push_back(sizes.back().getDefiningOp());
        }
      Value empty = tensor::EmptyOp::create(builder, loc, type.getShape(),
                                            type.getElementType(), sizes);
      Value scalar = arith::ConstantOp::create(builder, loc,
                                               builder.getF32FloatAttr(factor));
      constant =
          linalg::FillOp::create(builder, loc, scalar, empty).getResult(0);
      rewrite.created.append({empty.getDefiningOp(), scalar.getDefiningOp(),
                              constant.getDefiningOp()});
    }
    auto newDivision = arith::DivFOp::create(
        builder, division.getLoc(), product, constant, division.getFastmath());
    division.getResult().replaceAllUsesWith(newDivision.getResult());
    rewrite.newDivision = newDivision;
    rewrite.created.push_back(newDivision);
    division.erase();
    return rewrite;
  }

  /// Restores the division by `s * c` that `rewrite` replaced.
  static void undo(ScaleRewrite &rewrite) {
    OpBuilder builder(rewrite.newDivision);
    auto division = arith::DivFOp::create(builder, rewrite.loc, rewrite.product,
                                          rewrite.divisor, rewrite.fastmath);
    rewrite.newDivision->getResult(0).replaceAllUsesWith(division.getResult());
    rewrite.matmul->setOperand(0, rewrite.oldInput);
    for (Operation *op : llvm::reverse(rewrite.created))
      op->erase();
  }

  /// Whether `collapse` folds all leading dims of a rank > 2 tensor into
  /// one and keeps the last: `[[0, ..., r - 2], [r - 1]]`.
  static bool isLeadingDimsCollapse(tensor::CollapseShapeOp collapse) {
    int64_t rank = collapse.getSrcType().getRank();
    SmallVector<ReassociationIndices> groups =
        collapse.getReassociationIndices();
    return rank > 2 && groups.size() == 2 &&
           groups[1] == ReassociationIndices{rank - 1};
  }

  /// Whether `expand` restores exactly the leading dims that `collapse`
  /// folded. A dynamic size must be read off one of `sameShape` by
  /// `tensor.dim`; anything else might split the rows differently.
  static bool isInverseExpand(tensor::ExpandShapeOp expand,
                              tensor::CollapseShapeOp collapse,
                              ArrayRef<Value> sameShape) {
    if (expand.getReassociationIndices() != collapse.getReassociationIndices())
      return false;
    ArrayRef<int64_t> source = collapse.getSrcType().getShape();
    ArrayRef<int64_t> target = expand.getResultType().getShape();
    SmallVector<OpFoldResult> sizes = expand.getMixedOutputShape();
    for (int64_t d = 0, e = source.size() - 1; d < e; ++d) {
      if (source[d] != target[d])
        return false;
      if (!ShapedType::isDynamic(source[d]))
        continue;
      auto dim = dyn_cast_if_present<Value>(sizes[d]);
      auto dimOp = dim ? dim.getDefiningOp<tensor::DimOp>() : nullptr;
      if (!dimOp || dimOp.getConstantIndex() != d ||
          !llvm::is_contained(sameShape, dimOp.getSource()))
        return false;
    }
    return true;
  }

  /// The ternary `[N, K]` constant for the constant `[K, N]` weight `rhs`
  /// (evaluated once per value), or nullopt if `rhs` is not a compile-time
  /// constant with at most the three values {-a, 0, +a}.
  std::optional<TernaryWeight> getTernaryWeight(Value rhs) {
    auto it = ternaryWeights.find(rhs);
    if (it != ternaryWeights.end())
      return it->second;
    std::optional<EvaluatedWeight> evaluated;
    if (auto pending = evaluations->weights.find(rhs);
        pending != evaluations->weights.end()) {
      evaluated = std::move(pending->second);
      evaluations->weights.erase(pending);
    } else {
      evaluated = evaluateTernaryWeight(rhs, &evaluations->smallValues);
    }
    std::optional<TernaryWeight> &entry = ternaryWeights[rhs];
    if (!evaluated)
      return entry;
    OpBuilder builder(rhs.getDefiningOp());
    builder.setInsertionPointAfter(rhs.getDefiningOp());
    entry = TernaryWeight{createTernaryConstant(builder, rhs.getLoc(),
                                                evaluated->n, evaluated->k,
                                                std::move(evaluated->signs)),
                          evaluated->magnitude};
    return entry;
  }

  /// The weight constant `weight` with every value negated, next to it.
  Value getNegatedWeight(Value weight) {
    Value &negated = negatedWeights[weight];
    if (negated)
      return negated;
    auto constant = weight.getDefiningOp<arith::ConstantOp>();
    auto type = cast<RankedTensorType>(weight.getType());
    ArrayRef<int8_t> data =
        *cast<DenseI8ResourceElementsAttr>(constant.getValue())
             .tryGetAsArrayRef();
    SmallVector<int8_t> values;
    for (int8_t v : data)
      values.push_back(-v);
    OpBuilder builder(constant);
    builder.setInsertionPointAfter(constant);
    negated = createTernaryConstant(
        builder, constant.getLoc(), type.getDimSize(0), type.getDimSize(1),
        HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef(values)));
    return negated;
  }

  Value createTernaryConstant(OpBuilder &builder, Location loc, int64_t n,
                              int64_t k, AsmResourceBlob values) {
    MLIRContext *context = builder.getContext();
    auto type = RankedTensorType::get({n, k}, IntegerType::get(context, 8),
                                      TernaryEncodingAttr::get(context));
    std::string name = "trit_ternary_" + std::to_string(blobCounter++);
    auto attr = DenseI8ResourceElementsAttr::get(type, name, std::move(values));
    return arith::ConstantOp::create(builder, loc, cast<TypedAttr>(attr));
  }

  /// Erases what the replaced ops leave dead: the matmuls and the chains
  /// that fed them, as far as nothing else uses them. Ops outside the
  /// matched graphs are never visited. Ternary constants created for a
  /// weight that never fused (its activation did not match later on) go too.
  void eraseDeadChains(ArrayRef<Operation *> replaced) {
    llvm::SetVector<Operation *> worklist(replaced.begin(), replaced.end());
    for (auto &entry : ternaryWeights)
      if (entry.second)
        worklist.insert(entry.second->constant.getDefiningOp());
    for (auto &entry : negatedWeights)
      worklist.insert(entry.second.getDefiningOp());
    while (!worklist.empty()) {
      Operation *op = worklist.pop_back_val();
      if (!isOpTriviallyDead(op))
        continue;
      for (Value operand : op->getOperands())
        if (Operation *def = operand.getDefiningOp())
          worklist.insert(def);
      op->erase();
    }
  }

  DenseMap<Value, std::optional<TernaryWeight>> ternaryWeights;
  /// What one run knows about constants it evaluated (not copyable, as
  /// passes are: it lives in runOnOperation).
  struct Evaluations {
    /// Weights evaluated ahead (evaluateWeights), not yet made constants.
    DenseMap<Value, std::optional<EvaluatedWeight>> weights;
    /// Small values (scales) that weight evaluations computed, for the
    /// rescales after the products.
    SmallValueCache smallValues;
  };
  Evaluations *evaluations = nullptr;
  /// Rescales folded into a bitlinear across reshapes, left to erase.
  SmallVector<Operation *> deadRescales;
  DenseMap<Value, Value> negatedWeights;
  unsigned blobCounter = 0;
};

} // namespace
