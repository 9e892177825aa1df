//===- Tensors.cpp - ONNX TensorProto to compile-time data ------*- C++ -*-===//
//
// Decodes initializers and Constant values: inline typed fields, raw_data
// and external data files. Every float width becomes f32 (graph contract).
//
//===----------------------------------------------------------------------===//

#include "GraphBuilder.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace mlir::trit::onnx_import;

int64_t ConstTensor::numElements() const {
  // Shapes are checked when data is decoded (and made by folding from
  // checked shapes): the product fits.
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

Type mlir::trit::onnx_import::convertElementType(MLIRContext *context,
                                                 int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::DOUBLE:
    return Float32Type::get(context);
  case onnx::TensorProto::INT64:
    return IntegerType::get(context, 64);
  case onnx::TensorProto::INT32:
    return IntegerType::get(context, 32);
  case onnx::TensorProto::INT16:
    return IntegerType::get(context, 16);
  case onnx::TensorProto::INT8:
    return IntegerType::get(context, 8);
  case onnx::TensorProto::BOOL:
    return IntegerType::get(context, 1);
  case onnx::TensorProto::UINT8:
    return IntegerType::get(context, 8, IntegerType::Unsigned);
  case onnx::TensorProto::UINT16:
    return IntegerType::get(context, 16, IntegerType::Unsigned);
  case onnx::TensorProto::UINT32:
    return IntegerType::get(context, 32, IntegerType::Unsigned);
  case onnx::TensorProto::UINT64:
    return IntegerType::get(context, 64, IntegerType::Unsigned);
  default:
    return {};
  }
}

namespace {
float halfToFloat(uint16_t bits) {
  llvm::APFloat value(llvm::APFloat::IEEEhalf(), llvm::APInt(16, bits));
  bool lost;
  value.convert(llvm::APFloat::IEEEsingle(),
                llvm::APFloat::rmNearestTiesToEven, &lost);
  return value.convertToFloat();
}

float bfloatToFloat(uint16_t bits) {
  uint32_t wide = uint32_t(bits) << 16;
  float f;
  std::memcpy(&f, &wide, 4);
  return f;
}

/// Bytes per element of a fixed-width ONNX type in raw_data.
int64_t rawElementSize(int32_t dataType) {
  switch (dataType) {
  case onnx::TensorProto::FLOAT:
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::UINT32:
    return 4;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::UINT16:
    return 2;
  case onnx::TensorProto::DOUBLE:
  case onnx::TensorProto::INT64:
  case onnx::TensorProto::UINT64:
    return 8;
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT8:
    return 1;
  default:
    return 0;
  }
}

/// Decodes `count` little-endian elements of `dataType` from `bytes`.
void decodeRaw(const char *bytes, int64_t count, int32_t dataType,
               ConstTensor &out) {
  for (int64_t i = 0; i < count; ++i) {
    const char *p = bytes + i * rawElementSize(dataType);
    switch (dataType) {
    case onnx::TensorProto::FLOAT: {
      float f;
      std::memcpy(&f, p, 4);
      out.floats.push_back(f);
      break;
    }
    case onnx::TensorProto::DOUBLE: {
      double d;
      std::memcpy(&d, p, 8);
      out.floats.push_back(static_cast<float>(d));
      break;
    }
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16: {
      uint16_t h;
      std::memcpy(&h, p, 2);
      out.floats.push_back(dataType == onnx::TensorProto::FLOAT16
                               ? halfToFloat(h)
                               : bfloatToFloat(h));
      break;
    }
    case onnx::TensorProto::INT32: {
      int32_t v;
      std::memcpy(&v, p, 4);
      out.ints.push_back(v);
      break;
    }
    case onnx::TensorProto::INT64: {
      int64_t v;
      std::memcpy(&v, p, 8);
      out.ints.push_back(v);
      break;
    }
    case onnx::TensorProto::BOOL:
      out.ints.push_back(*p != 0);
      break;
    case onnx::TensorProto::INT8:
      out.ints.push_back(static_cast<int8_t>(*p));
      break;
    case onnx::TensorProto::UINT8:
      out.ints.push_back(static_cast<uint8_t>(*p));
      break;
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16: {
      uint16_t v;
      std::memcpy(&v, p, 2);
      out.ints.push_back(dataType == onnx::TensorProto::INT16
                             ? int64_t(static_cast<int16_t>(v))
                             : int64_t(v));
      break;
    }
    case onnx::TensorProto::UINT32: {
      uint32_t v;
      std::memcpy(&v, p, 4);
      out.ints.push_back(v);
      break;
    }
    case onnx::TensorProto::UINT64: {
      uint64_t v;
      std::memcpy(&v, p, 8);
      out.ints.push_back(static_cast<int64_t>(v));
      break;
    }
    }
  }
}
/// Makes `out` a view of `count` f32 elements at `start` kept alive by
/// `owner`, if they can be used as they lie: f32 on a little-endian host,
/// aligned. Returns whether it did.
bool viewInPlace(const char *start, int64_t count, int32_t dataType,
                 std::shared_ptr<const void> owner, ConstTensor &out) {
  if (dataType != onnx::TensorProto::FLOAT || !llvm::sys::IsLittleEndianHost ||
      reinterpret_cast<uintptr_t>(start) % alignof(float) != 0)
    return false;
  out.view = ArrayRef<float>(reinterpret_cast<const float *>(start), count);
  out.owner = std::move(owner);
  return true;
}
} // namespace

std::optional<ConstTensor>
mlir::trit::onnx_import::decodeTensor(MLIRContext *context,
                                      const onnx::TensorProto &tensor,
                                      StringRef modelDir, std::string &error,
                                      TensorSources *sources) {
  ConstTensor out;
  int32_t dataType = tensor.data_type();
  out.elementType = convertElementType(context, dataType);
  if (!out.elementType) {
    error = "tensor '" + tensor.name() + "' has unsupported element type " +
            onnx::TensorProto::DataType_Name(
                static_cast<onnx::TensorProto::DataType>(dataType));
    return std::nullopt;
  }
  for (int64_t d : tensor.dims()) {
    if (d < 0) {
      error = "tensor '" + tensor.name() + "' has a negative dimension";
      return std::nullopt;
    }
    out.shape.push_back(d);
  }
  // The element count and its bytes (at most 8 per element) fit in int64.
  int64_t elements = 1, bytes = 0;
  for (int64_t d : out.shape)
    if (llvm::MulOverflow(elements, d, elements) ||
        llvm::MulOverflow(elements, int64_t(8), bytes)) {
      error = "tensor '" + tensor.name() + "' has too many elements";
      return std::nullopt;
    }
  if (tensor.has_segment()) {
    error = "tensor '" + tensor.name() + "' is segmented (unsupported)";
    return std::nullopt;
  }
  int64_t count = out.numElements();
  int64_t elementSize = rawElementSize(dataType);
  auto sizeMismatch = [&](int64_t have) {
    error = "tensor '" + tensor.name() + "' has " + std::to_string(have) +
            " elements of data for a shape of " + std::to_string(count);
    return std::nullopt;
  };

  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    std::string location;
    int64_t offset = 0, length = -1;
    for (const auto &entry : tensor.external_data()) {
      if (entry.key() == "location")
        location = entry.value();
      else if (entry.key() == "offset")
        offset = std::stoll(entry.value());
      else if (entry.key() == "length")
        length = std::stoll(entry.value());
    }
    if (location.empty()) {
      error = "tensor '" + tensor.name() +
              "' has external data without a location";
      return std::nullopt;
    }
    SmallString<256> path(modelDir);
    llvm::sys::path::append(path, location);
    std::shared_ptr<llvm::MemoryBuffer> buffer;
    if (sources) {
      auto it = sources->files.find(path);
      if (it != sources->files.end())
        buffer = it->second;
    }
    if (!buffer) {
      auto file = llvm::MemoryBuffer::getFile(
          path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
      if (!file) {
        error = "tensor '" + tensor.name() + "': cannot read external data '" +
                std::string(path) + "': " + file.getError().message();
        return std::nullopt;
      }
      buffer = std::move(*file);
      if (sources)
        sources->files[path] = buffer;
    }
    int64_t need = count * elementSize;
    if (length >= 0 && length != need) {
      error = "tensor '" + tensor.name() + "': external data length " +
              std::to_string(length) + " does not match its shape (" +
              std::to_string(need) + " bytes)";
      return std::nullopt;
    }
    if (offset < 0 || offset + need > int64_t(buffer->getBufferSize())) {
      error = "tensor '" + tensor.name() + "': external data '" +
              std::string(path) + "' is too short (needs " +
              std::to_string(need) + " bytes at offset " +
              std::to_string(offset) + ")";
      return std::nullopt;
    }
    const char *start = buffer->getBufferStart() + offset;
    if (!viewInPlace(start, count, dataType, buffer, out))
      decodeRaw(start, count, dataType, out);
    return out;
  }

  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (int64_t(raw.size()) != count * elementSize)
      return sizeMismatch(raw.size() / elementSize);
    if (!sources || !sources->model ||
        !viewInPlace(raw.data(), count, dataType, sources->model, out))
      decodeRaw(raw.data(), count, dataType, out);
    return out;
  }

  switch (dataType) {
  case onnx::TensorProto::FLOAT:
    if (tensor.float_data_size() != count)
      return sizeMismatch(tensor.float_data_size());
    out.floats.assign(tensor.float_data().begin(), tensor.float_data().end());
    break;
  case onnx::TensorProto::DOUBLE:
    if (tensor.double_data_size() != count)
      return sizeMismatch(tensor.double_data_size());
    for (double d : tensor.double_data())
      out.floats.push_back(static_cast<float>(d));
    break;
  case onnx::TensorProto::FLOAT16:
  case onnx::TensorProto::BFLOAT16:
    if (tensor.int32_data_size() != count)
      return sizeMismatch(tensor.int32_data_size());
    for (int32_t bits : tensor.int32_data())
      out.floats.push_back(dataType == onnx::TensorProto::FLOAT16
                               ? halfToFloat(bits)
                               : bfloatToFloat(bits));
    break;
  case onnx::TensorProto::INT64:
    if (tensor.int64_data_size() != count)
      return sizeMismatch(tensor.int64_data_size());
    out.ints.assign(tensor.int64_data().begin(), tensor.int64_data().end());
    break;
  case onnx::TensorProto::INT32:
  case onnx::TensorProto::BOOL:
  case onnx::TensorProto::INT16:
  case onnx::TensorProto::INT8:
  case onnx::TensorProto::UINT16:
  case onnx::TensorProto::UINT8:
    // Narrow types are held in int32_data, one element each.
    if (tensor.int32_data_size() != count)
      return sizeMismatch(tensor.int32_data_size());
    // Values wrap to their type (a file may hold any int32 there).
    for (int32_t v : tensor.int32_data())
      out.ints.push_back(
          dataType == onnx::TensorProto::BOOL     ? int64_t(v != 0)
          : dataType == onnx::TensorProto::INT16  ? int64_t(int16_t(v))
          : dataType == onnx::TensorProto::INT8   ? int64_t(int8_t(v))
          : dataType == onnx::TensorProto::UINT16 ? int64_t(uint16_t(v))
          : dataType == onnx::TensorProto::UINT8  ? int64_t(uint8_t(v))
                                                  : int64_t(v));
    break;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    if (tensor.uint64_data_size() != count)
      return sizeMismatch(tensor.uint64_data_size());
    for (uint64_t v : tensor.uint64_data())
      out.ints.push_back(dataType == onnx::TensorProto::UINT32
                             ? int64_t(uint32_t(v))
                             : static_cast<int64_t>(v));
    break;
  }
  return out;
}
