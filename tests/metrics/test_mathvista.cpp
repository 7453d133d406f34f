// MathVista against the fixtures its official normaliser wrote (tests/metrics/reference/
// run_mathvista.py), plus focused tests.

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/mathvista.hpp"
#include "tests/metrics/fixture_check.hpp"

namespace lmmbench::metrics {
namespace {

TEST(ReferenceFixtures, MathVistaRules) {
  fixture_check::check_reference_fixture("mathvista.input.jsonl", "mathvista.expected.json",
                                         &MathVista::create, "");
}

TEST(ReferenceFixtures, MathVistaNearestChoice) {
  // Its "extraction/" subset is the official run's own 26.1 % (LLaVA-LLaMA-2-13B).
  fixture_check::check_reference_fixture("mathvista.input.jsonl",
                                         "mathvista.nearest-choice.expected.json",
                                         &MathVista::create, "nearest-choice");
}

TEST(PythonFloat, ReprAndRound) {
  EXPECT_EQ(pystr::float_repr(1.0), "1.0");
  EXPECT_EQ(pystr::float_repr(0.33), "0.33");
  EXPECT_EQ(pystr::float_repr(1e16), "1e+16");
  EXPECT_EQ(pystr::float_repr(1e15), "1000000000000000.0");
  EXPECT_EQ(pystr::float_repr(1e-5), "1e-05");
  EXPECT_EQ(pystr::float_repr(0.0001), "0.0001");
  EXPECT_EQ(pystr::float_repr(-0.0), "-0.0");
  EXPECT_EQ(pystr::float_repr(1.2345678901234567e-7), "1.2345678901234566e-07");
  EXPECT_EQ(pystr::round(0.125, 2), 0.12);  // ties to even on the exact binary value
  EXPECT_EQ(pystr::round(2.675, 2), 2.67);  // 2.67499999... in binary
  EXPECT_EQ(pystr::round(1.5, 0), 2.0);
}

TEST(MathVista, ChoicesByLetterOrExactTextUnlessNearestChoice) {
  const std::vector<std::string> choices{"red", "green", "blue"};
  using V = MathVista::Variant;
  auto mc = [&](std::string_view x, V v) {
    return MathVista::normalize(x, choices, "multi_choice", "text", "", v);
  };
  EXPECT_EQ(mc(" (b) and more", V::rules), "green");
  EXPECT_EQ(mc("C", V::rules), "blue");
  EXPECT_EQ(mc("blue", V::rules), "blue");
  EXPECT_EQ(mc("D", V::rules), std::nullopt);
  EXPECT_EQ(mc("gren", V::rules), std::nullopt);
  EXPECT_EQ(mc("gren", V::nearest_choice), "green");
  EXPECT_EQ(MathVista::normalize("12.7", {}, "free_form", "integer", "", V::rules), "12");
  EXPECT_EQ(MathVista::normalize("1.25", {}, "free_form", "float", "1", V::rules), "1.2");
  EXPECT_EQ(MathVista::normalize("x", {}, "free_form", "float", "1", V::rules), std::nullopt);
}

TEST(MathVista, BadItemsAreInputErrors) {
  const MathVista metric;
  ScoringItem item;
  item.id = "1";
  item.prediction = "1";
  item.answers = {"1"};
  item.fields = {{"question_type", "free_form"}, {"answer_type", "float"}};
  EXPECT_THROW((void)metric.score(item), InputError);  // no precision
  item.fields["answer_type"] = "text";
  EXPECT_THROW((void)metric.score(item), InputError);
  item.fields = {{"question_type", "multi_choice"}, {"answer_type", "text"}};
  EXPECT_THROW((void)metric.score(item), InputError);  // no choices
}

}  // namespace
}  // namespace lmmbench::metrics
