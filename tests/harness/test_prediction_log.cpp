#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/jsonl.hpp"
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

TEST_F(PredictionLogTest, EntriesAreWrittenAsTheGoldenLines) {
  // The bytes of the log format: an answer, a failure, and an entry with every optional part.
  auto full = entry("3", "cat");
  full.completion.usage.completion_tokens = 4;
  full.completion.timings.submitted = Nanos(250'000'000);
  full.completion.timings.finished = Nanos(1'750'000'000);
  full.completion.attempts = 3;
  full.completion.cached = true;
  full.request = "Is it a cat?";
  full.logged_at = "2026-01-02T03:04:05Z";
  {
    PredictionLog log(path_);
    log.append(entry("1", "dog"));
    log.append(entry("2", "took too long", models::ErrorKind::timeout));
    log.append(full);
  }
  const auto line = [](const LogEntry& e, std::string text) {
    return text.replace(text.find("{key}"), 5, e.key);
  };
  EXPECT_EQ(
      read_file_bytes(path_),
      line(entry("1", ""),
           R"({"attempts":1,"backend":"b","error_kind":null,"error_message":null,"key":"{key}",)"
           R"("logged_at":"","model":"m","outcome":"ok","params_sha256":"q","prediction":"dog",)"
           R"("prompt_sha256":"p","sample_id":"1","task":"t","timing":{"finished_s":0.0,)"
           R"("first_token_s":1.5e-06,"submitted_s":0.0,"token_events_s":[1.5e-06,2.5e-06]},)"
           R"("usage":{"completion_tokens":null,"prompt_tokens":12}})"
           "\n") +
          line(entry("2", ""),
               R"({"attempts":1,"backend":"b","error_kind":"timeout",)"
               R"("error_message":"took too long","key":"{key}","logged_at":"","model":"m",)"
               R"("outcome":"error","params_sha256":"q","prediction":null,"prompt_sha256":"p",)"
               R"("sample_id":"2","task":"t","timing":{"finished_s":0.0,"first_token_s":1.5e-06,)"
               R"("submitted_s":0.0,"token_events_s":[1.5e-06,2.5e-06]},)"
               R"("usage":{"completion_tokens":null,"prompt_tokens":12}})"
               "\n") +
          line(full, R"({"attempts":3,"backend":"b","cached":true,"error_kind":null,)"
                     R"("error_message":null,"key":"{key}","logged_at":"2026-01-02T03:04:05Z",)"
                     R"("model":"m","outcome":"ok","params_sha256":"q","prediction":"cat",)"
                     R"("prompt_sha256":"p","request":"Is it a cat?","sample_id":"3","task":"t",)"
                     R"("timing":{"finished_s":1.75,"first_token_s":1.5e-06,"submitted_s":0.25,)"
                     R"("token_events_s":[1.5e-06,2.5e-06]},)"
                     R"("usage":{"completion_tokens":4,"prompt_tokens":12}})"
                     "\n"));
  // And they read back as they were written.
  PredictionLog log(path_);
  const auto* back = log.find(full.key);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(nlohmann::json(*back), nlohmann::json(full));
  EXPECT_TRUE(back->completion.cached);
  EXPECT_EQ(back->completion.attempts, 3);
  EXPECT_EQ(back->request, "Is it a cat?");
  const auto* failed = log.find(entry("2", "").key);
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->completion.error, models::ErrorKind::timeout);
  EXPECT_EQ(failed->completion.error_message, "took too long");
}

TEST(PredictionLogFormat, ALogOfAnEarlierBuildReadsAndWritesBackByteForByte) {
  const std::filesystem::path path = std::filesystem::path(LMMBENCH_SOURCE_DIR) /
                                     "tests/fixtures/prediction_logs/v1/quickstart.jsonl";
  std::size_t lines = 0;
  for_each_line_in_memory(read_file_bytes(path), [&](std::size_t number, std::string_view line) {
    const auto entry = read_log_entry(*parse_jsonl_line(line, path.string(), number));
    EXPECT_EQ(nlohmann::json(entry).dump(), line) << "line " << number;
    ++lines;
  });
  EXPECT_EQ(lines, 14u);
}

/// The InputError of reading `line` as line 3 of "log.jsonl".
InputError bad_line_error(const std::string& line) {
  try {
    (void)read_log_entry(*parse_jsonl_line(line, "log.jsonl", 3));
  } catch (const InputError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << line;
  return InputError(Location{}, "");
}

TEST(PredictionLogFormat, ABadFieldIsNamedWithTheFileAndTheLine) {
  const std::string head =
      R"({"key": "k", "model": "m", "task": "t", "sample_id": "s", "prompt_sha256": "p",)"
      R"( "params_sha256": "q", "backend": "b", )";
  const struct {
    std::string rest;
    std::string field;
    std::string message;
  } cases[] = {
      {R"("outcome": "ok"})", "/prediction", "missing required field"},
      {R"("outcome": "ok", "prediction": 5})", "/prediction", "expected a string, got a number"},
      {R"("prediction": "a"})", "/outcome", "missing required field"},
      {R"("outcome": "error"})", "/error_kind", "missing required field"},
      {R"("outcome": "error", "error_kind": "meltdown"})", "/error_kind",
       "unknown error kind 'meltdown'"},
      {R"("outcome": "error", "error_kind": "none"})", "/error_kind", "unknown error kind 'none'"},
      {R"("outcome": "ok", "prediction": "a", "attempts": -1})", "/attempts", "out of range"},
      {R"("outcome": "ok", "prediction": "a", "attempts": 3000000000})", "/attempts",
       "out of range"},
      {R"("outcome": "ok", "prediction": "a", "attempts": 1.5})", "/attempts",
       "expected an integer, got a number"},
      {R"("outcome": "ok", "prediction": "a", "cached": "yes"})", "/cached",
       "expected true or false, got a string"},
      {R"("outcome": "ok", "prediction": "a", "logged_at": 7})", "/logged_at",
       "expected a string, got a number"},
      {R"("outcome": "ok", "prediction": "a", "timing": {"submitted_s": 1e12}})",
       "/timing/submitted_s", "is not a time of this run"},
      {R"("outcome": "ok", "prediction": "a", "timing": {"finished_s": "1"}})",
       "/timing/finished_s", "expected a number, got a string"},
      {R"("outcome": "ok", "prediction": "a", "timing": {"token_events_s": [1, -2e15]}})",
       "/timing/token_events_s/1", "is not a time of this run"},
      {R"("outcome": "ok", "prediction": "a", "timing": {"token_events_s": 1}})",
       "/timing/token_events_s", "expected an array, got a number"},
  };
  for (const auto& c : cases) {
    const auto e = bad_line_error(head + c.rest);
    EXPECT_EQ(e.where().file, "log.jsonl") << c.rest;
    EXPECT_EQ(e.where().line, 3u) << c.rest;
    EXPECT_EQ(e.where().field, c.field) << c.rest;
    EXPECT_NE(e.detail().find(c.message), std::string::npos) << c.rest << ": " << e.detail();
  }
  const auto missing_key = bad_line_error(R"({"model": "m"})");
  EXPECT_EQ(missing_key.where().field, "/key");
  EXPECT_EQ(bad_line_error("[1]").where().line, 3u);
}

TEST(PredictionLogFormat, UnknownKeysAndUnreadableUsageAreIgnoredAsBefore) {
  const auto entry = read_log_entry(*parse_jsonl_line(
      R"({"key": "k", "model": "m", "task": "t", "sample_id": "s", "prompt_sha256": "p",)"
      R"( "params_sha256": "q", "backend": "b", "outcome": "ok", "prediction": "a",)"
      R"( "error_kind": 3, "from_the_future": {"x": 1}, "timing": [],)"
      R"( "usage": {"prompt_tokens": "many", "completion_tokens": 7}})",
      "log.jsonl", 1));
  EXPECT_EQ(entry.completion.text, "a");
  EXPECT_TRUE(entry.completion.ok());
  EXPECT_EQ(entry.completion.attempts, 1);  // absent: one try
  EXPECT_FALSE(entry.completion.usage.prompt_tokens.has_value());
  EXPECT_EQ(entry.completion.usage.completion_tokens, 7);
}

}  // namespace
}  // namespace lmmbench::harness
