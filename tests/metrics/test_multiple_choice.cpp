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

}  // namespace
}  // namespace lmmbench::metrics
