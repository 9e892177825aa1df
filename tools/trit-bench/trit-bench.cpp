//===- trit-bench.cpp - BitLinear kernel benchmark --------------*- C++ -*-===//
//
// Times the BitLinear kernels trit-cpu-pipeline generates for the
// bitnet-b1.58-2B-4T shapes, at batch 1 (decode GEMV) and 128 (prefill
// GEMM), on 1 and 2 threads, for both packed layouts. Each call uses the next
// of enough distinct weight matrices to exceed the last-level cache, as a
// 30-layer model does, so weights stream from memory. Prints time per call,
// GB/s of packed weight bytes streamed, GOP/s (2 ops per weight per token)
// and, first, the machine's measured memory read bandwidth.
//
//===----------------------------------------------------------------------===//

#include "trit/Driver/Compile.h"
#include "trit/Driver/SharedLibrary.h"
#include "trit/Numerics/Packing.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <malloc.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::trit;
namespace cl = llvm::cl;

static cl::OptionCategory benchCategory("trit-bench options");

static cl::list<std::string>
    layouts("layouts", cl::desc("Packed layouts to time (i2, tq1)"),
            cl::CommaSeparated, cl::list_init<std::string>({"i2", "tq1"}), cl::cat(benchCategory));
static cl::list<int64_t> batches("batches", cl::desc("Batch sizes (tokens)"),
                                 cl::CommaSeparated,
                                 cl::list_init<int64_t>({1, 128}), cl::cat(benchCategory));
static cl::list<int> threadCounts("thread-counts", cl::desc("Thread counts"),
                                  cl::CommaSeparated,
                                  cl::list_init<int>({1, 2}), cl::cat(benchCategory));
static cl::opt<double> secondsPerCase("seconds",
                                      cl::desc("Time budget per case"),
                                      cl::init(1.0), cl::cat(benchCategory));
static cl::opt<int64_t> streamBytes(
    "stream-mib",
    cl::desc("MiB of distinct packed weights to cycle through (must exceed "
             "the last-level cache)"),
    cl::init(1024), cl::cat(benchCategory));
static cl::list<std::string>
    onlyShapes("shapes",
               cl::desc("Only these shapes, as NxK (default: all four)"),
               cl::CommaSeparated, cl::cat(benchCategory));
static cl::opt<std::string> cpu("cpu", cl::desc("Target CPU"),
                                cl::init("native"), cl::cat(benchCategory));
static cl::list<std::string>
    kernels("kernels",
            cl::desc("Inner kernels to time: addsub, dot (with VNNI where the "
                     "CPU has it), auto (the fastest the CPU supports)"),
            cl::CommaSeparated, cl::list_init<std::string>({"auto"}), cl::cat(benchCategory));
static cl::opt<int64_t> tileN("tile-n", cl::desc("Pipeline tile-n"),
                              cl::init(64), cl::cat(benchCategory));
static cl::opt<int64_t> tileRows("tile-rows",
                                 cl::desc("Pipeline tile-rows (0: default)"),
                                 cl::init(0), cl::cat(benchCategory));
static cl::opt<int64_t> tileTokens(
    "tile-tokens", cl::desc("Pipeline tile-tokens (0: default)"),
    cl::init(0), cl::cat(benchCategory));

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Read bandwidth of `threads` threads summing a buffer far larger than the
/// last-level cache, in GB/s (best of a few passes).
double measureReadBandwidth(int threads) {
  const size_t words = (size_t(1) << 30) / sizeof(uint64_t);
  static std::vector<uint64_t> buffer;
  if (buffer.empty()) {
    buffer.resize(words);
    for (size_t i = 0; i < words; ++i)
      buffer[i] = i * 2654435761u;
  }
  double best = 0;
  volatile uint64_t sink = 0;
  for (int pass = 0; pass < 4; ++pass) {
    auto start = Clock::now();
    uint64_t total = 0;
#pragma omp parallel for num_threads(threads) reduction(+ : total)
    for (size_t i = 0; i < words; ++i)
      total += buffer[i];
    double t = secondsSince(start);
    sink = sink + total;
    best = std::max(best, words * sizeof(uint64_t) / t / 1e9);
  }
  return best;
}

struct Shape {
  int64_t n, k;
  const char *what;
  int perLayer; ///< How many matrices of this shape one 2B-4T layer has.
};

/// Key of the per-layer time sums: kernel, layout, batch, threads.
using LayerKey = std::tuple<std::string, std::string, int64_t, int>;

std::string benchModule(Shape s, const std::string &layout,
                        int64_t bytesPerRow) {
  std::string k = std::to_string(s.k), n = std::to_string(s.n);
  std::string wType = "tensor<" + n + "x" + std::to_string(bytesPerRow) +
                      "xi8, #trit.packed<" + layout + ">>";
  return "func.func @bitlinear(%x: tensor<?x" + k + "xf32>, %w: " + wType +
         ", %g: f32) -> tensor<?x" + n +
         "xf32> attributes {llvm.emit_c_interface} {\n"
         "  %y = trit.bitlinear %x, %w, %g : tensor<?x" +
         k + "xf32>, " + wType + " -> tensor<?x" + n +
         "xf32>\n"
         "  return %y : tensor<?x" +
         n + "xf32>\n}\n";
}

using BitLinearFn = void(MemRefDescriptor<float, 2> *,
                         MemRefDescriptor<float, 2> *,
                         MemRefDescriptor<int8_t, 2> *, float);

} // namespace

int main(int argc, char **argv) {
  cl::HideUnrelatedOptions(benchCategory);
  cl::ParseCommandLineOptions(argc, argv, "trit BitLinear kernel benchmark\n");
  // Keep large buffers in the heap so that the generated code's per-call
  // result and scratch allocations are reused instead of mmap'ed and
  // faulted in on every call.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);

  std::printf("measuring memory read bandwidth (1 GiB buffer)...\n");
  std::vector<std::pair<int, double>> bandwidth;
  for (int t : threadCounts) {
    double gbs = measureReadBandwidth(t);
    bandwidth.push_back({t, gbs});
    std::printf("  read bandwidth, %d thread%s: %.1f GB/s\n", t,
                t == 1 ? "" : "s", gbs);
  }

  const Shape shapes[] = {{2560, 2560, "attn q/o", 2},
                          {640, 2560, "attn k/v", 2},
                          {6912, 2560, "ffn gate/up", 2},
                          {2560, 6912, "ffn down", 1}};
  std::map<LayerKey, double> layerSeconds;
  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("trit-bench", dir)) {
    llvm::errs() << "trit-bench: cannot create a temporary directory\n";
    return 1;
  }

  bool vnni = cpuHasAvx512Vnni(CpuTargetOptions{cpu, "", 3});
  std::printf("\ntarget cpu: %s (AVX512-VNNI: %s)\n", cpu.c_str(),
              vnni ? "yes" : "no");
  std::printf("\n%-6s %-6s %-12s %-11s %5s %3s %10s %9s %8s %8s\n", "kernel",
              "layout", "shape NxK", "role", "batch", "thr", "us/call",
              "GB/s", "%bw", "GOP/s");
  std::mt19937 rng(1);
  for (std::string kernel : kernels) {
  if (kernel == "auto")
    kernel = vnni ? "dot" : "addsub";
  for (const std::string &layout : layouts) {
    ternary::Layout numeric =
        layout == "tq1" ? ternary::Layout::TQ1 : ternary::Layout::I2;
    if (layout != "i2" && layout != "tq1") {
      llvm::errs() << "trit-bench: unknown layout '" << layout << "'\n";
      return 1;
    }
    for (const Shape &shape : shapes) {
      std::string name =
          std::to_string(shape.n) + "x" + std::to_string(shape.k);
      if (!onlyShapes.empty() &&
          std::find(onlyShapes.begin(), onlyShapes.end(), name) ==
              onlyShapes.end())
        continue;
      int64_t bytesPerRow = ternary::bytesPerRow(numeric, shape.k);
      int64_t matrixBytes = shape.n * bytesPerRow;
      CpuPipelineOptions pipeline;
      pipeline.layout = layout;
      pipeline.kernel = kernel;
      pipeline.vnni = vnni;
      pipeline.tileN = tileN;
      pipeline.tileRows = tileRows;
      pipeline.tileTokens = tileTokens;
      CpuTargetOptions target;
      target.cpu = cpu;
      std::string libPath =
          (dir + "/" + layout + "_" + std::to_string(shape.n) + "x" +
           std::to_string(shape.k) + ".so")
              .str();
      std::string error;
      auto compileStart = Clock::now();
      if (failed(compileSourceToSharedLibrary(
              benchModule(shape, layout, bytesPerRow), pipeline, target,
              libPath, error))) {
        llvm::errs() << "trit-bench: compiling failed:\n" << error << "\n";
        return 1;
      }
      double compileSeconds = secondsSince(compileStart);
      std::fprintf(stderr, "compiled %s %s %s in %.2f s\n", kernel.c_str(),
                   layout.c_str(), name.c_str(), compileSeconds);
      SharedLibrary library(libPath);
      auto *fn = library.lookup<BitLinearFn>("_mlir_ciface_bitlinear");
      if (!fn) {
        llvm::errs() << "trit-bench: " << library.loadError() << "\n";
        return 1;
      }

      // Distinct random packed matrices, together larger than the LLC.
      int64_t copies = std::max<int64_t>(
          2, (streamBytes * 1024 * 1024 + matrixBytes - 1) / matrixBytes);
      std::vector<std::vector<int8_t>> weights(copies);
      std::vector<int8_t> ternaryRow(shape.k);
      std::uniform_int_distribution<int> dist(-1, 1);
      for (auto &packed : weights) {
        packed.resize(matrixBytes);
        for (int64_t r = 0; r < shape.n; ++r) {
          for (int8_t &v : ternaryRow)
            v = static_cast<int8_t>(dist(rng));
          ternary::packTernary(numeric, ternaryRow.data(), 1, shape.k,
                               reinterpret_cast<uint8_t *>(
                                   packed.data() + r * bytesPerRow));
        }
      }

      for (int64_t batch : batches) {
        std::vector<float> x(batch * shape.k);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        for (float &v : x)
          v = normal(rng);
        auto xDesc = MemRefDescriptor<float, 2>::view(x.data(),
                                                      {batch, shape.k});
        for (auto [threads, bw] : bandwidth) {
          omp_set_num_threads(threads);
          auto call = [&](int64_t i) {
            auto wDesc = MemRefDescriptor<int8_t, 2>::view(
                weights[i % copies].data(), {shape.n, bytesPerRow});
            MemRefDescriptor<float, 2> y;
            fn(&y, &xDesc, &wDesc, 0.5f);
            y.release();
          };
          for (int64_t i = 0; i < copies; ++i) // warm-up: one full cycle
            call(i);
          int64_t calls = 0;
          auto start = Clock::now();
          double elapsed = 0;
          while (elapsed < secondsPerCase || calls < copies) {
            call(calls++);
            elapsed = secondsSince(start);
          }
          double perCall = elapsed / calls;
          layerSeconds[{kernel, layout, batch, threads}] +=
              perCall * shape.perLayer;
          double gbs = matrixBytes / perCall / 1e9;
          double gops = 2.0 * batch * shape.n * shape.k / perCall / 1e9;
          char shapeText[32];
          std::snprintf(shapeText, sizeof(shapeText), "%lldx%lld",
                        (long long)shape.n, (long long)shape.k);
          std::printf(
              "%-6s %-6s %-12s %-11s %5lld %3d %10.1f %9.2f %7.0f%% %8.1f\n",
              kernel.c_str(), layout.c_str(), shapeText, shape.what,
              (long long)batch,
                      threads, perCall * 1e6, gbs, 100.0 * gbs / bw, gops);
          std::fflush(stdout);
        }
      }
    }
  }
  }
  llvm::sys::fs::remove_directories(dir);

  // The ternary layers of a 30-layer bitnet-b1.58-2B-4T: per layer two q/o,
  // two k/v, two gate/up and one down matrix. Everything else (attention,
  // norms, embeddings, LM head) is not included.
  std::printf("\nternary layers of a 30-layer 2B-4T model (sum of the rows "
              "above; attention, norms and LM head not included):\n");
  std::printf("%-6s %-6s %5s %3s %12s %10s\n", "kernel", "layout", "batch",
              "thr", "ms/forward", "tokens/s");
  for (const auto &[key, seconds] : layerSeconds) {
    const auto &[kernel, layout, batch, threads] = key;
    double forward = seconds * 30;
    std::printf("%-6s %-6s %5lld %3d %12.2f %10.1f\n", kernel.c_str(),
                layout.c_str(), (long long)batch, threads, forward * 1e3,
                batch / forward);
  }
  return 0;
}
