//===- ExternalWeightsTest.cpp - tritc --weights=external -------*- C++ -*-===//
//
// externalizeWeights on a hand-written LLVM-dialect module: the file holds
// each moved constant at its 64-byte-aligned offset after the header, and
// every use reads the base pointer plus the offset as an i64 value (a
// constant GEP index holds only 29 bits, which broke models whose weights
// pass 256 MiB).
//
//===----------------------------------------------------------------------===//

#include "trit/Driver/Compile.h"
#include "trit/Driver/ExternalWeights.h"
#include "trit/runtime.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <cstring>

using namespace mlir;

namespace {

TEST(ExternalWeights, MovesConstantsToTheFileAndAddressesThemByI64Offsets) {
  DialectRegistry registry;
  trit::registerCompilerDialects(registry);
  MLIRContext context(registry);
  std::string error;
  // @a: 3 x i32 (12 bytes), @b: 2 x f32 (8 bytes), @small: 1 byte (stays).
  OwningOpRef<ModuleOp> module = trit::parseModule(context, R"mlir(
    llvm.mlir.global private constant @a(dense<[1, 2, 3]> : tensor<3xi32>) : !llvm.array<3 x i32>
    llvm.mlir.global private constant @b(dense<[1.5, -2.0]> : tensor<2xf32>) : !llvm.array<2 x f32>
    llvm.mlir.global private constant @small(dense<[7]> : tensor<1xi8>) : !llvm.array<1 x i8>
    llvm.func @f() -> !llvm.ptr {
      %0 = llvm.mlir.addressof @a : !llvm.ptr
      %1 = llvm.mlir.addressof @b : !llvm.ptr
      %2 = llvm.mlir.addressof @small : !llvm.ptr
      llvm.return %1 : !llvm.ptr
    }
  )mlir", "test", error);
  ASSERT_TRUE(module) << error;
  llvm::SmallString<128> path;
  ASSERT_FALSE(llvm::sys::fs::createTemporaryFile("weights", "bin", path));
  ASSERT_TRUE(succeeded(
      trit::externalizeWeights(*module, path, error, /*minBytes=*/4)))
      << error;

  auto file = llvm::MemoryBuffer::getFile(path);
  llvm::sys::fs::remove(path);
  ASSERT_TRUE(file);
  llvm::StringRef bytes = (*file)->getBuffer();
  ASSERT_EQ(bytes.size(), TRIT_WEIGHTS_HEADER_BYTES + 64u + 8u);
  EXPECT_EQ(bytes.substr(0, 7), "TRITWGT");
  uint64_t dataSize = 0;
  std::memcpy(&dataSize, bytes.data() + 24, 8);
  EXPECT_EQ(dataSize, 72u); // @a at 0 (12 bytes), @b at 64 (8 bytes).
  const char *data = bytes.data() + TRIT_WEIGHTS_HEADER_BYTES;
  int32_t a[3];
  std::memcpy(a, data, sizeof(a));
  EXPECT_EQ(a[0], 1);
  EXPECT_EQ(a[2], 3);
  float b[2];
  std::memcpy(b, data + 64, sizeof(b));
  EXPECT_EQ(b[0], 1.5f);
  EXPECT_EQ(b[1], -2.0f);

  // @a and @b are gone, @small stays; their uses are base + i64 offset.
  EXPECT_FALSE(module->lookupSymbol("a"));
  EXPECT_FALSE(module->lookupSymbol("b"));
  EXPECT_TRUE(module->lookupSymbol("small"));
  SmallVector<int64_t> offsets;
  module->walk([&](LLVM::GEPOp gep) {
    ASSERT_EQ(gep.getDynamicIndices().size(), 1u);
    auto constant =
        gep.getDynamicIndices()[0].getDefiningOp<LLVM::ConstantOp>();
    ASSERT_TRUE(constant);
    auto value = cast<IntegerAttr>(constant.getValue());
    EXPECT_EQ(value.getType().getIntOrFloatBitWidth(), 64u);
    offsets.push_back(value.getInt());
  });
  EXPECT_EQ(offsets, (SmallVector<int64_t>{0, 64}));
  for (const char *name : {"trit_bind_weights", "trit_compiled_weights_size",
                           "trit_compiled_weights_id"})
    EXPECT_TRUE(module->lookupSymbol(name)) << name;
}

} // namespace
