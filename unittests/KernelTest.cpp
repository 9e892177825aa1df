//===- KernelTest.cpp - compiled BitLinear kernels vs the reference -*- C++ -*-//
//
// Compiles BitLinear and ternary-matmul functions through trit-cpu-pipeline
// to native code (add/sub kernel; dot kernel portable and, where the host
// has AVX512-VNNI, with vpdpbusd), loads them and compares them with the
// scalar reference on random inputs: odd N and K, K that is no multiple of
// any tile, batch 1 and batch 7, all-zero, all-(+1) and all-(-1) weight
// rows, activations at +-max, both layouts. The results must equal the
// reference exactly, the floats bit for bit.
//
//===----------------------------------------------------------------------===//

#include "trit/Driver/Compile.h"
#include "trit/Driver/SharedLibrary.h"
#include "trit/Numerics/Reference.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <sstream>
#include <vector>

using namespace mlir;
using namespace mlir::trit;
namespace ref = ternary::reference;

namespace {

struct Shape {
  int64_t n, k;
};

/// The module under test: @bitlinear (float in, float out) and @matmul
/// (int8 in, int32 out) on the same constant ternary weight `w` [n, k].
std::string buildModule(const std::vector<int8_t> &w, float g, Shape s) {
  std::ostringstream hex;
  hex << std::hex << std::uppercase;
  for (int8_t v : w) {
    unsigned byte = static_cast<uint8_t>(v);
    hex << (byte < 16 ? "0" : "") << byte;
  }
  uint32_t gBits;
  std::memcpy(&gBits, &g, sizeof(g));
  std::ostringstream os;
  std::string wType = "tensor<" + std::to_string(s.n) + "x" +
                      std::to_string(s.k) + "xi8, #trit.ternary>";
  std::string k = std::to_string(s.k), n = std::to_string(s.n);
  os << "func.func @bitlinear(%x: tensor<?x" << k << "xf32>) -> tensor<?x" << n
     << "xf32> attributes {llvm.emit_c_interface} {\n"
     << "  %w = arith.constant dense<\"0x" << hex.str() << "\"> : " << wType
     << "\n  %g = arith.constant 0x" << std::hex << gBits << std::dec
     << " : f32\n"
     << "  %y = trit.bitlinear %x, %w, %g : tensor<?x" << k << "xf32>, "
     << wType << " -> tensor<?x" << n << "xf32>\n"
     << "  return %y : tensor<?x" << n << "xf32>\n}\n"
     << "func.func @matmul(%x: tensor<?x" << k << "xi8>) -> tensor<?x" << n
     << "xi32> attributes {llvm.emit_c_interface} {\n"
     << "  %w = arith.constant dense<\"0x" << hex.str() << "\"> : " << wType
     << "\n  %a = trit.ternary_matmul %x, %w : tensor<?x" << k << "xi8>, "
     << wType << " -> tensor<?x" << n << "xi32>\n"
     << "  return %a : tensor<?x" << n << "xi32>\n}\n";
  return os.str();
}

/// Checks a [m, n] result of generated code against the reference, exactly.
template <typename T>
void expectSameMatrix(const MemRefDescriptor<T, 2> &got,
                      const std::vector<T> &expected, int64_t m, int64_t n) {
  ASSERT_EQ(got.sizes[0], m);
  ASSERT_EQ(got.sizes[1], n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      ASSERT_EQ(got.aligned[got.offset + i * got.strides[0] +
                            j * got.strides[1]],
                expected[i * n + j])
          << "token " << i << " feature " << j;
}

using BitLinearFn = void(MemRefDescriptor<float, 2> *,
                         MemRefDescriptor<float, 2> *);
using MatmulFn = void(MemRefDescriptor<int32_t, 2> *,
                      MemRefDescriptor<int8_t, 2> *);

class KernelTest
    : public ::testing::TestWithParam<
          std::tuple<std::string, std::string, int64_t, int64_t>> {
protected:
  void SetUp() override {
    llvm::SmallString<128> dir;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("trit-kernel-test", dir));
    tempDir = dir.str().str();
  }
  void TearDown() override { llvm::sys::fs::remove_directories(tempDir); }

  std::string tempDir;
};

TEST_P(KernelTest, MatchesReference) {
  auto [kernel, layout, n, k] = GetParam();
  // dot_vnni needs the instruction; dot_portable expands trit.dot_codes
  // into plain vector arithmetic and runs anywhere.
  bool vnni = kernel == "dot_vnni";
  if (vnni && !cpuHasAvx512Vnni(CpuTargetOptions{}))
    GTEST_SKIP() << "the host CPU has no AVX512-VNNI";
  Shape shape{n, k};
  std::mt19937 rng(static_cast<unsigned>(n * 131 + k));
  std::uniform_int_distribution<int> ternaryDist(-1, 1);
  std::normal_distribution<float> normal(0.0f, 1.0f);

  // Random ternary weights with an all-zero row, an all-(-1) row and an
  // all-(+1) row. Against the all-(-128) token below, the (+1) row sums to
  // -128 * K and the (-1) row to +128 * K: int16 holds -32768 but not
  // +32768, so only the (-1) row catches partial sums flushed one block
  // too late.
  std::vector<int8_t> w(n * k);
  for (int8_t &v : w)
    v = static_cast<int8_t>(ternaryDist(rng));
  std::fill(w.begin(), w.begin() + k, 0);
  if (n > 1)
    std::fill(w.begin() + k, w.begin() + 2 * k, -1);
  if (n > 2)
    std::fill(w.begin() + 2 * k, w.begin() + 3 * k, 1);
  const float g = 0.0371f;

  CpuPipelineOptions pipeline;
  CpuTargetOptions target;
  // The portable kernel is also compiled for baseline x86-64 (SSE2) and
  // x86-64-v3 (AVX2, no AVX-512), whose code runs on this host too.
  if (kernel == "addsub_sse2")
    target.cpu = "x86-64";
  else if (kernel == "addsub_avx2")
    target.cpu = "x86-64-v3";
  pipeline.layout = layout;
  pipeline.kernel = kernel.rfind("addsub", 0) == 0 ? "addsub" : "dot";
  pipeline.vnni = vnni;
  std::string libPath = tempDir + "/kernel.so", error;
  ASSERT_TRUE(succeeded(compileSourceToSharedLibrary(
      buildModule(w, g, shape), pipeline, target, libPath, error)))
      << error;
  SharedLibrary library(libPath);
  ASSERT_TRUE(library.loaded()) << library.loadError();
  auto *bitlinear = library.lookup<BitLinearFn>("_mlir_ciface_bitlinear");
  auto *matmul = library.lookup<MatmulFn>("_mlir_ciface_matmul");
  ASSERT_NE(bitlinear, nullptr);
  ASSERT_NE(matmul, nullptr);

  for (int64_t m : {int64_t(1), int64_t(7)}) {
    SCOPED_TRACE("batch " + std::to_string(m));
    // Float activations; token 1 (if any) is all zeros, token 2 has a
    // single huge value, so that every other value quantizes to 0.
    std::vector<float> x(m * k);
    for (float &v : x)
      v = normal(rng);
    if (m > 1)
      std::fill(x.begin() + k, x.begin() + 2 * k, 0.0f);
    if (m > 2)
      x[2 * k + k / 2] = -1e4f;

    std::vector<float> expected(m * n);
    ref::bitLinear(x.data(), w.data(), g, m, n, k, expected.data());
    auto xDesc = MemRefDescriptor<float, 2>::view(x.data(), {m, k});
    MemRefDescriptor<float, 2> yDesc;
    bitlinear(&yDesc, &xDesc);
    // The kernel computes acc * g / s with the reference's operations in the
    // reference's order, so the floats agree bit for bit.
    expectSameMatrix(yDesc, expected, m, n);
    yDesc.release();

    // Integer core: int8 activations including -128 and 127, exact.
    std::uniform_int_distribution<int> byteDist(-128, 127);
    std::vector<int8_t> xq(m * k);
    for (int8_t &v : xq)
      v = static_cast<int8_t>(byteDist(rng));
    std::fill(xq.begin(), xq.begin() + k, int8_t(-128));
    if (m > 1)
      std::fill(xq.begin() + k, xq.begin() + 2 * k, int8_t(127));
    std::vector<int32_t> accExpected(m * n);
    ref::ternaryMatmul(xq.data(), w.data(), m, n, k, accExpected.data());
    auto xqDesc = MemRefDescriptor<int8_t, 2>::view(xq.data(), {m, k});
    MemRefDescriptor<int32_t, 2> accDesc;
    matmul(&accDesc, &xqDesc);
    expectSameMatrix(accDesc, accExpected, m, n);
    accDesc.release();
  }
}

// Odd N and K, K below one block, K not a multiple of any tile or block, K
// past the int16 flush point (63 blocks of i2 = 16128, 51 of tq1 = 16320).
INSTANTIATE_TEST_SUITE_P(
    Shapes, KernelTest,
    ::testing::Combine(::testing::Values("addsub", "addsub_sse2", "addsub_avx2",
                                         "dot_portable", "dot_vnni"),
                       ::testing::Values("i2", "tq1"),
                       ::testing::Values(1, 5, 67),
                       ::testing::Values(3, 161, 333, 16500)),
    [](const auto &info) {
      return std::get<0>(info.param) + "_" + std::get<1>(info.param) + "_n" +
             std::to_string(std::get<2>(info.param)) + "_k" +
             std::to_string(std::get<3>(info.param));
    });

} // namespace
