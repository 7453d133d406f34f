// The judge-scored metrics, llava_bench and mmvet, against what their reference code computes on
// the same inputs (tests/metrics/reference/run_llava_bench.py, run_mmvet.py; README.md there).

#include <algorithm>
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/jsonl.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"
#include "metrics/llava_bench.hpp"
#include "metrics/mmvet.hpp"
#include "metrics/score_input.hpp"
#include "metrics/vqa.hpp"

namespace lmmbench::metrics {
namespace {

constexpr double kTolerance = 1e-9;
const std::string kFixtures = std::string(LMMBENCH_SOURCE_DIR) + "/tests/metrics/fixtures/";
const std::string kShippedReviews =
    std::string(LMMBENCH_SHARED_DIR) + "/fixtures/llava_gpt4_reviews/";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

template <typename M>
std::unique_ptr<Metric> make(std::string_view variant, const nlohmann::json& options = {}) {
  ObjectReader reader(ConfigNode(JsonSource::from_value(
      options.is_null() ? nlohmann::json::object() : options, "options", 0)));
  return M::create(variant, reader);
}

/// Every item of a `lmmbench score` input file, as `lmmbench score` reads it.
std::vector<ScoringItem> read_items(const std::string& path, const Metric& metric) {
  std::vector<ScoringItem> items;
  for_each_scoring_item(path, metric.info().required_fields,
                        [&](const ScoringItem& item) { items.push_back(item); });
  return items;
}

MetricResult aggregate(const Metric& metric, const std::vector<ScoringItem>& items) {
  auto aggregator = metric.aggregator();
  for (const auto& item : items)
    aggregator->add(item, metric.score(item));
  return aggregator->finish();
}

double value(const std::vector<MetricValue>& values, std::string_view name) {
  for (const auto& v : values) {
    if (v.name == name) return v.value;
  }
  ADD_FAILURE() << "no value " << name;
  return std::nan("");
}

/// Python's round(x, digits): the correctly rounded decimal (fmt's fixed format is exact).
double py_round(double x, int digits) {
  return std::stod(fmt::format("{:.{}f}", x, digits));
}

// ----------------------------------------------------------------------------------- llava_bench

/// Checks one summary line {printed: [relative, a1 x 10, a2 x 10], means: [m1, m2]} against the
/// relative score and means lmmbench computes for the same reviews.
void check_llava_summary(const nlohmann::json& expected, double relative, double answer1,
                         double answer2, const std::string& what) {
  SCOPED_TRACE(what);
  const double m1 = expected.at("means")[0].get<double>();
  const double m2 = expected.at("means")[1].get<double>();
  EXPECT_NEAR(answer1, m1 * 10, kTolerance);
  EXPECT_NEAR(answer2, m2 * 10, kTolerance);
  EXPECT_NEAR(relative, m2 / m1 * 100, kTolerance);
  // The script's printed line, from lmmbench's unrounded means and the script's rounding chain:
  // both means to 3 decimals, then the ratio and the means x 10 to 1 decimal.
  const auto& printed = expected.at("printed");
  const double r1 = py_round(answer1 / 10, 3);
  const double r2 = py_round(answer2 / 10, 3);
  EXPECT_EQ(py_round(r2 / r1 * 100, 1), printed[0].get<double>());
  EXPECT_EQ(py_round(r1 * 10, 1), printed[1].get<double>());
  EXPECT_EQ(py_round(r2 * 10, 1), printed[2].get<double>());
  // On these files the unrounded relative score rounds to the printed one as well.
  EXPECT_EQ(py_round(relative, 1), printed[0].get<double>());
}

void check_llava_file(const MetricResult& result, const nlohmann::json& expected_file) {
  const auto& summary = expected_file.at("summary");
  check_llava_summary(summary.at("all"), result.score, value(result.metrics, "answer1"),
                      value(result.metrics, "answer2"), "all");
  std::size_t categories = 0;
  for (const auto& [name, line] : summary.items()) {
    if (name == "all") continue;
    ++categories;
    const auto& cell = result.breakdown.at("category").at(name);
    check_llava_summary(line, value(cell.values, "relative_score"), value(cell.values, "answer1"),
                        value(cell.values, "answer2"), name);
  }
  const auto it = result.breakdown.find("category");
  EXPECT_EQ(it == result.breakdown.end() ? 0 : it->second.size(), categories);
}

TEST(LlavaBench, TheFourShippedGpt4ReviewFilesSummariseExactlyAsLlavasScript) {
  const auto expected = read_json(kFixtures + "llava_bench.expected.json");
  const auto metric = make<LlavaBench>("");
  EXPECT_EQ(metric->info().reference, expected.at("reference").get<std::string>());
  for (const char* name : {"review_alpaca-13b_vicuna-13b.jsonl", "review_bard_vicuna-13b.jsonl",
                           "review_gpt35_vicuna-13b.jsonl", "review_llama-13b_vicuna-13b.jsonl"}) {
    SCOPED_TRACE(name);
    const auto items = read_items(kShippedReviews + name, *metric);
    ASSERT_EQ(items.size(), 80u);
    const auto result = aggregate(*metric, items);
    EXPECT_EQ(result.n, 80u);
    EXPECT_EQ(result.n_unparsed, 0u);
    check_llava_file(result, expected.at("aggregate").at(name));
    // The parsed-only variant is the same where every review was read.
    const auto parsed_only = aggregate(*make<LlavaBench>("parsed-only"), items);
    EXPECT_EQ(parsed_only.score, result.score);
  }
}

TEST(LlavaBench, CategorisedReviewsWithUnreadableOnesMatchTheScriptPerCategory) {
  const auto expected = read_json(kFixtures + "llava_bench.expected.json");
  const auto metric = make<LlavaBench>("llava");
  const auto items = read_items(kFixtures + "llava_bench.input.jsonl", *metric);
  const auto result = aggregate(*metric, items);
  EXPECT_EQ(result.n, 60u);
  EXPECT_EQ(result.n_unparsed, 4u);  // parse_score's [-1, -1], averaged as the script does
  check_llava_file(result, expected.at("aggregate").at("llava_bench.input.jsonl"));
  EXPECT_EQ(result.interval_method, "bootstrap (1000 resamples, seed 0)");
  EXPECT_LT(result.ci95[0], result.score);
  EXPECT_GT(result.ci95[1], result.score);

  const auto parsed_only = aggregate(*make<LlavaBench>("parsed-only"), items);
  EXPECT_EQ(parsed_only.n_unparsed, 4u);
  check_llava_file(parsed_only,
                   expected.at("aggregate").at("llava_bench.input.jsonl (parsed-only)"));
}

TEST(LlavaBench, ReviewTextIsReadWithParseScoreWhenNoGradesAreGiven) {
  const auto expected = read_json(kFixtures + "llava_bench.expected.json");
  const auto metric = make<LlavaBench>("");
  auto items = read_items(kFixtures + "llava_bench.input.jsonl", *metric);
  const auto& per_sample = expected.at("per_sample");
  ASSERT_EQ(items.size(), per_sample.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    ASSERT_EQ(items[i].judge_replies.size(), 1u);
    const auto pair = LlavaBench::parse_review(items[i].judge_replies[0]);
    const auto want = per_sample[i].at("extracted").get<std::vector<double>>();
    EXPECT_EQ(pair.value_or(std::array{-1.0, -1.0}), (std::array{want[0], want[1]}))
        << items[i].judge_replies[0];
    items[i].judge_scores.clear();  // the judge stage's form: the reply only
  }
  check_llava_file(aggregate(*metric, items),
                   expected.at("aggregate").at("llava_bench.input.jsonl"));
}

TEST(LlavaBench, TheQuestionFileSuppliesTheCategoryOfReviewsWithout) {
  const auto expected = read_json(kFixtures + "llava_bench.expected.json");
  const auto metric =
      make<LlavaBench>("", {{"questions", kFixtures + "llava_bench.questions.jsonl"}});
  auto items = read_items(kFixtures + "llava_bench.input.jsonl", *metric);
  for (auto& item : items)
    item.category.clear();
  check_llava_file(aggregate(*metric, items),
                   expected.at("aggregate").at("llava_bench.input.jsonl"));

  items.front().fields["question_id"] = "999";
  EXPECT_THROW((void)aggregate(*metric, items), InputError);
}

TEST(LlavaBench, ReviewLinesAreReadByQuestionIdTupleOrScore) {
  const auto metric = make<LlavaBench>("");
  std::vector<ScoringItem> items;
  for_each_scoring_item(std::string_view(R"({"question_id": 7, "score": [8, 6], "tuple": [9.5, 7]}
{"question_id": "q8", "score": [8.0, 6.0], "category": "c"}
{"id": 3, "question_id": 9, "content": "7,7\nfine"}
)"),
                        "reviews.jsonl", metric->info().required_fields,
                        [&](const ScoringItem& item) { items.push_back(item); });
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].id, "7");
  EXPECT_EQ(items[0].judge_scores,
            (std::vector<double>{9.5, 7}));  // "tuple" wins, as in the script
  EXPECT_EQ(items[1].id, "q8");
  EXPECT_EQ(items[1].category, "c");
  EXPECT_EQ(items[2].id, "3");
  EXPECT_EQ(items[2].field("question_id"), "9");
  EXPECT_EQ(metric->score(items[2]).extracted, "7 7");
}

TEST(LlavaBench, BadReviewsAreInputErrorsNamingTheLine) {
  const auto metric = make<LlavaBench>("");
  const auto read = [&](std::string_view text) {
    for_each_scoring_item(text, "reviews.jsonl", metric->info().required_fields,
                          [&](const ScoringItem& item) { (void)metric->score(item); });
  };
  try {
    read("{\"question_id\": 1, \"score\": [8, 9]}\n{\"question_id\": 2}\n");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("reviews.jsonl:2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("score"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read("{\"question_id\": 1, \"score\": [8, \"9\"]}\n"), InputError);
  EXPECT_THROW(read("{\"question_id\": 1, \"score\": [8, 9, 10]}\n"), InputError);
  ScoringItem all;
  all.id = "1";
  all.category = "all";
  all.judge_scores = {8, 9};
  auto aggregator = metric->aggregator();
  EXPECT_THROW(aggregator->add(all, metric->score(all)), InputError);
}

TEST(LlavaBench, ParseScoreRules) {
  using Pair = std::array<double, 2>;
  EXPECT_EQ(LlavaBench::parse_review("8 9\nbecause"), (Pair{8, 9}));
  EXPECT_EQ(LlavaBench::parse_review("8,9"), (Pair{8, 9}));
  EXPECT_EQ(LlavaBench::parse_review("8 9\r\n"), (Pair{8, 9}));
  EXPECT_FALSE(LlavaBench::parse_review("8, 9"));  // two spaces: three parts
  EXPECT_FALSE(LlavaBench::parse_review(" 8 9"));
  EXPECT_FALSE(LlavaBench::parse_review("8"));
  EXPECT_FALSE(LlavaBench::parse_review("eight nine"));
}

TEST(ScoreInput, JudgeKeysAreIgnoredByOtherMetrics) {
  // A per-sample score file re-fed to an ordinary metric has a numeric "score": not a judge grade.
  const auto metric = make<VqaAccuracy>("");
  std::vector<ScoringItem> items;
  for_each_scoring_item(
      std::string_view(R"({"id": 1, "prediction": "a", "answers": ["a"], "score": 0.5, "content": 3}
)"),
      "x.jsonl", metric->info().required_fields,
      [&](const ScoringItem& item) { items.push_back(item); });
  ASSERT_EQ(items.size(), 1u);
  EXPECT_TRUE(items[0].judge_scores.empty());
  EXPECT_TRUE(items[0].judge_replies.empty());
  EXPECT_FALSE(metric->info().needs_judge);
  EXPECT_TRUE(make<LlavaBench>("")->info().needs_judge);
  EXPECT_TRUE(make<MmVet>("")->info().needs_judge);
}

// ----------------------------------------------------------------------------------------- mmvet

/// "ocr_math_spat" (the reference's set order) -> "ocr_spat_math" (lmmbench's: rec ocr know gen
/// spat math).
std::string canonical_integration(const std::string& name) {
  const auto parts = split(name, '_');
  std::string out;
  for (const auto capability : MmVet::kCapabilities) {
    if (std::find(parts.begin(), parts.end(), capability) == parts.end()) continue;
    if (!out.empty()) out += '_';
    out += capability;
  }
  return out;
}

void check_mmvet(const MetricResult& result, const nlohmann::json& expected) {
  const auto& unrounded = expected.at("aggregate").at("unrounded");
  const auto& printed = expected.at("aggregate").at("printed");
  EXPECT_NEAR(result.score, unrounded.at("capability").at("total").get<double>(), kTolerance);
  EXPECT_EQ(py_round(result.score, 1), printed.at("capability").at("total").get<double>());
  for (const auto& [name, v] : unrounded.at("capability").items()) {
    if (name == "total") continue;
    SCOPED_TRACE(name);
    EXPECT_NEAR(value(result.metrics, name), v.get<double>(), kTolerance);
    EXPECT_NEAR(value(result.breakdown.at("capability").at(name).values, "score"), v.get<double>(),
                kTolerance);
    EXPECT_EQ(py_round(value(result.metrics, name), 1),
              printed.at("capability").at(name).get<double>());
  }
  std::size_t integrations = 0;
  for (const auto& [name, v] : unrounded.at("capability_integration").items()) {
    if (name == "total") continue;
    SCOPED_TRACE(name);
    ++integrations;
    const auto& cell =
        result.breakdown.at("capability_integration").at(canonical_integration(name));
    EXPECT_NEAR(value(cell.values, "score"), v.get<double>(), kTolerance);
  }
  EXPECT_EQ(result.breakdown.at("capability_integration").size(), integrations);
  EXPECT_NEAR(value(result.metrics, "std"), unrounded.at("std").get<double>(), kTolerance);
  const auto runs = unrounded.at("runs").get<std::vector<double>>();
  EXPECT_EQ(value(result.metrics, "n_runs"), static_cast<double>(runs.size()));
  for (std::size_t r = 0; r < runs.size(); ++r)
    EXPECT_NEAR(value(result.metrics, fmt::format("runs.{}", r + 1)), runs[r], kTolerance);
}

TEST(MmVet, OfficialGraderFileAggregatesAsExportResult) {
  const auto expected = read_json(kFixtures + "mmvet.expected.json");
  const auto metric = make<MmVet>("");
  EXPECT_EQ(metric->info().reference, expected.at("reference").get<std::string>());
  const auto items = read_items(kFixtures + "mmvet.input.jsonl", *metric);
  ASSERT_EQ(items.size(), 40u);
  const auto result = aggregate(*metric, items);
  EXPECT_EQ(result.n, 40u);
  // v1_7 (run 3) and v1_23 (run 1): five unreadable replies, the official fallback 0.0.
  EXPECT_EQ(result.n_unparsed, 2u);
  EXPECT_EQ(value(result.metrics, "unparsed_grades"), 2.0);
  EXPECT_NE(metric->score(items[7]).extracted.find('?'), std::string::npos);
  check_mmvet(result, expected);
}

TEST(MmVet, RepliesAloneGiveTheSameGrades) {
  // The judge stage's form: replies only. The fixture's fallback runs end in unreadable replies.
  const auto expected = read_json(kFixtures + "mmvet.expected.json");
  const auto metric = make<MmVet>("official");
  auto items = read_items(kFixtures + "mmvet.input.jsonl", *metric);
  for (auto& item : items)
    item.judge_scores.clear();
  const auto result = aggregate(*metric, items);
  EXPECT_EQ(result.n_unparsed, 2u);
  check_mmvet(result, expected);
}

TEST(MmVet, CapabilitiesFromTheQuestionFile) {
  const auto expected = read_json(kFixtures + "mmvet.expected.json");
  const auto metric = make<MmVet>("", {{"questions", kFixtures + "mmvet.questions.json"}});
  auto items = read_items(kFixtures + "mmvet.input.jsonl", *metric);
  for (auto& item : items)
    item.fields.erase("capability");
  check_mmvet(aggregate(*metric, items), expected);
  items.front().id = "v1_999";
  EXPECT_THROW((void)aggregate(*metric, items), InputError);
}

TEST(MmVet, EveryJudgeReplyIsReadAsTheOfficialLoopReadIt) {
  const auto expected = read_json(kFixtures + "mmvet.expected.json");
  const auto& parses = expected.at("aggregate").at("parses");
  ASSERT_GT(parses.size(), 200u);
  std::size_t unreadable = 0;
  for (const auto& p : parses) {
    const auto reply = p.at("reply").get<std::string>();
    const auto grade = MmVet::parse_grade(reply);
    if (p.at("grade").is_null()) {
      ++unreadable;
      EXPECT_FALSE(grade) << "'" << reply << "'";
    } else {
      ASSERT_TRUE(grade) << "'" << reply << "'";
      EXPECT_EQ(*grade, p.at("grade").get<double>()) << "'" << reply << "'";
    }
  }
  EXPECT_GT(unreadable, 20u);
  EXPECT_TRUE(std::isnan(*MmVet::parse_grade("nan")));  // float('nan') passes both comparisons
  EXPECT_FALSE(MmVet::parse_grade("inf"));
}

TEST(MmVet, TheStoredGraderPromptIsTheOfficialOne) {
  // run_mmvet.py checks the file against the reference's `prompt` and records its hash.
  const auto expected = read_json(kFixtures + "mmvet.expected.json");
  EXPECT_EQ(
      sha256_file(std::string(LMMBENCH_SOURCE_DIR) + "/configs/judges/mmvet_grader_prompt.txt"),
      expected.at("aggregate").at("prompt_sha256").get<std::string>());
}

ScoringItem mmvet_item(std::string id, std::string capability, std::vector<double> scores,
                       std::vector<std::string> replies = {}) {
  ScoringItem item;
  item.id = std::move(id);
  item.fields["capability"] = std::move(capability);
  item.judge_scores = std::move(scores);
  item.judge_replies = std::move(replies);
  return item;
}

TEST(MmVet, AGradeFileFallbackIsUnparsedEvenWhenItsLastReplyReadsAsANumber) {
  // After its fifth failed parse the reference stores 0.0 with the sixth reply, never read.
  const auto metric = make<MmVet>("");
  const auto s = metric->score(mmvet_item("a", "rec", {0.0, 0.5}, {"0.7", "0.5"}));
  EXPECT_EQ(s.status, ParseStatus::unparsed);
  EXPECT_EQ(s.extracted, "? 0.5");
  EXPECT_EQ(metric->score(mmvet_item("b", "rec", {0.0}, {"0.0"})).status, ParseStatus::parsed);
}

TEST(MmVet, ParsedOnlyLeavesUnparsedGradesOutOfTheirRun) {
  // Two runs. Run 1: a = 1.0, b = 0.5, c unparsed; run 2: 0.5, 0.5, 0.0.
  const std::vector<ScoringItem> items = {
      mmvet_item("a", "rec,ocr", {}, {"1.0", "0.5"}),
      mmvet_item("b", "ocr", {}, {"0.5", "0.5"}),
      mmvet_item("c", "rec", {}, {"Sorry", "0.0"}),
  };
  const auto official = aggregate(*make<MmVet>("official"), items);
  // Official: run 1 = (1 + 0.5 + 0) / 3, run 2 = 1 / 3; rec: (1 + 0) / 2 and (0.5 + 0) / 2.
  EXPECT_NEAR(official.score, (1.5 / 3 * 100 + 1.0 / 3 * 100) / 2, 1e-12);
  EXPECT_NEAR(value(official.metrics, "rec"), (50.0 + 25.0) / 2, 1e-12);
  const auto parsed = aggregate(*make<MmVet>("parsed-only"), items);
  EXPECT_NEAR(parsed.score, (1.5 / 2 * 100 + 1.0 / 3 * 100) / 2, 1e-12);
  EXPECT_NEAR(value(parsed.metrics, "rec"), (100.0 + 25.0) / 2, 1e-12);
  EXPECT_EQ(parsed.n_unparsed, 1u);
  EXPECT_EQ(parsed.breakdown.at("capability_integration").at("rec_ocr").n, 1u);
}

TEST(MmVet, BadItemsAreInputErrors) {
  const auto metric = make<MmVet>("");
  EXPECT_THROW((void)metric->score(mmvet_item("a", "rec", {1.5})), InputError);
  EXPECT_THROW((void)metric->score(mmvet_item("a", "rec", {0.5, 0.5}, {"0.5"})), InputError);
  EXPECT_THROW((void)metric->score(mmvet_item("a", "rec", {})), InputError);
  auto aggregator = metric->aggregator();
  const auto typo = mmvet_item("a", "recognition", {0.5});
  EXPECT_THROW(aggregator->add(typo, metric->score(typo)), InputError);
  const auto one = mmvet_item("b", "rec", {0.5});
  const auto two = mmvet_item("c", "rec", {0.5, 0.5});
  aggregator->add(one, metric->score(one));
  EXPECT_THROW(aggregator->add(two, metric->score(two)), InputError);
}

TEST(MmVet, NumpySumIsPairwiseLikeNumpys) {
  // numpy 2.4.6: float(np.asarray(v).sum()) for v_i = (i * 7919 % 1000) * 10.0**(i % 7 - 3) / 3.
  const auto values = [](std::size_t n) {
    std::vector<double> v;
    for (std::size_t i = 0; i < n; ++i)
      v.push_back(static_cast<double>(i * 7919 % 1000) *
                  std::pow(10.0, static_cast<double>(i % 7) - 3) / 3);
    return v;
  };
  EXPECT_EQ(numpy_sum(values(9)), 193704.64766666666);  // sequential: 193704.6476666667
  EXPECT_EQ(numpy_sum(values(37)), 1053333.1949999998);
  EXPECT_EQ(numpy_sum(values(200)), 5217246.429333333);  // sequential: 5217246.429333336
}

}  // namespace
}  // namespace lmmbench::metrics
