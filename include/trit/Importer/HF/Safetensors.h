//===- Safetensors.h - memory-mapped safetensors files ----------*- C++ -*-===//
//
// A `.safetensors` file: an 8-byte little-endian header length, a JSON
// header naming each tensor's dtype, shape and byte range, then the data.
// The file is mapped once; tensors are views into the mapping.
//
//===----------------------------------------------------------------------===//

#ifndef TRIT_IMPORTER_HF_SAFETENSORS_H
#define TRIT_IMPORTER_HF_SAFETENSORS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::trit {

/// The element types trit reads from safetensors files.
enum class SafetensorsDType { F32, F16, BF16, U8, I8 };

/// The dtype's name as the format spells it ("F32", ...).
llvm::StringRef dtypeName(SafetensorsDType dtype);
/// The size of one element in bytes.
size_t dtypeSize(SafetensorsDType dtype);

/// One tensor of a file: a view into its mapping.
struct SafetensorsTensor {
  std::string name;
  SafetensorsDType dtype;
  llvm::SmallVector<int64_t> shape;
  llvm::ArrayRef<char> bytes;

  int64_t numElements() const;
};

class SafetensorsFile {
public:
  /// Maps `path` and reads its header. Every inconsistency (a header
  /// length beyond the file, invalid JSON, an unknown dtype, a byte range
  /// outside the data or of the wrong size for its shape, overlapping
  /// tensors) is an error naming the file and the tensor.
  static std::unique_ptr<SafetensorsFile> open(llvm::StringRef path,
                                               std::string &error);

  const SafetensorsTensor *find(llvm::StringRef name) const;
  /// Tells the kernel that `tensor`'s bytes were consumed (converted, not
  /// used in place): their pages leave the resident set, and are read
  /// again from the file if touched. Reading a checkpoint tensor by tensor
  /// then holds one tensor's pages at a time, not the whole file.
  void release(const SafetensorsTensor &tensor) const;
  const std::vector<SafetensorsTensor> &tensors() const { return tensorList; }
  llvm::StringRef path() const { return filePath; }
  /// Keeps the mapping alive for views handed out (resource blobs).
  std::shared_ptr<const llvm::MemoryBuffer> mapping() const { return buffer; }

private:
  std::string filePath;
  std::shared_ptr<const llvm::MemoryBuffer> buffer;
  std::vector<SafetensorsTensor> tensorList;
  llvm::StringMap<size_t> byName;
};

/// f32 values of `tensor` (F32, F16 or BF16), converted exactly.
std::vector<float> toFloats(const SafetensorsTensor &tensor);

} // namespace mlir::trit

#endif // TRIT_IMPORTER_HF_SAFETENSORS_H
