//===- CompositeOps.cpp - ONNX ops imported as their function bodies -*- C++ -*-===//
//
// ONNX defines some newer ops as functions of older ones. Those are imported
// by converting the body, node by node, through the other converters, so
// that the IR is the same as when an exporter writes the body out itself
// (and the graph contract's patterns see one form).
//
//===----------------------------------------------------------------------===//

#include "GraphBuilder.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace mlir::trit::onnx_import;

namespace {

/// Builds the nodes of an expansion; names its values after the expanded
/// node's first output, so that they cannot collide with the graph's.
class Expansion {
public:
  explicit Expansion(const onnx::NodeProto &node)
      : prefix((node.output_size() ? node.output(0) : node.name()) +
               "/" + node.op_type() + "/") {}

  /// A node `opType(inputs)` with one output named `output` (a fresh name
  /// if empty); returns the output's name.
  std::string add(const std::string &opType,
                  std::initializer_list<std::string> inputs,
                  std::string output = "") {
    onnx::NodeProto &n = nodes.emplace_back();
    n.set_op_type(opType);
    if (output.empty())
      output = prefix + std::to_string(nodes.size());
    n.set_name(prefix + opType);
    for (const std::string &in : inputs)
      n.add_input(in);
    n.add_output(output);
    return output;
  }

  /// A Constant node holding the f32 scalar `value`.
  std::string constant(float value) {
    std::string name = add("Constant", {});
    onnx::AttributeProto *attr = nodes.back().add_attribute();
    attr->set_name("value");
    attr->set_type(onnx::AttributeProto::TENSOR);
    attr->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
    attr->mutable_t()->add_float_data(value);
    return name;
  }

  /// A Constant node holding the 1-D i64 tensor `values`.
  std::string constant(ArrayRef<int64_t> values) {
    std::string name = add("Constant", {});
    onnx::AttributeProto *attr = nodes.back().add_attribute();
    attr->set_name("value");
    attr->set_type(onnx::AttributeProto::TENSOR);
    onnx::TensorProto *t = attr->mutable_t();
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(values.size());
    for (int64_t v : values)
      t->add_int64_data(v);
    return name;
  }

  /// Sets integer attribute `name` of the last node added.
  void intAttr(StringRef name, int64_t value) {
    onnx::AttributeProto *attr = nodes.back().add_attribute();
    attr->set_name(name.str());
    attr->set_type(onnx::AttributeProto::INT);
    attr->set_i(value);
  }

  std::vector<onnx::NodeProto> nodes;

private:
  std::string prefix;
};

/// RMSNormalization (opset 23), by its function body:
///   Y = X / sqrt(ReduceMean(X * X, axes = [axis, rank)) + epsilon) * scale
/// in f32 (stash_type 1, the only one a f32 input allows).
LogicalResult convertRMSNormalization(GraphBuilder &g) {
  const onnx::NodeProto &node = *g.node;
  if (g.opset < 23)
    return g.fail("RMSNormalization needs opset 23 or later");
  OnnxValue *x = g.input(0);
  if (!x || !g.input(1))
    return g.fail("expects inputs X and scale");
  RankedTensorType xt = g.typeOf(*x);
  if (!xt.getElementType().isF32())
    return g.fail("X of element type other than f32 is not supported");
  if (g.intAttr("stash_type", 1) != 1)
    return g.fail("stash_type " + Twine(g.intAttr("stash_type", 1)) +
                  " is not supported (only 1, f32)");
  int64_t rank = xt.getRank();
  std::optional<int64_t> axis = normalizeAxis(g.intAttr("axis", -1), rank);
  if (!axis)
    return g.fail("axis " + Twine(g.intAttr("axis", -1)) +
                  " is out of range for rank " + Twine(rank));
  float epsilon = g.floatAttr("epsilon", 1e-5f);

  Expansion e(node);
  std::string axes =
      e.constant(llvm::to_vector(llvm::seq<int64_t>(*axis, rank)));
  std::string eps = e.constant(epsilon);
  std::string squared = e.add("Mul", {node.input(0), node.input(0)});
  std::string mean = e.add("ReduceMean", {squared, axes});
  e.intAttr("keepdims", 1);
  std::string rms = e.add("Sqrt", {e.add("Add", {mean, eps})});
  std::string normalized = e.add("Div", {node.input(0), rms});
  e.add("Mul", {normalized, node.input(1)}, node.output(0));
  return g.convertExpansion(e.nodes);
}

} // namespace

void mlir::trit::onnx_import::addCompositeConverters(
    llvm::StringMap<OpConverter> &t) {
  t["RMSNormalization"] = convertRMSNormalization;
}
