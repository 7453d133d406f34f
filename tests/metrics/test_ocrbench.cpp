// OCRBench against the fixtures its official script (and lmms-eval's port) wrote
// (tests/metrics/reference/run_ocrbench.py), plus focused tests of the rule.

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "metrics/ocrbench.hpp"
#include "tests/metrics/fixture_check.hpp"

namespace lmmbench::metrics {
namespace {

TEST(ReferenceFixtures, OcrBenchOfficial) {
  fixture_check::check_reference_fixture("ocrbench.input.jsonl", "ocrbench.expected.json",
                                         &OcrBench::create, "");
}

TEST(ReferenceFixtures, OcrBenchLmmsEval) {
  fixture_check::check_reference_fixture("ocrbench.input.jsonl", "ocrbench.lmms-eval.expected.json",
                                         &OcrBench::create, "lmms-eval");
}

ScoringItem item(std::optional<std::string> prediction, std::vector<std::string> answers,
                 std::string dataset) {
  ScoringItem i;
  i.id = "1";
  i.prediction = std::move(prediction);
  i.answers = std::move(answers);
  i.category = "Scene Text-centric VQA";
  i.fields["subtask"] = std::move(dataset);
  return i;
}

TEST(OcrBench, FormulasLoseTheirSpacesButKeepTheirCase) {
  const OcrBench official;
  EXPECT_EQ(
      official.score(item("$x_1=\\frac{1}{2}$", {"x _ 1 = \\frac { 1 } { 2 }\n"}, "HME100k")).score,
      1.0);
  EXPECT_EQ(official.score(item("X_1", {"x _ 1"}, "HME100k")).score, 0.0);
  // Elsewhere case folds and line breaks become spaces, but spaces stay.
  EXPECT_EQ(official.score(item("The sign says\nHELLO WORLD", {"hello world"}, "STVQA")).score,
            1.0);
  EXPECT_EQ(official.score(item("HELLOWORLD", {"hello world"}, "STVQA")).score, 0.0);
}

TEST(OcrBench, FullWidthFoldsOnlyInTheLmmsEvalVariant) {
  const OcrBench official;
  const OcrBench lmms(OcrBench::Variant::lmms_eval);
  const auto full = item("\xEF\xBC\xA1\xEF\xBC\xA2", {"ab"}, "STVQA");  // "ＡＢ"
  EXPECT_EQ(official.score(full).score, 0.0);
  EXPECT_EQ(lmms.score(full).score, 1.0);
}

TEST(OcrBench, TotalIsPointsWithRecognitionSubtotal) {
  const OcrBench official;
  auto aggregator = official.aggregator();
  auto add = [&](const char* prediction, const char* type) {
    auto i = item(prediction, {"ok"}, "IIIT5K");
    i.category = type;
    aggregator->add(i, official.score(i));
  };
  add("ok", "Regular Text Recognition");
  add("no", "Regular Text Recognition");
  add("ok", "Doc-oriented VQA");
  const auto missing = item(std::nullopt, {"ok"}, "IIIT5K");
  aggregator->add(missing, official.score(missing));
  const MetricResult r = aggregator->finish();
  EXPECT_EQ(r.unit, Unit::points);
  EXPECT_EQ(r.score, 2.0);
  EXPECT_EQ(r.n, 4U);
  EXPECT_EQ(r.n_missing, 1U);
  ASSERT_EQ(r.metrics.size(), 2U);
  EXPECT_EQ(r.metrics[1].name, "text_recognition");
  EXPECT_EQ(r.metrics[1].value, 1.0);
  EXPECT_EQ(r.breakdown.at("category").at("Doc-oriented VQA").n, 1U);
}

TEST(OcrBench, NoGoldIsAnInputError) {
  const OcrBench official;
  EXPECT_THROW((void)official.score(item("x", {}, "STVQA")), InputError);
}

}  // namespace
}  // namespace lmmbench::metrics
