//===- StressTest.cpp - the runtime under load ------------------*- C++ -*-===//
//
// trit-stress MODEL MODE: loads a compiled model (with a KV cache) and
//   sessions N  creates N sessions one after another, feeds each the same
//               prompt and one more token, frees it; prints the resident
//               set after the first 10% of them and after all, and fails if
//               it grew by more than 4 MiB (memory a session leaks);
//   threads N   N threads, each with its own session on the one loaded
//               model, feed the same tokens; every thread's logits must equal
//               a single-threaded run's bit for bit (runtime.h: distinct
//               sessions may run concurrently on a CPU model);
//   context     fills the model's whole context through a session, token by
//               token, then checks that one more token is refused with a
//               message and leaves the session unchanged;
//   calls N P   (a measurement, checks nothing) times the load and N
//               forward calls of P tokens, with the page faults of each, to
//               compare the first call of a process with the later ones.
// Exit 0 when the checks hold; a message and 1 otherwise.
//
//===----------------------------------------------------------------------===//

#include "trit/runtime.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <sys/resource.h>
#include <unistd.h>
#include <vector>

namespace {

int fail(const std::string &message) {
  std::fprintf(stderr, "trit-stress: %s\n", message.c_str());
  return 1;
}

/// Resident set size in bytes (/proc/self/statm).
int64_t residentBytes() {
  long pages = 0, resident = 0;
  FILE *f = std::fopen("/proc/self/statm", "r");
  if (!f || std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
    resident = -1;
  if (f)
    std::fclose(f);
  return int64_t(resident) * sysconf(_SC_PAGESIZE);
}

std::vector<int64_t> tokens(int64_t count, int64_t vocab) {
  std::vector<int64_t> ids(count);
  for (int64_t i = 0; i < count; ++i)
    ids[i] = (i * 7 + 3) % vocab;
  return ids;
}

/// Feeds `ids` to a fresh session one token at a time; the logits of every
/// step in `logits` ([ids, vocab]).
trit_status run(trit_model *model, const std::vector<int64_t> &ids,
                std::vector<float> &logits) {
  int64_t vocab = trit_model_vocab_size(model);
  trit_session *session = nullptr;
  trit_status status = trit_session_create(model, &session);
  if (status != TRIT_OK)
    return status;
  logits.assign(ids.size() * vocab, 0.0f);
  for (size_t i = 0; i < ids.size() && status == TRIT_OK; ++i)
    status = trit_session_append(session, &ids[i], 1, &logits[i * vocab]);
  trit_session_free(session);
  return status;
}

int sessions(trit_model *model, int64_t count) {
  int64_t vocab = trit_model_vocab_size(model);
  std::vector<int64_t> prompt = tokens(8, vocab);
  std::vector<float> logits(prompt.size() * vocab);
  int64_t warm = 0;
  for (int64_t n = 0; n < count; ++n) {
    trit_session *session = nullptr;
    if (trit_session_create(model, &session) != TRIT_OK ||
        trit_session_append(session, prompt.data(), prompt.size(),
                            logits.data()) != TRIT_OK ||
        trit_session_append(session, &prompt[1], 1, logits.data()) !=
            TRIT_OK)
      return fail(std::string("session ") + std::to_string(n) + ": " +
                  trit_last_error());
    trit_session_free(session);
    if (n + 1 == count / 10)
      warm = residentBytes();
  }
  int64_t done = residentBytes();
  std::printf("sessions: %lld; resident after %lld: %.1f MiB, after %lld: "
              "%.1f MiB (%+.2f MiB)\n",
              (long long)count, (long long)(count / 10), warm / 1048576.0,
              (long long)count, done / 1048576.0,
              (done - warm) / 1048576.0);
  if (warm <= 0 || done <= 0)
    return fail("cannot read /proc/self/statm");
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
  // AddressSanitizer holds freed memory in quarantine: the resident set
  // grows by design, so only the clean build checks it.
  std::printf("sessions: resident growth not checked under "
              "AddressSanitizer\n");
  return 0;
#endif
#endif
  if (done - warm > 4 * 1048576)
    return fail("the resident set grew by " +
                std::to_string((done - warm) / 1024) + " KiB over " +
                std::to_string(count - count / 10) + " sessions");
  return 0;
}

int threads(trit_model *model, int count) {
  int64_t vocab = trit_model_vocab_size(model);
  std::vector<int64_t> ids =
      tokens(std::min<int64_t>(24, trit_model_context_length(model)), vocab);
  std::vector<float> expected;
  if (run(model, ids, expected) != TRIT_OK)
    return fail(std::string("single-threaded run: ") + trit_last_error());
  std::vector<std::vector<float>> got(count);
  std::vector<std::string> errors(count);
  std::vector<std::thread> pool;
  for (int t = 0; t < count; ++t)
    pool.emplace_back([&, t] {
      // Several rounds each, so that the threads overlap.
      for (int round = 0; round < 4 && errors[t].empty(); ++round)
        if (run(model, ids, got[t]) != TRIT_OK)
          errors[t] = trit_last_error();
    });
  for (std::thread &th : pool)
    th.join();
  for (int t = 0; t < count; ++t) {
    if (!errors[t].empty())
      return fail("thread " + std::to_string(t) + ": " + errors[t]);
    if (std::memcmp(got[t].data(), expected.data(),
                    expected.size() * sizeof(float)) != 0)
      return fail("thread " + std::to_string(t) +
                  "'s logits differ from the single-threaded run's");
  }
  std::printf("threads: %d sessions at once, %zu tokens each, logits equal "
              "to one thread's\n",
              count, ids.size());
  return 0;
}

int context(trit_model *model) {
  int64_t vocab = trit_model_vocab_size(model);
  int64_t length = trit_model_context_length(model);
  if (length <= 0)
    return fail("the model reports no context length");
  std::vector<int64_t> ids = tokens(length + 1, vocab);
  std::vector<float> logits(vocab);
  trit_session *session = nullptr;
  if (trit_session_create(model, &session) != TRIT_OK)
    return fail(trit_last_error());
  for (int64_t i = 0; i < length; ++i) {
    if (trit_session_append(session, &ids[i], 1, logits.data()) != TRIT_OK)
      return fail("token " + std::to_string(i) + " of " +
                  std::to_string(length) + ": " + trit_last_error());
    for (float v : logits)
      if (!std::isfinite(v))
        return fail("a logit at position " + std::to_string(i) +
                    " is not finite");
  }
  trit_status status =
      trit_session_append(session, &ids[length], 1, logits.data());
  std::string message = trit_last_error();
  int64_t held = trit_session_length(session);
  trit_session_free(session);
  if (status == TRIT_OK)
    return fail("token " + std::to_string(length) +
                " past the context was accepted");
  if (held != length)
    return fail("the refused token changed the session's length to " +
                std::to_string(held));
  std::printf("context: %lld tokens filled; the next refused: %s\n",
              (long long)length, message.c_str());
  return 0;
}

/// Page faults of this process so far (minor: no disk read).
int64_t minorFaults() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

int calls(trit_model *model, int count, int64_t length) {
  int64_t vocab = trit_model_vocab_size(model);
  std::vector<int64_t> ids = tokens(length, vocab);
  std::vector<float> logits(length * vocab);
  for (int i = 0; i < count; ++i) {
    auto start = std::chrono::steady_clock::now();
    int64_t faultsBefore = minorFaults();
    if (trit_model_forward(model, ids.data(), 1, length, logits.data()) !=
        TRIT_OK)
      return fail(trit_last_error());
    std::printf("call %d: %lld tokens in %.3f s, %lld page faults\n", i + 1,
                (long long)length, secondsSince(start),
                (long long)(minorFaults() - faultsBefore));
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  if (argc < 3)
    return fail("usage: trit-stress MODEL (sessions N | threads N | context "
                "| calls N P)");
  trit_model *model = nullptr;
  auto loadStart = std::chrono::steady_clock::now();
  if (trit_model_load(argv[1], &model) != TRIT_OK)
    return fail(trit_last_error());
  double loadSeconds = secondsSince(loadStart);
  if (!trit_model_has_kv_cache(model))
    return fail("the model has no KV cache");
  std::string mode = argv[2];
  int rc;
  if (mode == "sessions" && argc == 4)
    rc = sessions(model, std::atoll(argv[3]));
  else if (mode == "threads" && argc == 4)
    rc = threads(model, std::atoi(argv[3]));
  else if (mode == "context")
    rc = context(model);
  else if (mode == "calls" && argc == 5) {
    std::printf("load: %.3f s, %lld page faults\n", loadSeconds,
                (long long)minorFaults());
    rc = calls(model, std::atoi(argv[3]), std::atoll(argv[4]));
  }
  else
    rc = fail("unknown mode '" + mode + "'");
  trit_model_free(model);
  return rc;
}
