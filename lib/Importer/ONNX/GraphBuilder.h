//===- GraphBuilder.h - state of one ONNX graph import ----------*- C++ -*-===//
//
// Private to the ONNX importer (compiled with -fexceptions, sees onnx.pb.h).
// A GraphBuilder walks the nodes of one GraphProto in order and emits the
// graph contract (docs/graph-contract.md) into one func.func.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_LIB_IMPORTER_ONNX_GRAPHBUILDER_H
#define TRIT_LIB_IMPORTER_ONNX_GRAPHBUILDER_H

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include "onnx/onnx_pb.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mlir::trit::onnx_import {

/// Tensor data known at import time: an initializer, a Constant, or a small
/// integer shape computation folded by the importer. Floats of every width
/// are held as f32, integers (and bools) as int64.
struct ConstTensor {
  SmallVector<int64_t> shape;
  /// f32 (any float width), a signless integer (i64, i32, i16, i8; i1 for
  /// bool) or an unsigned one (ui64, ui32, ui16, ui8: compile-time data
  /// only, never a run-time value).
  Type elementType;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  /// f32 data used where it lies: `view` into a mapped external data file
  /// or the model's protobuf, which `owner` keeps alive (`floats` is then
  /// empty).
  ArrayRef<float> view;
  std::shared_ptr<const void> owner;
  /// The ONNX name it came from (names its resource blob).
  std::string name;

  bool isFloat() const { return isa<FloatType>(elementType); }
  int64_t numElements() const;
  /// The f32 elements, whichever storage holds them.
  ArrayRef<float> floatData() const {
    return owner ? view : ArrayRef<float>(floats);
  }
  /// Element `i` as a double, whichever storage holds it.
  double at(int64_t i) const { return isFloat() ? floatData()[i] : ints[i]; }
};

/// Where a model's tensor data can be used in place: its external data
/// files, each mapped once, and the parsed model itself.
struct TensorSources {
  llvm::StringMap<std::shared_ptr<llvm::MemoryBuffer>> files;
  /// Keeps the model's protobuf (its raw_data) alive; null: raw_data is
  /// copied.
  std::shared_ptr<const void> model;
};

/// Decodes `tensor` (inline, raw or external data relative to `modelDir`).
/// Aligned f32 raw or external data is used in place (not copied) when
/// `sources` says how to keep it alive. On failure sets `error`.
std::optional<ConstTensor> decodeTensor(MLIRContext *context,
                                        const onnx::TensorProto &tensor,
                                        StringRef modelDir,
                                        std::string &error,
                                        TensorSources *sources = nullptr);

/// The MLIR element type of an ONNX data type; null if unsupported.
Type convertElementType(MLIRContext *context, int32_t dataType);

/// A small integer tensor of shape arithmetic on dynamic sizes
/// (Shape -> Gather -> Concat -> Reshape and the like): its shape is static
/// and each element is either known at import time (an IntegerAttr) or
/// computed at run time (an SSA value of type index). Booleans are 0 or 1.
struct SymInts {
  SmallVector<int64_t> shape;
  /// The ONNX element type: i64, i32 or i1.
  Type elementType;
  SmallVector<OpFoldResult> elements;
};

/// An ONNX value: an SSA value, compile-time data, symbolic shape data, or
/// an SSA value together with the data it was materialized from.
struct OnnxValue {
  Value value;
  std::shared_ptr<ConstTensor> constant;
  std::shared_ptr<SymInts> sym = nullptr;
};

class GraphBuilder {
public:
  GraphBuilder(MLIRContext *context, OpBuilder &builder, int64_t opset,
               StringRef modelDir)
      : context(context), b(builder), opset(opset), modelDir(modelDir) {}

  /// Emits `graph` into the body of `func` (whose arguments are the graph
  /// inputs, in order `inputNames`); returns the values of the graph outputs.
  FailureOr<SmallVector<Value>> importGraph(const onnx::GraphProto &graph,
                                            ArrayRef<std::string> inputNames,
                                            ValueRange arguments);

  /// Decodes every initializer into the value table.
  LogicalResult addInitializers(const onnx::GraphProto &graph);

  std::string error;

  //===--------------------------------------------------------------------===//
  // Used by the op converters.
  //===--------------------------------------------------------------------===//

  MLIRContext *context;
  OpBuilder &b;
  int64_t opset;
  std::string modelDir;
  /// The node being converted and its location.
  const onnx::NodeProto *node = nullptr;
  Location loc = UnknownLoc::get(context);

  /// Fails with `message` about the current node.
  LogicalResult fail(const Twine &message);

  /// Input `i` of the current node; null when absent (optional, empty name).
  OnnxValue *input(unsigned i);
  /// Input `i` as an SSA value (materializing constants); fails if absent.
  FailureOr<Value> inputValue(unsigned i);
  /// Input `i` as compile-time data; fails with a message if it is not.
  FailureOr<const ConstTensor *> constantInput(unsigned i, StringRef what);
  /// Input `i` as a list of integers (axes, shapes); fails if not constant.
  FailureOr<SmallVector<int64_t>> intsInput(unsigned i, StringRef what);
  /// Input `i` as integers known at import time or computed from dynamic
  /// sizes (shapes, starts, ends); fails if it is neither.
  FailureOr<SymInts> symIntsInput(unsigned i, StringRef what);
  /// Binds output `i` of the current node.
  void setOutput(unsigned i, Value value);
  void setOutput(unsigned i, OnnxValue value);

  /// Attributes of the current node.
  const onnx::AttributeProto *attribute(StringRef name);
  int64_t intAttr(StringRef name, int64_t defaultValue);
  float floatAttr(StringRef name, float defaultValue);
  std::optional<SmallVector<int64_t>> intsAttr(StringRef name);

  /// The ranked tensor type of a value (constants included).
  RankedTensorType typeOf(const OnnxValue &v);
  /// The SSA value of `v`, materializing its constant on first use.
  Value materialize(OnnxValue &v);
  /// An arith.constant of `data` (dense_resource unless tiny).
  Value createConstant(const ConstTensor &data, StringRef name);

  /// `v` as symbolic integers: folded integer data or shape arithmetic;
  /// nullopt for any other value.
  std::optional<SymInts> symInts(const OnnxValue *v);
  /// The value of `data`: constant data where every element is known.
  OnnxValue symValue(SymInts data);
  /// An index value for `v` (an arith.constant if it is an attribute).
  Value indexValue(OpFoldResult v);

  /// `tensor.dim %t, i`, shared per value and dimension.
  Value dim(Value t, int64_t i);
  /// Every dimension of `t` as an OpFoldResult.
  SmallVector<OpFoldResult> sizes(Value t);
  /// A tensor.empty of `shape` (dynamic sizes from `dynamicSizes`).
  Value empty(ArrayRef<OpFoldResult> shape, Type elementType);
  /// A linalg.fill of `value` into a tensor.empty of `shape`.
  Value filled(ArrayRef<OpFoldResult> shape, Type elementType,
               TypedAttr value);

  /// Makes operand `v` of an elementwise op have the result shape
  /// `resultSizes` (graph contract: scalar splats, collapse_shape +
  /// linalg.broadcast). Fails if `v` cannot broadcast to it.
  FailureOr<Value> broadcastTo(OnnxValue &v, ArrayRef<OpFoldResult> resultSizes);
  /// Sizes `a` and `b` must be equal: an error now if both are known and
  /// differ, a run-time check (cf.assert naming the node and `what`; the
  /// C API's error gives both sizes) if either is dynamic, nothing if they
  /// are the same.
  LogicalResult requireEqualSizes(OpFoldResult lhs, OpFoldResult rhs,
                                  const Twine &what);
  /// The node's name for messages (its name, else its first output's).
  std::string nodeName() const;
  /// A splat of the scalar `value` of `elementType` with shape `sizes`.
  Value splat(double value, Type elementType, ArrayRef<OpFoldResult> sizes);
  /// Numpy broadcasting of the operands' shapes, the dynamic sizes taken
  /// from the operand that has them.
  FailureOr<SmallVector<OpFoldResult>>
  broadcastSizes(ArrayRef<OnnxValue *> operands);

  /// tensor.collapse_shape / expand_shape between `v` and `shape` if one
  /// of them fits, else tensor.reshape (static result only).
  FailureOr<Value> reshape(Value v, ArrayRef<OpFoldResult> shape);
  /// linalg.transpose of `v` with `perm`.
  Value transpose(Value v, ArrayRef<int64_t> perm);
  /// Converts `nodes`, the current node's expansion into other ONNX ops
  /// (its function body), in order and under its location; the current
  /// node is restored afterwards. A failure names the inner op.
  LogicalResult convertExpansion(ArrayRef<onnx::NodeProto> nodes);

private:
  LogicalResult convertNode(const onnx::NodeProto &node);

  llvm::StringMap<OnnxValue> values;

public:
  /// Where initializers' data can be used in place (set by the importer).
  TensorSources sources;

private:
  DenseMap<std::pair<Value, int64_t>, Value> dims;
  DenseMap<int64_t, Value> indexConstants;
  unsigned constantCounter = 0;
};

/// One converter per ONNX op type; each returns failure with
/// `builder.error` set.
using OpConverter = LogicalResult (*)(GraphBuilder &builder);
/// The converter for `opType` in the default domain, or null.
OpConverter lookupConverter(StringRef opType);

// Registration tables of each converter file.
void addElementwiseConverters(llvm::StringMap<OpConverter> &table);
void addLinalgConverters(llvm::StringMap<OpConverter> &table);
void addShapeConverters(llvm::StringMap<OpConverter> &table);
void addCompositeConverters(llvm::StringMap<OpConverter> &table);

/// The integer `v` holds when it is an attribute (known at import time);
/// nullopt for an SSA value.
inline std::optional<int64_t> knownInt(OpFoldResult v) {
  return isa<Attribute>(v) ? getConstantIntValue(v) : std::nullopt;
}

/// Shapes of OpFoldResults: static sizes or ShapedType::kDynamic.
SmallVector<int64_t> staticShape(ArrayRef<OpFoldResult> sizes);
/// Normalizes `axis` of a rank-`rank` tensor; nullopt if out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Whether values of `type` may exist at run time (floats and signless
/// integers; ONNX's unsigned types are folded at import only).
inline bool isRuntimeElementType(Type type) {
  auto i = dyn_cast<IntegerType>(type);
  return !i || i.isSignless();
}

/// Integer constants up to this size are folded by the importer (shape
/// arithmetic).
constexpr int64_t kMaxFoldedElements = 1024;

/// Static numpy broadcasting of constant shapes; nullopt if incompatible.
std::optional<SmallVector<int64_t>> broadcastStatic(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b);

/// The flat index into a tensor of `shape` broadcast to `result`.
int64_t broadcastIndex(int64_t flat, ArrayRef<int64_t> result,
                       ArrayRef<int64_t> shape);

/// Whether `v` is an integer constant small enough to fold.
bool foldable(const OnnxValue *v);
/// Evaluates the builder's current node at import time when every input is
/// compile-time data (ConstantFolding.cpp): true if it bound the node's
/// outputs, false if the node is left to its converter (an op not
/// evaluated, or an output much larger than the inputs), failure (with
/// `g.error`) on a malformed node.
FailureOr<bool> evaluateConstantNode(GraphBuilder &g);

/// Whether `v` is foldable or symbolic shape data (SymInts), with at least
/// one of `values` symbolic.
bool symbolicOperands(ArrayRef<const OnnxValue *> values);

} // namespace mlir::trit::onnx_import

#endif // TRIT_LIB_IMPORTER_ONNX_GRAPHBUILDER_H
