// Focused tests of the VQA-family metrics: the documented quirks, variants, missing predictions,
// input validation and aggregation.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "metrics/anls.hpp"
#include "metrics/gqa.hpp"
#include "metrics/relaxed_accuracy.hpp"
#include "metrics/textvqa.hpp"
#include "metrics/vqa.hpp"

namespace lmmbench::metrics {
namespace {

ScoringItem item(std::optional<std::string> prediction, std::vector<std::string> answers) {
  ScoringItem i;
  i.id = "q";
  i.prediction = std::move(prediction);
  i.answers = std::move(answers);
  return i;
}

template <typename MetricType>
std::unique_ptr<Metric> create(std::string_view variant, std::string_view options = "{}") {
  const auto source = JsonSource::from_text(options, "options");
  ObjectReader reader{ConfigNode(source)};
  return MetricType::create(variant, reader);
}

std::vector<std::string> ten(const std::string& a) {
  return std::vector<std::string>(10, a);
}

TEST(Vqa, OfficialNormalisesOnlyWhenAnswersDisagree) {
  const VqaAccuracy official;
  EXPECT_EQ(official.score(item("Two", ten("2"))).score, 0.0);
  EXPECT_EQ(official.score(item("yes.", ten("yes"))).score, 0.0);
  EXPECT_EQ(official.score(item(" 2\n", ten("2"))).score, 1.0);
  std::vector<std::string> disagree = ten("2");
  disagree.back() = "3";
  const SampleScore s = official.score(item("Two", disagree));
  EXPECT_EQ(s.score, 1.0);
  EXPECT_EQ(s.extracted, "2");
}

TEST(Vqa, VariantsDisagreeOnTheSameItem) {
  const VqaAccuracy v2017(VqaAccuracy::Variant::official_2017);
  const VqaAccuracy lmms(VqaAccuracy::Variant::lmms_eval);
  // 2017: the prediction is always normalised, identical answers are compared raw.
  EXPECT_EQ(v2017.score(item("Two", ten("2"))).score, 1.0);
  EXPECT_EQ(v2017.score(item("2", ten("2 "))).score, 0.0);
  EXPECT_EQ(lmms.score(item("Two", ten("2"))).score, 1.0);
  // Python 3's `\d`: "1,２" has a digit-comma-digit for lmms-eval only.
  std::vector<std::string> answers(5, "1２");
  answers.resize(10, "1 ２");
  EXPECT_DOUBLE_EQ(lmms.score(item("1,２", answers)).score, 1.0);
  EXPECT_EQ(VqaAccuracy().score(item("1,２", answers)).extracted, "1 ２");
}

TEST(Vqa, OkVqaVariantTokenizesWordsFirst) {
  const VqaAccuracy vqav2(VqaAccuracy::Variant::lmms_eval);
  const VqaAccuracy okvqa(VqaAccuracy::Variant::lmms_eval_okvqa);
  // word_tokenize deletes commas before the punctuation rules see them: "a,b" is "ab" for the
  // ok_vqa task, "a b" for vqav2.
  EXPECT_EQ(okvqa.score(item("a,b", ten("ab"))).score, 1.0);
  EXPECT_EQ(vqav2.score(item("a,b", ten("ab"))).score, 0.0);
  EXPECT_EQ(vqav2.score(item("a,b", ten("a b"))).score, 1.0);
  EXPECT_EQ(okvqa.score(item("a,b", ten("a b"))).score, 0.0);
  EXPECT_EQ(okvqa.score(item("Man's hat?", ten("man's hat"))).extracted, "man 's hat");
}

TEST(Vqa, MissingPredictionIsTheEmptyAnswer) {
  const VqaAccuracy official;
  const SampleScore s =
      official.score(item(std::nullopt, {"a", "the", "x", "y", "z", "w", "v", "u", "t", "s"}));
  EXPECT_EQ(s.status, ParseStatus::missing);
  EXPECT_EQ(s.extracted, "");
  // "a" and "the" normalise to "": two matching answers.
  EXPECT_DOUBLE_EQ(s.score, (2 * (1.0 / 3.0) + 8 * (2.0 / 3.0)) / 10.0);
}

TEST(Vqa, FactoryAndInfo) {
  EXPECT_EQ(create<VqaAccuracy>("")->info().variant, "official");
  EXPECT_EQ(create<VqaAccuracy>("lmms-eval")->info().variant, "lmms-eval");
  EXPECT_EQ(create<VqaAccuracy>("official-2017")->info().reference.substr(0, 25),
            "GT-Vision-Lab/VQA@a4f1afd");
  try {
    (void)create<VqaAccuracy>("offical");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'official'"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)create<VqaAccuracy>("", R"({"threshold": 1})"), InputError);
  EXPECT_THROW((void)VqaAccuracy().score(item("x", {})), InputError);
}

TEST(Vqa, AggregateBreaksDownByAnswerAndQuestionType) {
  const VqaAccuracy official;
  auto agg = official.aggregator();
  ScoringItem a = item("2", ten("2"));
  a.fields["answer_type"] = "number";
  a.fields["question_type"] = "how many";
  ScoringItem b = item("no", ten("yes"));
  b.fields["answer_type"] = "yes/no";
  b.fields["question_type"] = "is the";
  ScoringItem c = item(std::nullopt, ten("yes"));
  c.fields["answer_type"] = "yes/no";
  c.fields["question_type"] = "is the";
  for (const auto* i : {&a, &b, &c})
    agg->add(*i, official.score(*i));
  const MetricResult r = agg->finish();
  EXPECT_EQ(r.n, 3u);
  EXPECT_EQ(r.n_missing, 1u);
  EXPECT_DOUBLE_EQ(r.score, 100.0 / 3.0);
  EXPECT_EQ(r.breakdown.at("answer_type").at("number").values.at(0).value, 100.0);
  EXPECT_EQ(r.breakdown.at("question_type").at("is the").n, 2u);
  EXPECT_EQ(r.breakdown.at("question_type").at("is the").values.at(0).value, 0.0);
}

TEST(TextVqa, EvalAiProcessingAndTenAnswers) {
  const TextVqaAccuracy m;
  std::vector<std::string> answers(6, "man 's");
  answers.resize(10, "mans");
  const SampleScore s = m.score(item("MAN'S", answers));
  EXPECT_EQ(s.extracted, "man 's");
  EXPECT_EQ(s.score, 1.0);
  EXPECT_EQ(m.score(item("Two", ten("2"))).score, 1.0);
  EXPECT_THROW((void)m.score(item("x", {"x", "x"})), InputError);
  EXPECT_EQ(create<TextVqaAccuracy>("")->info().variant, "llava");
  EXPECT_THROW((void)create<TextVqaAccuracy>("official"), InputError);
}

TEST(Anls, ThresholdKeepsExactlyOneHalf) {
  const Anls m;
  EXPECT_EQ(m.score(item("abxy", {"abcd"})).score, 0.5);    // 2 / 4
  EXPECT_EQ(m.score(item("abxyz", {"abcde"})).score, 0.0);  // 1 - 3/5 < 0.5
  EXPECT_DOUBLE_EQ(m.score(item("abcxy", {"abcde"})).score, 0.6);
  EXPECT_EQ(m.score(item("ABCD", {"x", "abcd"})).score, 1.0);
}

TEST(Anls, LengthsComeFromTheRawUpperCasedStrings) {
  const Anls m;
  // distance("ßßßß", "ssss") = 4, length = len("SSSSSSSS") = 8.
  EXPECT_EQ(m.score(item("ssss", {"ßßßß"})).score, 0.5);
  EXPECT_EQ(m.score(item("", {""})).score, 1.0);
  EXPECT_EQ(m.score(item(std::nullopt, {"a"})).status, ParseStatus::missing);
}

TEST(Anls, OfficialVariantDoesNotStripThePrediction) {
  const Anls lmms;
  const Anls official(Anls::Variant::official);
  EXPECT_EQ(lmms.score(item(" abxy ", {"abcd"})).score, 0.5);
  // Normalised forms are equal in distance (2), but the length is now len(" abxy ") = 6.
  EXPECT_DOUBLE_EQ(official.score(item(" abxy ", {"abcd"})).score, 1.0 - 2.0 / 6.0);
  EXPECT_EQ(create<Anls>("official")->info().variant, "official");
  EXPECT_EQ(create<Anls>("")->info().variant, "lmms-eval");
}

TEST(Anls, LevenshteinCountsCodePoints) {
  EXPECT_EQ(Anls::levenshtein("straße", "strasse"), 2u);
  EXPECT_EQ(Anls::levenshtein("", "abc"), 3u);
  EXPECT_EQ(Anls::levenshtein("kitten", "sitting"), 3u);
  std::string normalised;
  Anls::normalise("  Hello\u3000  WORLD ", normalised);
  EXPECT_EQ(normalised, "hello world");
}

TEST(Anls, BreakdownCellsCarryTheAnlsName) {
  // The mean aggregator names each breakdown cell's value after the metric's quantity: an ANLS
  // breakdown is not an accuracy.
  const Anls m;
  auto aggregator = m.aggregator();
  auto a = item("abxy", {"abcd"});
  a.category = "table";
  aggregator->add(a, m.score(a));
  const MetricResult r = aggregator->finish();
  const auto& cell = r.breakdown.at("category").at("table");
  ASSERT_EQ(cell.values.size(), 1u);
  EXPECT_EQ(cell.values[0].name, "anls");
  EXPECT_EQ(cell.values[0].value, 50.0);
  EXPECT_EQ(r.score, 50.0);
}

TEST(Gqa, LlavaStripsOnlyTrailingPeriodsAndLowerCases) {
  const GqaAccuracy m;
  EXPECT_EQ(m.score(item("Yes..", {"yes"})).score, 1.0);
  EXPECT_EQ(m.score(item(" yes", {"yes"})).score, 0.0);
  EXPECT_EQ(m.score(item("yes\n", {"yes"})).score, 0.0);
  EXPECT_EQ(m.score(item("Yes", {"Yes"})).score, 0.0);  // the gold answer is not lower-cased
  EXPECT_EQ(GqaAccuracy::llava_prediction("ΟΔΟΣ."), "οδος");
  EXPECT_THROW((void)m.score(item("x", {"x", "y"})), InputError);
}

TEST(Gqa, LmmsEvalReproducesNumpyFixedWidthStrings) {
  const GqaAccuracy m(GqaAccuracy::Variant::lmms_eval);
  EXPECT_EQ(m.score(item(" Yes!\n", {"yes"})).score, 1.0);
  EXPECT_EQ(m.score(item("t-shirt", {"tshirt"})).score, 1.0);
  // np.char.lower keeps the width: "İx" lower-cases to "i̇x" and is cut back to two code points.
  EXPECT_EQ(GqaAccuracy::lmms_eval_form("İx"), "i\u0307");
  EXPECT_EQ(m.score(item("İx", {"i\u0307x"})).score, 0.0);
  EXPECT_EQ(m.score(item(std::string("a\0", 2), {"a"})).score, 1.0);
  EXPECT_EQ(m.score(item(std::string("\0a", 2), {"a"})).score, 0.0);
}

TEST(RelaxedAccuracy, FivePercentOfTheGoldValue) {
  EXPECT_FALSE(RelaxedAccuracy::relaxed_correctness("0.315", "0.3"));  // 0.05000000000000004
  EXPECT_TRUE(RelaxedAccuracy::relaxed_correctness("105", "100"));
  EXPECT_TRUE(RelaxedAccuracy::relaxed_correctness("0.12", "12%"));
  EXPECT_TRUE(RelaxedAccuracy::relaxed_correctness("1_000", "１０００"));
  EXPECT_TRUE(RelaxedAccuracy::relaxed_correctness("1e3", "1000"));
  EXPECT_FALSE(RelaxedAccuracy::relaxed_correctness("nan", "nan"));  // NaN gold is truthy
  EXPECT_FALSE(RelaxedAccuracy::relaxed_correctness("inf", "inf"));
}

TEST(RelaxedAccuracy, ZeroOrTextGoldFallsBackToCaseInsensitiveEquality) {
  EXPECT_TRUE(RelaxedAccuracy::relaxed_correctness("0", "0"));
  EXPECT_FALSE(RelaxedAccuracy::relaxed_correctness("0.0", "0"));
  EXPECT_FALSE(RelaxedAccuracy::relaxed_correctness("0.0", "-0"));
  EXPECT_TRUE(RelaxedAccuracy::relaxed_correctness("AFRICA", "africa"));
  EXPECT_FALSE(RelaxedAccuracy::relaxed_correctness("straße", "STRASSE"));
}

TEST(RelaxedAccuracy, StrippedVariantDiffersOnlyOnSurroundingWhitespace) {
  const RelaxedAccuracy plain;
  const RelaxedAccuracy stripped(true);
  EXPECT_EQ(plain.score(item(" 12 ", {"12"})).score, 1.0);  // float() strips by itself
  EXPECT_EQ(plain.score(item("Yes ", {"yes"})).score, 0.0);
  EXPECT_EQ(stripped.score(item("Yes ", {"yes"})).score, 1.0);
  EXPECT_EQ(plain.score(item("12% ", {"0.12"})).score, 0.0);
  EXPECT_EQ(stripped.score(item("12% ", {"0.12"})).score, 1.0);
  EXPECT_EQ(create<RelaxedAccuracy>("")->info().variant, "lmms-eval");
  EXPECT_EQ(create<RelaxedAccuracy>("lmms-eval-stripped")->info().variant, "lmms-eval-stripped");
  const SampleScore missing = plain.score(item(std::nullopt, {""}));
  EXPECT_EQ(missing.status, ParseStatus::missing);
  EXPECT_EQ(missing.score, 1.0);  // "" == "" as the reference compares an empty answer
}

}  // namespace
}  // namespace lmmbench::metrics
