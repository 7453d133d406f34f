#include <gtest/gtest.h>

#include "core/error.hpp"
#include "metrics/seedbench.hpp"

namespace lmmbench::metrics {
namespace {

ScoringItem seed_item(std::optional<std::string> prediction, std::string gold) {
  ScoringItem item;
  item.id = "q";
  item.prediction = std::move(prediction);
  item.options = {"cat", "dog", "bird", "fish"};
  item.answers = {std::move(gold)};
  return item;
}

TEST(SeedBenchLlava, ExactLetterOnly) {
  const SeedBench seed;
  EXPECT_EQ(seed.score(seed_item("A", "A")).score, 1.0);
  for (const char* p : {"a", " A", "A.", "A. cat", "(A)"}) {
    const auto s = seed.score(seed_item(p, "A"));
    EXPECT_EQ(s.score, 0.0) << p;
    EXPECT_EQ(s.status, ParseStatus::unparsed) << p;
  }
  const auto s = seed.score(seed_item("E", "A"));
  EXPECT_EQ(s.status, ParseStatus::unparsed);  // not an option letter
  EXPECT_EQ(seed.score(seed_item(std::nullopt, "A")).status, ParseStatus::missing);
}

TEST(SeedBenchLmmsEval, FirstCharacterCaseInsensitive) {
  EXPECT_EQ(SeedBench::read_lmms_eval("The answer is A"), "T");
  EXPECT_EQ(SeedBench::read_lmms_eval("\u00a0C\n"), "C");
  EXPECT_EQ(SeedBench::read_lmms_eval("\xEF\xBC\xA1"),
            "\xEF\xBC\xA1");  // full-width A, one character
  EXPECT_EQ(SeedBench::read_lmms_eval(""), "");
  const SeedBench seed(SeedBench::Variant::lmms_eval);
  EXPECT_EQ(seed.score(seed_item("a", "A")).score, 1.0);
  EXPECT_EQ(seed.score(seed_item("A. cat", "A")).score, 1.0);
  EXPECT_EQ(seed.score(seed_item("(A)", "A")).status, ParseStatus::unparsed);
  EXPECT_EQ(seed.score(seed_item(std::nullopt, "A")).score, 0.0);
  EXPECT_THROW((void)seed.score(seed_item("A", "E")), InputError);
}

}  // namespace
}  // namespace lmmbench::metrics
