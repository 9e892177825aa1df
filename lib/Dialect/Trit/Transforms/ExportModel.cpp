//===- ExportModel.cpp - trit-export-model ----------------------*- C++ -*-===//
//
// Gives a model's entry function the model-library ABI of trit/runtime.h.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"
#include "trit/runtime.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITEXPORTMODELPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

/// Whether `root` is computed from the entry's arguments only through their
/// sizes (`tensor.dim`) and constants: a position or a length, not data
/// such as token ids. Conservative: a value it cannot follow within a few
/// thousand ops counts as data.
bool derivesFromSizesOnly(Value root) {
  SmallVector<Value> worklist = {root};
  DenseSet<Value> seen;
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (seen.size() > 4096)
      return false;
    Operation *def = v.getDefiningOp();
    if (!def) {
      // A block argument: the function's data, or a region's argument,
      // which stands for an operand of its op (followed below).
      auto arg = cast<BlockArgument>(v);
      Operation *owner = arg.getOwner()->getParentOp();
      if (isa<func::FuncOp>(owner))
        return false;
      auto generic = dyn_cast<linalg::GenericOp>(owner);
      if (!generic || arg.getArgNumber() >= generic.getNumDpsInputs())
        return false;
      worklist.push_back(generic.getDpsInputs()[arg.getArgNumber()]);
      continue;
    }
    if (isa<tensor::DimOp>(def))
      continue; // a size, whatever tensor it is taken from
    if (isa<linalg::IndexOp>(def))
      return false; // bounded by the loop, which may be over data
    for (Value operand : def->getOperands())
      worklist.push_back(operand);
    for (Region &region : def->getRegions()) {
      region.walk([&](Operation *inner) {
        for (Value result : inner->getResults())
          seen.insert(result);
      });
      llvm::SetVector<Value> captured;
      getUsedValuesDefinedAbove(region, captured);
      worklist.append(captured.begin(), captured.end());
      // Values the body yields come from its arguments (the op's
      // operands, already followed), its own ops or what it captures.
    }
  }
  return true;
}

/// The most positions a graph can take when it reads a constant table at
/// rows computed from the sequence's length (a rotary table sliced or
/// gathered by position, a position-embedding table): the table's rows.
/// Past them the graph would read outside the table. nullopt if it reads
/// no such table.
std::optional<int64_t> positionTableBound(func::FuncOp forward) {
  std::optional<int64_t> bound;
  auto take = [&](int64_t rows) {
    bound = bound ? std::min(*bound, rows) : rows;
  };
  forward.walk([&](Operation *op) {
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
      auto table = slice.getSource().getDefiningOp<arith::ConstantOp>();
      if (!table)
        return;
      auto type = cast<RankedTensorType>(table.getType());
      for (int64_t d = 0; d < type.getRank(); ++d) {
        OpFoldResult offset = slice.getMixedOffsets()[d];
        OpFoldResult size = slice.getMixedSizes()[d];
        auto dynamic = [](OpFoldResult f) {
          auto v = dyn_cast<Value>(f);
          return v && derivesFromSizesOnly(v);
        };
        if (dynamic(offset) || dynamic(size))
          take(type.getDimSize(d));
      }
      return;
    }
    // A gather: a linalg.generic extracting from a constant at indices
    // computed from positions.
    auto extract = dyn_cast<tensor::ExtractOp>(op);
    if (!extract || !op->getParentOfType<linalg::GenericOp>())
      return;
    auto table = extract.getTensor().getDefiningOp<arith::ConstantOp>();
    if (!table)
      return;
    auto type = cast<RankedTensorType>(table.getType());
    for (auto [d, index] : llvm::enumerate(extract.getIndices()))
      if (derivesFromSizesOnly(index))
        take(type.getDimSize(d));
  });
  return bound;
}

/// The context length of a model with a dynamic sequence when none is
/// given (bitnet-b1.58-2B-4T's).
constexpr int64_t kDefaultDynamicContext = 4096;

struct TritExportModelPass
    : public trit::impl::TritExportModelPassBase<TritExportModelPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp forward = findEntry(module);
    if (!forward)
      return signalPassFailure();

    FunctionType type = forward.getFunctionType();
    auto fail = [&](const Twine &what) {
      forward.emitError("trit-export-model: the entry '")
          << forward.getSymName() << "' " << what
          << "; a model maps token ids tensor<BxTxi64> to logits "
             "tensor<BxTxVxf32>";
      signalPassFailure();
    };
    if (type.getNumInputs() < 1 || type.getNumResults() < 1)
      return fail("must take token ids and return logits, it takes " +
                  Twine(type.getNumInputs()) + " arguments and returns " +
                  Twine(type.getNumResults()) + " results");
    auto ids = dyn_cast<RankedTensorType>(type.getInput(0));
    if (!ids || ids.getRank() != 2 || !ids.getElementType().isInteger(64))
      return fail("takes " + typeString(type.getInput(0)) +
                  " instead of token ids");
    auto logits = dyn_cast<RankedTensorType>(type.getResult(0));
    if (!logits || logits.getRank() != 3 || !logits.getElementType().isF32())
      return fail("returns " + typeString(type.getResult(0)) +
                  " instead of logits");
    if (logits.isDynamicDim(2))
      return fail("returns logits with a dynamic vocabulary size");

    int64_t context = contextLength;
    // The model takes no more positions than its position tables have
    // rows: the builder's rotary tables (trit.max_positions), or constant
    // tables the graph reads at positions (an imported RoPE cache).
    std::optional<int64_t> bound = positionTableBound(forward);
    if (auto attr = module->getAttrOfType<IntegerAttr>("trit.max_positions"))
      bound = bound ? std::min(*bound, attr.getInt()) : attr.getInt();
    if (bound && context > *bound) {
      forward.emitError("trit-export-model: the entry '")
          << forward.getSymName() << "' has position tables for " << *bound
          << " tokens, it cannot take a context length of " << context;
      return signalPassFailure();
    }
    if (context == 0)
      context = ids.isDynamicDim(1) ? kDefaultDynamicContext
                                    : ids.getDimSize(1);
    if (bound && contextLength == 0)
      context = std::min(context, *bound);
    if (context < 1)
      return fail("cannot take a context length of " + Twine(context));
    if (defaultThreads < 0)
      return fail("cannot take a default of " + Twine(defaultThreads) +
                  " threads");

    // A KV-cache model: (ids, past_0 .. past_{n-1}) -> (logits, present_0
    // .. present_{n-1}), each cache tensor [batch, kv_heads, length,
    // head_dim].
    int64_t kvTensors = type.getNumInputs() - 1;
    int64_t kvHeads = 0, kvHeadDim = 0;
    if (kvTensors > 0 || type.getNumResults() > 1) {
      if (int64_t(type.getNumResults()) - 1 != kvTensors)
        return fail("takes " + Twine(kvTensors) + " cache tensors but returns " +
                    Twine(type.getNumResults() - 1) +
                    "; a KV-cache model returns each one extended");
      for (Type t : llvm::concat<const Type>(type.getInputs().drop_front(),
                                             type.getResults().drop_front())) {
        auto cache = dyn_cast<RankedTensorType>(t);
        if (!cache || cache.getRank() != 4 || !cache.getElementType().isF32() ||
            cache.isDynamicDim(1) || cache.isDynamicDim(3))
          return fail("has a cache tensor of type " + typeString(t) +
                      ", not tensor<batch x heads x length x head_dim x f32> "
                      "with static heads and head_dim");
        if (kvHeads == 0) {
          kvHeads = cache.getDimSize(1);
          kvHeadDim = cache.getDimSize(3);
        } else if (cache.getDimSize(1) != kvHeads ||
                   cache.getDimSize(3) != kvHeadDim) {
          return fail("has cache tensors of different heads or head_dim");
        }
      }
    }

    SymbolTable symbols(module);
    if (kvTensors > 0) {
      if (symbols.lookup("trit_forward_cached") ||
          symbols.lookup("trit_forward_cached_last"))
        return fail("cannot be wrapped: 'trit_forward_cached' or "
                    "'trit_forward_cached_last' exists already");
      if (forward.getSymName() != "trit_forward_graph" &&
          failed(symbols.rename(forward, "trit_forward_graph")))
        return fail("cannot be renamed to 'trit_forward_graph'");
      forward.setPrivate();
      // Generation needs the logits of the last token only: when the LM
      // head has the importer's form, the graph takes the first row it
      // computes logits for, and a second wrapper asks for the last.
      bool firstRow = addFirstRowArgument(forward);
      if (failed(wrapCachedForward(module, forward, kvTensors, kvHeads,
                                   kvHeadDim, "trit_forward_cached",
                                   firstRow, /*lastOnly=*/false)))
        return signalPassFailure();
      if (firstRow && failed(wrapCachedForward(
                          module, forward, kvTensors, kvHeads, kvHeadDim,
                          "trit_forward_cached_last", firstRow,
                          /*lastOnly=*/true)))
        return signalPassFailure();
    } else if (forward.getSymName() != "trit_forward") {
      if (symbols.lookup("trit_forward"))
        return fail("cannot be renamed: 'trit_forward' exists already");
      if (failed(symbols.rename(forward, "trit_forward")))
        return fail("cannot be renamed to 'trit_forward'");
    }
    if (kvTensors == 0) {
      forward.setPublic();
      forward->setAttr("llvm.emit_c_interface", UnitAttr::get(&getContext()));
    }

    OpBuilder b(module.getBodyRegion());
    b.setInsertionPointToEnd(module.getBody());
    auto addConstantFunction = [&](StringRef name, Type result,
                                   int64_t value) {
      if (Operation *old = symbols.lookup(name))
        old->erase();
      auto fn = func::FuncOp::create(b, forward.getLoc(), name,
                                     b.getFunctionType({}, {result}));
      OpBuilder body(fn.addEntryBlock()->getParent());
      body.setInsertionPointToStart(&fn.front());
      Value v = arith::ConstantOp::create(body, forward.getLoc(),
                                          body.getIntegerAttr(result, value));
      func::ReturnOp::create(body, forward.getLoc(), v);
    };
    addConstantFunction("trit_compiled_abi_version", b.getI32Type(),
                        TRIT_MODEL_ABI_VERSION);
    addConstantFunction("trit_compiled_vocab_size", b.getI64Type(),
                        logits.getDimSize(2));
    addConstantFunction("trit_compiled_context_length", b.getI64Type(),
                        context);
    addConstantFunction("trit_compiled_default_threads", b.getI32Type(),
                        defaultThreads);
    // A model compiled for static sizes takes exactly those: the runtime
    // must refuse anything else rather than hand it a wrong-sized buffer.
    addConstantFunction("trit_compiled_static_batch", b.getI64Type(),
                        ids.isDynamicDim(0) ? 0 : ids.getDimSize(0));
    addConstantFunction("trit_compiled_static_sequence", b.getI64Type(),
                        ids.isDynamicDim(1) ? 0 : ids.getDimSize(1));
    if (kvTensors > 0) {
      addConstantFunction("trit_compiled_kv_tensors", b.getI64Type(),
                          kvTensors);
      addConstantFunction("trit_compiled_kv_heads", b.getI64Type(), kvHeads);
      addConstantFunction("trit_compiled_kv_head_dim", b.getI64Type(),
                          kvHeadDim);
    }
  }

  /// Adds trit_forward_cached(ids, cache [n, batch, heads, past, head_dim])
  /// -> (logits, cache [n, batch, heads, past + seq, head_dim]) around the
  /// graph's function, which becomes private: one cache argument whatever
  /// the number of layers, so that the runtime calls it with a fixed C
  /// signature.
  ///
  /// With `firstRow` the graph's last argument is the first token row its
  /// logits start at: 0, or the last row with `lastOnly` (the wrapper's
  /// logits are then [batch, 1, vocab]).
  LogicalResult wrapCachedForward(ModuleOp module, func::FuncOp forward,
                                  int64_t n, int64_t heads, int64_t headDim,
                                  StringRef wrapperName, bool firstRow,
                                  bool lastOnly) {
    FunctionType type = forward.getFunctionType();
    Location loc = forward.getLoc();

    auto ids = cast<RankedTensorType>(type.getInput(0));
    int64_t batch = ids.getDimSize(0);
    auto stacked = RankedTensorType::get(
        {n, batch, heads, ShapedType::kDynamic, headDim}, b().getF32Type());
    OpBuilder builder(module.getBodyRegion());
    builder.setInsertionPointToEnd(module.getBody());
    auto logitsType = cast<RankedTensorType>(type.getResult(0));
    if (lastOnly)
      logitsType = RankedTensorType::get(
          {logitsType.getDimSize(0), 1, logitsType.getDimSize(2)},
          logitsType.getElementType());
    auto wrapper = func::FuncOp::create(
        builder, loc, wrapperName,
        builder.getFunctionType({ids, stacked}, {logitsType, stacked}));
    wrapper->setAttr("llvm.emit_c_interface", builder.getUnitAttr());
    // The cache the runtime passes back at the next step: the GPU target
    // keeps it in device memory (trit-gpu-host-buffers).
    wrapper.setArgAttr(1, "trit.kv_cache", builder.getUnitAttr());
    wrapper.setResultAttr(1, "trit.kv_cache", builder.getUnitAttr());
    Block *body = wrapper.addEntryBlock();
    builder.setInsertionPointToStart(body);
    Value idsArg = body->getArgument(0), cacheArg = body->getArgument(1);

    // Slice i of the stacked cache as a tensor of `type`: the sizes of its
    // 4 dimensions are static or read off `sizesOf` (dimension d + shift).
    auto one = builder.getIndexAttr(1), zero = builder.getIndexAttr(0);
    auto slice = [&](int64_t i, RankedTensorType type, Value sizesOf,
                     int64_t shift) {
      SmallVector<OpFoldResult> offsets(5, zero), sizes = {one},
          strides(5, one);
      offsets[0] = builder.getIndexAttr(i);
      for (int64_t d = 0; d < 4; ++d)
        sizes.push_back(
            type.isDynamicDim(d)
                ? OpFoldResult(
                      tensor::DimOp::create(builder, loc, sizesOf, d + shift)
                          .getResult())
                : OpFoldResult(builder.getIndexAttr(type.getDimSize(d))));
      return std::make_tuple(offsets, sizes, strides);
    };
    SmallVector<Value> operands = {idsArg};
    for (int64_t i = 0; i < n; ++i) {
      auto pastType = cast<RankedTensorType>(type.getInput(i + 1));
      auto [offsets, sizes, strides] = slice(i, pastType, cacheArg, 1);
      operands.push_back(tensor::ExtractSliceOp::create(
          builder, loc, pastType, cacheArg, offsets, sizes, strides));
    }
    if (firstRow) {
      Value row = arith::ConstantIndexOp::create(builder, loc, 0);
      if (lastOnly) {
        Value one = arith::ConstantIndexOp::create(builder, loc, 1);
        row = arith::SubIOp::create(
            builder, loc, tensor::DimOp::create(builder, loc, idsArg, one),
            one);
      }
      operands.push_back(row);
    }
    auto call = func::CallOp::create(builder, loc, forward, operands);

    // Stack the extended caches: [n, batch, heads, total, head_dim].
    Value first = call.getResult(1);
    auto firstType = cast<RankedTensorType>(first.getType());
    SmallVector<OpFoldResult> stackSizes = {builder.getIndexAttr(n)};
    for (int64_t d = 0; d < 4; ++d) {
      int64_t size = stacked.getDimSize(d + 1);
      stackSizes.push_back(
          ShapedType::isDynamic(size)
              ? (firstType.isDynamicDim(d)
                     ? OpFoldResult(
                           tensor::DimOp::create(builder, loc, first, d)
                               .getResult())
                     : OpFoldResult(
                           builder.getIndexAttr(firstType.getDimSize(d))))
              : OpFoldResult(builder.getIndexAttr(size)));
    }
    Value present = tensor::EmptyOp::create(builder, loc, stackSizes,
                                            builder.getF32Type());
    present = tensor::CastOp::create(builder, loc, stacked, present);
    for (int64_t i = 0; i < n; ++i) {
      Value part = call.getResult(i + 1);
      auto [offsets, sizes, strides] =
          slice(i, cast<RankedTensorType>(part.getType()), part, 0);
      present = tensor::InsertSliceOp::create(builder, loc, part, present,
                                              offsets, sizes, strides);
    }
    Value logits = call.getResult(0);
    if (logits.getType() != logitsType)
      logits = tensor::CastOp::create(builder, loc, logitsType, logits);
    func::ReturnOp::create(builder, loc, ValueRange{logits, present});
    return success();
  }

  /// When the logits (result 0 of `graph`) come from an LM head in the
  /// importer's form, `expand_shape(matmul(collapse_shape(x [B, T, K]), w))`
  /// into a zero fill, gives `graph` a last argument `first` (index) and
  /// computes the head on rows [first, T) of `x` only: logits [B, T - first,
  /// V]. The wrappers pass 0, or T - 1 for generation, which needs the last
  /// token's logits alone. Returns whether it did.
  bool addFirstRowArgument(func::FuncOp graph) {
    if (!graph.getBody().hasOneBlock())
      return false;
    auto ret = cast<func::ReturnOp>(graph.getBody().front().getTerminator());
    auto expand = ret.getOperand(0).getDefiningOp<tensor::ExpandShapeOp>();
    if (!expand || !expand->hasOneUse() ||
        expand.getResultType().getRank() != 3 ||
        expand.getSrcType().getRank() != 2)
      return false;
    auto matmul = expand.getSrc().getDefiningOp<linalg::MatmulOp>();
    if (!matmul || matmul.hasUserDefinedMaps() ||
        matmul.getInputs().size() != 2 || matmul->getNumResults() != 1 ||
        !matmul->hasOneUse())
      return false;
    auto collapse =
        matmul.getInputs()[0].getDefiningOp<tensor::CollapseShapeOp>();
    auto fill = matmul.getOutputs()[0].getDefiningOp<linalg::FillOp>();
    if (!collapse || !fill || collapse.getSrcType().getRank() != 3 ||
        collapse.getReassociationIndices() !=
            SmallVector<ReassociationIndices>{{0, 1}, {2}})
      return false;

    Location loc = matmul.getLoc();
    Block &body = graph.getBody().front();
    Value first = body.addArgument(IndexType::get(&getContext()), loc);
    graph.setFunctionType(FunctionType::get(
        &getContext(), body.getArgumentTypes(),
        graph.getFunctionType().getResults()));

    OpBuilder builder(expand);
    Value x = collapse.getSrc();
    auto xType = cast<RankedTensorType>(x.getType());
    OpFoldResult batch = tensor::getMixedSize(builder, loc, x, 0);
    OpFoldResult k = tensor::getMixedSize(builder, loc, x, 2);
    Value tokens = tensor::DimOp::create(builder, loc, x, 1);
    Value count = arith::SubIOp::create(builder, loc, tokens, first);
    OpFoldResult one = builder.getIndexAttr(1), zero = builder.getIndexAttr(0);
    auto rowsType = RankedTensorType::get(
        {xType.getDimSize(0), ShapedType::kDynamic, xType.getDimSize(2)},
        xType.getElementType());
    Value rows = tensor::ExtractSliceOp::create(
        builder, loc, rowsType, x, ArrayRef<OpFoldResult>{zero, first, zero},
        ArrayRef<OpFoldResult>{batch, count, k},
        ArrayRef<OpFoldResult>{one, one, one});
    Value flat = tensor::CollapseShapeOp::create(
        builder, loc, rows, SmallVector<ReassociationIndices>{{0, 1}, {2}});
    Value w = matmul.getInputs()[1];
    OpFoldResult vocab = tensor::getMixedSize(builder, loc, w, 1);
    Value init = tensor::EmptyOp::create(
        builder, loc,
        ArrayRef<OpFoldResult>{tensor::DimOp::create(builder, loc, flat, 0)
                                   .getResult(),
                               vocab},
        fill.getInputs()[0].getType());
    init = linalg::FillOp::create(builder, loc, fill.getInputs()[0], init)
               .getResult(0);
    Value product =
        linalg::MatmulOp::create(builder, loc, init.getType(),
                                 ValueRange{flat, w}, ValueRange{init})
            .getResult(0);
    auto logitsType = cast<RankedTensorType>(expand.getResultType());
    Value logits = tensor::ExpandShapeOp::create(
        builder, loc,
        RankedTensorType::get({logitsType.getDimSize(0), ShapedType::kDynamic,
                               logitsType.getDimSize(2)},
                              logitsType.getElementType()),
        product, SmallVector<ReassociationIndices>{{0, 1}, {2}},
        ArrayRef<OpFoldResult>{batch, count, vocab});
    if (logits.getType() != logitsType)
      logits = tensor::CastOp::create(builder, loc, logitsType, logits);
    ret->setOperand(0, logits);
    expand->erase();
    matmul->erase();
    if (collapse->use_empty())
      collapse->erase();
    return true;
  }

  OpBuilder b() { return OpBuilder(&getContext()); }

  static std::string typeString(Type type) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << type;
    return text;
  }

  /// The function named `entry`, else the only public function.
  func::FuncOp findEntry(ModuleOp module) {
    if (auto named = module.lookupSymbol<func::FuncOp>(entry))
      return named;
    func::FuncOp only;
    unsigned publicCount = 0;
    for (auto fn : module.getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isDeclaration()) {
        only = fn;
        ++publicCount;
      }
    if (publicCount == 1)
      return only;
    module.emitError("trit-export-model: no function '")
        << entry << "' and " << publicCount
        << " public functions to choose from; name the model's forward "
           "function with entry=";
    return nullptr;
  }
};

} // namespace
