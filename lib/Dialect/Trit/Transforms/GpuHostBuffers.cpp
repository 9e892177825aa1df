//===- GpuHostBuffers.cpp - trit-gpu-host-buffers ---------------*- C++ -*-===//
//
// After convert-parallel-loops-to-gpu: every buffer host code allocates
// becomes device memory freed when the function returns, the model's entry
// points copy their arguments in and their results out, and small constants
// move into the kernels that read them. See the pass description in
// Passes.td.
//
//===----------------------------------------------------------------------===//

#include "trit/Dialect/Trit/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::trit {
#define GEN_PASS_DEF_TRITGPUHOSTBUFFERSPASS
#include "trit/Dialect/Trit/Transforms/Passes.h.inc"
} // namespace mlir::trit

using namespace mlir;
using namespace mlir::trit;

namespace {

/// The dynamic sizes of `value` (a memref) as values.
SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, Value value) {
  auto type = cast<MemRefType>(value.getType());
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    if (type.isDynamicDim(d))
      sizes.push_back(memref::DimOp::create(b, loc, value, d));
  return sizes;
}

bool isEntryPoint(func::FuncOp fn) { return !fn.isPrivate(); }

/// Marks an entry point's KV-cache argument and result (trit-export-model):
/// they stay in device memory, owned by the runtime between steps.
constexpr llvm::StringLiteral kKvCache = "trit.kv_cache";

struct TritGpuHostBuffersPass
    : public trit::impl::TritGpuHostBuffersPassBase<TritGpuHostBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      if (failed(sinkConstants(fn, symbols)) ||
          failed(placeBuffers(fn, symbols)))
        return signalPassFailure();
    }
  }

  /// Whether global `name` is compiled into the kernels that read it (a
  /// small or splat constant) rather than read through a pointer (a
  /// weight: tritc puts those into the weights file, which the runtime
  /// copies to the device once).
  bool belongsInKernel(memref::GlobalOp global) {
    if (!global || !global.getConstant())
      return false;
    auto value = dyn_cast_if_present<ElementsAttr>(
        global.getInitialValue().value_or(Attribute()));
    if (!value)
      return false;
    if (auto dense = dyn_cast<DenseElementsAttr>(value); dense && dense.isSplat())
      return true;
    MemRefType type = global.getType();
    int64_t bytes = type.getNumElements() *
                    ((type.getElementTypeBitWidth() + 7) / 8);
    return bytes < static_cast<int64_t>(kernelConstantBytes);
  }

  LogicalResult sinkConstants(func::FuncOp fn, SymbolTable &symbols) {
    fn.walk([&](gpu::LaunchOp launch) {
      SmallVector<std::pair<OpOperand *, memref::GetGlobalOp>> uses;
      launch.getBody().walk([&](Operation *op) {
        for (OpOperand &operand : op->getOpOperands()) {
          auto get = operand.get().getDefiningOp<memref::GetGlobalOp>();
          if (!get || launch->isAncestor(get))
            continue;
          if (belongsInKernel(
                  symbols.lookup<memref::GlobalOp>(get.getName())))
            uses.push_back({&operand, get});
        }
      });
      OpBuilder b(launch.getBody());
      b.setInsertionPointToStart(&launch.getBody().front());
      DenseMap<Operation *, Value> cloned;
      for (auto [operand, get] : uses) {
        Value &inside = cloned[get];
        if (!inside)
          inside = b.clone(*get)->getResult(0);
        operand->set(inside);
      }
    });
    return success();
  }

  LogicalResult placeBuffers(func::FuncOp fn, SymbolTable &symbols) {
    // Host code must not touch buffer contents: trit-gpu-map-loops put
    // every such access into a kernel.
    auto isHostBuffer = [](Value memref) {
      Operation *def =
          memref::skipViewLikeOps(cast<MemrefValue>(memref)).getDefiningOp();
      return def && def->hasAttr("trit.host");
    };
    WalkResult hostAccess = fn.walk([&](Operation *op) {
      if (!isa<memref::LoadOp, memref::StoreOp, memref::CopyOp>(op) ||
          op->getParentOfType<gpu::LaunchOp>())
        return WalkResult::advance();
      // A scalar copied back from the device (trit-gpu-map-loops).
      if (auto load = dyn_cast<memref::LoadOp>(op);
          load && isHostBuffer(load.getMemRef()))
        return WalkResult::advance();
      op->emitOpError("accesses memory on the host; on the GPU target "
                      "buffers live on the device (run trit-gpu-map-loops "
                      "first)");
      return WalkResult::interrupt();
    });
    if (hostAccess.wasInterrupted())
      return failure();

    // Allocations inside kernels: per-thread scratch of static size.
    SmallVector<memref::AllocOp> threadAllocs;
    fn.walk([&](memref::AllocOp op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        threadAllocs.push_back(op);
    });
    for (memref::AllocOp op : threadAllocs) {
      if (!op.getType().hasStaticShape())
        return op.emitOpError("allocates a buffer of dynamic size inside a "
                              "GPU kernel");
      OpBuilder b(op);
      Value scratch = memref::AllocaOp::create(b, op.getLoc(), op.getType());
      op.getResult().replaceAllUsesWith(scratch);
      op.erase();
    }
    fn.walk([&](memref::DeallocOp op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        op.erase();
    });

    SmallVector<func::ReturnOp> returns;
    fn.walk([&](func::ReturnOp ret) { returns.push_back(ret); });
    if (returns.size() != 1)
      return fn.emitOpError("needs exactly one return for the GPU target");
    func::ReturnOp ret = returns.front();

    // Buffers this function owns: its allocations, the fresh buffers its
    // callees return, and (entry points) the device copies of its
    // arguments.
    SetVector<Value> owned;
    SmallVector<Operation *> allocs;
    fn.walk([&](Operation *op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return;
      if (isa<memref::AllocOp, memref::AllocaOp>(op) &&
          !op->hasAttr("trit.host"))
        allocs.push_back(op);
    });
    for (Operation *op : allocs) {
      OpBuilder b(op);
      auto type = cast<MemRefType>(op->getResult(0).getType());
      if (!type.getLayout().isIdentity())
        return op->emitOpError("allocates a buffer with a layout; the GPU "
                               "target allocates identity layouts only");
      auto alloc = gpu::AllocOp::create(b, op->getLoc(), type,
                                        /*asyncToken=*/Type(),
                                        /*asyncDependencies=*/ValueRange{},
                                        op->getOperands(), ValueRange{},
                                        /*hostShared=*/false);
      op->getResult(0).replaceAllUsesWith(alloc.getMemref());
      op->erase();
      owned.insert(alloc.getMemref());
    }
    SmallVector<Operation *> deallocs;
    fn.walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
    for (Operation *op : deallocs)
      op->erase();
    // A call of an entry point would copy device buffers "in" again and
    // get host buffers back: refused.
    WalkResult entryCall = fn.walk([&](func::CallOp call) {
      auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
      if (callee && isEntryPoint(callee) && !callee.isExternal()) {
        call.emitOpError("calls the entry point '")
            << call.getCallee()
            << "': on the GPU target an entry point copies its arguments "
               "to the device and its results back to the host; call a "
               "private function instead";
        return WalkResult::interrupt();
      }
      for (Value result : call.getResults())
        if (isa<MemRefType>(result.getType()))
          owned.insert(result);
      return WalkResult::advance();
    });
    if (entryCall.wasInterrupted())
      return failure();

    // Small constants that host code passes on (to a callee, say): a
    // device copy per call. Large ones are weights, read in place from the
    // weights file's device copy.
    SmallVector<memref::GetGlobalOp> hostConstants;
    fn.walk([&](memref::GetGlobalOp get) {
      if (!get->getParentOfType<gpu::LaunchOp>() &&
          belongsInKernel(symbols.lookup<memref::GlobalOp>(get.getName())))
        hostConstants.push_back(get);
    });
    for (memref::GetGlobalOp get : hostConstants) {
      if (get->use_empty()) {
        get->erase();
        continue;
      }
      OpBuilder b(get->getBlock(), std::next(get->getIterator()));
      MemRefType type = get.getType();
      if (!type.getLayout().isIdentity())
        return get.emitOpError("reads a constant with a layout; the GPU "
                               "target copies identity layouts only");
      auto copy = gpu::AllocOp::create(b, get.getLoc(), type, Type(),
                                       ValueRange{}, ValueRange{},
                                       ValueRange{}, /*hostShared=*/false);
      get.getResult().replaceAllUsesWith(copy.getMemref());
      gpu::MemcpyOp::create(b, get.getLoc(), Type(), ValueRange{},
                            copy.getMemref(), get.getResult());
      owned.insert(copy.getMemref());
    }

    Location loc = fn.getLoc();
    if (isEntryPoint(fn)) {
      OpBuilder b(&fn.getBody().front(), fn.getBody().front().begin());
      for (BlockArgument arg : fn.getArguments()) {
        auto type = dyn_cast<MemRefType>(arg.getType());
        if (!type || fn.getArgAttr(arg.getArgNumber(), kKvCache))
          continue;
        if (!type.getLayout().isIdentity())
          return fn.emitOpError("takes an argument with a layout; the GPU "
                                "target copies identity layouts only");
        SmallVector<Value> sizes = dynamicSizes(b, loc, arg);
        auto copy = gpu::AllocOp::create(b, loc, type, Type(), ValueRange{},
                                         sizes, ValueRange{},
                                         /*hostShared=*/false);
        auto in = gpu::MemcpyOp::create(b, loc, Type(), ValueRange{},
                                        copy.getMemref(), arg);
        arg.replaceUsesWithIf(copy.getMemref(), [&](OpOperand &use) {
          Operation *user = use.getOwner();
          return user != in && user->getBlock() != nullptr &&
                 !llvm::any_of(sizes, [&](Value size) {
                   return size.getDefiningOp() == user;
                 });
        });
        owned.insert(copy.getMemref());
      }
    }

    OpBuilder b(ret);
    SmallVector<Value> results(ret.getOperands());
    DenseSet<Value> keep;
    for (auto [index, result] : llvm::enumerate(results)) {
      if (!isa<MemRefType>(result.getType()))
        continue;
      Value base = memref::skipViewLikeOps(cast<MemrefValue>(result));
      if (!owned.contains(base))
        return ret.emitOpError("returns a buffer that the function does not "
                               "own (an argument, a constant or a view of "
                               "one); the GPU target returns fresh buffers");
      // A KV cache goes back as the device buffer itself: the runtime
      // passes it in again at the next step and releases it to the
      // allocator afterwards.
      if (!isEntryPoint(fn) || fn.getResultAttr(index, kKvCache)) {
        keep.insert(base);
        continue;
      }
      // Results of an entry point go back to the host, in memory the
      // runtime frees with free().
      auto type = cast<MemRefType>(result.getType());
      if (!type.getLayout().isIdentity())
        return ret.emitOpError("returns a buffer with a layout; the GPU "
                               "target copies identity layouts only");
      auto host = memref::AllocOp::create(b, loc, type,
                                          dynamicSizes(b, loc, result));
      host->setAttr("trit.host", b.getUnitAttr());
      gpu::MemcpyOp::create(b, loc, Type(), ValueRange{}, host, result);
      result = host;
    }
    for (Value buffer : owned)
      if (!keep.contains(buffer))
        gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, buffer);
    ret->setOperands(results);
    return success();
  }
};

} // namespace
