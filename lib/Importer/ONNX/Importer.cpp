//===- Importer.cpp - ONNX model to a func.func -----------------*- C++ -*-===//
//
// Reads the model (binary protobuf or textual ONNX), checks its opset, and
// builds the module. The protobuf is read directly: libonnx 1.12's checker
// and shape inference know opsets up to 17 only, so neither is used. Every
// exception libonnx or protobuf may throw is caught here.
//
//===----------------------------------------------------------------------===//

#include "trit/Importer/ONNX/Importer.h"
#include "GraphBuilder.h"

#include "llvm/Support/MathExtras.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/defs/parser.h"

#include <google/protobuf/io/coded_stream.h>

#include <exception>
#include <limits>

using namespace mlir;
using namespace mlir::trit;
using namespace mlir::trit::onnx_import;

namespace {
/// Parses `buffer` into `model`; on failure returns the reason.
std::optional<std::string> parseModel(StringRef buffer, bool isText,
                                      onnx::ModelProto &model) {
  if (buffer.empty())
    return std::string("empty file");
  if (isText) {
    std::string text(buffer);
    onnx::Status status = onnx::OnnxParser::Parse(model, text.c_str());
    if (!status.IsOK())
      return "not valid textual ONNX: " + status.ErrorMessage();
    return std::nullopt;
  }
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(buffer.data()), buffer.size());
  stream.SetTotalBytesLimit(std::numeric_limits<int>::max());
  if (!model.ParseFromCodedStream(&stream) ||
      !stream.ConsumedEntireMessage())
    return std::string("not an ONNX model (the protobuf does not parse; "
                       "truncated or not ONNX)");
  if (!model.has_graph() || model.opset_import_size() == 0)
    return std::string("not an ONNX model (no graph or no opset_import)");
  return std::nullopt;
}

/// The MLIR type of a graph input.
FailureOr<RankedTensorType> convertInputType(MLIRContext *context,
                                             const onnx::ValueInfoProto &info,
                                             std::string &error) {
  if (!info.type().has_tensor_type()) {
    error = "graph input '" + info.name() + "' is not a tensor";
    return failure();
  }
  const auto &tensorType = info.type().tensor_type();
  Type elementType = convertElementType(context, tensorType.elem_type());
  if (!elementType || !isRuntimeElementType(elementType)) {
    error = "graph input '" + info.name() + "' has unsupported element type " +
            onnx::TensorProto::DataType_Name(
                static_cast<onnx::TensorProto::DataType>(
                    tensorType.elem_type()));
    return failure();
  }
  if (!tensorType.has_shape()) {
    error = "graph input '" + info.name() + "' has no shape (unknown rank)";
    return failure();
  }
  SmallVector<int64_t> shape;
  int64_t elements = 1, bytes = 0;
  for (const auto &d : tensorType.shape().dim()) {
    shape.push_back(d.has_dim_value() && d.dim_value() >= 0
                        ? d.dim_value()
                        : ShapedType::kDynamic);
    // Its static sizes (and their bytes) must be countable.
    if (!ShapedType::isDynamic(shape.back()) &&
        (llvm::MulOverflow(elements, shape.back(), elements) ||
         llvm::MulOverflow(elements, int64_t(8), bytes))) {
      error = "graph input '" + info.name() + "' has too many elements";
      return failure();
    }
  }
  return RankedTensorType::get(shape, elementType);
}

/// Imports `model`; its f32 weights' raw_data is used in place, so the
/// module's resource blobs keep `model` alive (through `keepAlive`).
OwningOpRef<ModuleOp> importModel(MLIRContext &context,
                                  const onnx::ModelProto &model,
                                  std::shared_ptr<const void> keepAlive,
                                  StringRef modelDir, StringRef bufferName,
                                  const OnnxImportOptions &options,
                                  std::string &error) {
  std::optional<int64_t> opset;
  for (const auto &id : model.opset_import())
    if (id.domain().empty() || id.domain() == "ai.onnx")
      opset = id.version();
  if (!opset) {
    error = "the model imports no opset of the default ONNX domain";
    return nullptr;
  }
  if (*opset < kMinOnnxOpset || *opset > kMaxOnnxOpset) {
    error = "opset " + std::to_string(*opset) +
            " is outside the supported range " +
            std::to_string(kMinOnnxOpset) + " to " +
            std::to_string(kMaxOnnxOpset);
    return nullptr;
  }
  context.loadDialect<func::FuncDialect, arith::ArithDialect,
                      cf::ControlFlowDialect,
                      math::MathDialect, linalg::LinalgDialect,
                      tensor::TensorDialect>();

  const onnx::GraphProto &graph = model.graph();
  Location fileLoc = FileLineColLoc::get(&context, bufferName, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  OpBuilder b(&context);
  b.setInsertionPointToEnd(module->getBody());

  // Graph inputs that are not initializers become the arguments.
  llvm::StringSet<> initializerNames;
  for (const auto &tensor : graph.initializer())
    initializerNames.insert(tensor.name());
  SmallVector<std::string> inputNames;
  SmallVector<Type> argumentTypes;
  for (const onnx::ValueInfoProto &info : graph.input()) {
    if (initializerNames.contains(info.name()))
      continue;
    FailureOr<RankedTensorType> type =
        convertInputType(&context, info, error);
    if (failed(type))
      return nullptr;
    inputNames.push_back(info.name());
    argumentTypes.push_back(*type);
  }

  auto func = func::FuncOp::create(b, fileLoc, options.entry,
                                   b.getFunctionType(argumentTypes, {}));
  Block *entry = func.addEntryBlock();
  b.setInsertionPointToStart(entry);

  GraphBuilder builder(&context, b, *opset, modelDir);
  builder.sources.model = std::move(keepAlive);
  if (failed(builder.addInitializers(graph))) {
    error = builder.error;
    return nullptr;
  }
  FailureOr<SmallVector<Value>> results =
      builder.importGraph(graph, inputNames, entry->getArguments());
  if (failed(results)) {
    error = builder.error;
    return nullptr;
  }
  func::ReturnOp::create(b, fileLoc, *results);
  func.setFunctionType(
      b.getFunctionType(argumentTypes, ValueRange(*results).getTypes()));
  if (failed(verify(*module))) {
    error = "the imported module does not verify (an importer bug)";
    return nullptr;
  }
  return module;
}
} // namespace

OwningOpRef<ModuleOp> mlir::trit::importOnnxBuffer(
    MLIRContext &context, StringRef buffer, bool isText, StringRef modelDir,
    StringRef bufferName, const OnnxImportOptions &options,
    std::string &error) {
  std::string reason;
  OwningOpRef<ModuleOp> module;
  try {
    auto model = std::make_shared<onnx::ModelProto>();
    if (std::optional<std::string> parseError =
            parseModel(buffer, isText, *model))
      reason = *parseError;
    else
      module = importModel(context, *model, model, modelDir, bufferName,
                           options, reason);
  } catch (const std::exception &e) {
    module = nullptr;
    reason = std::string("the ONNX library failed: ") + e.what();
  } catch (...) {
    module = nullptr;
    reason = "the ONNX library failed with an unknown exception";
  }
  if (!module)
    error = bufferName.str() + ": " + reason;
  return module;
}

OwningOpRef<ModuleOp>
mlir::trit::importOnnxFile(MLIRContext &context, StringRef path,
                           const OnnxImportOptions &options,
                           std::string &error) {
  auto file = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                          /*RequiresNullTerminator=*/false);
  if (!file) {
    error = path.str() + ": cannot read: " + file.getError().message();
    return nullptr;
  }
  SmallString<256> dir(path);
  llvm::sys::path::remove_filename(dir);
  if (dir.empty())
    dir = ".";
  return importOnnxBuffer(context, (*file)->getBuffer(),
                          path.ends_with(".onnxtext"), dir, path, options,
                          error);
}
