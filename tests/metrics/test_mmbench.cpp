#include <gtest/gtest.h>

#include "core/error.hpp"
#include "metrics/mmbench.hpp"
#include "metrics/vlmevalkit_matching.hpp"

namespace lmmbench::metrics {
namespace {

const std::vector<std::string> kAnimals = {"cat", "dog", "bird", "fish"};

ScoringItem copy(std::string group, std::optional<std::string> prediction, std::string gold,
                 std::string category = "") {
  ScoringItem item;
  item.id = group + "/" + gold;
  item.prediction = std::move(prediction);
  item.options = kAnimals;
  item.answers = {std::move(gold)};
  item.category = std::move(category);
  item.fields["group"] = std::move(group);
  return item;
}

TEST(MmBenchLmmsEval, CanInferOptionTokensAndAffixes) {
  auto read = [](std::string_view a) { return MmBench::lmms_can_infer_option(a); };
  EXPECT_EQ(read("B"), 'B');
  EXPECT_EQ(read("The answer is B"), 'B');
  EXPECT_EQ(read("E"), 'E');           // num_choice 5: E counts whatever the options
  EXPECT_EQ(read("B. A glass"), 'A');  // "A" is a bare token of a 3-token answer
  EXPECT_EQ(read("I think A is right"), std::nullopt);  // "A" among > 3 tokens: maybe an article
  EXPECT_EQ(read("(C)"), 'C');
  EXPECT_EQ(read(":D)."), 'D');
  EXPECT_EQ(read("A or B"), std::nullopt);
  EXPECT_EQ(read("b"), std::nullopt);
  EXPECT_EQ(read("Failed to obtain answer via API. A"), std::nullopt);
}

TEST(MmBenchLmmsEval, CanInferTextIncludesTheNanPlaceholder) {
  const std::vector<std::string> three = {"yes", "no", "maybe", "nan"};
  EXPECT_EQ(MmBench::lmms_can_infer_text("banana", three), 'D');
  const std::vector<std::string> two = {"red", "blue", "nan", "nan"};
  EXPECT_EQ(MmBench::lmms_can_infer_text("banana", two), std::nullopt);  // C and D both match
  EXPECT_EQ(MmBench::lmms_can_infer_text("It is a TEDDY bear", {"teddy bear", "cat"}), 'A');
}

TEST(MmBenchLmmsEval, ExtractMcqAnswerRanksFormats) {
  auto read = [](std::string_view r) { return MmBench::lmms_extract_mcq_answer(r, "ABCD"); };
  EXPECT_EQ(read("A or B"), 'A');             // start (10) beats end (9)
  EXPECT_EQ(read("maybe A"), 'A');            // end
  EXPECT_EQ(read("I choose C"), 'C');         // end beats the phrase
  EXPECT_EQ(read("答案是D"), 'D');            // the phrase: '是' is a letter, so D is no lone end
  EXPECT_EQ(read("Dog"), 'D');                // fallback: any occurrence
  EXPECT_EQ(read("Cats are not fish"), 'C');  // start needs a non-letter after it; fallback finds C
  EXPECT_EQ(read("...B!?"), 'B');             // edge punctuation stripped, one char per pass
  EXPECT_EQ(read("'D'"), 'D');
  // The phrase is found in the lower-cased text, the letter in the text itself: 'İ' lower-cases
  // to two characters, which shifts the search past the first B to the one in "Bob".
  EXPECT_EQ(read("İİ the answer is B and not C but Bob"), 'B');
  EXPECT_EQ(read("ii the answer is B and not C but Bob"), 'C');
  EXPECT_EQ(read("none"), std::nullopt);
  EXPECT_EQ(read("   "), std::nullopt);
}

TEST(MmBenchVlmEvalKit, LetterAmongTheLastTokensRefusalsAndAnswerIs) {
  auto read = [](std::string_view a) { return vlmevalkit::can_infer_option(a, 4); };
  EXPECT_EQ(read("B. A glass"), std::nullopt);  // two letters after punctuation becomes space
  EXPECT_EQ(read("(C)"), 'C');
  EXPECT_EQ(read("The answer is B"), 'B');
  EXPECT_EQ(read("D is the answer because it shows a fish"), std::nullopt);  // too early
  EXPECT_EQ(read("Sorry, I can't help with images of people yet."), 'Z');
  EXPECT_EQ(read("Z"), 'Z');
  EXPECT_EQ(read("The correct answer is **c**"), 'C');  // (?i) regex
  EXPECT_EQ(read("anſwer iſ d"), 'D');                  // Python's re folds ſ to s
  EXPECT_EQ(read("E"), std::nullopt);                   // only the given options
  EXPECT_EQ(vlmevalkit::can_infer_text("a dog", kAnimals), 'B');
  EXPECT_EQ(vlmevalkit::can_infer_text("it is a dog, not a cat or a bird or a fish", kAnimals),
            std::nullopt);
}

TEST(MmBench, GroupCountsOnlyWhenEveryCopyIsRight) {
  for (const auto variant : {MmBench::Variant::lmms_eval, MmBench::Variant::vlmevalkit}) {
    const MmBench mmb(variant);
    auto agg = mmb.aggregator();
    for (const auto& item :
         {copy("g1", "A", "A", "ocr"), copy("g1", "B", "B", "ocr"), copy("g2", "A", "A", "ocr"),
          copy("g2", "C", "B", "ocr"), copy("g3", "D", "D", "scene"),
          copy("g3", std::nullopt, "C", "scene")}) {
      agg->add(item, mmb.score(item));
    }
    const MetricResult r = agg->finish();
    EXPECT_DOUBLE_EQ(r.score, 100.0 / 3);
    EXPECT_EQ(r.n, 6u);
    EXPECT_EQ(r.n_missing, 1u);
    EXPECT_EQ(r.breakdown.at("category").at("ocr").n, 2u);
    EXPECT_DOUBLE_EQ(r.breakdown.at("category").at("ocr").values[0].value, 50.0);
    EXPECT_DOUBLE_EQ(r.breakdown.at("category").at("scene").values[0].value, 0.0);
  }
}

TEST(MmBench, BreaksDownByTheMainRowsL2CategoryToo) {
  // report_acc (VLMEvalKit) and eval_result (lmms-eval) report the l2-category as well.
  const MmBench mmb(MmBench::Variant::vlmevalkit);
  auto agg = mmb.aggregator();
  auto with_l2 = [](ScoringItem i, std::string l2) {
    i.fields["l2_category"] = std::move(l2);
    return i;
  };
  for (const auto& item : {with_l2(copy("g1", "A", "A", "ocr"), "fine-grained perception"),
                           with_l2(copy("g1", "B", "B", "ocr"), "fine-grained perception"),
                           with_l2(copy("g2", "C", "B", "scene"), "coarse perception"),
                           with_l2(copy("g3", "D", "D", "style"), "coarse perception")}) {
    agg->add(item, mmb.score(item));
  }
  const MetricResult r = agg->finish();
  EXPECT_EQ(r.breakdown.at("l2_category").at("coarse perception").n, 2u);
  EXPECT_DOUBLE_EQ(r.breakdown.at("l2_category").at("coarse perception").values[0].value, 50.0);
  EXPECT_DOUBLE_EQ(r.breakdown.at("l2_category").at("fine-grained perception").values[0].value,
                   100.0);
  EXPECT_EQ(r.breakdown.at("category").size(), 3u);
}

TEST(MmBench, UnresolvedCopyIsUnparsedAndWrong) {
  const MmBench vlm(MmBench::Variant::vlmevalkit);
  const auto s = vlm.score(copy("g", "I am not sure", "A"));
  EXPECT_EQ(s.status, ParseStatus::unparsed);
  EXPECT_EQ(s.extracted, "");
  EXPECT_EQ(s.score, 0.0);
  const MmBench lmms;
  EXPECT_THROW((void)lmms.score(copy("g", "A", "a")), InputError);
}

}  // namespace
}  // namespace lmmbench::metrics
