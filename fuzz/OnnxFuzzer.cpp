//===- OnnxFuzzer.cpp - ONNX import from bytes ------------------*- C++ -*-===//
//
// Bytes -> tritc's import stage: a binary ModelProto (or, when the first
// byte is '<', textual ONNX) imported into a fresh context, then verified.
// Any outcome but a module or an error message (a crash, a sanitizer
// report, an exception escaping) is a finding.
//
//===----------------------------------------------------------------------===//

#include "trit/Driver/Compile.h"
#include "trit/Importer/ONNX/Importer.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const mlir::DialectRegistry registry = [] {
    mlir::DialectRegistry r;
    mlir::trit::registerCompilerDialects(r);
    return r;
  }();
  mlir::MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  llvm::StringRef buffer(reinterpret_cast<const char *>(data), size);
  bool isText = size && data[0] == '<';
  std::string error;
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::trit::importOnnxBuffer(
      context, buffer, isText, /*modelDir=*/"/nonexistent", "fuzz.onnx",
      mlir::trit::OnnxImportOptions(), error);
  if (module && mlir::failed(mlir::verify(*module)))
    __builtin_trap(); // the importer promises a verified module
  if (!module && error.empty())
    __builtin_trap(); // a failure must say why
  return 0;
}
