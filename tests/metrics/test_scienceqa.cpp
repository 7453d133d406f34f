#include <gtest/gtest.h>

#include "core/error.hpp"
#include "metrics/scienceqa.hpp"

namespace lmmbench::metrics {
namespace {

ScoringItem sqa_item(std::optional<std::string> prediction, std::size_t options, std::string gold,
                     std::string image = "") {
  ScoringItem item;
  item.id = "q";
  item.prediction = std::move(prediction);
  for (std::size_t i = 0; i < options; ++i)
    item.options.push_back("option " + std::to_string(i));
  item.answers = {std::move(gold)};
  if (!image.empty()) item.fields["image"] = image;
  return item;
}

TEST(ScienceQaLlava, ReadsLetterPrefixOrOneAnswerSentence) {
  auto read = [](std::string_view p) { return ScienceQa::read_llava(p); };
  EXPECT_EQ(read("B"), 'B');
  EXPECT_EQ(read("E"), 'E');
  EXPECT_EQ(read("F"), std::nullopt);  // not among the script's A-E, no sentence
  EXPECT_EQ(read("b"), std::nullopt);
  EXPECT_EQ(read(" A"), std::nullopt);  // not stripped
  EXPECT_EQ(read("A. a cat"), 'A');
  EXPECT_EQ(read("A.a cat"), std::nullopt);
  EXPECT_EQ(read("The answer is C."), 'C');
  EXPECT_EQ(read("The answer is CD"), 'C');            // '.' is any character
  EXPECT_EQ(read("The answer is C"), std::nullopt);    // nothing after the letter
  EXPECT_EQ(read("The answer is C\n"), std::nullopt);  // '.' does not match '\n'
  EXPECT_EQ(read("The answer is F."), 'F');
  EXPECT_EQ(read("The answer is b."), std::nullopt);
  EXPECT_EQ(read("The answer is A. The answer is B."), std::nullopt);  // two matches
  EXPECT_EQ(read("The answer is AThe answer is B."), 'A');             // matches do not overlap
  EXPECT_EQ(read("The answer is A\nThe answer is B."), 'B');
  EXPECT_EQ(read("The answer is A\xF0\x9F\x98\x80"), 'A');  // any code point
}

TEST(ScienceQaLlava, LettersBeyondTheOptionsAndMissingAreWrong) {
  const ScienceQa sqa;
  auto s = sqa.score(sqa_item("C", 2, "A"));
  EXPECT_EQ(s.status, ParseStatus::unparsed);
  EXPECT_EQ(s.extracted, "");
  s = sqa.score(sqa_item("The answer is B.", 3, "B"));
  EXPECT_EQ(s.score, 1.0);
  EXPECT_EQ(s.extracted, "B");
  s = sqa.score(sqa_item(std::nullopt, 3, "A"));
  EXPECT_EQ(s.status, ParseStatus::missing);
  EXPECT_EQ(s.score, 0.0);
  EXPECT_THROW((void)sqa.score(sqa_item("A", 6, "F")), InputError);
}

TEST(ScienceQaLlava, ImgAccuracyLeavesOutMissingPredictionsAsTheScriptDoes) {
  const ScienceQa sqa;
  auto agg = sqa.aggregator();
  for (const auto& item :
       {sqa_item("A", 2, "A", "true"), sqa_item("B", 2, "A", "true"),
        sqa_item(std::nullopt, 2, "A", "true"), sqa_item("A", 2, "A", "false")}) {
    agg->add(item, sqa.score(item));
  }
  const MetricResult r = agg->finish();
  EXPECT_DOUBLE_EQ(r.score, 50.0);
  ASSERT_EQ(r.metrics.size(), 1u);
  EXPECT_EQ(r.metrics[0].name, "img_accuracy");
  EXPECT_DOUBLE_EQ(r.metrics[0].value,
                   50.0);  // 1 of 2: the missing one is not an image question there
  EXPECT_DOUBLE_EQ(r.breakdown.at("image").at("true").values[0].value, 100.0 / 3);
  EXPECT_EQ(r.n_missing, 1u);
}

}  // namespace
}  // namespace lmmbench::metrics
