// The caption metrics against pycocoevalcap 1.2 run on the same captions
// (tests/metrics/reference/run_caption.py): the PTB tokenisation of every fixture case, and
// BLEU-1..4, ROUGE-L and CIDEr-D of two input sets (per image and aggregate). METEOR runs the
// Java jar and is compared only where Java and the jar are installed.

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "core/jsonl.hpp"
#include "metrics/caption.hpp"
#include "metrics/ptb_tokenizer.hpp"
#include "metrics/score_input.hpp"

namespace lmmbench::metrics {
namespace {

/// Relative: the sums run in the reference's order (numpy's pairwise sum included), so the
/// remaining differences are the last bits of log/pow between numpy and the C library.
constexpr double kTolerance = 1e-12;

const std::filesystem::path kFixtures =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests" / "metrics" / "fixtures";

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

TEST(PtbTokenizer, AgreesWithStanfordPtbTokenizerOnTheFixture) {
  // Every case agrees exactly except the recorded differences (docs/metrics.md lists them).
  const auto fixture = read_json(kFixtures / "caption" / "ptb_tokenizer.json");
  const auto differences =
      read_json(kFixtures / "caption" / "ptb_tokenizer.known_differences.json");
  std::set<std::string> known;
  for (const auto& c : differences.at("cases"))
    known.insert(c.at("input").get<std::string>());
  std::size_t agreed = 0;
  std::size_t total = 0;
  for (const auto& c : fixture.at("cases")) {
    const auto input = c.at("input").get<std::string>();
    const auto expected = c.at("expected").get<std::string>();
    ++total;
    const std::string got = ptb_tokenize(input);
    if (known.contains(input)) {
      EXPECT_NE(got, expected) << "now agrees; drop it from the known differences: " << input;
      continue;
    }
    EXPECT_EQ(got, expected) << "input: " << input;
    if (got == expected) ++agreed;
  }
  EXPECT_EQ(agreed + known.size(), total);
  EXPECT_GE(total, 1800U);
  EXPECT_LE(known.size(), 20U);
}

TEST(PtbTokenizer, DropsPunctuationAndKeepsLowerCaseBrackets) {
  EXPECT_EQ(ptb_tokenize("A man (in red) can't stop."), "a man -lrb- in red -rrb- ca n't stop");
  EXPECT_EQ(ptb_tokenize(""), "");
  EXPECT_EQ(ptb_tokenize("line\nbreak"), "line break");
}

struct Scored {
  MetricResult result;
  std::vector<SampleScore> samples;
};

Scored score_file(const Metric& metric, const std::filesystem::path& input) {
  Scored out;
  auto aggregator = metric.aggregator();
  for_each_jsonl_record(input, [&](const ConfigNode& record) {
    const ScoringItem item = parse_scoring_item(record, metric.info().required_fields);
    SampleScore s = metric.score(item);
    aggregator->add(item, s);
    out.samples.push_back(std::move(s));
  });
  out.result = aggregator->finish();
  return out;
}

double value_of(const MetricResult& r, const std::string& name) {
  for (const auto& v : r.metrics) {
    if (v.name == name) return v.value;
  }
  ADD_FAILURE() << "no " << name;
  return NAN;
}

void expect_close(double got, double want, const std::string& what) {
  EXPECT_LE(std::abs(got - want), kTolerance * std::max(1.0, std::abs(want)))
      << what << ": got " << got << ", pycocoevalcap " << want;
}

class CaptionFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(CaptionFixture, MatchesPycocoevalcap) {
  const auto expected = read_json(kFixtures / "caption.expected.json").at("sets").at(GetParam());
  const CaptionMetric metric;
  const Scored scored = score_file(metric, kFixtures / GetParam());
  const auto& per_sample = expected.at("per_sample");
  ASSERT_EQ(per_sample.size(), scored.samples.size());
  for (std::size_t i = 0; i < per_sample.size(); ++i) {
    const auto id = per_sample[i].at("id").get<std::string>();
    EXPECT_EQ(scored.samples[i].extracted, per_sample[i].at("extracted").get<std::string>()) << id;
    expect_close(scored.samples[i].score, per_sample[i].at("score").get<double>(),
                 "ROUGE-L of " + id);
  }
  const auto& aggregate = expected.at("aggregate");
  for (const char* name : {"bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_l", "cider"})
    expect_close(value_of(scored.result, name), aggregate.at(name).get<double>(), name);
  EXPECT_EQ(scored.result.score, 100.0 * value_of(scored.result, "cider"));
  // The per-sample scores are ROUGE-L, so the headline must not claim to be their mean
  // (reports/comparison.cpp treats interval method "normal" as exactly that).
  EXPECT_NE(scored.result.interval_method, "normal");
  EXPECT_EQ(scored.result.n, per_sample.size());
}

TEST_P(CaptionFixture, MeteorMatchesPycocoevalcapWhereJavaIsInstalled) {
  // The jar: $LMMBENCH_METEOR_JAR, else where scripts/install-deps.sh --test puts it, else an
  // installed pycocoevalcap. Skipped where Java or the jar is missing, except in CI.
  std::optional<std::string> jar;
  if (std::getenv("LMMBENCH_METEOR_JAR") == nullptr &&
      std::filesystem::is_regular_file(LMMBENCH_METEOR_JAR)) {
    jar = LMMBENCH_METEOR_JAR;
  }
  MeteorSetup setup;
  try {
    setup = find_meteor(std::nullopt, jar);
  } catch (const InputError& e) {
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string_view(ci) != "false" && std::string_view(ci) != "0")
      FAIL() << e.what();
    GTEST_SKIP() << e.what();
  }
  const auto expected = read_json(kFixtures / "caption.expected.json").at("sets").at(GetParam());
  const CaptionMetric metric(CaptionMetric::Variant::with_meteor, setup);
  const Scored scored = score_file(metric, kFixtures / GetParam());
  // The jar prints its scores with full double precision; the same jar computes both.
  expect_close(value_of(scored.result, "meteor"),
               expected.at("aggregate").at("meteor").get<double>(), "meteor");
}

TEST_P(CaptionFixture, VlmEvalKitVariantMatchesItsScorerOnUntokenisedCaptions) {
  const auto expected =
      read_json(kFixtures / "caption.expected.json").at("vlmevalkit").at(GetParam());
  const CaptionMetric metric(CaptionMetric::Variant::vlmevalkit);
  EXPECT_EQ(metric.info().variant, "vlmevalkit");
  const Scored scored = score_file(metric, kFixtures / GetParam());
  const auto& per_sample = expected.at("per_sample");
  ASSERT_EQ(per_sample.size(), scored.samples.size());
  for (std::size_t i = 0; i < per_sample.size(); ++i) {
    const auto id = per_sample[i].at("id").get<std::string>();
    // The prediction as VLMEvalKit scores it: untouched, or "nan" where empty or missing.
    EXPECT_EQ(scored.samples[i].extracted, per_sample[i].at("extracted").get<std::string>()) << id;
    expect_close(scored.samples[i].score, per_sample[i].at("score").get<double>(),
                 "ROUGE-L of " + id);
  }
  const auto& aggregate = expected.at("aggregate");
  for (const char* name : {"bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_l", "cider"})
    expect_close(value_of(scored.result, name), aggregate.at(name).get<double>(), name);
}

INSTANTIATE_TEST_SUITE_P(Sets, CaptionFixture,
                         ::testing::Values("caption.input.jsonl", "caption_random.input.jsonl"));

TEST(CaptionMetric, MissingPredictionIsEmptyAndCounted) {
  const CaptionMetric metric;
  ScoringItem item;
  item.id = "x";
  item.answers = {"a dog"};
  const SampleScore s = metric.score(item);
  EXPECT_EQ(s.status, ParseStatus::missing);
  EXPECT_EQ(s.extracted, "");
  EXPECT_EQ(s.score, 0.0);
  auto aggregator = metric.aggregator();
  aggregator->add(item, s);
  EXPECT_EQ(aggregator->finish().n_missing, 1U);
}

TEST(CaptionMetric, VariantsScoringOneItemInTurnEachSeeTheirOwnReferences) {
  // score() and the aggregator share the last item's tokenised references per thread; a
  // variant that does not tokenise must not get the tokenised ones, nor the other way round.
  const CaptionMetric ptb;
  const CaptionMetric raw(CaptionMetric::Variant::vlmevalkit);
  ScoringItem item;
  item.id = "x";
  item.prediction = "A Dog.";
  item.answers = {"A Dog."};
  EXPECT_EQ(ptb.score(item).score, 1.0);
  EXPECT_EQ(raw.score(item).score, 1.0);
  item.prediction = "a dog";
  EXPECT_EQ(ptb.score(item).score, 1.0);  // "a dog" both sides after PTB tokenisation
  EXPECT_EQ(raw.score(item).score, 0.0);  // "a dog" against "A Dog.": no word in common
  EXPECT_EQ(ptb.score(item).score, 1.0);
}

TEST(CaptionMetric, RefusesAnItemWithoutReferences) {
  const CaptionMetric metric;
  ScoringItem item;
  item.id = "x";
  item.prediction = "a dog";
  EXPECT_THROW((void)metric.score(item), InputError);
}

TEST(CaptionMetric, MeteorVariantNamesWhatIsMissing) {
  try {
    (void)find_meteor(std::string("/nonexistent/java"), std::string("/nonexistent/meteor-1.5.jar"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("/nonexistent/java"), std::string::npos) << message;
    EXPECT_NE(message.find("meteor-1.5.jar: not found"), std::string::npos) << message;
    EXPECT_NE(message.find("LMMBENCH_METEOR_JAR"), std::string::npos) << message;
  }
}

TEST(CaptionMetric, AMeteorProcessThatEndsEarlyIsAnErrorNotAHang) {
  // A stand-in for java that answers one SCORE line and exits: the reply loop must report the
  // ended process (and the writer thread its broken pipe), never block or kill the caller.
  const auto dir =
      std::filesystem::temp_directory_path() / ("lmmbench-meteor-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto java = dir / "java";
  {
    std::ofstream script(java);
    script << "#!/bin/sh\nread line\necho 1.0\nexit 0\n";
  }
  std::filesystem::permissions(java, std::filesystem::perms::owner_all);
  const MeteorSetup setup{java.string(), dir / "meteor-1.5.jar"};
  const std::vector<std::string> hypotheses(2000, std::string(200, 'a'));
  const std::vector<std::vector<std::string>> references(2000, {"a b c"});
  try {
    (void)meteor_score(setup, hypotheses, references);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("METEOR"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(CaptionMetric, PairwiseSumIsNumpys) {
  // 200 values: two halves of 96 and 104 (n / 2 rounded down to a multiple of 8), each summed
  // with eight accumulators; 0.1 makes the order visible in the last bits.
  std::vector<double> values(200, 0.1);
  values[0] = 1e16;
  double first_half = 0;
  {
    std::array<double, 8> r{};
    for (std::size_t j = 0; j < 8; ++j)
      r[j] = values[j];
    for (std::size_t i = 8; i < 96; i += 8)
      for (std::size_t j = 0; j < 8; ++j)
        r[j] += values[i + j];
    first_half = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  }
  double second_half = 0;
  {
    std::array<double, 8> r{};
    for (std::size_t j = 0; j < 8; ++j)
      r[j] = values[96 + j];
    for (std::size_t i = 104; i < 200; i += 8)
      for (std::size_t j = 0; j < 8; ++j)
        r[j] += values[i + j];
    second_half = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
  }
  EXPECT_EQ(CaptionMetric::pairwise_sum(values), first_half + second_half);
}

}  // namespace
}  // namespace lmmbench::metrics
