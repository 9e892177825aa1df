//===- GgufTest.cpp - the GGUF reader on hand-assembled files ---*- C++ -*-===//
//
// Every file here is assembled byte by byte from the format description in
// docs/gguf.md (not by the reader's own code), written to a temporary file
// and opened: good v2 and v3 files, each kind of bad input (the message must
// name the file and the field or tensor), and the decoders on blocks whose
// values were worked out by hand from the documented layouts. Last, the
// metadata writer, read back by the reader.
//
//===----------------------------------------------------------------------===//

#include "trit/Importer/GGUF/GgufFile.h"
#include "trit/Importer/GGUF/GgufWriter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

using namespace trit::gguf;

namespace {

//===----------------------------------------------------------------------===//
// Assembling files
//===----------------------------------------------------------------------===//

/// Little-endian bytes.
struct Bytes {
  std::string data;
  void u8(uint8_t v) { data.push_back(static_cast<char>(v)); }
  void u16(uint16_t v) { raw(&v, 2); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void f32(float v) { raw(&v, 4); }
  void raw(const void *p, size_t n) {
    data.append(static_cast<const char *>(p), n);
  }
  void str(const std::string &s) {
    u64(s.size());
    data += s;
  }
};

/// Metadata entries, each written as key, type, value.
using Entry = std::function<void(Bytes &)>;

Entry kvU32(const std::string &key, uint32_t v) {
  return [=](Bytes &b) { b.str(key); b.u32(4); b.u32(v); };
}
Entry kvStr(const std::string &key, const std::string &v) {
  return [=](Bytes &b) { b.str(key); b.u32(8); b.str(v); };
}
/// Any entry: key, then the type id and value bytes as given.
Entry kvRaw(const std::string &key, uint32_t type,
            std::function<void(Bytes &)> value) {
  return [=](Bytes &b) { b.str(key); b.u32(type); value(b); };
}

struct TensorSpec {
  std::string name;
  std::vector<uint64_t> dims; // ggml order
  uint32_t type = 0;
  std::string data;
  std::optional<uint64_t> offset; // relative; packed in order when absent
};

struct FileSpec {
  uint32_t magic = 0x46554747;
  uint32_t version = 3;
  std::vector<Entry> entries;
  std::vector<TensorSpec> tensors;
  /// The alignment the data section is laid out with (set general.alignment
  /// in `entries` to match when not 32).
  uint64_t alignment = 32;
  std::optional<uint64_t> tensorCount, entryCount;
};

uint64_t alignUp(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

std::string build(const FileSpec &spec) {
  Bytes b;
  b.u32(spec.magic);
  b.u32(spec.version);
  b.u64(spec.tensorCount ? *spec.tensorCount : spec.tensors.size());
  b.u64(spec.entryCount ? *spec.entryCount : spec.entries.size());
  for (const Entry &entry : spec.entries)
    entry(b);
  std::vector<uint64_t> offsets;
  uint64_t next = 0;
  for (const TensorSpec &t : spec.tensors) {
    uint64_t offset = t.offset ? *t.offset : next;
    offsets.push_back(offset);
    next = alignUp(offset + t.data.size(), spec.alignment);
    b.str(t.name);
    b.u32(t.dims.size());
    for (uint64_t d : t.dims)
      b.u64(d);
    b.u32(t.type);
    b.u64(offset);
  }
  b.data.resize(alignUp(b.data.size(), spec.alignment), '\0');
  size_t dataStart = b.data.size();
  for (size_t i = 0; i < spec.tensors.size(); ++i) {
    // An offset far past any real file is a test of the reader's range
    // check: leave its data out.
    if (offsets[i] > (1u << 20))
      continue;
    size_t at = dataStart + offsets[i];
    if (b.data.size() < at + spec.tensors[i].data.size())
      b.data.resize(at + spec.tensors[i].data.size(), '\0');
    std::memcpy(&b.data[at], spec.tensors[i].data.data(),
                spec.tensors[i].data.size());
  }
  return b.data;
}

/// Writes `bytes` to a fresh temporary file; removed by the fixture.
class GgufTest : public ::testing::Test {
protected:
  void TearDown() override {
    for (const std::string &path : paths)
      std::remove(path.c_str());
  }

  std::string write(const std::string &bytes) {
    std::string path = ::testing::TempDir() + "trit-gguf-test-" +
                       std::to_string(::getpid()) + "-" +
                       std::to_string(paths.size()) + ".gguf";
    std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
    paths.push_back(path);
    return path;
  }

  std::unique_ptr<GgufFile> open(const FileSpec &spec, std::string &error) {
    return GgufFile::open(write(build(spec)), error);
  }

  /// Opening must fail with a message naming the file that contains every
  /// one of `parts`.
  void expectOpenError(const FileSpec &spec,
                       const std::vector<std::string> &parts) {
    std::string path = write(build(spec));
    std::string error;
    EXPECT_EQ(GgufFile::open(path, error), nullptr);
    EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    for (const std::string &part : parts)
      EXPECT_NE(error.find(part), std::string::npos)
          << "'" << part << "' not in: " << error;
  }

  std::vector<std::string> paths;
};

std::string f32Data(const std::vector<float> &values) {
  return std::string(reinterpret_cast<const char *>(values.data()),
                     values.size() * 4);
}

/// One F32 [3, 2] tensor (ggml dims {2, 3}) and a few entries.
FileSpec smallFile(uint32_t version) {
  FileSpec spec;
  spec.version = version;
  spec.entries = {kvStr("general.architecture", "bitnet"),
                  kvU32("bitnet.block_count", 2)};
  spec.tensors = {{"output_norm.weight", {2, 3}, 0,
                   f32Data({1, 2, 3, 4, 5, 6}), std::nullopt}};
  return spec;
}

//===----------------------------------------------------------------------===//
// Good files
//===----------------------------------------------------------------------===//

TEST_F(GgufTest, OpensVersion3WithEveryValueType) {
  FileSpec spec = smallFile(3);
  spec.entries.push_back(kvRaw("u8", 0, [](Bytes &b) { b.u8(200); }));
  spec.entries.push_back(kvRaw("i8", 1, [](Bytes &b) { b.u8(0xfe); }));
  spec.entries.push_back(kvRaw("u16", 2, [](Bytes &b) { b.u16(60000); }));
  spec.entries.push_back(kvRaw("i16", 3, [](Bytes &b) { b.u16(0xfffd); }));
  spec.entries.push_back(kvRaw("i32", 5, [](Bytes &b) { b.u32(-7); }));
  spec.entries.push_back(kvRaw("f32", 6, [](Bytes &b) { b.f32(1e-5f); }));
  spec.entries.push_back(kvRaw("bool", 7, [](Bytes &b) { b.u8(1); }));
  spec.entries.push_back(
      kvRaw("u64", 10, [](Bytes &b) { b.u64(1ull << 40); }));
  spec.entries.push_back(kvRaw("i64", 11, [](Bytes &b) { b.u64(-5); }));
  spec.entries.push_back(kvRaw("f64", 12, [](Bytes &b) {
    double v = 500000.0;
    b.raw(&v, 8);
  }));
  spec.entries.push_back(kvRaw("tokens", 9, [](Bytes &b) {
    b.u32(8);
    b.u64(3);
    b.str("<s>");
    b.str("");
    b.str("\xc4\xa0the");
  }));
  spec.entries.push_back(kvRaw("scores", 9, [](Bytes &b) {
    b.u32(6);
    b.u64(2);
    b.f32(-1.5f);
    b.f32(0.25f);
  }));
  spec.entries.push_back(kvRaw("types", 9, [](Bytes &b) {
    b.u32(5);
    b.u64(3);
    b.u32(1);
    b.u32(3);
    b.u32(static_cast<uint32_t>(-2));
  }));
  spec.entries.push_back(kvRaw("nested", 9, [](Bytes &b) {
    b.u32(9); // array of arrays of u8
    b.u64(2);
    b.u32(0);
    b.u64(2);
    b.u8(1);
    b.u8(2);
    b.u32(8);
    b.u64(1);
    b.str("x");
  }));

  std::string error;
  auto file = open(spec, error);
  ASSERT_NE(file, nullptr) << error;
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(file->alignment(), 32u);
  EXPECT_EQ(file->dataOffset() % 32, 0u);
  EXPECT_EQ(file->metadata().size(), spec.entries.size());
  EXPECT_EQ(file->architecture(), "bitnet");

  uint64_t u;
  int64_t i;
  double f;
  bool flag;
  std::string s;
  ASSERT_TRUE(file->getUInt("bitnet.block_count", u, error)) << error;
  EXPECT_EQ(u, 2u);
  ASSERT_TRUE(file->getUInt("u8", u, error));
  EXPECT_EQ(u, 200u);
  ASSERT_TRUE(file->getInt("i8", i, error));
  EXPECT_EQ(i, -2);
  ASSERT_TRUE(file->getUInt("u16", u, error));
  EXPECT_EQ(u, 60000u);
  ASSERT_TRUE(file->getInt("i16", i, error));
  EXPECT_EQ(i, -3);
  ASSERT_TRUE(file->getInt("i32", i, error));
  EXPECT_EQ(i, -7);
  ASSERT_TRUE(file->getFloat("f32", f, error));
  EXPECT_FLOAT_EQ(static_cast<float>(f), 1e-5f);
  ASSERT_TRUE(file->getBool("bool", flag, error));
  EXPECT_TRUE(flag);
  ASSERT_TRUE(file->getUInt("u64", u, error));
  EXPECT_EQ(u, 1ull << 40);
  ASSERT_TRUE(file->getInt("i64", i, error));
  EXPECT_EQ(i, -5);
  ASSERT_TRUE(file->getFloat("f64", f, error));
  EXPECT_EQ(f, 500000.0);
  ASSERT_TRUE(file->getFloat("bitnet.block_count", f, error));
  EXPECT_EQ(f, 2.0);
  ASSERT_TRUE(file->getString("general.architecture", s, error));
  EXPECT_EQ(s, "bitnet");

  std::vector<std::string> tokens;
  ASSERT_TRUE(file->getStringArray("tokens", tokens, error)) << error;
  EXPECT_EQ(tokens, (std::vector<std::string>{"<s>", "", "\xc4\xa0the"}));
  std::vector<float> scores;
  ASSERT_TRUE(file->getFloatArray("scores", scores, error)) << error;
  EXPECT_EQ(scores, (std::vector<float>{-1.5f, 0.25f}));
  std::vector<int64_t> types;
  ASSERT_TRUE(file->getIntArray("types", types, error)) << error;
  EXPECT_EQ(types, (std::vector<int64_t>{1, 3, -2}));
  const MetadataEntry *nested = file->findKey("nested");
  ASSERT_NE(nested, nullptr);
  EXPECT_EQ(nested->elementType, ValueType::Array);
  EXPECT_EQ(nested->arraySize, 2u);

  ASSERT_EQ(file->tensors().size(), 1u);
  const TensorInfo *t = file->findTensor("output_norm.weight");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->ggmlDims, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(t->shape(), (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(t->rows(), 3u);
  EXPECT_EQ(t->cols(), 2u);
  EXPECT_EQ(t->byteSize, 24u);
  EXPECT_EQ(t->fileOffset, file->dataOffset());
  const float *view = file->viewF32(*t);
  ASSERT_NE(view, nullptr);
  EXPECT_EQ(view[5], 6.0f);
  std::vector<float> values;
  ASSERT_TRUE(file->decodeFloat(*t, values, error)) << error;
  EXPECT_EQ(values, (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(file->findTensor("missing"), nullptr);
}

TEST_F(GgufTest, OpensVersion2) {
  std::string error;
  auto file = open(smallFile(2), error);
  ASSERT_NE(file, nullptr) << error;
  EXPECT_EQ(file->version(), 2u);
  EXPECT_EQ(file->tensors().size(), 1u);
}

TEST_F(GgufTest, HonoursGeneralAlignment) {
  FileSpec spec = smallFile(3);
  spec.alignment = 64;
  spec.entries.push_back(kvU32("general.alignment", 64));
  spec.tensors.push_back({"b", {4}, 0, f32Data({1, 2, 3, 4}), std::nullopt});
  std::string error;
  auto file = open(spec, error);
  ASSERT_NE(file, nullptr) << error;
  EXPECT_EQ(file->alignment(), 64u);
  EXPECT_EQ(file->dataOffset() % 64, 0u);
  EXPECT_EQ(file->findTensor("b")->fileOffset, file->dataOffset() + 64);
}

TEST_F(GgufTest, GetterErrorsNameTheKey) {
  std::string error;
  auto file = open(smallFile(3), error);
  ASSERT_NE(file, nullptr) << error;
  uint64_t u;
  std::vector<std::string> strings;
  EXPECT_FALSE(file->getUInt("general.architecture", u, error));
  EXPECT_NE(error.find("metadata 'general.architecture': expected an "
                       "unsigned integer, found string"),
            std::string::npos)
      << error;
  EXPECT_FALSE(file->getUInt("bitnet.context_length", u, error));
  EXPECT_NE(error.find("metadata key 'bitnet.context_length' is missing"),
            std::string::npos)
      << error;
  EXPECT_FALSE(file->getStringArray("bitnet.block_count", strings, error));
  EXPECT_NE(error.find("expected an array of string, found uint32"),
            std::string::npos)
      << error;
}

//===----------------------------------------------------------------------===//
// Bad files
//===----------------------------------------------------------------------===//

TEST_F(GgufTest, EveryTruncationFailsCleanly) {
  FileSpec spec = smallFile(3);
  spec.entries.push_back(kvRaw("tokens", 9, [](Bytes &b) {
    b.u32(8);
    b.u64(2);
    b.str("ab");
    b.str("cd");
  }));
  std::string bytes = build(spec);
  // The last tensor's data ends the file: every shorter prefix is bad.
  for (size_t length = 0; length < bytes.size(); ++length) {
    std::string error;
    EXPECT_EQ(GgufFile::open(write(bytes.substr(0, length)), error), nullptr)
        << "prefix of " << length << " bytes opened";
    EXPECT_FALSE(error.empty());
  }
  std::string error;
  EXPECT_EQ(GgufFile::open(write(bytes.substr(0, 10)), error), nullptr);
  EXPECT_NE(error.find("truncated file: 10 bytes"), std::string::npos)
      << error;
}

TEST_F(GgufTest, HeaderErrors) {
  FileSpec spec = smallFile(3);
  spec.magic = 0x4c4d4747; // "GGML"
  expectOpenError(spec, {"bad magic 'GGML'"});
  spec = smallFile(1);
  expectOpenError(spec, {"GGUF version 1 is not supported"});
  spec = smallFile(4);
  expectOpenError(spec, {"unsupported GGUF version 4"});
  spec = smallFile(0x03000000);
  expectOpenError(spec, {"big-endian"});
  spec = smallFile(3);
  spec.tensorCount = 1ull << 60;
  expectOpenError(spec, {"tensor count 1152921504606846976 cannot fit"});
  spec = smallFile(3);
  spec.entryCount = 1ull << 40;
  expectOpenError(spec, {"metadata count 1099511627776 cannot fit"});
}

TEST_F(GgufTest, MetadataErrors) {
  FileSpec spec = smallFile(3);
  spec.entries.push_back([](Bytes &b) { b.u64(1ull << 50); });
  expectOpenError(spec, {"metadata entry 2: key: its length "
                         "1125899906842624 exceeds"});

  spec = smallFile(3);
  spec.entries.push_back(kvRaw("general.name", 8, [](Bytes &b) {
    b.u64(1ull << 62);
  }));
  expectOpenError(spec, {"metadata 'general.name': string value: its length"});

  spec = smallFile(3);
  spec.entries.push_back(kvRaw("odd", 13, [](Bytes &b) { b.u32(0); }));
  expectOpenError(spec, {"metadata 'odd': unknown value type 13"});

  spec = smallFile(3);
  spec.entries.push_back(kvRaw("tokenizer.ggml.tokens", 9, [](Bytes &b) {
    b.u32(8);
    b.u64(1ull << 61);
  }));
  expectOpenError(spec, {"metadata 'tokenizer.ggml.tokens': array length "
                         "2305843009213693952 of string cannot fit"});

  spec = smallFile(3);
  spec.entries.push_back(kvRaw("arr", 9, [](Bytes &b) {
    b.u32(42);
    b.u64(1);
  }));
  expectOpenError(spec, {"metadata 'arr': array of unknown value type 42"});

  spec = smallFile(3);
  spec.entries.push_back(kvU32("bitnet.block_count", 3));
  expectOpenError(spec, {"metadata 'bitnet.block_count': duplicate key"});

  for (uint32_t bad : {0u, 3u, 48u}) {
    spec = smallFile(3);
    spec.entries.push_back(kvU32("general.alignment", bad));
    expectOpenError(spec, {"metadata 'general.alignment': " +
                           std::to_string(bad) + " is not a power of two"});
  }
  spec = smallFile(3);
  spec.entries.push_back(kvStr("general.alignment", "32"));
  expectOpenError(spec, {"metadata 'general.alignment': expected uint32, "
                         "found string"});
}

TEST_F(GgufTest, TensorInfoErrors) {
  FileSpec spec = smallFile(3);
  spec.tensors[0].dims = {1, 1, 1, 1, 6};
  expectOpenError(spec, {"tensor 'output_norm.weight': n_dims 5 exceeds"});

  spec = smallFile(3);
  spec.tensors[0].dims = {1ull << 32, 1ull << 32};
  expectOpenError(spec, {"tensor 'output_norm.weight': the product of the "
                         "dimensions overflows"});

  spec = smallFile(3);
  spec.tensors[0].dims = {6, 0};
  expectOpenError(spec, {"tensor 'output_norm.weight': dimension ne[1] = 0"});

  spec = smallFile(3);
  spec.tensors[0].type = 99;
  expectOpenError(spec, {"tensor 'output_norm.weight': unknown tensor type "
                         "99"});

  spec = smallFile(3);
  spec.tensors[0].type = static_cast<uint32_t>(TensorType::TQ2_0);
  spec.tensors[0].dims = {100, 2};
  spec.tensors[0].data = std::string(200, '\0');
  expectOpenError(spec, {"tensor 'output_norm.weight': ne[0] = 100 is not "
                         "a multiple of the tq2_0 block size 256"});

  spec = smallFile(3);
  spec.tensors[0].offset = 8;
  expectOpenError(spec, {"tensor 'output_norm.weight': data offset 8 is not "
                         "a multiple of the alignment 32"});

  spec = smallFile(3);
  spec.tensors[0].dims = {2, 300};
  expectOpenError(spec, {"tensor 'output_norm.weight': data [",
                         ") exceeds the file size"});

  spec = smallFile(3);
  spec.tensors[0].offset = 1ull << 63;
  expectOpenError(spec, {"tensor 'output_norm.weight': data [",
                         "exceeds the file size"});

  spec = smallFile(3);
  spec.tensors.push_back(
      {"blk.0.attn_norm.weight", {16}, 0, f32Data(std::vector<float>(16, 1)),
       uint64_t(0)});
  expectOpenError(spec, {"overlaps tensor"}); // either order

  spec = smallFile(3);
  spec.tensors.push_back(spec.tensors[0]);
  spec.tensors[1].offset = std::nullopt;
  expectOpenError(spec, {"tensor 'output_norm.weight': duplicate tensor "
                         "name"});
}

//===----------------------------------------------------------------------===//
// Decoders
//===----------------------------------------------------------------------===//

/// The f16 bits of a few exact values.
constexpr uint16_t kHalfHalf = 0x3800;    // 0.5
constexpr uint16_t kHalfQuarter = 0x3400; // 0.25

std::string u16Bytes(uint16_t v) {
  return std::string(reinterpret_cast<const char *>(&v), 2);
}

/// Opens a file holding the one tensor and returns it, decoded ternary.
class DecodeTest : public GgufTest {
protected:
  bool decode(uint32_t type, std::vector<uint64_t> dims,
              const std::string &data, TernaryTensor &out,
              std::string &error) {
    FileSpec spec;
    spec.tensors = {{"w", std::move(dims), type, data, std::nullopt}};
    file = open(spec, error);
    if (!file)
      return false;
    return file->decodeTernary(*file->findTensor("w"), out, error);
  }
  std::unique_ptr<GgufFile> file;
};

/// A TQ2_0 block: byte 0 = 0x92 (2-bit codes 2, 0, 1, 2 from bit 0 up:
/// elements 0, 32, 64, 96 are +1, -1, 0, +1), byte 40 = 0x56 (codes 2, 1,
/// 1, 1: element 128 + 8 = 136 is +1), the rest 0x55 (all zero weights).
std::string tq2Block(uint16_t d, uint8_t byte0 = 0x92) {
  std::string block(64, '\x55');
  block[0] = static_cast<char>(byte0);
  block[40] = static_cast<char>(0x56); // codes 2, 1, 1, 1 -> +1, 0, 0, 0
  return block + u16Bytes(d);
}

TEST_F(DecodeTest, TQ2Block) {
  TernaryTensor t;
  std::string error;
  ASSERT_TRUE(decode(35, {256, 1}, tq2Block(kHalfHalf), t, error)) << error;
  EXPECT_EQ(t.rows, 1u);
  EXPECT_EQ(t.cols, 256u);
  EXPECT_EQ(t.scale, 0.5f);
  std::vector<int8_t> expected(256, 0);
  expected[0] = 1;
  expected[32] = -1;
  expected[64] = 0;
  expected[96] = 1;
  expected[128 + 8] = 1; // byte 32 + 8, bits 0-1
  EXPECT_EQ(t.codes, expected);
}

TEST_F(DecodeTest, TQ2Errors) {
  TernaryTensor t;
  std::string error;
  EXPECT_FALSE(decode(35, {256, 1}, tq2Block(kHalfHalf, 0xc0), t, error));
  EXPECT_NE(error.find("tensor 'w': block 0 holds the invalid 2-bit code 3 "
                       "(element 96)"),
            std::string::npos)
      << error;

  // Two rows whose blocks carry different scales.
  EXPECT_FALSE(decode(35, {256, 2},
                      tq2Block(kHalfHalf) + tq2Block(kHalfQuarter), t,
                      error));
  EXPECT_NE(error.find("tensor 'w': per-block scales differ (block 0: "
                       "d=0.5, block 1: d=0.25); trit supports one scale "
                       "per tensor"),
            std::string::npos)
      << error;

  // An all-zero block may carry any scale (the quantizer writes d = 0).
  std::string zeros = std::string(64, '\x55') + u16Bytes(0);
  ASSERT_TRUE(decode(35, {256, 2}, tq2Block(kHalfHalf) + zeros, t, error))
      << error;
  EXPECT_EQ(t.scale, 0.5f);

  EXPECT_FALSE(decode(35, {256, 1}, tq2Block(0xbc00), t, error)); // -1.0
  EXPECT_NE(error.find("not a finite non-negative number"), std::string::npos)
      << error;
}

/// A TQ1_0 block worked out by hand (docs/gguf.md):
///   qs[0] = 186 encodes digits 2,0,1,1,2 (176 = 2*81+9+3+2; ceil(176*256/
///   243) = 186): elements 0, 32, 64, 96, 128 are +1, -1, 0, 0, +1;
///   qs[m] = 128 encodes 1,1,1,1,1 (all zero weights);
///   qh[1] = 70 encodes 0,2,1,1 (66 = 2*27+9+3; ceil(66*256/243) = 70):
///   elements 241, 245, 249, 253 are -1, +1, 0, 0;
///   qh[j] = 127 encodes 1,1,1,1 (120 = 81+27+9+3).
std::string tq1Block(uint16_t d) {
  std::string block(48, static_cast<char>(128));
  block[0] = static_cast<char>(186);
  block += std::string(4, static_cast<char>(127));
  block[48 + 1] = static_cast<char>(70);
  return block + u16Bytes(d);
}

TEST_F(DecodeTest, TQ1Block) {
  TernaryTensor t;
  std::string error;
  ASSERT_TRUE(decode(34, {256, 1}, tq1Block(kHalfQuarter), t, error))
      << error;
  EXPECT_EQ(t.scale, 0.25f);
  std::vector<int8_t> expected(256, 0);
  expected[0] = 1;
  expected[32] = -1;
  expected[128] = 1;
  expected[241] = -1;
  expected[245] = 1;
  EXPECT_EQ(t.codes, expected);
}

TEST_F(DecodeTest, TQ1InvalidBytes) {
  TernaryTensor t;
  std::string error;
  // 1 is not ceil(v * 256 / 243) for any v (v = 0 gives 0, v = 1 gives 2).
  std::string block = tq1Block(kHalfHalf);
  block[5] = 1;
  EXPECT_FALSE(decode(34, {256, 1}, block, t, error));
  EXPECT_NE(error.find("tensor 'w': block 0: byte 5 (0x01) is not a valid "
                       "TQ1_0 base-3 encoding"),
            std::string::npos)
      << error;
  // A qh byte must have 0 as its fifth digit: 2 encodes 0,0,0,0,1.
  block = tq1Block(kHalfHalf);
  block[50] = 2;
  EXPECT_FALSE(decode(34, {256, 1}, block, t, error));
  EXPECT_NE(error.find("block 0: byte 50 (0x02)"), std::string::npos)
      << error;
}

/// An I2_S tensor of 128 values: byte 0 = 0x86 (codes 2, 0, 1, 2 in bits
/// 7-6, 5-4, 3-2, 1-0: elements 0, 32, 64, 96 are +1, -1, 0, +1), byte 31 =
/// 0x54 (element 127: code 0 -> -1), the rest 0x55; then the f32 scale and
/// 28 bytes of padding.
std::string i2sData(float scale, uint8_t byte0 = 0x86) {
  std::string data(32, '\x55');
  data[0] = static_cast<char>(byte0);
  data[31] = static_cast<char>(0x54);
  data += std::string(reinterpret_cast<const char *>(&scale), 4);
  return data + std::string(28, '\0');
}

TEST_F(DecodeTest, I2S) {
  TernaryTensor t;
  std::string error;
  ASSERT_TRUE(decode(36, {128, 1}, i2sData(0.75f), t, error)) << error;
  EXPECT_EQ(t.scale, 0.75f);
  std::vector<int8_t> expected(128, 0);
  expected[0] = 1;
  expected[32] = -1;
  expected[96] = 1;
  expected[127] = -1;
  EXPECT_EQ(t.codes, expected);
  EXPECT_EQ(file->findTensor("w")->byteSize, 64u);

  EXPECT_FALSE(decode(36, {128, 1}, i2sData(0.75f, 0x57), t, error));
  EXPECT_NE(error.find("tensor 'w': element 96 holds the invalid 2-bit code "
                       "3"),
            std::string::npos)
      << error;
  EXPECT_FALSE(decode(36, {128, 1}, i2sData(-1.0f), t, error));
  EXPECT_NE(error.find("the I2_S scale -1 is not"), std::string::npos)
      << error;
  EXPECT_FALSE(
      decode(36, {64, 2}, i2sData(0.75f), t, error)); // 64-wide rows
  EXPECT_NE(error.find("ne[0] = 64 is not a multiple of 128"),
            std::string::npos)
      << error;
}

TEST_F(DecodeTest, FloatFormats) {
  std::string error;
  FileSpec spec;
  std::string f16 = u16Bytes(0x3c00) + u16Bytes(0xc000) + u16Bytes(0x0001) +
                    u16Bytes(0x7bff) + u16Bytes(0x8000) + u16Bytes(0x7c00);
  std::string bf16 = u16Bytes(0x3f80) + u16Bytes(0xc040);
  std::string q8 = u16Bytes(kHalfHalf);
  for (int i = 0; i < 32; ++i)
    q8 += static_cast<char>(i - 16);
  spec.tensors = {{"h", {6}, 1, f16, std::nullopt},
                  {"b", {2}, 30, bf16, std::nullopt},
                  {"q", {32}, 8, q8, std::nullopt}};
  auto file = open(spec, error);
  ASSERT_NE(file, nullptr) << error;
  std::vector<float> v;
  ASSERT_TRUE(file->decodeFloat(*file->findTensor("h"), v, error)) << error;
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[1], -2.0f);
  EXPECT_EQ(v[2], 5.9604644775390625e-8f); // 2^-24, the smallest subnormal
  EXPECT_EQ(v[3], 65504.0f);
  EXPECT_TRUE(v[4] == 0.0f && std::signbit(v[4]));
  EXPECT_TRUE(std::isinf(v[5]));
  ASSERT_TRUE(file->decodeFloat(*file->findTensor("b"), v, error)) << error;
  EXPECT_EQ(v, (std::vector<float>{1.0f, -3.0f}));
  ASSERT_TRUE(file->decodeFloat(*file->findTensor("q"), v, error)) << error;
  ASSERT_EQ(v.size(), 32u);
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(v[i], 0.5f * (i - 16));
  EXPECT_EQ(file->viewF32(*file->findTensor("h")), nullptr);
}

TEST_F(DecodeTest, TernaryFloats) {
  TernaryTensor t;
  std::string error;
  ASSERT_TRUE(decode(0, {3, 2}, f32Data({0.5f, -0.5f, 0.0f, -0.0f, 0.5f, 0}),
                     t, error))
      << error;
  EXPECT_EQ(t.scale, 0.5f);
  EXPECT_EQ(t.codes, (std::vector<int8_t>{1, -1, 0, 0, 1, 0}));
  EXPECT_EQ(t.rows, 2u);
  EXPECT_EQ(t.cols, 3u);

  EXPECT_FALSE(decode(0, {3}, f32Data({0.5f, 0.25f, 0}), t, error));
  EXPECT_NE(error.find("tensor 'w': element 1 = 0.25 is not in {-a, 0, +a} "
                       "(a = 0.5)"),
            std::string::npos)
      << error;

  // F16 ternary: 0.25 and -0.25.
  ASSERT_TRUE(decode(1, {2},
                     u16Bytes(kHalfQuarter) + u16Bytes(kHalfQuarter | 0x8000),
                     t, error))
      << error;
  EXPECT_EQ(t.scale, 0.25f);
  EXPECT_EQ(t.codes, (std::vector<int8_t>{1, -1}));
}

TEST_F(DecodeTest, UnsupportedTypesNameTheType) {
  TernaryTensor t;
  std::string error;
  std::string q8 = u16Bytes(kHalfHalf) + std::string(32, '\0');
  EXPECT_FALSE(decode(8, {32}, q8, t, error));
  EXPECT_NE(error.find("tensor 'w': type q8_0 is not a ternary type"),
            std::string::npos)
      << error;

  // Q4_K is in ggml's table: the file opens, the tensor does not decode.
  std::vector<float> v;
  FileSpec spec;
  spec.tensors = {{"emb", {256}, 12, std::string(144, '\0'), std::nullopt},
                  {"w", {256, 1}, 35, tq2Block(kHalfHalf), std::nullopt}};
  auto opened = open(spec, error);
  ASSERT_NE(opened, nullptr) << error;
  EXPECT_FALSE(opened->decodeFloat(*opened->findTensor("emb"), v, error));
  EXPECT_NE(error.find("tensor 'emb': type q4_K cannot be decoded to floats"),
            std::string::npos)
      << error;
  EXPECT_FALSE(opened->decodeFloat(*opened->findTensor("w"), v, error));
  EXPECT_NE(error.find("tensor 'w': type tq2_0 cannot be decoded"),
            std::string::npos)
      << error;
}

//===----------------------------------------------------------------------===//
// The metadata writer (tritc's OUTPUT.tokenizer.gguf)
//===----------------------------------------------------------------------===//

/// A model-like file: tokenizer keys of every type the tokenizer reads,
/// other keys and a tensor.
FileSpec modelWithTokenizer() {
  FileSpec spec = smallFile(3);
  spec.entries.push_back(kvStr("tokenizer.ggml.model", "gpt2"));
  spec.entries.push_back(kvRaw("tokenizer.ggml.tokens", 9, [](Bytes &b) {
    b.u32(8);
    b.u64(3);
    b.str("a");
    b.str("b");
    b.str("ab");
  }));
  spec.entries.push_back(kvRaw("tokenizer.ggml.token_type", 9, [](Bytes &b) {
    b.u32(5); // int32
    b.u64(3);
    b.u32(1);
    b.u32(1);
    b.u32(static_cast<uint32_t>(-3));
  }));
  spec.entries.push_back(kvRaw("tokenizer.ggml.scores", 9, [](Bytes &b) {
    b.u32(6);
    b.u64(2);
    b.f32(-1.5f);
    b.f32(2.25f);
  }));
  spec.entries.push_back(kvU32("tokenizer.ggml.eos_token_id", 2));
  spec.entries.push_back(
      kvRaw("tokenizer.ggml.bos_token_id", 5, [](Bytes &b) { b.u32(-1); }));
  spec.entries.push_back(
      kvRaw("tokenizer.ggml.add_bos_token", 7, [](Bytes &b) { b.u8(0); }));
  spec.entries.push_back(kvRaw("tokenizer.chat_template.x", 12, [](Bytes &b) {
    double v = 0.1;
    b.raw(&v, 8);
  }));
  return spec;
}

TEST_F(GgufTest, TheTokenizerIsCopiedAloneWithItsTypes) {
  std::string error;
  auto model = open(modelWithTokenizer(), error);
  ASSERT_NE(model, nullptr) << error;
  std::string path = write("");
  ASSERT_TRUE(writeGgufTokenizer(*model, path, error)) << error;
  auto copy = GgufFile::open(path, error);
  ASSERT_NE(copy, nullptr) << error;

  EXPECT_TRUE(copy->tensors().empty());
  EXPECT_EQ(copy->architecture(), "bitnet");
  EXPECT_FALSE(copy->hasKey("bitnet.block_count"));
  // Every tokenizer key, in the file's order, after the architecture.
  std::vector<std::string> keys;
  for (const MetadataEntry &entry : copy->metadata())
    keys.emplace_back(entry.key);
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "general.architecture", "tokenizer.ggml.model",
                      "tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
                      "tokenizer.ggml.scores", "tokenizer.ggml.eos_token_id",
                      "tokenizer.ggml.bos_token_id",
                      "tokenizer.ggml.add_bos_token",
                      "tokenizer.chat_template.x"}));
  for (const MetadataEntry &entry : model->metadata()) {
    const MetadataEntry *copied = copy->findKey(entry.key);
    if (!copied)
      continue;
    EXPECT_EQ(copied->type, entry.type) << entry.key;
    EXPECT_EQ(copied->elementType, entry.elementType) << entry.key;
    EXPECT_EQ(copied->arraySize, entry.arraySize) << entry.key;
    EXPECT_EQ(copied->uintValue, entry.uintValue) << entry.key;
    EXPECT_EQ(copied->intValue, entry.intValue) << entry.key;
    EXPECT_EQ(copied->floatValue, entry.floatValue) << entry.key;
    EXPECT_EQ(copied->stringValue, entry.stringValue) << entry.key;
  }
  std::vector<std::string> tokens;
  ASSERT_TRUE(copy->getStringArray("tokenizer.ggml.tokens", tokens, error));
  EXPECT_EQ(tokens, (std::vector<std::string>{"a", "b", "ab"}));
  std::vector<int64_t> types;
  ASSERT_TRUE(copy->getIntArray("tokenizer.ggml.token_type", types, error));
  EXPECT_EQ(types, (std::vector<int64_t>{1, 1, -3}));
  std::vector<float> scores;
  ASSERT_TRUE(copy->getFloatArray("tokenizer.ggml.scores", scores, error));
  EXPECT_EQ(scores, (std::vector<float>{-1.5f, 2.25f}));
}

TEST_F(GgufTest, AFileWithoutTokensHasNoTokenizerToWrite) {
  std::string error;
  auto model = open(smallFile(3), error);
  ASSERT_NE(model, nullptr) << error;
  std::string path = write("");
  EXPECT_FALSE(writeGgufTokenizer(*model, path, error));
  EXPECT_NE(error.find("'tokenizer.ggml.tokens' is missing"),
            std::string::npos)
      << error;

  // An unwritable place is one line naming it.
  auto tokenized = open(modelWithTokenizer(), error);
  ASSERT_NE(tokenized, nullptr) << error;
  std::string nowhere = "/nonexistent-dir/tok.gguf";
  EXPECT_FALSE(writeGgufTokenizer(*tokenized, nowhere, error));
  EXPECT_EQ(error.rfind(nowhere + ": cannot be written", 0), 0u) << error;
}

} // namespace
