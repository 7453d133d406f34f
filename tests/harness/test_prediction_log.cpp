#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/error.hpp"
#include "datasets/image_io.hpp"
#include "harness/prediction_log.hpp"

namespace lmmbench::harness {
namespace {

class PredictionLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("lmmbench-log-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".jsonl");
    std::filesystem::remove(path_);
  }
  void TearDown() override { std::filesystem::remove(path_); }

  static LogEntry entry(const std::string& sample, std::string text,
                        models::ErrorKind error = models::ErrorKind::none) {
    LogEntry e;
    e.model = "m";
    e.task = "t";
    e.sample_id = sample;
    e.prompt_sha256 = "p";
    e.params_sha256 = "q";
    e.backend = "b";
    e.key = log_key(e.model, e.task, e.sample_id, e.prompt_sha256, e.params_sha256, e.backend);
    if (error == models::ErrorKind::none) {
      e.completion.text = std::move(text);
    } else {
      e.completion = models::Completion::failure(error, std::move(text));
    }
    e.completion.usage.prompt_tokens = 12;
    e.completion.timings.first_token = Nanos(1500);
    e.completion.timings.token_events = {Nanos(1500), Nanos(2500)};
    return e;
  }

  std::filesystem::path path_;
};

TEST_F(PredictionLogTest, EntriesSurviveReopeningAndTheLatestWins) {
  {
    PredictionLog log(path_);
    log.append(entry("1", "timeout!", models::ErrorKind::timeout));
    log.append(entry("2", "cat"));
    log.append(entry("1", "dog"));
  }
  PredictionLog log(path_);
  EXPECT_EQ(log.size(), 2u);
  const auto* one = log.find(entry("1", "").key);
  ASSERT_NE(one, nullptr);
  EXPECT_TRUE(one->completion.ok());
  EXPECT_EQ(one->completion.text, "dog");
  EXPECT_EQ(one->completion.usage.prompt_tokens, 12);
  EXPECT_EQ(one->completion.timings.token_events.size(), 2u);
  EXPECT_EQ(log.find("nope"), nullptr);
}

TEST_F(PredictionLogTest, ATornLastLineIsDroppedAndTheFileRepaired) {
  {
    PredictionLog log(path_);
    log.append(entry("1", "cat"));
  }
  {
    std::ofstream out(path_, std::ios::app);
    out << R"({"key": "half-writ)";
  }
  {
    PredictionLog log(path_);
    EXPECT_EQ(log.size(), 1u);
    ASSERT_EQ(log.warnings().size(), 1u);
    EXPECT_NE(log.warnings()[0].find("incomplete last line"), std::string::npos);
    log.append(entry("2", "dog"));
  }
  PredictionLog log(path_);
  EXPECT_EQ(log.size(), 2u);
  EXPECT_TRUE(log.warnings().empty());
}

TEST_F(PredictionLogTest, ACorruptMiddleLineIsAnErrorWithItsLineNumber) {
  {
    PredictionLog log(path_);
    log.append(entry("1", "cat"));
  }
  {
    std::ofstream out(path_, std::ios::app);
    out << "not json\n";
  }
  // The bad line is complete, so it is not a torn write: refuse to guess.
  try {
    PredictionLog log(path_);
    FAIL() << "expected an error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(":2: malformed prediction-log entry"), std::string::npos)
        << e.what();
  }
}

TEST_F(PredictionLogTest, UnusualModelOutputRoundTrips) {
  const std::string text = "line1\n\"quoted\"\t\\ <script>alert(1)</script> é 漢字";
  {
    PredictionLog log(path_);
    log.append(entry("1", text));
  }
  PredictionLog log(path_);
  EXPECT_EQ(log.find(entry("1", "").key)->completion.text, text);
}

TEST(PredictionLogKey, DependsOnEveryComponent) {
  const auto k = log_key("m", "t", "s", "p", "q", "b");
  EXPECT_NE(log_key("m2", "t", "s", "p", "q", "b"), k);
  EXPECT_NE(log_key("m", "t2", "s", "p", "q", "b"), k);
  EXPECT_NE(log_key("m", "t", "s2", "p", "q", "b"), k);
  EXPECT_NE(log_key("m", "t", "s", "p2", "q", "b"), k);
  EXPECT_NE(log_key("m", "t", "s", "p", "q2", "b"), k);
  EXPECT_NE(log_key("m", "t", "s", "p", "q", "b2"), k);
  EXPECT_EQ(log_key("m", "t", "s", "p", "q", "b"), k);
}

TEST(PredictionLogResume, RetriesTransientFailuresOnly) {
  EXPECT_TRUE(retry_on_resume(models::ErrorKind::timeout));
  EXPECT_TRUE(retry_on_resume(models::ErrorKind::connection));
  EXPECT_FALSE(retry_on_resume(models::ErrorKind::unsupported));
  EXPECT_FALSE(retry_on_resume(models::ErrorKind::missing));
}

TEST_F(PredictionLogTest, TwoWritersOfOneLogNeverWriteOverEachOther) {
  // The run lock keeps a second process out; O_APPEND keeps the log whole if one gets in anyway:
  // each line lands at the end of the file as it is at that moment.
  {
    PredictionLog first(path_);
    PredictionLog second(path_);
    for (int k = 0; k < 20; ++k) {
      first.append(entry("a" + std::to_string(k), "first"));
      second.append(entry("b" + std::to_string(k), "second " + std::string(k, 'x')));
    }
  }
  PredictionLog log(path_);
  EXPECT_TRUE(log.warnings().empty());
  EXPECT_EQ(log.size(), 40u);
  for (int k = 0; k < 20; ++k) {
    EXPECT_NE(log.find(entry("a" + std::to_string(k), "").key), nullptr) << k;
    EXPECT_NE(log.find(entry("b" + std::to_string(k), "").key), nullptr) << k;
  }
}

}  // namespace
}  // namespace lmmbench::harness
