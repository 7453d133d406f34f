#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "models/baselines/baselines.hpp"
#include "models/baselines/simulated_latency.hpp"

namespace lmmbench::models {
namespace {

ObjectReader options(const std::string& json) {
  return ConfigNode(JsonSource::from_text(json, "model.json")).object();
}

datasets::Sample sample(std::string id, std::vector<std::string> answers, std::string type,
                        std::vector<std::string> opts = {}) {
  datasets::Sample s;
  s.id = std::move(id);
  s.references = std::move(answers);
  s.options = std::move(opts);
  s.meta = {{"question_type", type}};
  return s;
}

/// Submits one request per sample id and returns the answers (or "error:<kind>").
std::map<std::string, std::string> ask(Backend& backend, const std::vector<std::string>& ids,
                                       const std::string& task = "t") {
  std::mutex mutex;
  std::map<std::string, std::string> answers;
  std::vector<std::promise<void>> done(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    Request r;
    r.task = task;
    r.sample_id = ids[i];
    backend.submit(std::move(r), [&, i, id = ids[i]](Completion c) {
      std::lock_guard lock(mutex);
      answers[id] = c.ok() ? c.text : "error:" + std::string(to_string(c.error));
      done[i].set_value();
    });
  }
  for (auto& d : done)
    d.get_future().wait();
  return answers;
}

const Clock kClock;

TEST(MostFrequentAnswer, TiesGoToTheFirstOccurrence) {
  EXPECT_EQ(most_frequent_answer({"2", "two", "2"}), "2");
  EXPECT_EQ(most_frequent_answer({"b", "a", "a", "b"}), "b");
  EXPECT_EQ(most_frequent_answer({}), "");
}

TEST(Oracle, AnswersTheMostFrequentGoldAnswer) {
  auto opts = options("{}");
  auto oracle = create_oracle(opts, {kClock, 0});
  const std::vector<datasets::Sample> samples = {sample("a", {"3", "three", "3"}, "how many"),
                                                 sample("b", {}, "how many")};
  oracle->prepare({"t", samples, {}});
  const auto answers = ask(*oracle, {"a", "b", "zzz"});
  EXPECT_EQ(answers.at("a"), "3");
  EXPECT_EQ(answers.at("b"), "error:unsupported");
  EXPECT_EQ(answers.at("zzz"), "error:missing");
}

TEST(Prior, LearnsTheMostFrequentAnswerPerQuestionTypeFromCalibration) {
  auto opts = options("{}");
  auto prior = create_prior(opts, {kClock, 0});
  const std::vector<datasets::Sample> calibration = {
      sample("c1", {"yes"}, "is there"), sample("c2", {"no"}, "is there"),
      sample("c3", {"no"}, "is there"), sample("c4", {"2"}, "how many"),
      sample("c5", {"2"}, "how many")};
  const std::vector<datasets::Sample> samples = {sample("a", {"yes"}, "is there"),
                                                 sample("b", {"5"}, "how many"),
                                                 sample("c", {"red"}, "what color")};
  EXPECT_THROW(prior->prepare({"t", samples, {}}), InputError);
  prior->prepare({"t", samples, calibration});
  const auto answers = ask(*prior, {"a", "b", "c"});
  EXPECT_EQ(answers.at("a"), "no");
  EXPECT_EQ(answers.at("b"), "2");
  // An unseen type gets the overall most frequent answer; "no" and "2" tie at two each and ties
  // go to the lexicographically smallest answer.
  EXPECT_EQ(answers.at("c"), "2");
}

TEST(Constant, AlwaysGivesItsAnswerAndRequiresOne) {
  auto opts = options(R"({"answer": "yes"})");
  auto constant = create_constant(opts, {kClock, 0});
  EXPECT_EQ(ask(*constant, {"x"}).at("x"), "yes");
  EXPECT_EQ(constant->fingerprint(), "constant/v1/yes");
  auto none = options("{}");
  EXPECT_THROW(create_constant(none, {kClock, 0}), InputError);
}

TEST(RandomChoice, IsSeededOrderIndependentAndUniform) {
  std::vector<datasets::Sample> samples;
  std::vector<std::string> ids;
  for (int i = 0; i < 4000; ++i) {
    samples.push_back(sample("s" + std::to_string(i), {"A"}, "which", {"w", "x", "y", "z"}));
    ids.push_back(samples.back().id);
  }
  auto opts = options(R"({"seed": 5})");
  auto a = create_random_choice(opts, {kClock, 0});
  a->prepare({"t", samples, {}});
  const auto first = ask(*a, ids);
  std::vector<std::string> reversed(ids.rbegin(), ids.rend());
  EXPECT_EQ(ask(*a, reversed), first);
  std::map<std::string, int> counts;
  for (const auto& [id, letter] : first)
    ++counts[letter];
  ASSERT_EQ(counts.size(), 4u);
  for (const auto& [letter, n] : counts)
    EXPECT_NEAR(n, 1000, 120) << letter;  // ~4 sigma

  auto other_opts = options(R"({"seed": 6})");
  auto b = create_random_choice(other_opts, {kClock, 0});
  b->prepare({"t", samples, {}});
  EXPECT_NE(ask(*b, ids), first);

  const std::vector<datasets::Sample> open = {sample("o", {"red"}, "what color")};
  EXPECT_THROW(a->prepare({"t", open, {}}), InputError);
}

TEST(Replay, ReadsBothRecordShapesAndReportsMissingAnswers) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("lmmbench-replay-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "simple.jsonl") << R"({"id": 1, "prediction": "cat"}
{"id": "2", "prediction": null}
)";
  std::ofstream(dir / "log.jsonl")
      << R"({"task": "t", "sample_id": "1", "model": "m", "outcome": "ok", "prediction": "first"}
{"task": "t", "sample_id": "1", "model": "m", "outcome": "ok", "prediction": "second"}
{"task": "t", "sample_id": "2", "model": "m", "outcome": "error", "prediction": null}
{"task": "t", "sample_id": "3", "model": "other", "outcome": "ok", "prediction": "x"}
)";
  auto simple_opts = options(R"({"path": ")" + (dir / "simple.jsonl").string() + R"("})");
  auto simple = create_replay(simple_opts, {kClock, 0});
  auto answers = ask(*simple, {"1", "2"});
  EXPECT_EQ(answers.at("1"), "cat");
  EXPECT_EQ(answers.at("2"), "error:missing");

  auto log_opts = options(R"({"path": ")" + (dir / "log.jsonl").string() + R"(", "model": "m"})");
  auto log = create_replay(log_opts, {kClock, 0});
  answers = ask(*log, {"1", "2", "3"});
  EXPECT_EQ(answers.at("1"), "second");
  EXPECT_EQ(answers.at("2"), "error:missing");
  EXPECT_EQ(answers.at("3"), "error:missing");

  auto bad_opts = options(R"({"path": "/nonexistent.jsonl"})");
  EXPECT_THROW(create_replay(bad_opts, {kClock, 0}), InputError);
  std::filesystem::remove_all(dir);
}

TEST(SimulatedLatency, DeliversOnAnotherThreadOutOfOrderAndFlushesOnDestruction) {
  std::mutex mutex;
  std::vector<int> order;
  const auto caller = std::this_thread::get_id();
  bool other_thread = true;
  {
    SimulatedLatency latency(2.0, 2.0, 1);
    for (int i = 0; i < 50; ++i) {
      latency.deliver(std::to_string(i), Completion{}, [&, i](Completion) {
        std::lock_guard lock(mutex);
        order.push_back(i);
        other_thread = other_thread && std::this_thread::get_id() != caller;
      });
    }
  }  // the destructor delivers whatever is pending
  ASSERT_EQ(order.size(), 50u);
  EXPECT_TRUE(other_thread);
  EXPECT_FALSE(std::is_sorted(order.begin(), order.end()));
}

TEST(SimulatedLatency, StableUniformDependsOnlyOnSeedAndKey) {
  EXPECT_EQ(stable_uniform(1, "a"), stable_uniform(1, "a"));
  EXPECT_NE(stable_uniform(1, "a"), stable_uniform(2, "a"));
  EXPECT_NE(stable_uniform(1, "a"), stable_uniform(1, "b"));
  for (int i = 0; i < 100; ++i) {
    const double u = stable_uniform(3, std::to_string(i));
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace lmmbench::models
