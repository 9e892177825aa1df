//===- RuntimeTest.cpp - the runtime's C API --------------------*- C++ -*-===//
//
// Loading (and refusing) model libraries, the checks on token ids and
// lengths, the forward pass, sampling and generation, against a hand-written
// fake model library; and the .npy files trit-run reads and writes.
//
//===----------------------------------------------------------------------===//

#include "trit/runtime.h"

#include "../tools/trit-run/Npy.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

class Model {
public:
  explicit Model(const char *path) { status = trit_model_load(path, &model); }
  ~Model() { trit_model_free(model); }
  trit_status status;
  trit_model *model = nullptr;
};

TEST(Runtime, LoadsTheModelAndReportsItsShape) {
  Model m(FAKE_MODEL_PATH);
  ASSERT_EQ(m.status, TRIT_OK) << trit_last_error();
  EXPECT_EQ(trit_model_vocab_size(m.model), 7);
  EXPECT_EQ(trit_model_context_length(m.model), 16);
}

TEST(Runtime, AppliesTheModelsDefaultThreadCount) {
  // The fake model asks for one thread; nothing has chosen one yet (each
  // test runs in its own process under ctest).
  omp_set_num_threads(2);
  Model m(FAKE_MODEL_PATH);
  ASSERT_EQ(m.status, TRIT_OK) << trit_last_error();
  EXPECT_EQ(omp_get_max_threads(), 1);
  // An explicit choice wins over the model's default.
  trit_set_num_threads(2);
  Model again(FAKE_MODEL_PATH);
  EXPECT_EQ(omp_get_max_threads(), 2);
}

TEST(Runtime, RefusesAMissingFile) {
  Model m("/nonexistent/model.so");
  EXPECT_EQ(m.status, TRIT_ERROR_LOAD);
  EXPECT_EQ(m.model, nullptr);
  EXPECT_NE(std::string(trit_last_error()).find("/nonexistent/model.so"),
            std::string::npos);
}

TEST(Runtime, RefusesALibraryThatIsNoModel) {
  Model m(RUNTIME_LIBRARY_PATH);
  EXPECT_EQ(m.status, TRIT_ERROR_LOAD);
  EXPECT_NE(std::string(trit_last_error()).find("is not a trit model library"),
            std::string::npos)
      << trit_last_error();
}

TEST(Runtime, RefusesAnotherAbiVersion) {
  Model m(FAKE_MODEL_OTHER_ABI_PATH);
  EXPECT_EQ(m.status, TRIT_ERROR_LOAD);
  EXPECT_NE(std::string(trit_last_error()).find("compiled for model ABI 99"),
            std::string::npos)
      << trit_last_error();
}

/// Writes the weights file of the external-weights fake model at `path`
/// (its library's path): `bias`, added to every position's logits.
void writeFakeWeights(const std::string &path, const float (&bias)[7]) {
  unsigned char header[TRIT_WEIGHTS_HEADER_BYTES] = {};
  std::memcpy(header, TRIT_WEIGHTS_MAGIC, sizeof(TRIT_WEIGHTS_MAGIC));
  auto putLE64 = [&](int at, uint64_t value) {
    for (int i = 0; i < 8; ++i)
      header[at + i] = static_cast<unsigned char>(value >> (8 * i));
  };
  putLE64(8, TRIT_WEIGHTS_FORMAT_VERSION);
  putLE64(16, FAKE_MODEL_WEIGHTS_ID);
  putLE64(24, sizeof(bias));
  std::ofstream out(path + ".weights", std::ios::binary);
  out.write(reinterpret_cast<const char *>(header), sizeof(header));
  out.write(reinterpret_cast<const char *>(bias), sizeof(bias));
}

/// Logit `v` of token 0 alone through `model`.
float logitAfterToken0(trit_model *model, int v) {
  std::vector<float> logits(7);
  const int64_t id = 0;
  EXPECT_EQ(trit_model_forward(model, &id, 1, 1, logits.data()), TRIT_OK)
      << trit_last_error();
  return logits[v];
}

// dlopen gives a second load of a library the handle of the first, and the
// library holds one weights pointer: freeing either model must leave the
// other's weights mapped (it used to unmap them under it: a crash).
TEST(Runtime, ModelsOfOneExternalWeightsLibraryKeepTheirWeights) {
  const float bias[7] = {0, 0, 0, 0, 0, 0, 10.0f};
  // A copy of the library, so that its weights file can sit beside it.
  std::string path = testing::TempDir() + "/shared-weights.so";
  {
    std::ifstream in(FAKE_MODEL_WEIGHTS_PATH, std::ios::binary);
    std::ofstream out(path, std::ios::binary);
    out << in.rdbuf();
  }
  writeFakeWeights(path, bias);
  for (bool freeTheFirst : {false, true}) {
    SCOPED_TRACE(freeTheFirst ? "the first freed" : "the second freed");
    trit_model *first = nullptr, *second = nullptr;
    ASSERT_EQ(trit_model_load(path.c_str(), &first), TRIT_OK)
        << trit_last_error();
    ASSERT_EQ(trit_model_load(path.c_str(), &second), TRIT_OK)
        << trit_last_error();
    trit_model *kept = freeTheFirst ? second : first;
    trit_model_free(freeTheFirst ? first : second);
    // Token 0 favours 1 (3.0); the weights add 10 to token 6.
    EXPECT_EQ(logitAfterToken0(kept, 1), 3.0f);
    EXPECT_EQ(logitAfterToken0(kept, 6), 10.0f);
    trit_model_free(kept);
  }
  // Once the last model is freed the file is unmapped: a new load maps
  // what the file holds now.
  const float other[7] = {0, 0, 0, 0, 0, 0, -4.0f};
  writeFakeWeights(path, other);
  Model again(path.c_str());
  ASSERT_EQ(again.status, TRIT_OK) << trit_last_error();
  EXPECT_EQ(logitAfterToken0(again.model, 6), -4.0f);
}

TEST(Runtime, ForwardReturnsTheModelsLogits) {
  Model m(FAKE_MODEL_PATH);
  ASSERT_EQ(m.status, TRIT_OK);
  const int64_t ids[6] = {0, 1, 2, 6, 5, 4};
  std::vector<float> logits(2 * 3 * 7);
  ASSERT_EQ(trit_model_forward(m.model, ids, 2, 3, logits.data()), TRIT_OK);
  for (int i = 0; i < 6; ++i)
    for (int v = 0; v < 7; ++v) {
      float expected = v == (ids[i] + 1) % 7   ? 3.0f
                       : v == (ids[i] + 2) % 7 ? 2.5f
                                               : 0.0f;
      EXPECT_EQ(logits[i * 7 + v], expected) << "position " << i;
    }
}

// An empty sequence, batch or prompt is named as what it is, also where
// the caller's ids are an empty vector's null data().
TEST(Runtime, SaysWhatIsEmpty) {
  Model m(FAKE_MODEL_PATH);
  ASSERT_EQ(m.status, TRIT_OK);
  const int64_t ids[4] = {1, 2, 3, 4};
  float logits[7 * 4];
  for (const int64_t *given : {static_cast<const int64_t *>(nullptr), ids}) {
    EXPECT_EQ(trit_model_forward(m.model, given, 1, 0, logits),
              TRIT_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(trit_last_error()).find("the sequence is empty"),
              std::string::npos)
        << trit_last_error();
    EXPECT_EQ(trit_model_forward(m.model, given, 0, 4, logits),
              TRIT_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(trit_last_error()).find("the batch is empty"),
              std::string::npos)
        << trit_last_error();
    int64_t out[2], generated = 0;
    trit_sampling greedy = trit_sampling_greedy();
    EXPECT_EQ(
        trit_generate(m.model, given, 0, 2, &greedy, out, &generated, nullptr),
        TRIT_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(trit_last_error()).find("the prompt is empty"),
              std::string::npos)
        << trit_last_error();
    trit_session *session = nullptr;
    ASSERT_EQ(trit_session_create(m.model, &session), TRIT_OK);
    EXPECT_EQ(trit_session_append(session, given, 0, logits),
              TRIT_ERROR_INVALID_ARGUMENT);
    EXPECT_NE(std::string(trit_last_error()).find("append at least one token"),
              std::string::npos)
        << trit_last_error();
    trit_session_free(session);
  }
  // Negative sizes are not "empty".
  EXPECT_EQ(trit_model_forward(m.model, ids, -1, 4, logits),
            TRIT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(trit_last_error()).find("[-1, 4]"), std::string::npos)
      << trit_last_error();
}

TEST(Runtime, RejectsTokenIdsOutOfRange) {
  Model m(FAKE_MODEL_PATH);
  ASSERT_EQ(m.status, TRIT_OK);
  std::vector<float> logits(3 * 7);
  const int64_t tooBig[3] = {0, 7, 1};
  EXPECT_EQ(trit_model_forward(m.model, tooBig, 1, 3, logits.data()),
            TRIT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(trit_last_error()).find("token id 7 at [0, 1]"),
            std::string::npos)
      << trit_last_error();
  const int64_t negative[3] = {0, 1, -1};
  EXPECT_EQ(trit_model_forward(m.model, negative, 1, 3, logits.data()),
            TRIT_ERROR_INVALID_ARGUMENT);
}

TEST(Runtime, RejectsSequencesLongerThanTheContext) {
  Model m(FAKE_MODEL_PATH);
  ASSERT_EQ(m.status, TRIT_OK);
  std::vector<int64_t> ids(17, 0);
  std::vector<float> logits(17 * 7);
  EXPECT_EQ(trit_model_forward(m.model, ids.data(), 1, 17, logits.data()),
            TRIT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(trit_last_error()).find("context of 16"),
            std::string::npos);
  int64_t out[8], generated = -1;
  trit_sampling greedy = trit_sampling_greedy();
  EXPECT_EQ(trit_generate(m.model, ids.data(), 10, 7, &greedy, out,
                          &generated, nullptr),
            TRIT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(trit_last_error()).find("at most 6 new tokens fit"),
            std::string::npos)
      << trit_last_error();
  EXPECT_EQ(generated, 0);
}

TEST(Runtime, AStaticModelTakesOnlyItsShape) {
  // Compiled for [1, 3]: any other shape would be a wrong-sized buffer.
  Model m(FAKE_MODEL_STATIC_PATH);
  ASSERT_EQ(m.status, TRIT_OK) << trit_last_error();
  const int64_t ids[6] = {0, 1, 2, 3, 4, 5};
  std::vector<float> logits(6 * 7);
  EXPECT_EQ(trit_model_forward(m.model, ids, 1, 3, logits.data()), TRIT_OK);
  EXPECT_EQ(trit_model_forward(m.model, ids, 1, 2, logits.data()),
            TRIT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(trit_last_error())
                .find("compiled for sequences of exactly 3 tokens, not 2"),
            std::string::npos)
      << trit_last_error();
  EXPECT_EQ(trit_model_forward(m.model, ids, 2, 3, logits.data()),
            TRIT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(trit_last_error())
                .find("compiled for a batch of exactly 1, not 2"),
            std::string::npos)
      << trit_last_error();
}

TEST(Runtime, GreedyGenerationFollowsTheFavourite) {
  Model m(FAKE_MODEL_PATH);
  ASSERT_EQ(m.status, TRIT_OK);
  const int64_t prompt[2] = {3, 5};
  int64_t out[5], generated = 0;
  trit_timing timing{};
  trit_sampling greedy = trit_sampling_greedy();
  ASSERT_EQ(trit_generate(m.model, prompt, 2, 5, &greedy, out, &generated,
                          &timing),
            TRIT_OK);
  ASSERT_EQ(generated, 5);
  const int64_t expected[5] = {6, 0, 1, 2, 3};
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(out[i], expected[i]);
  EXPECT_EQ(timing.prompt_tokens, 2);
  EXPECT_EQ(timing.generated_tokens, 5);
}

/// What trit_generate_stream's callback saw, and where it asks to stop.
struct StreamLog {
  std::vector<std::pair<int64_t, int64_t>> calls; // (id, index)
  int64_t stopAt = -1;                            // an id
};

int logToken(int64_t id, int64_t index, void *user) {
  auto *log = static_cast<StreamLog *>(user);
  log->calls.emplace_back(id, index);
  return id == log->stopAt;
}

// The callback sees every token as it is drawn, in order, and the tokens are
// trit_generate's.
TEST(Runtime, StreamingGenerationReportsEachToken) {
  for (const char *path : {FAKE_MODEL_PATH, FAKE_MODEL_CACHED_PATH}) {
    Model m(path);
    ASSERT_EQ(m.status, TRIT_OK) << trit_last_error();
    const int64_t prompt[2] = {3, 5};
    trit_sampling greedy = trit_sampling_greedy();
    int64_t expected[5], expectedCount = 0;
    ASSERT_EQ(trit_generate(m.model, prompt, 2, 5, &greedy, expected,
                            &expectedCount, nullptr),
              TRIT_OK);
    StreamLog log;
    int64_t out[5], generated = 0;
    trit_timing timing{};
    ASSERT_EQ(trit_generate_stream(m.model, prompt, 2, 5, &greedy, out,
                                   &generated, &timing, logToken, &log),
              TRIT_OK)
        << trit_last_error();
    ASSERT_EQ(generated, 5);
    ASSERT_EQ(log.calls.size(), 5u);
    for (int64_t i = 0; i < 5; ++i) {
      EXPECT_EQ(out[i], expected[i]);
      EXPECT_EQ(log.calls[i], std::make_pair(expected[i], i));
    }
    EXPECT_EQ(timing.generated_tokens, 5);
  }
}

// A nonzero return ends generation with that token, as an end-of-sequence
// token does; no callback works as trit_generate.
TEST(Runtime, StreamingGenerationStopsWhenTheCallbackSaysSo) {
  Model m(FAKE_MODEL_PATH);
  ASSERT_EQ(m.status, TRIT_OK);
  const int64_t prompt[2] = {3, 5};
  trit_sampling greedy = trit_sampling_greedy();
  StreamLog log;
  log.stopAt = 1; // 6, 0, 1: stop after the third token
  int64_t out[5] = {-1, -1, -1, -1, -1}, generated = 0;
  trit_timing timing{};
  ASSERT_EQ(trit_generate_stream(m.model, prompt, 2, 5, &greedy, out,
                                 &generated, &timing, logToken, &log),
            TRIT_OK);
  EXPECT_EQ(generated, 3);
  EXPECT_EQ(timing.generated_tokens, 3);
  EXPECT_EQ(log.calls.size(), 3u);
  EXPECT_EQ(out[0], 6);
  EXPECT_EQ(out[1], 0);
  EXPECT_EQ(out[2], 1);
  EXPECT_EQ(out[3], -1);

  int64_t again[5], count = 0;
  ASSERT_EQ(trit_generate_stream(m.model, prompt, 2, 5, &greedy, again,
                                 &count, nullptr, nullptr, nullptr),
            TRIT_OK);
  EXPECT_EQ(count, 5);
  // Bad arguments fail as trit_generate's do.
  EXPECT_EQ(trit_generate_stream(m.model, prompt, 0, 5, &greedy, again,
                                 &count, nullptr, logToken, &log),
            TRIT_ERROR_INVALID_ARGUMENT);
}

TEST(Sampling, GreedyTakesTheLowestIdAmongTies) {
  const float logits[4] = {1.0f, 5.0f, 5.0f, -2.0f};
  uint64_t rng = 0;
  trit_sampling greedy = trit_sampling_greedy();
  EXPECT_EQ(trit_sample(logits, 4, &greedy, &rng), 1);
}

TEST(Sampling, TopKOneIsGreedy) {
  const float logits[5] = {0.1f, 0.3f, 2.0f, 1.9f, -1.0f};
  trit_sampling s{1.5f, 1, 1.0f, 0};
  uint64_t rng = 42;
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(trit_sample(logits, 5, &s, &rng), 2);
}

TEST(Sampling, SameSeedSameTokens) {
  std::vector<float> logits(50);
  for (int v = 0; v < 50; ++v)
    logits[v] = std::sin(v * 0.7f);
  trit_sampling s{1.0f, 0, 1.0f, 1234};
  uint64_t a = s.seed, b = s.seed;
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(trit_sample(logits.data(), 50, &s, &a),
              trit_sample(logits.data(), 50, &s, &b));
}

TEST(Sampling, FrequenciesFollowTheSoftmax) {
  // Two tokens with logits 0 and log(3): probabilities 1/4 and 3/4.
  const float logits[2] = {0.0f, std::log(3.0f)};
  trit_sampling s{1.0f, 0, 1.0f, 7};
  uint64_t rng = s.seed;
  int ones = 0;
  const int draws = 20000;
  for (int i = 0; i < draws; ++i)
    ones += trit_sample(logits, 2, &s, &rng) == 1;
  EXPECT_NEAR(ones / double(draws), 0.75, 0.015);
}

// Logits of ids [seq] through trit_model_forward.
std::vector<float> forwardLogits(trit_model *model,
                                 const std::vector<int64_t> &ids) {
  std::vector<float> logits(ids.size() * 7);
  EXPECT_EQ(trit_model_forward(model, ids.data(), 1,
                               static_cast<int64_t>(ids.size()),
                               logits.data()),
            TRIT_OK)
      << trit_last_error();
  return logits;
}

// Feeding a session piece by piece gives the logits of the whole sequence,
// with the cache (the cached fake model's logits depend on the whole
// prefix) and without.
TEST(Session, PiecesGiveTheWholeSequencesLogits) {
  for (const char *path : {FAKE_MODEL_CACHED_PATH, FAKE_MODEL_PATH}) {
    SCOPED_TRACE(path);
    Model m(path);
    ASSERT_EQ(m.status, TRIT_OK) << trit_last_error();
    EXPECT_EQ(trit_model_has_kv_cache(m.model),
              std::string(path) == FAKE_MODEL_CACHED_PATH);
    std::vector<int64_t> ids = {3, 1, 4, 1, 5, 6};
    std::vector<float> whole = forwardLogits(m.model, ids);
    trit_session *session = nullptr;
    ASSERT_EQ(trit_session_create(m.model, &session), TRIT_OK);
    std::vector<float> pieces(ids.size() * 7);
    ASSERT_EQ(trit_session_append(session, ids.data(), 3, pieces.data()),
              TRIT_OK)
        << trit_last_error();
    for (size_t i = 3; i < ids.size(); ++i)
      ASSERT_EQ(trit_session_append(session, &ids[i], 1, &pieces[i * 7]),
                TRIT_OK)
          << trit_last_error();
    EXPECT_EQ(trit_session_length(session), 6);
    EXPECT_EQ(pieces, whole);
    trit_session_free(session);
  }
}

TEST(Session, RefusesBadIdsAndOverlongSequencesAndStaysUsable) {
  Model m(FAKE_MODEL_CACHED_PATH);
  ASSERT_EQ(m.status, TRIT_OK) << trit_last_error();
  trit_session *session = nullptr;
  ASSERT_EQ(trit_session_create(m.model, &session), TRIT_OK);
  int64_t ids[2] = {2, 9};
  EXPECT_EQ(trit_session_append(session, ids, 2, nullptr),
            TRIT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(trit_last_error()).find("token id 9 at [0, 1]"),
            std::string::npos)
      << trit_last_error();
  EXPECT_EQ(trit_session_length(session), 0);
  std::vector<int64_t> many(17, 1);
  EXPECT_EQ(trit_session_append(session, many.data(), 17, nullptr),
            TRIT_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(trit_last_error()).find("context of 16"),
            std::string::npos)
      << trit_last_error();
  ASSERT_EQ(trit_session_append(session, many.data(), 16, nullptr), TRIT_OK);
  // Full: one more token does not fit.
  EXPECT_EQ(trit_session_append(session, ids, 1, nullptr),
            TRIT_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(trit_session_length(session), 16);
  trit_session_free(session);
}

// Generation with the cache picks what greedy decoding on whole-sequence
// forward passes picks: (sum of the sequence + 1) mod 7 each step.
TEST(Session, CachedGenerationMatchesWholeSequenceGreedy) {
  Model m(FAKE_MODEL_CACHED_PATH);
  ASSERT_EQ(m.status, TRIT_OK) << trit_last_error();
  std::vector<int64_t> sequence = {2, 5};
  std::vector<int64_t> expected;
  for (int step = 0; step < 6; ++step) {
    std::vector<float> logits = forwardLogits(m.model, sequence);
    const float *last = &logits[(sequence.size() - 1) * 7];
    int64_t best = 0;
    for (int64_t v = 1; v < 7; ++v)
      if (last[v] > last[best])
        best = v;
    expected.push_back(best);
    sequence.push_back(best);
  }
  trit_sampling greedy = trit_sampling_greedy();
  std::vector<int64_t> out(6);
  int64_t generated = 0;
  trit_timing timing{};
  int64_t prompt[2] = {2, 5};
  ASSERT_EQ(trit_generate(m.model, prompt, 2, 6, &greedy, out.data(),
                          &generated, &timing),
            TRIT_OK)
      << trit_last_error();
  EXPECT_EQ(generated, 6);
  EXPECT_EQ(out, expected);
  // 2 + 5 = 7 -> 1, then 8 -> 2, 10 -> 4, 14 -> 1, 15 -> 2, 17 -> 4.
  EXPECT_EQ(out, (std::vector<int64_t>{1, 2, 4, 1, 2, 4}));
}

TEST(Sampling, TopPKeepsTheNucleusOnly) {
  // Probabilities ~ {0.64, 0.24, 0.09, 0.03}: top_p 0.8 keeps two tokens.
  const float logits[4] = {3.0f, 2.0f, 1.0f, 0.0f};
  trit_sampling s{1.0f, 0, 0.8f, 99};
  uint64_t rng = s.seed;
  std::map<int64_t, int> seen;
  for (int i = 0; i < 5000; ++i)
    ++seen[trit_sample(logits, 4, &s, &rng)];
  EXPECT_GT(seen[0], 0);
  EXPECT_GT(seen[1], 0);
  EXPECT_EQ(seen.count(2), 0u);
  EXPECT_EQ(seen.count(3), 0u);
}

TEST(Sampling, RejectsNaN) {
  const float logits[2] = {0.0f, NAN};
  uint64_t rng = 0;
  trit_sampling greedy = trit_sampling_greedy();
  EXPECT_EQ(trit_sample(logits, 2, &greedy, &rng), -1);
  EXPECT_NE(std::string(trit_last_error()).find("logit 1 is NaN"),
            std::string::npos)
      << trit_last_error();
  // A NaN is refused even beside a +inf that would otherwise be chosen.
  const float withInf[3] = {INFINITY, 0.0f, NAN};
  trit_sampling s{1.0f, 0, 1.0f, 3};
  EXPECT_EQ(trit_sample(withInf, 3, &s, &rng), -1);
  EXPECT_NE(std::string(trit_last_error()).find("logit 2 is NaN"),
            std::string::npos)
      << trit_last_error();
}

// +inf outweighs every finite logit: the +inf tokens are the only
// candidates, equally likely (the softmax's limit), whatever the
// temperature, top-k and top-p.
TEST(Sampling, PositiveInfinityTakesAllTheProbability) {
  const float logits[5] = {5.0f, INFINITY, 4.0f, INFINITY, -1.0f};
  trit_sampling greedy = trit_sampling_greedy();
  uint64_t rng = 0;
  EXPECT_EQ(trit_sample(logits, 5, &greedy, &rng), 1);
  for (trit_sampling s :
       {trit_sampling{1.0f, 0, 1.0f, 11}, trit_sampling{0.5f, 3, 1.0f, 12},
        trit_sampling{2.0f, 0, 0.9f, 13}}) {
    SCOPED_TRACE("temperature " + std::to_string(s.temperature));
    rng = s.seed;
    std::map<int64_t, int> seen;
    for (int i = 0; i < 2000; ++i)
      ++seen[trit_sample(logits, 5, &s, &rng)];
    EXPECT_EQ(seen.size(), 2u);
    EXPECT_GT(seen[1], 800);
    EXPECT_GT(seen[3], 800);
  }
  // top-k 1 keeps the first of them (lowest id on ties).
  trit_sampling one{1.0f, 1, 1.0f, 5};
  rng = one.seed;
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(trit_sample(logits, 5, &one, &rng), 1);
}

// -inf is probability 0: never drawn, however the filters let it through;
// when every logit is -inf there is nothing to draw, which is an error.
TEST(Sampling, NegativeInfinityIsNeverDrawn) {
  const float logits[4] = {-INFINITY, 0.0f, -INFINITY, -30.0f};
  for (trit_sampling s :
       {trit_sampling{1.0f, 0, 1.0f, 21}, trit_sampling{100.0f, 4, 1.0f, 22}}) {
    uint64_t rng = s.seed;
    for (int i = 0; i < 2000; ++i) {
      int64_t id = trit_sample(logits, 4, &s, &rng);
      ASSERT_TRUE(id == 1 || id == 3) << "drew " << id;
    }
  }
  const float none[3] = {-INFINITY, -INFINITY, -INFINITY};
  for (trit_sampling s :
       {trit_sampling_greedy(), trit_sampling{1.0f, 0, 1.0f, 23}}) {
    uint64_t rng = s.seed;
    EXPECT_EQ(trit_sample(none, 3, &s, &rng), -1);
    EXPECT_NE(std::string(trit_last_error()).find("every logit is -inf"),
              std::string::npos)
        << trit_last_error();
  }
}

TEST(Npy, Float32RoundTripsThroughAHandWrittenReader) {
  std::string path = testing::TempDir() + "/logits.npy";
  const float data[6] = {1.5f, -2.0f, 0.0f, 3.25f, 7.0f, -0.5f};
  std::string error;
  ASSERT_TRUE(trit::npy::writeFloat32(path, {1, 2, 3}, data, error)) << error;
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  ASSERT_GE(bytes.size(), 10u + 6 * 4);
  EXPECT_EQ(bytes.substr(0, 6), "\x93NUMPY");
  size_t headerLength = uint8_t(bytes[8]) | uint8_t(bytes[9]) << 8;
  EXPECT_EQ((10 + headerLength) % 64, 0u);
  std::string header = bytes.substr(10, headerLength);
  EXPECT_NE(header.find("'descr': '<f4'"), std::string::npos) << header;
  EXPECT_NE(header.find("'shape': (1, 2, 3,)"), std::string::npos) << header;
  ASSERT_EQ(bytes.size(), 10 + headerLength + sizeof(data));
  EXPECT_EQ(std::memcmp(bytes.data() + 10 + headerLength, data, sizeof(data)),
            0);
}

TEST(Npy, ReadsInt64AndInt32Ids) {
  for (const char *descr : {"<i8", "<i4"}) {
    std::string path = testing::TempDir() + "/ids.npy";
    std::string header = std::string("{'descr': '") + descr +
                         "', 'fortran_order': False, 'shape': (2, 2), }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header += '\n';
    std::ofstream out(path, std::ios::binary);
    out.write("\x93NUMPY\x01\x00", 8);
    out.put(char(header.size() & 0xFF));
    out.put(char(header.size() >> 8));
    out << header;
    for (int64_t v : {5, 0, 12, 3}) {
      if (descr[2] == '8')
        out.write(reinterpret_cast<const char *>(&v), 8);
      else {
        int32_t w = static_cast<int32_t>(v);
        out.write(reinterpret_cast<const char *>(&w), 4);
      }
    }
    out.close();
    std::vector<int64_t> shape, ids;
    std::string error;
    ASSERT_TRUE(trit::npy::readInt64(path, shape, ids, error)) << error;
    EXPECT_EQ(shape, (std::vector<int64_t>{2, 2}));
    EXPECT_EQ(ids, (std::vector<int64_t>{5, 0, 12, 3}));
  }
}

TEST(Npy, ReportsBadFiles) {
  std::string path = testing::TempDir() + "/bad.npy";
  std::vector<int64_t> shape, ids;
  std::string error;
  EXPECT_FALSE(trit::npy::readInt64(path + ".missing", shape, ids, error));
  EXPECT_NE(error.find("cannot open"), std::string::npos);
  std::ofstream(path) << "not numpy at all";
  EXPECT_FALSE(trit::npy::readInt64(path, shape, ids, error));
  EXPECT_NE(error.find("is not a .npy file"), std::string::npos);
  const float data[1] = {1.0f};
  ASSERT_TRUE(trit::npy::writeFloat32(path, {1}, data, error));
  EXPECT_FALSE(trit::npy::readInt64(path, shape, ids, error));
  EXPECT_NE(error.find("token ids must be int64"), std::string::npos) << error;
}

} // namespace
