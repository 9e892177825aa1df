//===- ModelBuilder.cpp - BitNet models from a description ------*- C++ -*-===//
//
// Emits the BitNet b1.58 transformer (python_frontend/trit/models/bitnet.py,
// transformers' BitNetForCausalLM) in the graph contract, with a KV cache.
// Shapes: batch B and sequence T come from the token ids, the cached length
// P from the first cache tensor; every other size is static.
//
//===----------------------------------------------------------------------===//

#include "trit/Importer/Model/ModelBuilder.h"
#include "trit/Dialect/Trit/IR/TritDialect.h"
#include "trit/Dialect/Trit/IR/TritOps.h"
#include "trit/Numerics/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::trit;

WeightSource::~WeightSource() = default;

FloatTensor FloatTensor::owned(ArrayRef<int64_t> shape,
                               std::vector<float> values) {
  FloatTensor t;
  t.shape.assign(shape.begin(), shape.end());
  t.storage = std::move(values);
  t.data = t.storage;
  return t;
}

std::string ModelDescription::validate() const {
  auto positive = [](int64_t v) { return v > 0 && v < (int64_t(1) << 31); };
  if (!positive(vocabSize) || !positive(hiddenSize) ||
      !positive(intermediateSize) || !positive(numLayers) ||
      !positive(numHeads) || !positive(numKvHeads) || !positive(headDim) ||
      !positive(maxPositions))
    return llvm::formatv("sizes out of range (vocab {0}, hidden {1}, "
                         "intermediate {2}, layers {3}, heads {4}, kv heads "
                         "{5}, head dim {6}, positions {7})",
                         vocabSize, hiddenSize, intermediateSize, numLayers,
                         numHeads, numKvHeads, headDim, maxPositions)
        .str();
  if (numHeads % numKvHeads)
    return llvm::formatv("{0} attention heads are not a multiple of {1} "
                         "key/value heads",
                         numHeads, numKvHeads)
        .str();
  if (headDim % 2)
    return llvm::formatv("head dimension {0} is odd (rotary embedding "
                         "rotates pairs)",
                         headDim)
        .str();
  if (!(ropeTheta > 0) || !std::isfinite(ropeTheta))
    return llvm::formatv("rope theta {0} is not a positive number", ropeTheta)
        .str();
  if (!(rmsNormEps >= 0) || !std::isfinite(rmsNormEps))
    return llvm::formatv("RMSNorm epsilon {0} is not a non-negative number",
                         rmsNormEps)
        .str();
  return "";
}

TernaryTensor mlir::trit::ternarize(ArrayRef<float> weight, int64_t rows,
                                    int64_t cols) {
  TernaryTensor t;
  t.rows = rows;
  t.cols = cols;
  t.codes.resize(weight.size());
  // Already ternary: {-a, 0, +a} for one a > 0.
  float magnitude = 0.0f;
  bool ternary = true;
  for (float w : weight) {
    float m = std::fabs(w);
    if (m == 0.0f)
      continue;
    if (magnitude == 0.0f)
      magnitude = m;
    if (m != magnitude || !std::isfinite(m)) {
      ternary = false;
      break;
    }
  }
  if (ternary) {
    for (size_t i = 0; i < weight.size(); ++i)
      t.codes[i] = weight[i] > 0 ? 1 : weight[i] < 0 ? -1 : 0;
    t.scale = magnitude == 0.0f ? 1.0f : magnitude;
    return t;
  }
  // Absmean, as the reference computes it in f32: the mean is summed in f64
  // and rounded once (docs/graph-contract.md, "Reductions").
  double sum = 0;
  for (float w : weight)
    sum += std::fabs(w);
  float mean = float(sum / double(weight.size()));
  float s = 1.0f / std::max(mean, 1e-5f);
  for (size_t i = 0; i < weight.size(); ++i) {
    float q = std::nearbyint(weight[i] * s); // round half to even
    t.codes[i] = int8_t(std::clamp(q, -1.0f, 1.0f));
  }
  t.scale = 1.0f / s;
  t.exact = false;
  return t;
}

namespace {

/// Emits one model into a function body. Sizes are OpFoldResults: static
/// ones as attributes, batch / sequence / cache lengths as index values.
class Emitter {
public:
  Emitter(OpBuilder &b, const ModelDescription &d, WeightSource &weights,
          std::optional<PackedLayout> packLayout, std::string &error)
      : b(b), loc(b.getUnknownLoc()), d(d), weights(weights),
        packLayout(packLayout), error(error), f32(b.getF32Type()) {}

  OpBuilder &b;
  Location loc;
  const ModelDescription &d;
  WeightSource &weights;
  std::optional<PackedLayout> packLayout;
  std::string &error;
  Type f32;
  unsigned blobCounter = 0;

  OpFoldResult size(int64_t v) { return b.getIndexAttr(v); }

  RankedTensorType typeOf(ArrayRef<OpFoldResult> sizes, Type element) {
    SmallVector<int64_t> shape;
    for (OpFoldResult s : sizes) {
      std::optional<int64_t> c = getConstantIntValue(s);
      shape.push_back(c ? *c : ShapedType::kDynamic);
    }
    return RankedTensorType::get(shape, element);
  }

  Value empty(ArrayRef<OpFoldResult> sizes, Type element = nullptr) {
    return tensor::EmptyOp::create(b, loc, sizes, element ? element : f32);
  }

  Value filled(ArrayRef<OpFoldResult> sizes, float value) {
    Value scalar = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
    return linalg::FillOp::create(b, loc, ValueRange{scalar},
                                  ValueRange{empty(sizes)})
        ->getResult(0);
  }

  /// A splat of `value` with `sizes` (graph contract: a splat constant when
  /// static, else a 0-d constant broadcast into an empty).
  Value splat(float value, ArrayRef<OpFoldResult> sizes) {
    RankedTensorType type = typeOf(sizes, f32);
    if (type.hasStaticShape())
      return arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(type, b.getF32FloatAttr(value)));
    auto scalarType = RankedTensorType::get({}, f32);
    Value scalar = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(scalarType, b.getF32FloatAttr(value)));
    SmallVector<int64_t> all(sizes.size());
    std::iota(all.begin(), all.end(), 0);
    return linalg::BroadcastOp::create(b, loc, scalar, empty(sizes), all)
        ->getResult(0);
  }

  /// `v` broadcast to `sizes`, adding the dimensions `added`.
  Value broadcast(Value v, ArrayRef<OpFoldResult> sizes,
                  ArrayRef<int64_t> added) {
    return linalg::BroadcastOp::create(b, loc, v, empty(sizes), added)
        ->getResult(0);
  }

  /// An f32 weight constant in a resource blob (the data used in place when
  /// the tensor views a mapped file).
  Value floatConstant(FloatTensor tensor, StringRef name) {
    auto type = RankedTensorType::get(tensor.shape, f32);
    std::string key = "weight_";
    for (char c : name)
      key += llvm::isAlnum(c) ? c : '_';
    // The blob views the data where it lies and keeps its owner alive: a
    // mapped file, or the converted values (moved, never copied: a 2B-4T
    // embedding is 1.3 GB of f32).
    std::shared_ptr<const void> owner = tensor.owner;
    if (!owner) {
      bool inStorage = tensor.data.data() == tensor.storage.data();
      auto storage = std::make_shared<std::vector<float>>(
          inStorage ? std::move(tensor.storage)
                    : std::vector<float>(tensor.data.begin(),
                                         tensor.data.end()));
      tensor.data = *storage;
      owner = std::move(storage);
    }
    ArrayRef<float> view = tensor.data;
    AsmResourceBlob blob(
        ArrayRef<char>(reinterpret_cast<const char *>(view.data()),
                       view.size() * sizeof(float)),
        alignof(float), [owner](void *, size_t, size_t) {},
        /*dataIsMutable=*/false);
    auto attr = DenseF32ResourceElementsAttr::get(type, key, std::move(blob));
    return arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
  }

  FailureOr<Value> loadFloat(StringRef name, ArrayRef<int64_t> shape) {
    FailureOr<FloatTensor> t = weights.getFloat(name, shape, error);
    if (failed(t))
      return failure();
    return floatConstant(std::move(*t), name);
  }

  //===--------------------------------------------------------------------===//
  // Layers
  //===--------------------------------------------------------------------===//

  /// `x * rsqrt(mean(x^2, -1) + eps) * weight` over the last dimension.
  FailureOr<Value> rmsNorm(Value x, StringRef weightName) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t rank = type.getRank(), n = type.getShape().back();
    FailureOr<Value> weight = loadFloat(weightName, {n});
    if (failed(weight))
      return failure();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
    SmallVector<OpFoldResult> rows(sizes.begin(), sizes.end() - 1);
    Value squares = arith::MulFOp::create(b, loc, x, x);
    Value sum =
        linalg::ReduceOp::create(
            b, loc, ValueRange{squares}, ValueRange{filled(rows, 0.0f)},
            ArrayRef<int64_t>{rank - 1},
            [](OpBuilder &nb, Location nl, ValueRange args) {
              Value v = arith::AddFOp::create(nb, nl, args[0], args[1]);
              linalg::YieldOp::create(nb, nl, v);
            })
            ->getResult(0);
    Value mean = arith::DivFOp::create(b, loc, sum, splat(float(n), rows));
    Value shifted =
        arith::AddFOp::create(b, loc, mean, splat(float(d.rmsNormEps), rows));
    Value inverse = math::RsqrtOp::create(b, loc, shifted);
    Value normalized = arith::MulFOp::create(
        b, loc, x, broadcast(inverse, sizes, {rank - 1}));
    SmallVector<int64_t> lead(rank - 1);
    std::iota(lead.begin(), lead.end(), 0);
    return Value(arith::MulFOp::create(b, loc, normalized,
                                       broadcast(*weight, sizes, lead)));
  }

  /// `trit.bitlinear` of `x [..., in]` by the ternary weight `name`.
  FailureOr<Value> bitLinear(Value x, StringRef name, int64_t out) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t in = type.getShape().back();
    FailureOr<TernaryTensor> w = weights.getTernary(name, out, in, error);
    if (failed(w))
      return failure();
    if (!(w->scale > 0) || !std::isfinite(w->scale)) {
      error = llvm::formatv("weight '{0}': scale {1} is not a positive finite "
                            "number",
                            name, w->scale)
                  .str();
      return failure();
    }
    RankedTensorType weightType;
    AsmResourceBlob blob;
    std::string key;
    if (packLayout) {
      int64_t stride = packedBytesPerRow(*packLayout, in);
      weightType = RankedTensorType::get(
          {out, stride}, b.getI8Type(),
          PackedEncodingAttr::get(b.getContext(), *packLayout));
      blob = HeapAsmResourceBlob::allocate(size_t(out * stride),
                                           alignof(uint64_t));
      bool ternaryValues = ternary::packTernary(
          *packLayout == PackedLayout::I2 ? ternary::Layout::I2
                                          : ternary::Layout::TQ1,
          w->codes.data(), size_t(out), size_t(in),
          reinterpret_cast<uint8_t *>(blob.getMutableData().data()));
      if (!ternaryValues) {
        error = "weight '" + name.str() + "': codes are not -1, 0, +1";
        return failure();
      }
      key = "trit_packed_" + std::to_string(blobCounter++);
    } else {
      weightType = RankedTensorType::get(
          {out, in}, b.getI8Type(), TernaryEncodingAttr::get(b.getContext()));
      blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef(w->codes));
      key = "trit_ternary_" + std::to_string(blobCounter++);
    }
    auto attr = DenseI8ResourceElementsAttr::get(weightType, key,
                                                 std::move(blob));
    Value weight = arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
    Value scale =
        arith::ConstantOp::create(b, loc, b.getF32FloatAttr(w->scale));
    SmallVector<int64_t> shape(type.getShape());
    shape.back() = out;
    return Value(BitLinearOp::create(b, loc,
                                     RankedTensorType::get(shape, f32), x,
                                     weight, scale));
  }

  /// `[B, T, H*D]` -> `[B, H, T, D]`.
  Value splitHeads(Value x, OpFoldResult batch, OpFoldResult seq,
                   int64_t heads) {
    SmallVector<OpFoldResult> sizes = {batch, seq, size(heads),
                                       size(d.headDim)};
    Value split = tensor::ExpandShapeOp::create(
        b, loc, typeOf(sizes, f32), x,
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}}, sizes);
    return transpose(split, {0, 2, 1, 3});
  }

  Value transpose(Value x, ArrayRef<int64_t> perm) {
    SmallVector<OpFoldResult> in = tensor::getMixedSizes(b, loc, x);
    SmallVector<OpFoldResult> out;
    for (int64_t p : perm)
      out.push_back(in[p]);
    return linalg::TransposeOp::create(b, loc, x, empty(out), perm)
        ->getResult(0);
  }

  /// HF's rotary embedding: `x * cos + rotate_half(x) * sin`, with
  /// `rotate_half(x) = concat(-x[D/2:], x[:D/2])`, for `x [B, H, T, D]` and
  /// tables `[T, D]`.
  Value rotary(Value x, Value cos, Value sin) {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
    int64_t half = d.headDim / 2;
    auto slice = [&](int64_t offset) {
      SmallVector<OpFoldResult> offsets(4, size(0)), sliceSizes = sizes,
          strides(4, size(1));
      offsets[3] = size(offset);
      sliceSizes[3] = size(half);
      return tensor::ExtractSliceOp::create(b, loc, x, offsets, sliceSizes,
                                            strides)
          .getResult();
    };
    Value low = slice(0), high = slice(half);
    Value negHigh = arith::NegFOp::create(b, loc, high);
    Value rotated =
        tensor::ConcatOp::create(b, loc, 3, ValueRange{negHigh, low});
    Value cosB = broadcast(cos, sizes, {0, 1});
    Value sinB = broadcast(sin, sizes, {0, 1});
    Value a = arith::MulFOp::create(b, loc, x, cosB);
    Value c = arith::MulFOp::create(b, loc, rotated, sinB);
    return arith::AddFOp::create(b, loc, a, c);
  }

  /// `[B, KV, S, D]` -> `[B, KV * groups, S, D]`, each key/value head
  /// repeated for its group of query heads.
  Value repeatKv(Value x, int64_t groups) {
    if (groups == 1)
      return x;
    SmallVector<OpFoldResult> s = tensor::getMixedSizes(b, loc, x);
    SmallVector<OpFoldResult> expanded = {s[0], s[1], size(groups), s[2],
                                          s[3]};
    Value wide = broadcast(x, expanded, {2});
    SmallVector<OpFoldResult> merged = {s[0], size(d.numKvHeads * groups),
                                        s[2], s[3]};
    return tensor::CollapseShapeOp::create(
        b, loc, typeOf(merged, f32), wide,
        SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
  }

  /// `x [B, H, M, K] @ y [B, H, K, N]` as a batch_matmul on `[B*H, ...]`.
  Value batchMatmul(Value x, Value y) {
    SmallVector<OpFoldResult> xs = tensor::getMixedSizes(b, loc, x);
    SmallVector<OpFoldResult> ys = tensor::getMixedSizes(b, loc, y);
    SmallVector<ReassociationIndices> groups = {{0, 1}, {2}, {3}};
    auto collapse = [&](Value v) {
      auto t = cast<RankedTensorType>(v.getType());
      int64_t lead = t.isDynamicDim(0) || t.isDynamicDim(1)
                         ? ShapedType::kDynamic
                         : t.getDimSize(0) * t.getDimSize(1);
      return tensor::CollapseShapeOp::create(
                 b, loc,
                 RankedTensorType::get({lead, t.getDimSize(2),
                                        t.getDimSize(3)},
                                       f32),
                 v, groups)
          .getResult();
    };
    Value x3 = collapse(x), y3 = collapse(y);
    SmallVector<OpFoldResult> accSizes = {
        tensor::getMixedSize(b, loc, x3, 0), xs[2], ys[3]};
    Value product = linalg::BatchMatmulOp::create(
                        b, loc, ValueRange{x3, y3},
                        ValueRange{filled(accSizes, 0.0f)})
                        ->getResult(0);
    SmallVector<OpFoldResult> outSizes = {xs[0], xs[1], xs[2], ys[3]};
    return tensor::ExpandShapeOp::create(b, loc, typeOf(outSizes, f32),
                                         product, groups, outSizes);
  }

  /// Causal mask: scores[b, h, i, j] stays where key j <= past + i, else
  /// -inf.
  Value causalMask(Value scores, Value past) {
    auto type = cast<RankedTensorType>(scores.getType());
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, scores);
    AffineMap id = b.getMultiDimIdentityMap(4);
    SmallVector<utils::IteratorType> iterators(4,
                                               utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, TypeRange{type}, ValueRange{scores},
               ValueRange{empty(sizes)}, ArrayRef<AffineMap>{id, id},
               iterators,
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 Value i = linalg::IndexOp::create(nb, nl, 2);
                 Value j = linalg::IndexOp::create(nb, nl, 3);
                 Value limit = arith::AddIOp::create(nb, nl, past, i);
                 Value visible = arith::CmpIOp::create(
                     nb, nl, arith::CmpIPredicate::ule, j, limit);
                 Value ninf = arith::ConstantOp::create(
                     nb, nl,
                     nb.getF32FloatAttr(
                         -std::numeric_limits<float>::infinity()));
                 Value v =
                     arith::SelectOp::create(nb, nl, visible, args[0], ninf);
                 linalg::YieldOp::create(nb, nl, v);
               })
        ->getResult(0);
  }

  /// One decoder layer; `past` and the new cache are this layer's (key,
  /// value).
  FailureOr<Value> layer(int64_t index, Value x, Value cos, Value sin,
                         Value pastKey, Value pastValue, Value pastLength,
                         OpFoldResult batch, OpFoldResult seq,
                         Value &presentKey, Value &presentValue) {
    std::string p = "model.layers." + std::to_string(index) + ".";
    int64_t hd = d.headDim, heads = d.numHeads, kv = d.numKvHeads;
    FailureOr<Value> h = rmsNorm(x, p + "input_layernorm.weight");
    if (failed(h))
      return failure();
    FailureOr<Value> q = bitLinear(*h, p + "self_attn.q_proj.weight",
                                   heads * hd);
    if (failed(q))
      return failure();
    FailureOr<Value> k = bitLinear(*h, p + "self_attn.k_proj.weight", kv * hd);
    if (failed(k))
      return failure();
    FailureOr<Value> v = bitLinear(*h, p + "self_attn.v_proj.weight", kv * hd);
    if (failed(v))
      return failure();
    Value qh = rotary(splitHeads(*q, batch, seq, heads), cos, sin);
    Value kh = rotary(splitHeads(*k, batch, seq, kv), cos, sin);
    Value vh = splitHeads(*v, batch, seq, kv);
    presentKey = tensor::ConcatOp::create(b, loc, 2, ValueRange{pastKey, kh});
    presentValue =
        tensor::ConcatOp::create(b, loc, 2, ValueRange{pastValue, vh});
    int64_t groups = heads / kv;
    Value keys = repeatKv(presentKey, groups);
    Value values = repeatKv(presentValue, groups);
    Value scores = batchMatmul(qh, transpose(keys, {0, 1, 3, 2}));
    // transformers multiplies by head_dim ** -0.5.
    SmallVector<OpFoldResult> scoreSizes =
        tensor::getMixedSizes(b, loc, scores);
    scores = arith::MulFOp::create(
        b, loc, scores, splat(float(1.0 / std::sqrt(double(hd))), scoreSizes));
    scores = causalMask(scores, pastLength);
    Value probs = linalg::SoftmaxOp::create(b, loc, scores.getType(), scores,
                                            empty(scoreSizes), 3)
                      ->getResult(0);
    Value attended = transpose(batchMatmul(probs, values), {0, 2, 1, 3});
    SmallVector<OpFoldResult> merged = {batch, seq, size(heads * hd)};
    Value out = tensor::CollapseShapeOp::create(
        b, loc, typeOf(merged, f32), attended,
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}});
    if (d.subNorms) {
      FailureOr<Value> normed = rmsNorm(out, p + "self_attn.attn_sub_norm.weight");
      if (failed(normed))
        return failure();
      out = *normed;
    }
    FailureOr<Value> o =
        bitLinear(out, p + "self_attn.o_proj.weight", d.hiddenSize);
    if (failed(o))
      return failure();
    x = arith::AddFOp::create(b, loc, x, *o);

    FailureOr<Value> h2 = rmsNorm(x, p + "post_attention_layernorm.weight");
    if (failed(h2))
      return failure();
    FailureOr<Value> gate =
        bitLinear(*h2, p + "mlp.gate_proj.weight", d.intermediateSize);
    if (failed(gate))
      return failure();
    FailureOr<Value> up =
        bitLinear(*h2, p + "mlp.up_proj.weight", d.intermediateSize);
    if (failed(up))
      return failure();
    SmallVector<OpFoldResult> hidden = tensor::getMixedSizes(b, loc, *gate);
    Value activated;
    if (d.feedForward == FeedForwardKind::ReluSquared) {
      Value relu =
          arith::MaximumFOp::create(b, loc, *gate, splat(0.0f, hidden));
      activated = arith::MulFOp::create(b, loc, relu, relu);
    } else {
      // silu(g) = g * sigmoid(g), sigmoid(g) = 1 / (1 + exp(-g)).
      Value e = math::ExpOp::create(b, loc,
                                    arith::NegFOp::create(b, loc, *gate));
      Value one = splat(1.0f, hidden);
      Value sigmoid = arith::DivFOp::create(
          b, loc, one, arith::AddFOp::create(b, loc, one, e));
      activated = arith::MulFOp::create(b, loc, *gate, sigmoid);
    }
    Value mixed = arith::MulFOp::create(b, loc, activated, *up);
    if (d.subNorms) {
      FailureOr<Value> normed = rmsNorm(mixed, p + "mlp.ffn_sub_norm.weight");
      if (failed(normed))
        return failure();
      mixed = *normed;
    }
    FailureOr<Value> down =
        bitLinear(mixed, p + "mlp.down_proj.weight", d.hiddenSize);
    if (failed(down))
      return failure();
    return Value(arith::AddFOp::create(b, loc, x, *down));
  }

  /// Rotary tables `[maxPositions, D]` as transformers computes them in
  /// f32: `inv_freq = 1 / theta^(2i / D)`, angle = position * inv_freq,
  /// the D/2 angles repeated twice.
  std::pair<Value, Value> rotaryTables() {
    int64_t n = d.maxPositions, dim = d.headDim, half = dim / 2;
    std::vector<float> cosTable(n * dim), sinTable(n * dim);
    std::vector<float> invFreq(half);
    for (int64_t i = 0; i < half; ++i)
      invFreq[i] = 1.0f / std::pow(float(d.ropeTheta),
                                   float(2 * i) / float(dim));
    for (int64_t pos = 0; pos < n; ++pos)
      for (int64_t i = 0; i < half; ++i) {
        float angle = float(pos) * invFreq[i];
        float c = std::cos(angle), s = std::sin(angle);
        cosTable[pos * dim + i] = cosTable[pos * dim + half + i] = c;
        sinTable[pos * dim + i] = sinTable[pos * dim + half + i] = s;
      }
    return {floatConstant(FloatTensor::owned({n, dim}, std::move(cosTable)),
                          "rope_cos"),
            floatConstant(FloatTensor::owned({n, dim}, std::move(sinTable)),
                          "rope_sin")};
  }

  /// Rows `[start, start + count)` of a `[positions, D]` table.
  Value tableRows(Value table, Value start, OpFoldResult count) {
    SmallVector<OpFoldResult> offsets = {start, size(0)};
    SmallVector<OpFoldResult> sizes = {count, size(d.headDim)};
    SmallVector<OpFoldResult> strides = {size(1), size(1)};
    return tensor::ExtractSliceOp::create(b, loc, table, offsets, sizes,
                                          strides);
  }

  /// The embedding lookup `table[ids]`: `[B, T] -> [B, T, H]`.
  Value embed(Value table, Value ids, OpFoldResult batch, OpFoldResult seq) {
    SmallVector<OpFoldResult> sizes = {batch, seq, size(d.hiddenSize)};
    MLIRContext *ctx = b.getContext();
    AffineMap idMap = AffineMap::get(3, 0,
                                     {getAffineDimExpr(0, ctx),
                                      getAffineDimExpr(1, ctx)},
                                     ctx);
    AffineMap outMap = b.getMultiDimIdentityMap(3);
    SmallVector<utils::IteratorType> iterators(3,
                                               utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, TypeRange{typeOf(sizes, f32)}, ValueRange{ids},
               ValueRange{empty(sizes)}, ArrayRef<AffineMap>{idMap, outMap},
               iterators,
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 Value row = arith::IndexCastOp::create(
                     nb, nl, nb.getIndexType(), args[0]);
                 Value col = linalg::IndexOp::create(nb, nl, 2);
                 Value v = tensor::ExtractOp::create(nb, nl, table,
                                                     ValueRange{row, col});
                 linalg::YieldOp::create(nb, nl, v);
               })
        ->getResult(0);
  }

  /// The LM head `F.linear(x, W)` in the importer's form: W transposed,
  /// x collapsed to rows, matmul, expanded back.
  Value lmHead(Value x, Value weight, OpFoldResult batch, OpFoldResult seq) {
    Value wt = transpose(weight, {1, 0});
    auto xt = cast<RankedTensorType>(x.getType());
    int64_t rows = xt.isDynamicDim(0) || xt.isDynamicDim(1)
                       ? ShapedType::kDynamic
                       : xt.getDimSize(0) * xt.getDimSize(1);
    SmallVector<ReassociationIndices> groups = {{0, 1}, {2}};
    Value x2 = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({rows, d.hiddenSize}, f32), x, groups);
    SmallVector<OpFoldResult> accSizes = {tensor::getMixedSize(b, loc, x2, 0),
                                          size(d.vocabSize)};
    Value logits = linalg::MatmulOp::create(b, loc, ValueRange{x2, wt},
                                            ValueRange{filled(accSizes, 0.0f)})
                       ->getResult(0);
    SmallVector<OpFoldResult> outSizes = {batch, seq, size(d.vocabSize)};
    return tensor::ExpandShapeOp::create(b, loc, typeOf(outSizes, f32), logits,
                                         groups, outSizes);
  }
};

} // namespace

OwningOpRef<ModuleOp> mlir::trit::buildModel(MLIRContext &context,
                                             const ModelDescription &d,
                                             WeightSource &weights,
                                             const ModelBuildOptions &options,
                                             std::string &error) {
  if (std::string problem = d.validate(); !problem.empty()) {
    error = d.family + ": " + problem;
    return nullptr;
  }
  context.loadDialect<arith::ArithDialect, cf::ControlFlowDialect,
                      func::FuncDialect,
                      linalg::LinalgDialect, math::MathDialect,
                      tensor::TensorDialect, TritDialect>();
  OpBuilder b(&context);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  module->getOperation()->setAttr("trit.max_positions",
                                  b.getI64IntegerAttr(d.maxPositions));

  Type f32 = b.getF32Type();
  int64_t dyn = ShapedType::kDynamic;
  auto cacheType =
      RankedTensorType::get({dyn, d.numKvHeads, dyn, d.headDim}, f32);
  SmallVector<Type> inputs = {RankedTensorType::get({dyn, dyn}, b.getI64Type())};
  SmallVector<Type> results = {
      RankedTensorType::get({dyn, dyn, d.vocabSize}, f32)};
  for (int64_t i = 0; i < 2 * d.numLayers; ++i) {
    inputs.push_back(cacheType);
    results.push_back(cacheType);
  }
  b.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(b, loc, options.entry,
                                   b.getFunctionType(inputs, results));
  Block *body = func.addEntryBlock();
  b.setInsertionPointToEnd(body);

  std::optional<PackedLayout> packLayout;
  if (!options.packLayout.empty()) {
    packLayout = symbolizePackedLayout(options.packLayout);
    if (!packLayout) {
      error = "unknown packed layout '" + options.packLayout +
              "' (expected i2 or tq1)";
      return nullptr;
    }
  }
  Emitter e(b, d, weights, packLayout, error);
  Value ids = body->getArgument(0);
  OpFoldResult batch = tensor::getMixedSize(b, loc, ids, 0);
  OpFoldResult seq = tensor::getMixedSize(b, loc, ids, 1);
  Value pastLength = tensor::DimOp::create(b, loc, body->getArgument(1), 2);
  // The caches must agree with the ids and with each other (the runtime
  // makes them so; a caller of the raw function might not): checked at run
  // time (trit-lower-asserts), not read past a buffer.
  Value batchValue = getValueOrCreateConstantIndexOp(b, loc, batch);
  for (int64_t i = 0; i < 2 * d.numLayers; ++i) {
    Value cache = body->getArgument(1 + i);
    std::string name = "cache tensor " + std::to_string(i) + " (layer " +
                       std::to_string(i / 2) + (i % 2 ? " value" : " key") +
                       ")";
    Value cacheBatch = tensor::DimOp::create(b, loc, cache, 0);
    cf::AssertOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, cacheBatch,
                              batchValue),
        name + ": its batch does not match the token ids'");
    if (i == 0)
      continue;
    Value length = tensor::DimOp::create(b, loc, cache, 2);
    cf::AssertOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, length,
                              pastLength),
        name + ": its length does not match cache tensor 0's");
  }

  FailureOr<FloatTensor> table = weights.getFloat(
      "model.embed_tokens.weight", {d.vocabSize, d.hiddenSize}, error);
  if (failed(table))
    return nullptr;
  Value embedding =
      e.floatConstant(std::move(*table), "model.embed_tokens.weight");
  Value x = e.embed(embedding, ids, batch, seq);
  auto [cosTable, sinTable] = e.rotaryTables();
  Value cos = e.tableRows(cosTable, pastLength, seq);
  Value sin = e.tableRows(sinTable, pastLength, seq);

  SmallVector<Value> presents;
  for (int64_t i = 0; i < d.numLayers; ++i) {
    if (options.progress)
      options.progress(i, d.numLayers);
    Value key, value;
    FailureOr<Value> next = e.layer(
        i, x, cos, sin, body->getArgument(1 + 2 * i),
        body->getArgument(2 + 2 * i), pastLength, batch, seq, key, value);
    if (failed(next))
      return nullptr;
    x = *next;
    presents.push_back(key);
    presents.push_back(value);
  }
  FailureOr<Value> normed = e.rmsNorm(x, "model.norm.weight");
  if (failed(normed))
    return nullptr;
  Value head = embedding;
  if (!d.tiedEmbeddings) {
    FailureOr<Value> w =
        e.loadFloat("lm_head.weight", {d.vocabSize, d.hiddenSize});
    if (failed(w))
      return nullptr;
    head = *w;
  }
  SmallVector<Value> outputs = {e.lmHead(*normed, head, batch, seq)};
  outputs.append(presents.begin(), presents.end());
  func::ReturnOp::create(b, loc, outputs);
  return module;
}
