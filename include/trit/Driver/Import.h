//===- Import.h - the driver's front stages ---------------------*- C++ -*-===//
//
// Model files to graph-level MLIR (`tritc --emit=mlir`), and graph level to
// trit (`--emit=trit`).
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_DRIVER_IMPORT_H
#define TRIT_DRIVER_IMPORT_H

#include "trit/Driver/StageTiming.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace mlir::trit {

/// The model formats tritc reads.
enum class InputFormat { Auto, Onnx, HuggingFace, Gguf };

/// How a model file is imported.
struct ImportOptions {
  /// Auto: told from the content (a directory with config.json is a
  /// Hugging Face checkpoint, a file starting with "GGUF" a GGUF file,
  /// anything else ONNX).
  InputFormat format = InputFormat::Auto;
  /// Prints progress on big models (to stderr).
  bool progress = false;
  /// Checkpoint formats (HF, GGUF): BitLinear weights packed at import in
  /// this layout (i2, tq1), so that they never exist one byte per value;
  /// empty: `#trit.ternary` i8 constants, packed later by the pipeline.
  std::string packLayout;
};

/// What an import found beside the graph.
struct ImportResult {
  OwningOpRef<ModuleOp> module;
  /// The model's tokenizer file (tokenizer.json / tokenizer.model), if the
  /// format has one beside the weights.
  std::string tokenizerPath;
  /// Its tokenizer_config.json (BOS, EOS), if the checkpoint has one.
  std::string tokenizerConfigPath;
};

/// The format of `path` from its content; an error if it cannot be read.
InputFormat detectInputFormat(StringRef path);

/// Imports the model at `path` (an ONNX file, textual ONNX `.onnxtext`, a
/// Hugging Face directory, a GGUF file) into graph-level IR (docs/graph-contract.md); on
/// failure returns a null module and sets `error`.
ImportResult importModel(MLIRContext &context, StringRef path,
                         const ImportOptions &options, std::string &error);

/// importModel with the format told from the content.
OwningOpRef<ModuleOp> importModelFile(MLIRContext &context, StringRef path,
                                      std::string &error);

/// Runs the graph-to-trit stage (trit-fuse-quantization) on `module`;
/// diagnostics go to `error`.
LogicalResult runGraphToTrit(ModuleOp module, std::string &error,
                             StageTiming timing = {});

} // namespace mlir::trit

#endif // TRIT_DRIVER_IMPORT_H
