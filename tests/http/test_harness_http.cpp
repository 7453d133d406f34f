// The harness side of remote models: retry policy, interrupts, response cache, price table.
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.hpp"
#include "harness/interrupt.hpp"
#include "harness/prices.hpp"
#include "harness/response_cache.hpp"
#include "harness/retry.hpp"
#include "models/http/http_backend.hpp"

namespace lmmbench::harness {
namespace {

using models::Completion;
using models::ErrorKind;

Completion http_failure(int status) {
  auto c = Completion::failure(ErrorKind::http, "HTTP " + std::to_string(status));
  c.http_status = status;
  return c;
}

TEST(Retry, RetryableFailuresGetExponentialBackoffWithJitter) {
  RetryPolicy policy(RetryConfig{5, 0.5, 4.0, 120, 1000}, 1);
  std::string why;
  for (int attempt = 1; attempt <= 4; ++attempt) {
    const auto delay = policy.next_delay(http_failure(500), attempt, why);
    ASSERT_TRUE(delay.has_value()) << attempt;
    const double full = std::min(4.0, 0.5 * (1 << (attempt - 1)));
    EXPECT_GE(to_seconds(*delay), full / 2) << attempt;
    EXPECT_LE(to_seconds(*delay), full) << attempt;
  }
  EXPECT_FALSE(policy.next_delay(http_failure(500), 5, why).has_value());
  EXPECT_NE(why.find("gave up after 5 attempts"), std::string::npos) << why;
  EXPECT_EQ(policy.retries_used(), 4u);
}

TEST(Retry, RetryAfterIsHonouredAndPermanentErrorsFailFast) {
  RetryPolicy policy(RetryConfig{}, 1);
  std::string why;
  auto limited = http_failure(429);
  limited.retry_after = std::chrono::seconds(7);
  EXPECT_EQ(policy.next_delay(limited, 1, why), std::chrono::seconds(7));
  limited.retry_after = std::chrono::seconds(600);
  EXPECT_FALSE(policy.next_delay(limited, 1, why).has_value());
  EXPECT_NE(why.find("max_retry_after_s"), std::string::npos) << why;
  for (const int status : {400, 401, 403, 404, 422}) {
    EXPECT_FALSE(policy.next_delay(http_failure(status), 1, why).has_value()) << status;
    EXPECT_TRUE(why.empty()) << why;
  }
  for (const int status : {408, 429, 500, 502, 503, 504})
    EXPECT_TRUE(is_retryable(http_failure(status)));
  for (const auto kind : {ErrorKind::timeout, ErrorKind::connection, ErrorKind::malformed_reply}) {
    EXPECT_TRUE(is_retryable(Completion::failure(kind, "")));
  }
  for (const auto kind : {ErrorKind::refused, ErrorKind::truncated, ErrorKind::unsupported,
                          ErrorKind::cancelled, ErrorKind::internal}) {
    EXPECT_FALSE(is_retryable(Completion::failure(kind, "")));
  }
}

TEST(Retry, HugeRetryAfterValuesAreRefusedNotWaitedForOneMillisecond) {
  using models::http::kLongestServerWait;
  using models::http::parse_retry_after;
  // Beyond int64 nanoseconds these wrapped to tiny or negative waits.
  for (const char* value : {"9999999999", "99999999999999999999999", "1e300", "inf", "Infinity"})
    EXPECT_EQ(parse_retry_after(value), kLongestServerWait) << value;
  EXPECT_EQ(parse_retry_after("2"), std::chrono::seconds(2));
  EXPECT_EQ(parse_retry_after("1.5"), std::chrono::milliseconds(1500));
  for (const char* value : {"nan", "-1", "", "soon"})
    EXPECT_FALSE(parse_retry_after(value).has_value()) << value;
  EXPECT_FALSE(models::http::server_wait(std::nan("")).has_value());

  RetryPolicy policy(RetryConfig{}, 1);
  std::string why;
  auto limited = http_failure(503);
  limited.retry_after = parse_retry_after("9999999999");
  EXPECT_FALSE(policy.next_delay(limited, 1, why).has_value());
  EXPECT_NE(why.find("max_retry_after_s"), std::string::npos) << why;
  limited.retry_after = parse_retry_after("120");  // the limit itself is waited for
  EXPECT_EQ(policy.next_delay(limited, 1, why), std::chrono::seconds(120));
}

TEST(Interrupt, ASecondSignalExitsAtOnce) {
  // The first signal asks for a cooperative stop; the second, while that is under way, ends the
  // process with 130 without waiting for anything.
  EXPECT_EXIT(
      {
        install_interrupt_handlers();
        std::raise(SIGINT);
        if (!stop_requested()) std::_Exit(3);
        std::raise(SIGINT);
        std::_Exit(4);  // reached only if the second signal did not end the process
      },
      ::testing::ExitedWithCode(130), "");
}

TEST(Retry, ThePerRunBudgetIsShared) {
  RetryPolicy policy(RetryConfig{10, 0, 0, 120, 3}, 1);
  std::string why;
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(policy.next_delay(http_failure(503), 1, why).has_value());
  EXPECT_FALSE(policy.next_delay(http_failure(503), 1, why).has_value());
  EXPECT_NE(why.find("retry budget of 3"), std::string::npos) << why;
}

class TempFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "lmmbench-cache-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

using Cache = TempFile;

TEST_F(Cache, AnswersPersistAcrossOpensAndFailuresAreNotStored) {
  const auto path = dir_ / "sub" / "responses.sqlite";
  const auto key = cache_key("openai/v1 {...}", "prompt-hash", "params-hash");
  EXPECT_NE(key, cache_key("openai/v1 {...}", "prompt-hash", "other-params"));
  {
    ResponseCache cache(path);
    EXPECT_FALSE(cache.find(key).has_value());
    Completion c;
    c.text = "blue";
    c.usage.prompt_tokens = 600;
    c.usage.completion_tokens = 1;
    cache.put(key, c);
    cache.put("failed", Completion::failure(ErrorKind::timeout, "x"));
  }
  ResponseCache cache(path);
  const auto hit = cache.find(key);
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->text, "blue");
  EXPECT_EQ(hit->usage.prompt_tokens, 600);
  EXPECT_EQ(hit->usage.completion_tokens, 1);
  EXPECT_TRUE(hit->cached);
  EXPECT_EQ(hit->attempts, 0);
  EXPECT_FALSE(cache.find("failed").has_value());
}

TEST_F(Cache, ASigkilledWriterLeavesAReadableCache) {
  const auto path = dir_ / "responses.sqlite";
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ResponseCache cache(path);
    Completion c;
    for (int i = 0;; ++i) {  // writes until killed
      c.text = "answer " + std::to_string(i);
      cache.put("k" + std::to_string(i), c);
    }
  }
  // Wait until the child has written something, then kill it mid-stream.
  for (int i = 0; i < 500 && !std::filesystem::exists(dir_ / "responses.sqlite-wal"); ++i)
    ::usleep(10'000);
  ::usleep(100'000);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ResponseCache cache(path);
  const auto first = cache.find("k0");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->text, "answer 0");
  Completion c;
  c.text = "after the kill";
  cache.put("k-after", c);
  EXPECT_EQ(cache.find("k-after")->text, "after the kill");
}

TEST(CacheKeys, OnlyDeterministicRequestsAreCached) {
  models::GenerationParams greedy;
  EXPECT_TRUE(is_deterministic(greedy));
  models::GenerationParams sampled;
  sampled.temperature = 0.7;
  EXPECT_FALSE(is_deterministic(sampled));
  sampled.seed = 1;
  EXPECT_TRUE(is_deterministic(sampled));
}

using Prices = TempFile;

TEST_F(Prices, ExactAndDatedSnapshotLookupAndCost) {
  const auto path = dir_ / "prices.json";
  std::ofstream(path) << R"({"as_of": "2025-06-01", "currency": "USD",
    "models": {"gpt-4o": {"input": 2.5, "output": 10, "source": "x"},
               "gpt-4o-mini": {"input": 0.15, "output": 0.6}}})";
  const auto table = PriceTable::load(path);
  EXPECT_EQ(table.as_of(), "2025-06-01");
  EXPECT_EQ(table.find("gpt-4o")->first, "gpt-4o");
  EXPECT_EQ(table.find("gpt-4o-2024-08-06")->first, "gpt-4o");
  EXPECT_EQ(table.find("gpt-4o-mini-2024-07-18")->first, "gpt-4o-mini");
  EXPECT_FALSE(table.find("gpt-4").has_value());
  EXPECT_FALSE(table.find("llava-hf/llava-1.5-7b-hf").has_value());
  EXPECT_DOUBLE_EQ(PriceTable::cost(table.find("gpt-4o")->second, 1'000'000, 500'000), 7.5);
  std::ofstream(path) << R"({"as_of": "2025-06-01", "models": {"m": {"input": 1}}})";
  EXPECT_THROW(PriceTable::load(path), InputError);
}

TEST(ShippedPrices, TheTableReads) {
  const auto table =
      PriceTable::load(std::filesystem::path(LMMBENCH_SOURCE_DIR) / "configs/prices.json");
  EXPECT_FALSE(table.as_of().empty());
  for (const char* model : {"gpt-4o", "gemini-2.0-flash", "claude-3-5-sonnet-20241022"})
    EXPECT_TRUE(table.find(model).has_value()) << model;
}

}  // namespace
}  // namespace lmmbench::harness
