//===- ModelTest.cpp - a tiny model through compiler and runtime -*- C++ -*-===//
//
// A model small enough to write by hand: embedding lookup -> BitLinear ->
// tied LM head (logits = h . E^T), written in upstream dialects plus
// trit.bitlinear, compiled by trit-export-model + trit-cpu-pipeline into a
// model library, loaded by the runtime and compared with the same model
// computed by the scalar reference. Then greedy generation through the
// runtime must follow the reference's argmax, and the model compiled as an
// executable must print the same tokens.
//
//===----------------------------------------------------------------------===//

#include "trit/Driver/Compile.h"
#include "trit/Numerics/Reference.h"
#include "trit/runtime.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <vector>

using namespace mlir;
using namespace mlir::trit;
namespace ref = ternary::reference;

namespace {

constexpr int64_t kVocab = 11, kDim = 40, kContext = 12;

template <typename T> std::string hexOf(const std::vector<T> &values) {
  std::ostringstream hex;
  hex << "0x" << std::hex << std::uppercase;
  const auto *bytes = reinterpret_cast<const uint8_t *>(values.data());
  for (size_t i = 0; i < values.size() * sizeof(T); ++i)
    hex << (bytes[i] < 16 ? "0" : "") << unsigned(bytes[i]);
  return hex.str();
}

std::string modelSource(const std::vector<float> &embedding,
                        const std::vector<int8_t> &w, float g) {
  uint32_t gBits;
  std::memcpy(&gBits, &g, sizeof(g));
  std::string v = std::to_string(kVocab), d = std::to_string(kDim);
  std::ostringstream os;
  os << "#ids = affine_map<(b, t, d) -> (b, t)>\n"
     << "#all = affine_map<(b, t, d) -> (b, t, d)>\n"
     << "func.func @main(%ids: tensor<1x?xi64>) -> tensor<1x?x" << v
     << "xf32> {\n"
     << "  %c1 = arith.constant 1 : index\n"
     << "  %t = tensor.dim %ids, %c1 : tensor<1x?xi64>\n"
     << "  %emb = arith.constant dense<\"" << hexOf(embedding)
     << "\"> : tensor<" << v << "x" << d << "xf32>\n"
     // Embedding lookup.
     << "  %e0 = tensor.empty(%t) : tensor<1x?x" << d << "xf32>\n"
     << "  %h = linalg.generic {indexing_maps = [#ids, #all], iterator_types "
        "= [\"parallel\", \"parallel\", \"parallel\"]} ins(%ids : "
        "tensor<1x?xi64>) outs(%e0 : tensor<1x?x"
     << d << "xf32>) {\n"
     << "  ^bb0(%id: i64, %out: f32):\n"
     << "    %row = arith.index_cast %id : i64 to index\n"
     << "    %col = linalg.index 2 : index\n"
     << "    %x = tensor.extract %emb[%row, %col] : tensor<" << v << "x" << d
     << "xf32>\n"
     << "    linalg.yield %x : f32\n"
     << "  } -> tensor<1x?x" << d << "xf32>\n"
     // BitLinear.
     << "  %w = arith.constant dense<\"" << hexOf(w) << "\"> : tensor<" << d
     << "x" << d << "xi8, #trit.ternary>\n"
     << "  %g = arith.constant 0x" << std::hex << gBits << std::dec
     << " : f32\n"
     << "  %y = trit.bitlinear %h, %w, %g : tensor<1x?x" << d << "xf32>, "
     << "tensor<" << d << "x" << d << "xi8, #trit.ternary> -> tensor<1x?x"
     << d << "xf32>\n"
     // Tied LM head: logits[t, v] = sum_d y[t, d] * emb[v, d].
     << "  %y2 = tensor.collapse_shape %y [[0, 1], [2]] : tensor<1x?x" << d
     << "xf32> into tensor<?x" << d << "xf32>\n"
     << "  %et0 = tensor.empty() : tensor<" << d << "x" << v << "xf32>\n"
     << "  %et = linalg.transpose ins(%emb : tensor<" << v << "x" << d
     << "xf32>) outs(%et0 : tensor<" << d << "x" << v
     << "xf32>) permutation = [1, 0]\n"
     << "  %zero = arith.constant 0.0 : f32\n"
     << "  %l0 = tensor.empty(%t) : tensor<?x" << v << "xf32>\n"
     << "  %l1 = linalg.fill ins(%zero : f32) outs(%l0 : tensor<?x" << v
     << "xf32>) -> tensor<?x" << v << "xf32>\n"
     << "  %l = linalg.matmul ins(%y2, %et : tensor<?x" << d
     << "xf32>, tensor<" << d << "x" << v << "xf32>) outs(%l1 : tensor<?x"
     << v << "xf32>) -> tensor<?x" << v << "xf32>\n"
     << "  %l3 = tensor.expand_shape %l [[0, 1], [2]] output_shape [1, %t, "
     << v << "] : tensor<?x" << v << "xf32> into tensor<1x?x" << v
     << "xf32>\n"
     << "  return %l3 : tensor<1x?x" << v << "xf32>\n"
     << "}\n";
  return os.str();
}

/// The same model on the scalar reference.
std::vector<float> referenceLogits(const std::vector<float> &embedding,
                                   const std::vector<int8_t> &w, float g,
                                   const std::vector<int64_t> &ids) {
  int64_t t = static_cast<int64_t>(ids.size());
  std::vector<float> h(t * kDim), y(t * kDim), logits(t * kVocab);
  for (int64_t i = 0; i < t; ++i)
    std::copy_n(&embedding[ids[i] * kDim], kDim, &h[i * kDim]);
  ref::bitLinear(h.data(), w.data(), g, t, kDim, kDim, y.data());
  for (int64_t i = 0; i < t; ++i)
    for (int64_t v = 0; v < kVocab; ++v) {
      float sum = 0.0f;
      for (int64_t k = 0; k < kDim; ++k)
        sum += y[i * kDim + k] * embedding[v * kDim + k];
      logits[i * kVocab + v] = sum;
    }
  return logits;
}

class ModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelTest, CompiledModelMatchesTheReference) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> ternaryDist(-1, 1);
  std::vector<float> embedding(kVocab * kDim);
  for (float &v : embedding)
    v = normal(rng);
  std::vector<int8_t> w(kDim * kDim);
  for (int8_t &v : w)
    v = static_cast<int8_t>(ternaryDist(rng));
  const float g = 0.125f;

  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("trit-model-test", dir));
  std::string lib = (dir + "/model.so").str(), error;
  CpuPipelineOptions pipeline;
  pipeline.kernel = GetParam();
  ModelExportOptions exportOptions;
  exportOptions.contextLength = kContext;
  ASSERT_TRUE(succeeded(compileSourceToSharedLibrary(
      modelSource(embedding, w, g), pipeline, CpuTargetOptions{}, lib, error,
      &exportOptions)))
      << error;

  trit_model *model = nullptr;
  ASSERT_EQ(trit_model_load(lib.c_str(), &model), TRIT_OK)
      << trit_last_error();
  EXPECT_EQ(trit_model_vocab_size(model), kVocab);
  EXPECT_EQ(trit_model_context_length(model), kContext);

  std::vector<int64_t> ids = {3, 0, 10, 7, 7};
  std::vector<float> logits(ids.size() * kVocab);
  ASSERT_EQ(trit_model_forward(model, ids.data(), 1, ids.size(),
                               logits.data()),
            TRIT_OK)
      << trit_last_error();
  std::vector<float> expected = referenceLogits(embedding, w, g, ids);
  for (size_t i = 0; i < logits.size(); ++i)
    EXPECT_NEAR(logits[i], expected[i], 1e-4f * (1 + std::fabs(expected[i])))
        << "logit " << i;

  // Greedy generation follows the reference's argmax step by step.
  std::vector<int64_t> sequence = {4, 1};
  int64_t out[6], generated = 0;
  trit_sampling greedy = trit_sampling_greedy();
  ASSERT_EQ(trit_generate(model, sequence.data(), 2, 6, &greedy, out,
                          &generated, nullptr),
            TRIT_OK)
      << trit_last_error();
  ASSERT_EQ(generated, 6);
  for (int64_t step = 0; step < 6; ++step) {
    std::vector<float> l = referenceLogits(embedding, w, g, sequence);
    const float *last = &l[(sequence.size() - 1) * kVocab];
    int64_t best = std::max_element(last, last + kVocab) - last;
    EXPECT_EQ(out[step], best) << "step " << step;
    sequence.push_back(out[step]);
  }
  trit_model_free(model);

  // The same model as an executable (runtime and trit-run's main inside)
  // prints the same greedy tokens.
  std::string exe = (dir + "/model").str();
  ASSERT_TRUE(succeeded(compileSource(modelSource(embedding, w, g), pipeline,
                                      CpuTargetOptions{}, exe,
                                      Artifact::Executable, error,
                                      &exportOptions)))
      << error;
  std::string outFile = (dir + "/out.txt").str();
  std::optional<llvm::StringRef> redirects[] = {std::nullopt,
                                                llvm::StringRef(outFile),
                                                std::nullopt};
  int rc = llvm::sys::ExecuteAndWait(
      exe, {exe, "--generate", "6", "--prompt-ids", "4,1"}, std::nullopt,
      redirects);
  ASSERT_EQ(rc, 0);
  auto printed = llvm::MemoryBuffer::getFile(outFile);
  ASSERT_TRUE(bool(printed));
  std::string expectedLine;
  for (int i = 0; i < 6; ++i)
    expectedLine += (i ? "," : "") + std::to_string(out[i]);
  EXPECT_EQ((*printed)->getBuffer().trim().str(), expectedLine);
  llvm::sys::fs::remove_directories(dir);
}

INSTANTIATE_TEST_SUITE_P(Kernels, ModelTest,
                         ::testing::Values("addsub", "dot"));

} // namespace
