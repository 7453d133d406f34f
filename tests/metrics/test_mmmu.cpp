// MMMU against the fixtures its official code wrote (tests/metrics/reference/run_mmmu.py), plus
// focused tests of the parser rules.

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "metrics/mmmu.hpp"
#include "tests/metrics/fixture_check.hpp"

namespace lmmbench::metrics {
namespace {

TEST(ReferenceFixtures, MmmuOfficial) {
  fixture_check::check_reference_fixture("mmmu.input.jsonl", "mmmu.expected.json", &Mmmu::create,
                                         "");
}

TEST(ReferenceFixtures, MmmuRandomFallback) {
  fixture_check::check_reference_fixture("mmmu.input.jsonl", "mmmu.random-fallback.expected.json",
                                         &Mmmu::create, "random-fallback");
}

ScoringItem mc(std::string prediction, std::string gold) {
  ScoringItem item;
  item.id = "validation_Math_1";
  item.prediction = std::move(prediction);
  item.answers = {std::move(gold)};
  item.options = {"cat", "dog", "a bird", "cat food"};
  item.fields["question_type"] = "multiple-choice";
  return item;
}

TEST(Mmmu, UnreadableMultipleChoiceIsUnparsedAndWrongByDefault) {
  const Mmmu official;
  const SampleScore s = official.score(mc("dog", "B"));  // too short for the option-text rule
  EXPECT_EQ(s.status, ParseStatus::unparsed);
  EXPECT_EQ(s.score, 0.0);
  EXPECT_EQ(s.extracted, "");
  const Mmmu random(Mmmu::Variant::random_fallback);
  const SampleScore r = random.score(mc("dog", "B"));
  EXPECT_EQ(r.status, ParseStatus::unparsed);
  EXPECT_EQ(r.extracted.size(), 1U);  // a letter was drawn
}

TEST(Mmmu, LastCandidateWins) {
  EXPECT_EQ(Mmmu::parse_multi_choice("(A) and (B)", mc("", "A").options), 'B');
  EXPECT_EQ(Mmmu::parse_multi_choice("the answer is B, not A", mc("", "A").options), 'A');
  // "cat" and "cat food" both start at 0: np.argmax keeps the first.
  EXPECT_EQ(Mmmu::parse_multi_choice("cat food is the best choice for sure", mc("", "A").options),
            'A');
}

TEST(Mmmu, PythonRandomMatchesCPython) {
  // random.Random(42).choice(range(4)) == 0; random.Random(42).choice(range(10)) == 1;
  // random.Random(2**64).choice(range(7)) == 5 (python3.11).
  EXPECT_EQ(Mmmu::python_random_choice(0, 42, 4), 0U);
  EXPECT_EQ(Mmmu::python_random_choice(0, 42, 10), 1U);
  EXPECT_EQ(Mmmu::python_random_choice(1, 0, 7), 5U);
}

TEST(Mmmu, ExtractNumbersFollowsTheThreePatterns) {
  using V = std::vector<std::string>;
  EXPECT_EQ(Mmmu::extract_numbers("1.5e3"), (V{"1.5e3", "1", "3"}));
  EXPECT_EQ(Mmmu::extract_numbers("1,234,5678"), (V{"1,234", "5678"}));
  EXPECT_EQ(Mmmu::extract_numbers("x-5 abc123"), (V{"-5", "123"}));
}

TEST(Mmmu, SubjectAndDisciplineFromTheId) {
  EXPECT_EQ(Mmmu::subject_of("validation_Art_Theory_12"), "Art_Theory");
  EXPECT_EQ(Mmmu::discipline_of("Art_Theory"), "Art and Design");
  EXPECT_EQ(Mmmu::subject_of("x_1"), "");
  EXPECT_EQ(Mmmu::discipline_of("Cooking"), "");
}

TEST(Mmmu, BadGoldIsAnInputError) {
  const Mmmu official;
  EXPECT_THROW((void)official.score(mc("A", "E")), InputError);
  ScoringItem no_options = mc("A", "A");
  no_options.options.clear();
  EXPECT_THROW((void)official.score(no_options), InputError);
  ScoringItem no_gold = mc("A", "A");
  no_gold.answers.clear();
  EXPECT_THROW((void)official.score(no_gold), InputError);
}

}  // namespace
}  // namespace lmmbench::metrics
