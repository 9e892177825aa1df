//===- ExternalWeights.cpp - weights in a file beside the binary -*- C++ -*-===//

#include "trit/Driver/ExternalWeights.h"
#include "trit/runtime.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;

namespace {

/// The bytes of a constant global's initial value, if it has them as plain
/// row-major data (a dense_resource blob, or non-splat dense elements of
/// byte-sized elements).
std::optional<ArrayRef<char>> constantBytes(LLVM::GlobalOp global) {
  if (!global.getConstant())
    return std::nullopt;
  Attribute value = global.getValueOrNull();
  if (auto resource = dyn_cast_if_present<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    return blob->getData();
  }
  if (auto dense = dyn_cast_if_present<DenseElementsAttr>(value)) {
    Type element = dense.getElementType();
    if (dense.isSplat() || !element.isIntOrFloat() ||
        element.getIntOrFloatBitWidth() % 8)
      return std::nullopt;
    return dense.getRawData();
  }
  return std::nullopt;
}

/// FNV-1a over `data`: the id that ties a binary to its weights file.
uint64_t fingerprint(ArrayRef<char> data, uint64_t hash) {
  for (char c : data) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

void appendLE64(std::string &out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

} // namespace

LogicalResult mlir::trit::externalizeWeights(ModuleOp module, StringRef path,
                                             std::string &error,
                                             int64_t minBytes) {
  MLIRContext *context = module.getContext();
  constexpr int64_t kAlignment = 64;
  for (const char *name : {"trit_bind_weights", "trit_compiled_weights_size",
                           "trit_compiled_weights_id", "__trit_weights_base"})
    if (module.lookupSymbol(name)) {
      error = std::string("the module already defines '") + name + "'";
      return failure();
    }

  // Lay the weights out, 64-byte aligned.
  struct Placed {
    LLVM::GlobalOp global;
    ArrayRef<char> bytes;
    int64_t offset;
  };
  SmallVector<Placed> placed;
  int64_t size = 0;
  uint64_t id = 0xcbf29ce484222325ULL;
  for (auto global : module.getOps<LLVM::GlobalOp>()) {
    std::optional<ArrayRef<char>> bytes = constantBytes(global);
    if (!bytes || static_cast<int64_t>(bytes->size()) < minBytes)
      continue;
    size = (size + kAlignment - 1) / kAlignment * kAlignment;
    placed.push_back({global, *bytes, size});
    size += bytes->size();
    id = fingerprint(*bytes, id);
  }
  id = fingerprint(ArrayRef<char>(reinterpret_cast<const char *>(&size),
                                  sizeof(size)),
                   id);

  // The file: header, then the data.
  std::error_code ec;
  llvm::raw_fd_ostream file(path, ec, llvm::sys::fs::OF_None);
  if (ec) {
    error = "cannot write weights file '" + path.str() + "': " + ec.message();
    return failure();
  }
  std::string header(TRIT_WEIGHTS_MAGIC);
  header.resize(8, '\0');
  appendLE64(header, TRIT_WEIGHTS_FORMAT_VERSION);
  appendLE64(header, id);
  appendLE64(header, static_cast<uint64_t>(size));
  header.resize(TRIT_WEIGHTS_HEADER_BYTES, '\0');
  file << header;
  int64_t written = 0;
  for (const Placed &p : placed) {
    file.write_zeros(p.offset - written);
    file.write(p.bytes.data(), p.bytes.size());
    written = p.offset + p.bytes.size();
  }
  file.close();
  if (file.has_error()) {
    error = "cannot write weights file '" + path.str() +
            "': " + file.error().message();
    file.clear_error();
    return failure();
  }

  // The base pointer and the functions the runtime calls.
  OpBuilder b(context);
  b.setInsertionPointToStart(module.getBody());
  Location loc = module.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(context);
  auto i64 = b.getI64Type();
  auto base = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                                     LLVM::Linkage::Internal,
                                     "__trit_weights_base", Attribute());
  {
    OpBuilder init(context);
    init.setInsertionPointToStart(&base.getInitializerRegion().emplaceBlock());
    Value zero = LLVM::ZeroOp::create(init, loc, ptr);
    LLVM::ReturnOp::create(init, loc, zero);
  }
  auto bind = LLVM::LLVMFuncOp::create(
      b, loc, "trit_bind_weights",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context), {ptr}));
  {
    OpBuilder body(context);
    Block *entry = bind.addEntryBlock(body);
    body.setInsertionPointToStart(entry);
    Value address = LLVM::AddressOfOp::create(body, loc, base);
    LLVM::StoreOp::create(body, loc, entry->getArgument(0), address);
    LLVM::ReturnOp::create(body, loc, ValueRange());
  }
  auto constantFunction = [&](StringRef name, int64_t value) {
    auto fn = LLVM::LLVMFuncOp::create(b, loc, name,
                                       LLVM::LLVMFunctionType::get(i64, {}));
    OpBuilder body(context);
    body.setInsertionPointToStart(fn.addEntryBlock(body));
    Value v = LLVM::ConstantOp::create(body, loc, i64, value);
    LLVM::ReturnOp::create(body, loc, v);
  };
  constantFunction("trit_compiled_weights_size", size);
  constantFunction("trit_compiled_weights_id", static_cast<int64_t>(id));

  // Every use of a moved global reads the base and adds its offset.
  DenseMap<StringAttr, int64_t> offsets;
  for (Placed &p : placed)
    offsets[p.global.getSymNameAttr()] = p.offset;
  SmallVector<LLVM::AddressOfOp> uses;
  module.walk([&](LLVM::AddressOfOp op) {
    if (offsets.count(op.getGlobalNameAttr().getAttr()))
      uses.push_back(op);
  });
  for (LLVM::AddressOfOp use : uses) {
    OpBuilder at(use);
    Value address = LLVM::AddressOfOp::create(at, use.getLoc(), base);
    Value loaded = LLVM::LoadOp::create(at, use.getLoc(), ptr, address);
    // The offset as a value: a constant GEP index holds only 29 bits
    // (LLVM::GEPArg embeds it in a pointer), too few past 256 MiB.
    Value offset = LLVM::ConstantOp::create(
        at, use.getLoc(), i64, offsets[use.getGlobalNameAttr().getAttr()]);
    Value element = LLVM::GEPOp::create(
        at, use.getLoc(), ptr, at.getI8Type(), loaded,
        ArrayRef<LLVM::GEPArg>{offset}, LLVM::GEPNoWrapFlags::inbounds);
    use.getResult().replaceAllUsesWith(element);
    use.erase();
  }
  for (Placed &p : placed)
    p.global.erase();
  return success();
}
