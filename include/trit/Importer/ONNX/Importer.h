//===- Importer.h - ONNX models to graph-level MLIR -------------*- C++ -*-===//
//
// Turns an ONNX model into one `func.func` in upstream dialects, in the form
// docs/graph-contract.md specifies. The header names no ONNX or protobuf type:
// libonnx throws, so only the importer's own translation units (compiled with
// -fexceptions) see it, and every failure comes back as an error string.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_IMPORTER_ONNX_IMPORTER_H
#define TRIT_IMPORTER_ONNX_IMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace mlir::trit {

/// How a model is imported.
struct OnnxImportOptions {
  /// Name of the function that holds the graph.
  std::string entry = "main";
};

/// The opsets of the default ONNX domain the importer accepts.
constexpr int64_t kMinOnnxOpset = 7;
constexpr int64_t kMaxOnnxOpset = 23;

/// Imports the ONNX model in file `path`: binary protobuf, or textual ONNX
/// (onnx's parser syntax) when `path` ends in `.onnxtext`. External tensor
/// data is read relative to the model's directory. On failure returns null
/// and sets `error` to a message that names the file and, where there is
/// one, the node, its op type and the opset.
OwningOpRef<ModuleOp> importOnnxFile(MLIRContext &context, StringRef path,
                                     const OnnxImportOptions &options,
                                     std::string &error);

/// Imports a model held in memory. `isText` selects textual ONNX;
/// `modelDir` is where external data is looked up; `bufferName` is used in
/// messages and locations.
OwningOpRef<ModuleOp> importOnnxBuffer(MLIRContext &context, StringRef buffer,
                                       bool isText, StringRef modelDir,
                                       StringRef bufferName,
                                       const OnnxImportOptions &options,
                                       std::string &error);

} // namespace mlir::trit

#endif // TRIT_IMPORTER_ONNX_IMPORTER_H
