#include <cmath>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "metrics/pope.hpp"

namespace lmmbench::metrics {
namespace {

ScoringItem pope_item(std::string id, std::optional<std::string> prediction, std::string label,
                      std::string split) {
  ScoringItem item;
  item.id = std::move(id);
  item.prediction = std::move(prediction);
  item.answers = {std::move(label)};
  item.category = std::move(split);
  return item;
}

double metric(const MetricResult& r, std::string_view name) {
  for (const auto& v : r.metrics) {
    if (v.name == name) return v.value;
  }
  ADD_FAILURE() << "no metric " << name;
  return 0.0;
}

TEST(PopeLlava, NoOnlyForAnExactNoTokenInTheFirstSentence) {
  auto no = [](std::string_view text) { return !Pope::read_llava(text).yes; };
  EXPECT_TRUE(no("No"));
  EXPECT_TRUE(no("no"));
  EXPECT_TRUE(no("There is not a dog"));
  EXPECT_TRUE(no("No, there is no dog."));   // the comma is deleted, "No" remains
  EXPECT_TRUE(no("Yes, there is no dog."));  // any no-token wins
  EXPECT_TRUE(no("  No"));                   // empty tokens from the double space are harmless
  EXPECT_FALSE(no("NO"));
  EXPECT_FALSE(no("Nope"));
  EXPECT_FALSE(no("Not"));
  EXPECT_FALSE(no(""));
  EXPECT_FALSE(no("No\nThere is a dog."));  // split on ' ' only: the token is "No\nThere"
  EXPECT_FALSE(no("No\tthere"));
  EXPECT_FALSE(no("Yes. No."));  // only the first sentence counts
  EXPECT_FALSE(no(". No"));
  EXPECT_TRUE(no("no.yes"));
  EXPECT_FALSE(no("Yes,no"));  // "Yesno"
  EXPECT_TRUE(no("yes, no"));
  EXPECT_FALSE(no("There isn't a dog"));
}

TEST(PopeLlava, DefaultYesIsUnparsedButScoredYes) {
  const Pope pope;
  auto s = pope.score(pope_item("1", "NO", "no", "random"));
  EXPECT_EQ(s.extracted, "yes");
  EXPECT_EQ(s.status, ParseStatus::unparsed);
  EXPECT_EQ(s.score, 0.0);
  s = pope.score(pope_item("2", "Yes, a dog.", "yes", "random"));
  EXPECT_EQ(s.status, ParseStatus::parsed);
  EXPECT_EQ(s.score, 1.0);
  s = pope.score(pope_item("3", std::nullopt, "yes", "random"));
  EXPECT_EQ(s.extracted, "yes");  // the empty text reads "yes"
  EXPECT_EQ(s.status, ParseStatus::missing);
  EXPECT_EQ(s.score, 1.0);
}

TEST(PopeLmmsEval, WholeAnswerMustBeYesOrNo) {
  EXPECT_EQ(Pope::read_lmms_eval(" YES\n"), "yes");
  EXPECT_EQ(Pope::read_lmms_eval("\u00a0No\u3000"), "no");  // Python strips Unicode whitespace
  EXPECT_EQ(Pope::read_lmms_eval("Yes."), "yes.");
  const Pope pope(Pope::Variant::lmms_eval);
  const auto s = pope.score(pope_item("1", "Yes.", "yes", "random"));
  EXPECT_EQ(s.status, ParseStatus::unparsed);
  EXPECT_EQ(s.score, 0.0);
}

TEST(Pope, RatesPerSplitAndMeanF1) {
  const Pope pope;
  auto agg = pope.aggregator();
  // split a: TP 2, FP 1, TN 1, FN 0 -> P 2/3, R 1, F1 0.8, acc 0.75, predicted yes 0.75.
  for (const auto& [text, label] : std::vector<std::pair<std::string, std::string>>{
           {"Yes", "yes"}, {"Yes", "yes"}, {"Yes", "no"}, {"No", "no"}}) {
    const auto item = pope_item("a", text, label, "a");
    agg->add(item, pope.score(item));
  }
  // split b: TP 1, FN 1 -> P 1, R 0.5, F1 2/3.
  for (const auto& [text, label] :
       std::vector<std::pair<std::string, std::string>>{{"Yes", "yes"}, {"no", "yes"}}) {
    const auto item = pope_item("b", text, label, "b");
    agg->add(item, pope.score(item));
  }
  const MetricResult r = agg->finish();
  EXPECT_DOUBLE_EQ(metric(r, "a.precision"), 100.0 * 2 / 3);
  EXPECT_DOUBLE_EQ(metric(r, "a.f1"), 80.0);
  EXPECT_DOUBLE_EQ(metric(r, "a.accuracy"), 75.0);
  EXPECT_DOUBLE_EQ(metric(r, "a.yes_ratio"), 75.0);
  EXPECT_DOUBLE_EQ(metric(r, "b.f1"), 100.0 * 2 / 3);
  EXPECT_DOUBLE_EQ(r.score, (80.0 + 100.0 * 2 / 3) / 2);
  EXPECT_DOUBLE_EQ(metric(r, "all.accuracy"), 100.0 * 4 / 6);
  EXPECT_EQ(r.n, 6u);
  EXPECT_NE(r.interval_method.find("bootstrap"), std::string::npos);
}

TEST(Pope, ZeroDenominatorsAreNanForLlavaAndZeroForLmmsEval) {
  for (const auto variant : {Pope::Variant::llava, Pope::Variant::lmms_eval}) {
    const Pope pope(variant);
    auto agg = pope.aggregator();
    for (const auto& label : {"yes", "no"}) {
      const auto item = pope_item("x", "no", label, "random");
      agg->add(item, pope.score(item));
    }
    const MetricResult r = agg->finish();
    if (variant == Pope::Variant::llava) {
      EXPECT_TRUE(std::isnan(metric(r, "random.precision")));  // eval_pope: ZeroDivisionError
      EXPECT_TRUE(std::isnan(r.score));
      EXPECT_DOUBLE_EQ(metric(r, "random.yes_ratio"), 0.0);  // predicted yes
    } else {
      EXPECT_EQ(metric(r, "random.precision"), 0.0);
      EXPECT_EQ(r.score, 0.0);
      EXPECT_DOUBLE_EQ(metric(r, "random.yes_ratio"), 50.0);  // gold yes
    }
  }
}

TEST(Pope, RejectsBadLabelsReservedSplitAndUnknownVariant) {
  const Pope pope;
  EXPECT_THROW((void)pope.score(pope_item("1", "yes", "maybe", "")), InputError);
  EXPECT_THROW((void)pope.score(pope_item("1", "yes", "Yes", "")), InputError);  // LLaVA: exact
  EXPECT_NO_THROW((void)Pope(Pope::Variant::lmms_eval).score(pope_item("1", "yes", " Yes", "")));
  auto agg = pope.aggregator();
  const auto item = pope_item("1", "yes", "yes", "all");
  EXPECT_THROW(agg->add(item, pope.score(item)), InputError);
  ObjectReader options(ConfigNode(JsonSource::from_text("{}", "options")));
  try {
    (void)Pope::create("lmms_eval", options);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'lmms-eval'"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(Pope::create("", options)->info().variant, "llava");
}

}  // namespace
}  // namespace lmmbench::metrics
