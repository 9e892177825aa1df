//===- SafetensorsFuzzer.cpp - the safetensors reader -----------*- C++ -*-===//
//
// Opens any bytes as a .safetensors file and converts every float tensor it
// accepts (each must lie inside the file, as the reader promises).
//
//===----------------------------------------------------------------------===//

#include "FuzzUtil.h"
#include "trit/Importer/HF/Safetensors.h"

#include <cstdint>
#include <string>

using namespace mlir::trit;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string &path =
      trit::fuzz::writeScratch(data, size, ".safetensors");
  std::string error;
  std::unique_ptr<SafetensorsFile> file = SafetensorsFile::open(path, error);
  if (!file) {
    if (error.empty())
      __builtin_trap();
    return 0;
  }
  for (const SafetensorsTensor &tensor : file->tensors()) {
    if (tensor.bytes.size() !=
        size_t(tensor.numElements()) * dtypeSize(tensor.dtype))
      __builtin_trap();
    if (tensor.dtype == SafetensorsDType::F32 ||
        tensor.dtype == SafetensorsDType::F16 ||
        tensor.dtype == SafetensorsDType::BF16)
      (void)toFloats(tensor);
  }
  return 0;
}
