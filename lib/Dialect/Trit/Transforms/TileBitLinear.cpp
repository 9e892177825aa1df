//===- TileBitLinear.cpp - trit-tile-bitlinear ------------------*- C++ -*-===//
//
// Lowers trit.bitlinear / trit.ternary_matmul on packed weights, and
// trit.quantize_activations, to tiled loops over tensors whose innermost
// loop adds and subtracts int16 activations under lane masks decoded from
// the packed weight bytes. See the pass description in Passes.td.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/IR/TritOps.h"
#include "trit/Dialect/Trit/Transforms/Passes.h"
#include "trit/Numerics/Packing.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITTILEBITLINEARPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

/// Lanes of one slot of a weight block: one byte of the block per lane.
constexpr int64_t kLanes = static_cast<int64_t>(ternary::kBlockBytes);
/// The add/sub kernel takes a block as halves of this many lanes, so that
/// an int16 accumulator is one 512-bit register.
constexpr int64_t kHalfLanes = kLanes / 2;

enum class KernelKind { AddSub, Dot, Dp4a };

struct TileSizes {
  int64_t n;
  int64_t rows;
  int64_t tokens;
};

/// Emits the lowering of one op at the builder's insertion point.
class Lowering {
public:
  Lowering(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

  Value f32(float v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }

  /// A splat i8 vector constant holding the byte `v`, `lanes` wide.
  Value splatI8(uint8_t v, int64_t lanes = kLanes) {
    auto type = VectorType::get({lanes}, b.getI8Type());
    return arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, APInt(8, v)));
  }

  Value zeroVector(VectorType type) {
    return arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
  }

  /// Size of dimension `dim` of a ranked tensor, as an index value.
  Value dimOf(Value tensor, int64_t dim) {
    return tensor::DimOp::create(b, loc, tensor, dim);
  }

  /// Size of dimension `dim`: an attribute when static, else a value.
  OpFoldResult mixedDim(Value tensor, int64_t dim) {
    auto type = cast<RankedTensorType>(tensor.getType());
    if (!type.isDynamicDim(dim))
      return b.getIndexAttr(type.getDimSize(dim));
    return dimOf(tensor, dim);
  }

  /// max |x| over the last dimension of `x` (any rank >= 1), per token.
  Value absmax(Value x) {
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t rank = xType.getRank();
    MLIRContext *ctx = b.getContext();
    SmallVector<OpFoldResult> tokenSizes;
    for (int64_t d = 0; d < rank - 1; ++d)
      tokenSizes.push_back(mixedDim(x, d));
    Value empty = tensor::EmptyOp::create(b, loc, tokenSizes, b.getF32Type());
    Value init = linalg::FillOp::create(b, loc, f32(0.0f), empty).getResult(0);
    AffineMap full = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap tokens = full.dropResult(rank - 1);
    SmallVector<utils::IteratorType> reduceIters(rank,
                                                 utils::IteratorType::parallel);
    reduceIters.back() = utils::IteratorType::reduction;
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{x},
               ValueRange{init}, ArrayRef<AffineMap>{full, tokens},
               reduceIters,
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 Value abs = math::AbsFOp::create(nb, nloc, args[0]);
                 Value max = arith::MaximumFOp::create(nb, nloc, args[1], abs);
                 linalg::YieldOp::create(nb, nloc, max);
               })
        .getResult(0);
  }

  /// The per-token scale 127 / max(amax, 1e-5), in the contract's order.
  static Value scaleOf(OpBuilder &nb, Location nloc, Value amax) {
    Value floor =
        arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(1e-5f));
    Value c127 = arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(127.0f));
    Value clipped = arith::MaximumFOp::create(nb, nloc, amax, floor);
    return arith::DivFOp::create(nb, nloc, c127, clipped);
  }

  /// `v` * `s` rounded half to even and clamped to int8, as `qType`.
  static Value quantizeValue(OpBuilder &nb, Location nloc, Value v, Value s,
                             Type qType) {
    Value lo = arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(-128.0f));
    Value hi = arith::ConstantOp::create(nb, nloc, nb.getF32FloatAttr(127.0f));
    Value scaled = arith::MulFOp::create(nb, nloc, v, s);
    Value rounded = math::RoundEvenOp::create(nb, nloc, scaled);
    Value clamped = arith::MinimumFOp::create(
        nb, nloc, arith::MaximumFOp::create(nb, nloc, rounded, lo), hi);
    return arith::FPToSIOp::create(nb, nloc, qType, clamped);
  }

  /// Per-token absmax quantization of `x` (any rank >= 1) following the
  /// numerics contract. The quantized values are written, converted to
  /// `qType`, into `dest` (same leading shape as `x`; its last dimension may
  /// be longer, the tail is left as it is). Returns {quantized, scale}.
  std::pair<Value, Value> quantize(Value x, Value dest, Type qType) {
    auto xType = cast<RankedTensorType>(x.getType());
    int64_t rank = xType.getRank();
    MLIRContext *ctx = b.getContext();

    Value amax = absmax(x);
    Value scaleEmpty = tensor::EmptyOp::create(
        b, loc, tensor::getMixedSizes(b, loc, amax), b.getF32Type());
    AffineMap full = AffineMap::getMultiDimIdentityMap(rank, ctx);
    AffineMap tokens = full.dropResult(rank - 1);

    AffineMap tokenId = AffineMap::getMultiDimIdentityMap(rank - 1, ctx);
    SmallVector<utils::IteratorType> tokenIters(rank - 1,
                                                utils::IteratorType::parallel);
    Value scale =
        linalg::GenericOp::create(
            b, loc, TypeRange{scaleEmpty.getType()}, ValueRange{amax},
            ValueRange{scaleEmpty}, ArrayRef<AffineMap>{tokenId, tokenId},
            tokenIters,
            [&](OpBuilder &nb, Location nloc, ValueRange args) {
              linalg::YieldOp::create(nb, nloc, scaleOf(nb, nloc, args[0]));
            })
            .getResult(0);

    SmallVector<utils::IteratorType> allParallel(rank,
                                                 utils::IteratorType::parallel);
    Value quantized =
        linalg::GenericOp::create(
            b, loc, TypeRange{dest.getType()}, ValueRange{x, scale},
            ValueRange{dest}, ArrayRef<AffineMap>{full, tokens, full},
            allParallel,
            [&](OpBuilder &nb, Location nloc, ValueRange args) {
              linalg::YieldOp::create(
                  nb, nloc, quantizeValue(nb, nloc, args[0], args[1], qType));
            })
            .getResult(0);
    return {quantized, scale};
  }

  /// A zero-filled `[m, kPad]` tensor of `elementType` (i8 or i16) with
  /// `valuesOf` (i8 or f32 `[m, k]`) written into its leading columns:
  /// quantized (f32) or sign-extended (i8). Returns {padded, scale or null}.
  std::pair<Value, Value> paddedActivations(Value valuesOf, int64_t kPad,
                                            Type elementType) {
    auto type = cast<RankedTensorType>(valuesOf.getType());
    OpFoldResult m = mixedDim(valuesOf, 0);
    OpFoldResult k = mixedDim(valuesOf, 1);
    Value empty = tensor::EmptyOp::create(
        b, loc, ArrayRef<OpFoldResult>{m, b.getIndexAttr(kPad)}, elementType);
    Value zero =
        arith::ConstantOp::create(b, loc, b.getIntegerAttr(elementType, 0));
    Value padded = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes = {m, k};
    SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
    Value slice = tensor::ExtractSliceOp::create(b, loc, padded, offsets, sizes,
                                                 strides);
    Value filled, scale;
    if (isa<FloatType>(type.getElementType())) {
      std::tie(filled, scale) = quantize(valuesOf, slice, elementType);
    } else if (elementType == type.getElementType()) {
      // A linalg.copy, which becomes a loop: a tensor copy of the strided
      // slice would need a runtime library call (memrefCopy).
      filled = linalg::CopyOp::create(b, loc, valuesOf, slice).getResult(0);
    } else {
      AffineMap id = b.getMultiDimIdentityMap(2);
      filled = linalg::GenericOp::create(
                   b, loc, TypeRange{slice.getType()}, ValueRange{valuesOf},
                   ValueRange{slice}, ArrayRef<AffineMap>{id, id},
                   SmallVector<utils::IteratorType>(
                       2, utils::IteratorType::parallel),
                   [&](OpBuilder &nb, Location nloc, ValueRange args) {
                     Value ext = arith::ExtSIOp::create(nb, nloc, elementType,
                                                        args[0]);
                     linalg::YieldOp::create(nb, nloc, ext);
                   })
                   .getResult(0);
    }
    Value result = tensor::InsertSliceOp::create(b, loc, filled, padded,
                                                 offsets, sizes, strides);
    return {result, scale};
  }

  /// The lane masks (weight == +1, weight == -1) of slot `slot` of the
  /// block `bytes`. For tq1, `tq1Digits` carries bytes * 3^slot
  /// (mod 256) from slot to slot.
  std::pair<Value, Value> decodeSlot(PackedLayout layout, Value bytes,
                                     int64_t slot, Value &tq1Digits) {
    int64_t lanes = cast<VectorType>(bytes.getType()).getNumElements();
    if (layout == PackedLayout::I2) {
      // Code w + 1 in bits [2 slot, 2 slot + 1]: +1 is code 2 (high bit set),
      // -1 is code 0 (both bits clear).
      Value zero = splatI8(0, lanes);
      Value high = arith::AndIOp::create(
          b, loc, bytes, splatI8(uint8_t(2u << (2 * slot)), lanes));
      Value both = arith::AndIOp::create(
          b, loc, bytes, splatI8(uint8_t(3u << (2 * slot)), lanes));
      Value plus =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, high, zero);
      Value minus =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, both, zero);
      return {plus, minus};
    }
    // tq1: t = bytes * 3^slot mod 256 brings digit `slot` to the top of the
    // byte; the digit is (3 t) >> 8, so it is 0 for t < 86 and 2 for
    // t >= 171. Multiplying by 3 is two byte additions.
    if (slot == 0) {
      tq1Digits = bytes;
    } else {
      Value twice = arith::AddIOp::create(b, loc, tq1Digits, tq1Digits);
      tq1Digits = arith::AddIOp::create(b, loc, twice, tq1Digits);
    }
    Value plus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                       tq1Digits, splatI8(171, lanes));
    Value minus = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                        tq1Digits, splatI8(86, lanes));
    return {plus, minus};
  }

  struct KernelOperands {
    KernelKind kind;
    PackedLayout layout;
    Value xq16;   ///< [M, kPad] i16 (addsub) or i8 (dot), zero padded.
    Value sumX;   ///< dot: [M] i32, the sum of each token's activations.
    Value scale;  ///< [M] f32 per-token scale, or null for an i32 result.
    Value g;      ///< f32 weight scale, or null for an i32 result.
    Value weight; ///< [N, bytes per row] packed.
    int64_t n;
    int64_t blocks;
  };

  /// Register tile: `tokens` x `rows` int32 sums for tokens m.. and weight
  /// rows row.., written into `out` at [m + t, col + j]. Each 64-byte block
  /// is taken as two 32-lane halves, so that one int16 accumulator per
  /// (token, row) is one 512-bit register.
  Value microKernel(const KernelOperands &ops, Value out, Value m, Value row,
                    Value col, int64_t tokens, int64_t rows) {
    const int64_t slots = valuesPerByte(ops.layout);
    const int64_t valuesPerBlock = slots * kLanes;
    const int64_t halves = kLanes / kHalfLanes;
    // Each slot of each half adds at most 128 in magnitude to a lane: flush
    // the int16 accumulators every `chunk` blocks, before 255 additions.
    const int64_t chunk = 255 / (slots * halves);
    const int64_t tiles = tokens * rows;
    Type i16 = b.getI16Type(), i32 = b.getI32Type();
    auto halfI8 = VectorType::get({kHalfLanes}, b.getI8Type());
    auto halfI16 = VectorType::get({kHalfLanes}, i16);
    auto halfI32 = VectorType::get({kHalfLanes}, i32);

    Value zeroI32 = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
    SmallVector<Value> initSums(tiles, zeroI32);
    Value c0 = index(0), c1 = index(1);
    Value blocks = index(ops.blocks);
    auto chunkLoop = scf::ForOp::create(
        b, loc, c0, blocks, index(chunk), initSums,
        [&](OpBuilder &, Location, Value chunkStart, ValueRange sums) {
          Value chunkEnd = arith::MinSIOp::create(
              b, loc, arith::AddIOp::create(b, loc, chunkStart, index(chunk)),
              blocks);
          // The block loop carries its byte and activation offsets, so the
          // loop body has no multiplication at all.
          Value byteStart =
              arith::MulIOp::create(b, loc, chunkStart, index(kLanes));
          Value kStart =
              arith::MulIOp::create(b, loc, chunkStart, index(valuesPerBlock));
          SmallVector<Value> init = {byteStart, kStart};
          init.append(tiles, zeroVector(halfI16));
          auto blockLoop = scf::ForOp::create(
              b, loc, chunkStart, chunkEnd, c1, init,
              [&](OpBuilder &, Location, Value, ValueRange iter) {
                Value byteOffset = iter[0], kBase = iter[1];
                SmallVector<Value> acc(iter.begin() + 2, iter.end());
                Value padI8 =
                    arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
                Value padI16 =
                    arith::ConstantOp::create(b, loc, b.getI16IntegerAttr(0));
                for (int64_t half = 0; half < halves; ++half) {
                  Value byteAt = arith::AddIOp::create(
                      b, loc, byteOffset, index(half * kHalfLanes));
                  SmallVector<Value> bytes, digits(rows);
                  for (int64_t j = 0; j < rows; ++j) {
                    Value r = arith::AddIOp::create(b, loc, row, index(j));
                    bytes.push_back(vector::TransferReadOp::create(
                        b, loc, halfI8, ops.weight, ValueRange{r, byteAt},
                        padI8, ArrayRef<bool>{true}));
                  }
                  for (int64_t slot = 0; slot < slots; ++slot) {
                    SmallVector<std::pair<Value, Value>> masks;
                    for (int64_t j = 0; j < rows; ++j)
                      masks.push_back(
                          decodeSlot(ops.layout, bytes[j], slot, digits[j]));
                    Value k = arith::AddIOp::create(
                        b, loc, kBase,
                        index(slot * kLanes + half * kHalfLanes));
                    for (int64_t t = 0; t < tokens; ++t) {
                      Value token = arith::AddIOp::create(b, loc, m, index(t));
                      Value xs = vector::TransferReadOp::create(
                          b, loc, halfI16, ops.xq16, ValueRange{token, k},
                          padI16, ArrayRef<bool>{true});
                      for (int64_t j = 0; j < rows; ++j) {
                        Value &a = acc[t * rows + j];
                        Value added = arith::AddIOp::create(b, loc, a, xs);
                        a = arith::SelectOp::create(b, loc, masks[j].first,
                                                    added, a);
                        Value subtracted =
                            arith::SubIOp::create(b, loc, a, xs);
                        a = arith::SelectOp::create(b, loc, masks[j].second,
                                                    subtracted, a);
                      }
                    }
                  }
                }
                SmallVector<Value> next = {
                    arith::AddIOp::create(b, loc, byteOffset, index(kLanes)),
                    arith::AddIOp::create(b, loc, kBase,
                                          index(valuesPerBlock))};
                next.append(acc.begin(), acc.end());
                scf::YieldOp::create(b, loc, next);
              });
          SmallVector<Value> newSums;
          for (int64_t i = 0; i < tiles; ++i) {
            Value wide = arith::ExtSIOp::create(b, loc, halfI32,
                                                blockLoop.getResult(2 + i));
            Value total = vector::ReductionOp::create(
                b, loc, vector::CombiningKind::ADD, wide);
            newSums.push_back(arith::AddIOp::create(b, loc, sums[i], total));
          }
          scf::YieldOp::create(b, loc, newSums);
        });

    SmallVector<Value> sums;
    for (int64_t i = 0; i < tiles; ++i)
      sums.push_back(chunkLoop.getResult(i));
    return storeResults(ops, out, sums, m, col, tokens, rows);
  }

  /// Writes the int32 sums of a register tile into `out` at [m + t, col + j],
  /// rescaled by g / s per token for a BitLinear.
  Value storeResults(const KernelOperands &ops, Value out,
                     ArrayRef<Value> sums, Value m, Value col, int64_t tokens,
                     int64_t rows) {
    for (int64_t t = 0; t < tokens; ++t) {
      Value token = arith::AddIOp::create(b, loc, m, index(t));
      Value s;
      if (ops.scale)
        s = tensor::ExtractOp::create(b, loc, ops.scale, ValueRange{token});
      for (int64_t j = 0; j < rows; ++j) {
        Value sum = sums[t * rows + j];
        Value result = sum;
        if (ops.scale) {
          // y = acc * g / s, in this order (design.md section 1).
          Value f = arith::SIToFPOp::create(b, loc, b.getF32Type(), sum);
          f = arith::MulFOp::create(b, loc, f, ops.g);
          result = arith::DivFOp::create(b, loc, f, s);
        }
        Value c = arith::AddIOp::create(b, loc, col, index(j));
        out = tensor::InsertOp::create(b, loc, result, out,
                                       ValueRange{token, c});
      }
    }
    return out;
  }

  /// The dot register tile: for each slot, the codes w + 1 (shifted down
  /// for i2, decoded digits for tq1) are the unsigned operand of
  /// trit.dot_codes (vpdpbusd) against the int8 activations, into one int32
  /// accumulator per (token, row). Then sum(code * x) - sum(x) = sum(w * x).
  Value dotMicroKernel(const KernelOperands &ops, Value out, Value m,
                       Value row, Value col, int64_t tokens, int64_t rows) {
    const int64_t slots = valuesPerByte(ops.layout);
    const int64_t valuesPerBlock = slots * kLanes;
    const int64_t tiles = tokens * rows;
    auto laneI8 = VectorType::get({kLanes}, b.getI8Type());
    auto dword = VectorType::get({kLanes / 4}, b.getI32Type());
    Value c1 = index(1);
    Value zeroAcc = arith::ConstantOp::create(b, loc, b.getZeroAttr(dword));
    SmallVector<Value> init = {index(0), index(0)};
    init.append(tiles, zeroAcc);
    auto blockLoop = scf::ForOp::create(
        b, loc, index(0), index(ops.blocks), c1, init,
        [&](OpBuilder &, Location, Value, ValueRange iter) {
          Value byteOffset = iter[0], kBase = iter[1];
          SmallVector<Value> acc(iter.begin() + 2, iter.end());
          Value padI8 =
              arith::ConstantOp::create(b, loc, b.getI8IntegerAttr(0));
          SmallVector<Value> bytes, digits(rows);
          for (int64_t j = 0; j < rows; ++j) {
            Value r = arith::AddIOp::create(b, loc, row, index(j));
            bytes.push_back(vector::TransferReadOp::create(
                b, loc, laneI8, ops.weight, ValueRange{r, byteOffset}, padI8,
                ArrayRef<bool>{true}));
          }
          for (int64_t slot = 0; slot < slots; ++slot) {
            SmallVector<Value> codes;
            for (int64_t j = 0; j < rows; ++j)
              codes.push_back(
                  slotCodes(ops.layout, bytes[j], slot, digits[j]));
            Value k = arith::AddIOp::create(b, loc, kBase,
                                            index(slot * kLanes));
            for (int64_t t = 0; t < tokens; ++t) {
              Value token = arith::AddIOp::create(b, loc, m, index(t));
              Value xs = vector::TransferReadOp::create(
                  b, loc, laneI8, ops.xq16, ValueRange{token, k}, padI8,
                  ArrayRef<bool>{true});
              for (int64_t j = 0; j < rows; ++j) {
                Value &a = acc[t * rows + j];
                a = DotCodesOp::create(b, loc, a.getType(), a, codes[j], xs);
              }
            }
          }
          SmallVector<Value> next = {
              arith::AddIOp::create(b, loc, byteOffset, index(kLanes)),
              arith::AddIOp::create(b, loc, kBase, index(valuesPerBlock))};
          next.append(acc.begin(), acc.end());
          scf::YieldOp::create(b, loc, next);
        });

    SmallVector<Value> sums;
    for (int64_t t = 0; t < tokens; ++t) {
      Value token = arith::AddIOp::create(b, loc, m, index(t));
      Value sumX =
          tensor::ExtractOp::create(b, loc, ops.sumX, ValueRange{token});
      for (int64_t j = 0; j < rows; ++j) {
        Value sum = vector::ReductionOp::create(
            b, loc, vector::CombiningKind::ADD,
            blockLoop.getResult(2 + t * rows + j));
        sums.push_back(arith::SubIOp::create(b, loc, sum, sumX));
      }
    }
    return storeResults(ops, out, sums, m, col, tokens, rows);
  }

  /// The unsigned codes w + 1 (0, 1 or 2) of slot `slot` of `bytes`.
  Value slotCodes(PackedLayout layout, Value bytes, int64_t slot,
                  Value &tq1Digits) {
    if (layout == PackedLayout::I2) {
      Value shifted = bytes;
      if (slot > 0)
        shifted = arith::ShRUIOp::create(b, loc, bytes,
                                         splatI8(uint8_t(2 * slot)));
      return arith::AndIOp::create(b, loc, shifted, splatI8(3));
    }
    // tq1: digit = [t >= 86] + [t >= 171] with t = bytes * 3^slot mod 256.
    if (slot == 0) {
      tq1Digits = bytes;
    } else {
      Value twice = arith::AddIOp::create(b, loc, tq1Digits, tq1Digits);
      tq1Digits = arith::AddIOp::create(b, loc, twice, tq1Digits);
    }
    auto laneI8 = VectorType::get({kLanes}, b.getI8Type());
    Value one = arith::ExtUIOp::create(
        b, loc, laneI8,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, tq1Digits,
                              splatI8(86)));
    Value two = arith::ExtUIOp::create(
        b, loc, laneI8,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, tq1Digits,
                              splatI8(171)));
    return arith::AddIOp::create(b, loc, one, two);
  }

  /// Per-token sums of `xq` ([M, kPad] i8) as [M] i32.
  Value tokenSums(Value xq) {
    OpFoldResult m = mixedDim(xq, 0);
    Value empty = tensor::EmptyOp::create(b, loc, ArrayRef<OpFoldResult>{m},
                                          b.getI32Type());
    Value zero = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(0));
    Value init = linalg::FillOp::create(b, loc, zero, empty).getResult(0);
    MLIRContext *ctx = b.getContext();
    AffineMap full = AffineMap::getMultiDimIdentityMap(2, ctx);
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{xq},
               ValueRange{init}, ArrayRef<AffineMap>{full, full.dropResult(1)},
               ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                             utils::IteratorType::reduction},
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 Value ext =
                     arith::ExtSIOp::create(nb, nloc, nb.getI32Type(), args[0]);
                 Value sum = arith::AddIOp::create(nb, nloc, args[1], ext);
                 linalg::YieldOp::create(nb, nloc, sum);
               })
        .getResult(0);
  }

  /// Loops over the rows [0, rowCount) of one output tile for tokens m..,
  /// in register tiles of `rowsPerTile` rows plus a 1-row remainder loop.
  Value rowLoops(const KernelOperands &ops, Value out, Value m, Value rowBase,
                 Value rowCount, int64_t tokens, int64_t rowsPerTile) {
    Value c0 = index(0);
    Value rem = arith::RemUIOp::create(b, loc, rowCount, index(rowsPerTile));
    Value mainEnd = arith::SubIOp::create(b, loc, rowCount, rem);
    auto emitLoop = [&](Value lb, Value ub, int64_t step, Value init) {
      return scf::ForOp::create(
                 b, loc, lb, ub, index(step), ValueRange{init},
                 [&](OpBuilder &, Location, Value col, ValueRange iter) {
                   Value row = arith::AddIOp::create(b, loc, rowBase, col);
                   Value next =
                       ops.kind == KernelKind::Dot
                           ? dotMicroKernel(ops, iter[0], m, row, col, tokens,
                                            step)
                           : microKernel(ops, iter[0], m, row, col, tokens,
                                         step);
                   scf::YieldOp::create(b, loc, next);
                 })
          .getResult(0);
    };
    if (rowsPerTile > 1)
      out = emitLoop(c0, mainEnd, rowsPerTile, out);
    return emitLoop(rowsPerTile > 1 ? mainEnd : c0, rowCount, 1, out);
  }

  /// The whole kernel: an scf.forall over tiles of output features, token
  /// loops inside. Returns the [M, N] result (f32, or i32 without scale).
  Value kernel(const KernelOperands &ops, const TileSizes &tile) {
    OpFoldResult mSize = mixedDim(ops.xq16, 0);
    Value m = dimOf(ops.xq16, 0);
    Type outElem = ops.scale ? Type(b.getF32Type()) : Type(b.getI32Type());
    Value empty = tensor::EmptyOp::create(
        b, loc, ArrayRef<OpFoldResult>{mSize, b.getIndexAttr(ops.n)}, outElem);
    int64_t tileN = std::min<int64_t>(tile.n, ops.n);
    int64_t numTiles = (ops.n + tileN - 1) / tileN;
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(numTiles)},
        ValueRange{empty}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value t = forall.getInductionVars()[0];
    Value shared = forall.getRegionIterArgs()[0];
    Value n0 = arith::MulIOp::create(b, loc, t, index(tileN));
    Value tn = arith::MinSIOp::create(
        b, loc, index(tileN), arith::SubIOp::create(b, loc, index(ops.n), n0));
    SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), n0};
    SmallVector<OpFoldResult> sizes = {m, tn};
    SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
    Value slice = tensor::ExtractSliceOp::create(b, loc, shared, offsets,
                                                 sizes, strides);

    int64_t tokens = std::max<int64_t>(1, tile.tokens);
    int64_t rows = std::max<int64_t>(1, tile.rows);
    Value c0 = index(0);
    Value rem = arith::RemUIOp::create(b, loc, m, index(tokens));
    Value mainEnd = arith::SubIOp::create(b, loc, m, rem);
    auto tokenLoop = [&](Value lb, int64_t step, Value init) {
      Value ub = step > 1 ? mainEnd : m;
      return scf::ForOp::create(
                 b, loc, lb, ub, index(step), ValueRange{init},
                 [&](OpBuilder &, Location, Value mi, ValueRange iter) {
                   Value next = rowLoops(ops, iter[0], mi, n0, tn, step, rows);
                   scf::YieldOp::create(b, loc, next);
                 })
          .getResult(0);
    };
    if (tokens > 1)
      slice = tokenLoop(c0, tokens, slice);
    slice = tokenLoop(tokens > 1 ? mainEnd : c0, 1, slice);

    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, slice, shared, offsets,
                                          sizes, strides);
    return forall.getResult(0);
  }

  /// `word` (null for none yet) with the i8 `byte` as its byte `j`
  /// (little-endian).
  static Value withByte(OpBuilder &nb, Location nloc, Value word, Value byte,
                        int64_t j) {
    Value ext = arith::ExtUIOp::create(nb, nloc, nb.getI32Type(), byte);
    if (j)
      ext = arith::ShLIOp::create(
          nb, nloc, ext,
          arith::ConstantOp::create(nb, nloc, nb.getI32IntegerAttr(8 * j)));
    return word ? arith::OrIOp::create(nb, nloc, word, ext).getResult() : ext;
  }

  /// dp4a: the activations `x` ([M, K] f32) quantized per token and packed
  /// four to a little-endian 32-bit word, zero beyond K: [M, kPad / 4] i32,
  /// in one loop nest that computes each token's scale from `amax` as
  /// quantize() does (the same values, bit for bit).
  Value quantizedWords(Value x, Value amax, int64_t kPad) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t k = type.getDimSize(1);
    int64_t words = kPad / 4;
    Value empty = tensor::EmptyOp::create(
        b, loc, ArrayRef<OpFoldResult>{mixedDim(x, 0), b.getIndexAttr(words)},
        b.getI32Type());
    MLIRContext *ctx = b.getContext();
    AffineMap id = AffineMap::getMultiDimIdentityMap(2, ctx);
    return linalg::GenericOp::create(
               b, loc, TypeRange{empty.getType()}, ValueRange{amax},
               ValueRange{empty}, ArrayRef<AffineMap>{id.dropResult(1), id},
               SmallVector<utils::IteratorType>(2,
                                                utils::IteratorType::parallel),
               [&](OpBuilder &nb, Location nloc, ValueRange args) {
                 Value s = scaleOf(nb, nloc, args[0]);
                 Value m = linalg::IndexOp::create(nb, nloc, 0);
                 Value w = linalg::IndexOp::create(nb, nloc, 1);
                 Value k0 = arith::MulIOp::create(
                     nb, nloc, w, arith::ConstantIndexOp::create(nb, nloc, 4));
                 Value last = arith::ConstantIndexOp::create(nb, nloc, k - 1);
                 Value zero8 = arith::ConstantOp::create(
                     nb, nloc, nb.getI8IntegerAttr(0));
                 Value word;
                 for (int64_t j = 0; j < 4; ++j) {
                   Value kj = arith::AddIOp::create(
                       nb, nloc, k0,
                       arith::ConstantIndexOp::create(nb, nloc, j));
                   // Past K (the last block's padding): 0, read in bounds.
                   Value inside = arith::CmpIOp::create(
                       nb, nloc, arith::CmpIPredicate::ule, kj, last);
                   Value at = arith::MinUIOp::create(nb, nloc, kj, last);
                   Value v =
                       tensor::ExtractOp::create(nb, nloc, x, ValueRange{m, at});
                   Value q = quantizeValue(nb, nloc, v, s, nb.getI8Type());
                   q = arith::SelectOp::create(nb, nloc, inside, q, zero8);
                   word = withByte(nb, nloc, word, q, j);
                 }
                 linalg::YieldOp::create(nb, nloc, word);
               })
        .getResult(0);
  }

  /// `xq` ([M, kPad] i8) as little-endian 32-bit words [M, kPad / 4]: four
  /// consecutive activations per word, what one dp4a takes.
  Value packWords(Value xq) {
    auto type = cast<RankedTensorType>(xq.getType());
    int64_t words = type.getDimSize(1) / 4;
    Value empty = tensor::EmptyOp::create(
        b, loc, ArrayRef<OpFoldResult>{mixedDim(xq, 0), b.getIndexAttr(words)},
        b.getI32Type());
    AffineMap id = b.getMultiDimIdentityMap(2);
    return linalg::GenericOp::create(
               b, loc, TypeRange{empty.getType()}, ValueRange{},
               ValueRange{empty}, ArrayRef<AffineMap>{id},
               SmallVector<utils::IteratorType>(2,
                                                utils::IteratorType::parallel),
               [&](OpBuilder &nb, Location nloc, ValueRange) {
                 Value m = linalg::IndexOp::create(nb, nloc, 0);
                 Value w = linalg::IndexOp::create(nb, nloc, 1);
                 Value k0 = arith::MulIOp::create(
                     nb, nloc, w, arith::ConstantIndexOp::create(nb, nloc, 4));
                 Value word;
                 for (int64_t j = 0; j < 4; ++j) {
                   Value k = arith::AddIOp::create(
                       nb, nloc, k0,
                       arith::ConstantIndexOp::create(nb, nloc, j));
                   Value byte =
                       tensor::ExtractOp::create(nb, nloc, xq, ValueRange{m, k});
                   word = withByte(nb, nloc, word, byte, j);
                 }
                 linalg::YieldOp::create(nb, nloc, word);
               })
        .getResult(0);
  }

  /// The GPU kernel (kernel=dp4a, i2 only): an scf.forall over every
  /// (token, output feature) pair, which the GPU pipeline maps to a warp
  /// each (trit-gpu-map-loops splits the reduction across its lanes). It
  /// walks the weight row a 32-bit word at a time (`ops.weight` is
  /// [N, bytes / 4] i32, `ops.xq16` the activations as words [M, kPad / 4]):
  /// the word holds, for each slot i, the codes (w + 1) of 4 consecutive
  /// weights at bits 2i of its bytes, masked out with 0x03030303 and
  /// multiplied with the 4 int8 activations they meet by one dp4a
  /// (nvvm.dot.accumulate.4way, unsigned x signed); a second dp4a with
  /// 0x01010101 sums the activations, which is subtracted at the end. The
  /// int32 result is rescaled as the CPU kernels do (acc * g / s).
  Value dp4aKernel(const KernelOperands &ops) {
    OpFoldResult mSize = mixedDim(ops.xq16, 0);
    Type outElem = ops.scale ? Type(b.getF32Type()) : Type(b.getI32Type());
    Value empty = tensor::EmptyOp::create(
        b, loc, ArrayRef<OpFoldResult>{mSize, b.getIndexAttr(ops.n)}, outElem);
    auto forall = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{mSize, b.getIndexAttr(ops.n)},
        ValueRange{empty}, std::nullopt);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value token = forall.getInductionVars()[0];
    Value row = forall.getInductionVars()[1];
    Value shared = forall.getRegionIterArgs()[0];
    Type i32 = b.getI32Type();
    auto v4i8 = VectorType::get({4}, b.getI8Type());
    auto i32c = [&](uint32_t v) {
      return arith::ConstantOp::create(
          b, loc, b.getI32IntegerAttr(static_cast<int32_t>(v)));
    };
    auto unsignedBytes = NVVM::DotAccumulateTypeAttr::get(
        b.getContext(), NVVM::DotAccumulateType::UNSIGNED);
    auto signedBytes = NVVM::DotAccumulateTypeAttr::get(
        b.getContext(), NVVM::DotAccumulateType::SIGNED);
    const int64_t wordsPerBlock = kLanes / 4;
    Value zero = i32c(0);
    Value mask = i32c(0x03030303u);
    Value ones = LLVM::BitcastOp::create(b, loc, v4i8, i32c(0x01010101u));
    auto loop = scf::ForOp::create(
        b, loc, index(0), index(ops.blocks * wordsPerBlock), index(1),
        ValueRange{zero, zero},
        [&](OpBuilder &, Location, Value q, ValueRange iter) {
          Value acc = iter[0], sum = iter[1];
          Value packed =
              tensor::ExtractOp::create(b, loc, ops.weight, ValueRange{row, q});
          // Word q of block bq = q / 16 holds, in slot i, the weights
          // k = 256 bq + 64 i + 4 (q % 16) .. + 3: activation word
          // 64 bq + 16 i + q % 16.
          Value block = arith::DivUIOp::create(b, loc, q, index(wordsPerBlock));
          Value within = arith::RemUIOp::create(b, loc, q, index(wordsPerBlock));
          Value first = arith::AddIOp::create(
              b, loc, arith::MulIOp::create(b, loc, block, index(kLanes)),
              within);
          for (int64_t i = 0; i < 4; ++i) {
            Value codes = arith::AndIOp::create(
                b, loc, arith::ShRUIOp::create(b, loc, packed, i32c(2 * i)),
                mask);
            Value column = arith::AddIOp::create(b, loc, first,
                                                 index(wordsPerBlock * i));
            Value x = tensor::ExtractOp::create(b, loc, ops.xq16,
                                                ValueRange{token, column});
            Value xBytes = LLVM::BitcastOp::create(b, loc, v4i8, x);
            acc = NVVM::DotAccumulate4WayOp::create(
                b, loc, i32, LLVM::BitcastOp::create(b, loc, v4i8, codes),
                unsignedBytes, xBytes, signedBytes, acc);
            sum = NVVM::DotAccumulate4WayOp::create(
                b, loc, i32, ones, unsignedBytes, xBytes, signedBytes, sum);
          }
          scf::YieldOp::create(b, loc, ValueRange{acc, sum});
        });
    Value result = arith::SubIOp::create(b, loc, loop.getResult(0),
                                         loop.getResult(1));
    if (ops.scale) {
      // y = acc * g / s, in this order (design.md section 1); ops.scale
      // holds the token's absmax here.
      Value s = scaleOf(
          b, loc,
          tensor::ExtractOp::create(b, loc, ops.scale, ValueRange{token}));
      Value f = arith::SIToFPOp::create(b, loc, b.getF32Type(), result);
      f = arith::MulFOp::create(b, loc, f, ops.g);
      result = arith::DivFOp::create(b, loc, f, s);
    }
    // The element, written in place (a slice of the shared output, not a
    // new tensor: that would allocate in every thread).
    SmallVector<OpFoldResult> offsets = {token, row};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1)};
    SmallVector<OpFoldResult> strides = {b.getIndexAttr(1), b.getIndexAttr(1)};
    Value slot = tensor::ExtractSliceOp::create(b, loc, shared, offsets, sizes,
                                                strides);
    Value one = tensor::InsertOp::create(b, loc, result, slot,
                                         ValueRange{index(0), index(0)});
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, one, shared, offsets, sizes,
                                          strides);
    return forall.getResult(0);
  }

  /// Collapses `[d0, ..., K]` to `[M, K]` (rank 1 becomes [1, K]).
  Value to2D(Value x) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t rank = type.getRank();
    if (rank == 2)
      return x;
    if (rank == 1) {
      auto result = RankedTensorType::get({1, type.getDimSize(0)},
                                          type.getElementType());
      return tensor::ExpandShapeOp::create(
          b, loc, result, x, ArrayRef<ReassociationIndices>{{0, 1}});
    }
    ReassociationIndices leading;
    for (int64_t d = 0; d < rank - 1; ++d)
      leading.push_back(d);
    return tensor::CollapseShapeOp::create(
        b, loc, x, ArrayRef<ReassociationIndices>{leading, {rank - 1}});
  }

  /// Inverse of to2D for a result `[M, N]` of `resultType`'s rank.
  Value fromTo2D(Value y, Value originalInput, RankedTensorType resultType) {
    int64_t rank = resultType.getRank();
    if (rank == 2)
      return y;
    if (rank == 1)
      return tensor::CollapseShapeOp::create(
          b, loc, resultType, y, ArrayRef<ReassociationIndices>{{0, 1}});
    ReassociationIndices leading;
    for (int64_t d = 0; d < rank - 1; ++d)
      leading.push_back(d);
    SmallVector<OpFoldResult> shape;
    for (int64_t d = 0; d < rank - 1; ++d)
      shape.push_back(mixedDim(originalInput, d));
    shape.push_back(b.getIndexAttr(resultType.getShape().back()));
    return tensor::ExpandShapeOp::create(
        b, loc, resultType, y,
        ArrayRef<ReassociationIndices>{leading, {rank - 1}}, shape);
  }

private:
  OpBuilder &b;
  Location loc;
};

/// A constant weight re-created without its #trit.packed encoding (sharing
/// the same data), so that nothing of the trit dialect outlives this pass;
/// any other weight as it is.
Value withoutEncoding(OpBuilder &b, Value weight, bool asWords = false) {
  auto constant = weight.getDefiningOp<arith::ConstantOp>();
  if (!constant)
    return weight;
  auto type = cast<RankedTensorType>(weight.getType());
  auto plain = RankedTensorType::get(type.getShape(), type.getElementType());
  // The same bytes as little-endian 32-bit words [rows, bytes / 4] (rows
  // are whole 64-byte blocks), for the dp4a kernel's word loads.
  if (asWords)
    plain = RankedTensorType::get({type.getDimSize(0), type.getDimSize(1) / 4},
                                  b.getI32Type());
  TypedAttr value;
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(constant.getValue()))
    value = DenseResourceElementsAttr::get(plain, resource.getRawHandle());
  else if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
           dense && asWords && dense.isSplat()) {
    // One byte repeated: the word repeats it four times.
    uint32_t byte = dense.getSplatValue<APInt>().getZExtValue() & 0xff;
    value = DenseElementsAttr::get(
        plain, APInt(32, byte * 0x01010101u));
  } else if (dense)
    value = asWords ? DenseElementsAttr::getFromRawBuffer(plain,
                                                          dense.getRawData())
                    : dense.reshape(plain);
  else
    return weight;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointAfter(constant);
  return arith::ConstantOp::create(b, constant.getLoc(), value);
}

/// Checks that `op`'s weight is packed with a static shape; emits an error
/// otherwise.
FailureOr<PackedEncodingAttr> packedWeightOf(Operation *op, Value weight) {
  PackedEncodingAttr encoding = getPackedEncoding(weight.getType());
  if (!encoding) {
    op->emitOpError("needs a packed weight to be lowered; run "
                    "trit-pack-weights first (only constant weights can be "
                    "packed at compile time)");
    return failure();
  }
  if (!cast<RankedTensorType>(weight.getType()).hasStaticShape()) {
    op->emitOpError("needs a weight of static shape to be lowered");
    return failure();
  }
  return encoding;
}

struct TritTileBitLinearPass
    : public trit::impl::TritTileBitLinearPassBase<TritTileBitLinearPass> {
  using Base::Base;

  void runOnOperation() override {
    if (tileN < 1 || tileRows < 0 || tileTokens < 0) {
      getOperation().emitError(
          "trit-tile-bitlinear: tile-n must be positive and tile-rows, "
          "tile-tokens not negative");
      return signalPassFailure();
    }
    if (kernel == "addsub") {
      kind = KernelKind::AddSub;
    } else if (kernel == "dot") {
      kind = KernelKind::Dot;
    } else if (kernel == "dp4a") {
      kind = KernelKind::Dp4a;
    } else {
      getOperation().emitError("trit-tile-bitlinear: unknown kernel '")
          << kernel << "' (expected 'addsub', 'dot' or 'dp4a')";
      return signalPassFailure();
    }
    // 0 picks the kernel's register tile: what fits 32 vector registers
    // (add/sub: two per int16 accumulator once LLVM splits the +1 and -1
    // sums; dot: one int32 accumulator per token and row).
    TileSizes tile{tileN,
                   tileRows ? int64_t(tileRows) : int64_t(4),
                   tileTokens ? int64_t(tileTokens)
                              : (kind == KernelKind::Dot ? int64_t(4)
                                                         : int64_t(2))};
    SmallVector<Operation *> work;
    getOperation().walk([&](Operation *op) {
      if (isa<BitLinearOp, TernaryMatmulOp, QuantizeActivationsOp>(op))
        work.push_back(op);
    });
    for (Operation *op : work)
      if (failed(lower(op, tile)))
        return signalPassFailure();
  }

  KernelKind kind = KernelKind::AddSub;

  const char *kernelName() const {
    switch (kind) {
    case KernelKind::AddSub:
      return "addsub";
    case KernelKind::Dot:
      return "dot";
    case KernelKind::Dp4a:
      return "dp4a";
    }
    return "";
  }

  LogicalResult lower(Operation *op, const TileSizes &tile) {
    OpBuilder b(op);
    Lowering lowering(b, op->getLoc());
    if (auto quantize = dyn_cast<QuantizeActivationsOp>(op)) {
      RankedTensorType qType = quantize.getQuantized().getType();
      SmallVector<Value> dynSizes;
      for (int64_t d = 0; d < qType.getRank(); ++d)
        if (qType.isDynamicDim(d))
          dynSizes.push_back(lowering.dimOf(quantize.getInput(), d));
      Value dest = tensor::EmptyOp::create(b, op->getLoc(), qType, dynSizes);
      auto [q, s] =
          lowering.quantize(quantize.getInput(), dest, b.getI8Type());
      if (s.getType() != quantize.getScale().getType())
        s = tensor::CastOp::create(b, op->getLoc(),
                                   quantize.getScale().getType(), s);
      op->replaceAllUsesWith(ValueRange{q, s});
      op->erase();
      return success();
    }

    Value input = op->getOperand(0);
    Value weight = op->getOperand(1);
    FailureOr<PackedEncodingAttr> encoding = packedWeightOf(op, weight);
    if (failed(encoding))
      return failure();
    auto inputType = cast<RankedTensorType>(input.getType());
    int64_t k = inputType.getShape().back();
    if (ShapedType::isDynamic(k))
      return op->emitOpError("needs a static number of input features");
    auto weightType = cast<RankedTensorType>(weight.getType());
    if (kind == KernelKind::Dp4a && encoding->getLayout() != PackedLayout::I2)
      return op->emitOpError("the dp4a kernel takes the i2 layout only, not ")
             << stringifyPackedLayout(encoding->getLayout());
    auto bitlinear = dyn_cast<BitLinearOp>(op);
    func::FuncOp kernelFn = getOrCreateKernel(
        op->getLoc(), bitlinear != nullptr, encoding->getLayout(),
        weightType.getDimSize(0), k, weightType.getDimSize(1), tile);

    // The call: [M, K] activations of any M, the weight without its
    // encoding, the scale.
    Location loc = op->getLoc();
    Value x2d = lowering.to2D(input);
    auto x2dType = cast<RankedTensorType>(x2d.getType());
    FunctionType fnType = kernelFn.getFunctionType();
    bool quantizeHere = kind == KernelKind::Dp4a && bitlinear;
    if (!quantizeHere && x2d.getType() != fnType.getInput(0))
      x2d = tensor::CastOp::create(b, loc, fnType.getInput(0), x2d);
    if (kind == KernelKind::Dp4a && !weight.getDefiningOp<arith::ConstantOp>())
      return op->emitOpError("the dp4a kernel needs a constant weight");
    Value plainWeight =
        withoutEncoding(b, weight, /*asWords=*/kind == KernelKind::Dp4a);
    unsigned weightIndex = quantizeHere ? 2 : 1;
    if (plainWeight.getType() != fnType.getInput(weightIndex))
      plainWeight = tensor::CastOp::create(
          b, loc, fnType.getInput(weightIndex), plainWeight);
    SmallVector<Value> args = {x2d, plainWeight};
    if (quantizeHere) {
      // The activations are quantized here, in the caller: BitLinears of
      // the same input (q, k and v; gate and up) then compute the same
      // absmax and words, which CSE keeps once.
      int64_t kPad = dp4aPaddedK(weightType.getDimSize(1));
      Value amax = lowering.absmax(x2d);
      args = {lowering.quantizedWords(x2d, amax, kPad), amax, plainWeight};
      for (unsigned i = 0; i < 2; ++i)
        if (args[i].getType() != fnType.getInput(i))
          args[i] = tensor::CastOp::create(b, loc, fnType.getInput(i), args[i]);
    }
    if (bitlinear)
      args.push_back(bitlinear.getWeightScale());
    Value y = func::CallOp::create(b, loc, kernelFn, args).getResult(0);
    // Back to the static [M, N] of this call site before reshaping.
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    auto flat = RankedTensorType::get(
        {x2dType.getDimSize(0), weightType.getDimSize(0)},
        resultType.getElementType());
    if (y.getType() != flat)
      y = tensor::CastOp::create(b, loc, flat, y);
    y = lowering.fromTo2D(y, input, resultType);
    if (y.getType() != resultType)
      y = tensor::CastOp::create(b, loc, resultType, y);
    op->getResult(0).replaceAllUsesWith(y);
    op->erase();
    return success();
  }

  /// The dp4a kernel's padded K for i2 rows of `bytesPerRow` bytes: whole
  /// blocks of kLanes bytes, 4 weights a byte.
  static int64_t dp4aPaddedK(int64_t bytesPerRow) {
    return bytesPerRow / kLanes * kLanes * 4;
  }

  /// One private kernel function per BitLinear (or ternary matmul) shape,
  /// layout and kernel, shared by every op of that kind: a model's 30 layers
  /// compile a handful of kernels, not 210.
  func::FuncOp getOrCreateKernel(Location loc, bool isBitLinear,
                                 PackedLayout layout, int64_t n, int64_t k,
                                 int64_t bytesPerRow, const TileSizes &tile) {
    std::string name = std::string("__trit_") +
                       (isBitLinear ? "bitlinear_" : "ternary_matmul_") +
                       stringifyPackedLayout(layout).str() + "_" +
                       kernelName() + "_" +
                       std::to_string(n) + "x" + std::to_string(k);
    ModuleOp module = getOperation();
    if (auto existing = module.lookupSymbol<func::FuncOp>(name))
      return existing;

    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    MLIRContext *ctx = &getContext();
    Type inElem = isBitLinear ? Type(Float32Type::get(ctx))
                              : Type(IntegerType::get(ctx, 8));
    Type outElem = isBitLinear ? Type(Float32Type::get(ctx))
                               : Type(IntegerType::get(ctx, 32));
    SmallVector<Type> inputs = {
        RankedTensorType::get({ShapedType::kDynamic, k}, inElem),
        kind == KernelKind::Dp4a
            ? RankedTensorType::get({n, bytesPerRow / 4},
                                    IntegerType::get(ctx, 32))
            : RankedTensorType::get({n, bytesPerRow},
                                    IntegerType::get(ctx, 8))};
    if (isBitLinear)
      inputs.push_back(Float32Type::get(ctx));
    if (kind == KernelKind::Dp4a && isBitLinear)
      // The caller's quantized words and absmax (see the call site).
      inputs = {RankedTensorType::get({ShapedType::kDynamic,
                                       dp4aPaddedK(bytesPerRow) / 4},
                                      IntegerType::get(ctx, 32)),
                RankedTensorType::get({ShapedType::kDynamic},
                                      Float32Type::get(ctx)),
                inputs[1], inputs[2]};
    Type result = RankedTensorType::get({ShapedType::kDynamic, n}, outElem);
    auto fn = func::FuncOp::create(b, loc, name,
                                   b.getFunctionType(inputs, {result}));
    fn.setPrivate();
    Block *entry = fn.addEntryBlock();
    b.setInsertionPointToStart(entry);
    Lowering lowering(b, loc);

    int64_t blocks = bytesPerRow / kLanes;
    int64_t kPad = blocks * kLanes * valuesPerByte(layout);
    Type lane = kind == KernelKind::AddSub ? b.getI16Type() : b.getI8Type();
    Value xq, scale;
    Value weightArg = entry->getArgument(1), gArg;
    if (isBitLinear)
      gArg = entry->getArgument(2);
    if (kind == KernelKind::Dp4a && isBitLinear) {
      // Quantized by the caller: words and absmax.
      xq = entry->getArgument(0);
      scale = entry->getArgument(1);
      weightArg = entry->getArgument(2);
      gArg = entry->getArgument(3);
    } else {
      std::tie(xq, scale) =
          lowering.paddedActivations(entry->getArgument(0), kPad, lane);
      if (kind == KernelKind::Dp4a)
        xq = lowering.packWords(xq);
    }
    // (the dp4a kernel sums each token's activations as it goes)
    Value sumX =
        kind == KernelKind::Dot ? lowering.tokenSums(xq) : Value();
    Lowering::KernelOperands ops{kind,    layout,
                                 xq,      sumX,
                                 nullptr, nullptr,
                                 weightArg, n,
                                 blocks};
    if (isBitLinear) {
      ops.scale = scale;
      ops.g = gArg;
    }
    Value y = kind == KernelKind::Dp4a ? lowering.dp4aKernel(ops)
                                       : lowering.kernel(ops, tile);
    func::ReturnOp::create(b, loc, y);
    return fn;
  }
};

} // namespace
