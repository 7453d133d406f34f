#include <cmath>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "metrics/mme.hpp"

namespace lmmbench::metrics {
namespace {

ScoringItem mme_item(std::string image, std::optional<std::string> prediction, std::string label,
                     std::string subtask) {
  ScoringItem item;
  item.id = image + "/" + label;
  item.prediction = std::move(prediction);
  item.answers = {std::move(label)};
  item.fields["subtask"] = std::move(subtask);
  item.fields["image"] = std::move(image);
  return item;
}

double metric(const MetricResult& r, std::string_view name) {
  for (const auto& v : r.metrics) {
    if (v.name == name) return v.value;
  }
  ADD_FAILURE() << "no metric " << name;
  return 0.0;
}

TEST(MmeOfficial, SearchesTheFirstFourCharactersWithTheLineBreak) {
  EXPECT_EQ(Mme::read_official("yes"), "yes");
  EXPECT_EQ(Mme::read_official("No"), "no");
  EXPECT_EQ(Mme::read_official("y"), "other");
  EXPECT_EQ(Mme::read_official("n"), "other");
  EXPECT_EQ(Mme::read_official("  yes"), "other");  // "  ye"
  EXPECT_EQ(Mme::read_official(" no"), "no");       // " no\n"
  EXPECT_EQ(Mme::read_official("none"), "no");
  EXPECT_EQ(Mme::read_official("yesterday"), "yes");
  EXPECT_EQ(Mme::read_official("Nope"), "no");
  EXPECT_EQ(Mme::read_official(""), "other");
  EXPECT_EQ(Mme::read_official("I think yes"), "other");
  // Line breaks and tabs are deleted to keep the response on its line.
  EXPECT_EQ(Mme::read_official("\nyes"), "yes");
  EXPECT_EQ(Mme::read_official("y\tes"), "yes");
  // Code points, not bytes: "é" is one character; "İ" lower-cases to two.
  EXPECT_EQ(Mme::read_official("éyes"), "yes");
  EXPECT_EQ(Mme::read_official("İyes"), "other");
  EXPECT_EQ(Mme::read_official("ſes"), "other");
}

TEST(MmeLmmsEval, StripsDropsPeriodsAndReadsSingleLetters) {
  EXPECT_EQ(Mme::read_lmms_eval("  yes"), "yes");
  EXPECT_EQ(Mme::read_lmms_eval("y"), "yes");
  EXPECT_EQ(Mme::read_lmms_eval(" N. "), "no");
  EXPECT_EQ(Mme::read_lmms_eval("y."), "yes");
  EXPECT_EQ(Mme::read_lmms_eval("x"), "other");
  EXPECT_EQ(Mme::read_lmms_eval(""), "other");
  EXPECT_EQ(Mme::read_lmms_eval("none"), "no");
  EXPECT_EQ(Mme::read_lmms_eval("...yes"), "yes");
}

TEST(Mme, SubtaskScoreIsAccPlusAccPlusAndTotalsSplitByKind) {
  const Mme mme;
  auto agg = mme.aggregator();
  auto add = [&](const std::string& image, const char* yes_pred, const char* no_pred,
                 const std::string& subtask) {
    for (const auto& item :
         {mme_item(image, yes_pred, "Yes", subtask), mme_item(image, no_pred, "No", subtask)}) {
      agg->add(item, mme.score(item));
    }
  };
  add("1.jpg", "Yes", "No", "existence");     // both right
  add("2.jpg", "Yes", "Yes", "existence");    // one right
  add("3.jpg", "y", "No", "code_reasoning");  // "y" is other: one right
  const MetricResult r = agg->finish();
  // existence: acc 3/4, acc+ 1/2 -> 75 + 50; code_reasoning: acc 1/2, acc+ 0 -> 50.
  EXPECT_DOUBLE_EQ(r.score, 125.0);
  EXPECT_DOUBLE_EQ(metric(r, "perception"), 125.0);
  EXPECT_DOUBLE_EQ(metric(r, "cognition"), 50.0);
  EXPECT_DOUBLE_EQ(r.breakdown.at("subtask").at("existence").values[0].value, 75.0);
  EXPECT_EQ(r.n, 6u);
  EXPECT_EQ(r.n_unparsed, 1u);
  EXPECT_EQ(r.unit, Unit::points);
}

TEST(Mme, RejectsUnpairedImagesUnknownSubtasksAndBadLabels) {
  const Mme mme;
  auto agg = mme.aggregator();
  const auto lone = mme_item("1.jpg", "yes", "Yes", "existence");
  agg->add(lone, mme.score(lone));
  EXPECT_THROW((void)agg->finish(), InputError);
  try {
    (void)mme.score(mme_item("1.jpg", "yes", "Yes", "ocr"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'OCR'"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)mme.score(mme_item("1.jpg", "yes", "maybe", "existence")), InputError);
}

TEST(Mme, MissingPredictionIsOtherAndWrong) {
  for (const auto variant : {Mme::Variant::official, Mme::Variant::lmms_eval}) {
    const auto s = Mme(variant).score(mme_item("1.jpg", std::nullopt, "No", "color"));
    EXPECT_EQ(s.status, ParseStatus::missing);
    EXPECT_EQ(s.extracted, "other");
    EXPECT_EQ(s.score, 0.0);
  }
}

}  // namespace
}  // namespace lmmbench::metrics
