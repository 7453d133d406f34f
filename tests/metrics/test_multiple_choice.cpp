#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "metrics/multiple_choice.hpp"

namespace lmmbench::metrics {
namespace {

const std::vector<std::string> kOptions = {"a cat", "a dog", "a bird"};

std::optional<std::string> extract(std::string_view prediction) {
  return MultipleChoice::extract_letter(prediction, kOptions);
}

TEST(MultipleChoice, AcceptsDecoratedLetters) {
  EXPECT_EQ(extract("B"), "B");
  EXPECT_EQ(extract(" b \n"), "B");
  EXPECT_EQ(extract("(C)"), "C");
  EXPECT_EQ(extract("A."), "A");
  EXPECT_EQ(extract("A)"), "A");
  EXPECT_EQ(extract("B. a dog"), "B");
  EXPECT_EQ(extract("(B) a dog"), "B");
}

TEST(MultipleChoice, MatchesExactlyOneOptionText) {
  EXPECT_EQ(extract("A dog."), "B");
  EXPECT_EQ(extract("dog"), std::nullopt);
}

TEST(MultipleChoice, RejectsLettersBeyondTheOptionsAndProse) {
  EXPECT_EQ(extract("D"), std::nullopt);
  EXPECT_EQ(extract("I think it is B"), std::nullopt);
  EXPECT_EQ(extract("yes"), std::nullopt);
  EXPECT_EQ(extract(""), std::nullopt);
  EXPECT_EQ(extract("a. cat"), std::nullopt);  // lower-case label followed by text is prose
}

TEST(MultipleChoice, UnparsedScoresZeroAndIsCounted) {
  const MultipleChoice m;
  ScoringItem i;
  i.id = "1";
  i.options = kOptions;
  i.answers = {"B"};
  i.prediction = "yes";
  auto s = m.score(i);
  EXPECT_EQ(s.status, ParseStatus::unparsed);
  EXPECT_EQ(s.score, 0.0);
  i.prediction = "B";
  s = m.score(i);
  EXPECT_EQ(s.status, ParseStatus::parsed);
  EXPECT_EQ(s.score, 1.0);
  auto agg = m.aggregator();
  agg->add(i, s);
  i.prediction = "nonsense";
  agg->add(i, m.score(i));
  const auto r = agg->finish();
  EXPECT_EQ(r.n_unparsed, 1u);
  EXPECT_DOUBLE_EQ(r.score, 50.0);
}

TEST(MultipleChoice, AGoldLetterOutsideTheOptionsIsAnInputError) {
  const MultipleChoice m;
  ScoringItem i;
  i.id = "7";
  i.options = kOptions;
  i.prediction = "D";
  i.answers = {"D"};  // three options: A-C
  try {
    (void)m.score(i);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "item '7': the gold answer must be the letter of one of its 3 options, "
                 "got 'D'");
  }
  i.answers = {"a dog"};
  EXPECT_THROW((void)m.score(i), InputError);
  i.answers = {"c"};
  EXPECT_EQ(m.score(i).status, ParseStatus::unparsed);
}

ScoringItem mc_item(std::string id, std::optional<std::string> prediction, std::string gold,
                    std::string category, std::string l2) {
  ScoringItem i;
  i.id = std::move(id);
  i.prediction = std::move(prediction);
  i.options = {"teddy bear", "rabbit", "cat", "dog"};
  i.answers = {std::move(gold)};
  i.category = std::move(category);
  i.fields["l2_category"] = std::move(l2);
  return i;
}

TEST(MultipleChoiceVlmEvalKit, ReadsWithCanInferAndCountsRefusalsAndUnreadAnswersAsUnparsed) {
  const MultipleChoice m(MultipleChoice::Variant::vlmevalkit);
  EXPECT_EQ(m.info().variant, "vlmevalkit");
  auto score = [&](std::optional<std::string> p, std::string gold = "B") {
    return m.score(mc_item("q", std::move(p), std::move(gold), "", ""));
  };
  // A letter among the last four tokens, punctuation removed.
  EXPECT_EQ(score("I think it is (B).").extracted, "B");
  EXPECT_EQ(score("I think it is (B).").score, 1.0);
  // The option text, where no letter is read.
  EXPECT_EQ(score("a cute rabbit").extracted, "B");
  // "A" read as a letter (the article guard is off without VERBOSE).
  EXPECT_EQ(score("A rabbit").extracted, "A");
  EXPECT_EQ(score("A rabbit").score, 0.0);
  // A refusal reads 'Z': unparsed, wrong.
  const SampleScore refusal = score("Cannot determine the answer");
  EXPECT_EQ(refusal.extracted, "Z");
  EXPECT_EQ(refusal.status, ParseStatus::unparsed);
  EXPECT_EQ(refusal.score, 0.0);
  // Nothing read: unparsed, wrong (VLMEvalKit's judge-less 'Z').
  const SampleScore none = score("B because the picture clearly shows two long ears");
  EXPECT_EQ(none.extracted, "");
  EXPECT_EQ(none.status, ParseStatus::unparsed);
  EXPECT_EQ(none.score, 0.0);
  // Missing: counted as missing, wrong.
  EXPECT_EQ(score(std::nullopt).status, ParseStatus::missing);
  EXPECT_EQ(score(std::nullopt).score, 0.0);
  // The default variant reads none of these prose answers.
  const MultipleChoice strict;
  EXPECT_EQ(strict.score(mc_item("q", "I think it is (B).", "B", "", "")).status,
            ParseStatus::unparsed);
}

TEST(MultipleChoiceVlmEvalKit, ReportsEachCategoryAndL2CategoryAsReportAcc) {
  const MultipleChoice m(MultipleChoice::Variant::vlmevalkit);
  auto agg = m.aggregator();
  const std::vector<ScoringItem> items = {
      mc_item("1", "B", "B", "math", "numeric commonsense and calculation"),
      mc_item("2", "C", "B", "math", "geometry"),
      mc_item("3", "Z", "A", "coarse perception", "image scene and topic"),
      mc_item("4", "dog", "D", "coarse perception", "image scene and topic")};
  for (const auto& i : items)
    agg->add(i, m.score(i));
  const MetricResult r = agg->finish();
  EXPECT_DOUBLE_EQ(r.score, 50.0);
  EXPECT_EQ(r.n_unparsed, 1u);
  EXPECT_DOUBLE_EQ(r.breakdown.at("category").at("math").values.at(0).value, 50.0);
  EXPECT_DOUBLE_EQ(r.breakdown.at("category").at("coarse perception").values.at(0).value, 50.0);
  EXPECT_EQ(r.breakdown.at("l2_category").at("image scene and topic").n, 2u);
  EXPECT_DOUBLE_EQ(r.breakdown.at("l2_category").at("geometry").values.at(0).value, 0.0);
}

}  // namespace
}  // namespace lmmbench::metrics
