// Unit tests of the Python-str primitives and the VQA answer normalisation, including exhaustive
// checks against what Python and the reference functions produce
// (fixtures/python_str.expected.json, fixtures/answer_processing.expected.json).

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "metrics/answer_processing.hpp"
#include "metrics/answer_processing_unicode.hpp"

namespace lmmbench::metrics {
namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests" / "metrics" / "fixtures";

nlohmann::json read_json(const std::string& name) {
  std::ifstream in(kFixtures / name);
  EXPECT_TRUE(in.good()) << name;
  return nlohmann::json::parse(in);
}

std::string utf8(char32_t c) {
  std::string s;
  pystr::append_utf8(s, c);
  return s;
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string_view> views;
  pystr::split(s, views);
  return {views.begin(), views.end()};
}

std::string punctuation(std::string_view s, vqa_text::PunctuationRules rules) {
  std::string out;
  vqa_text::process_punctuation(s, rules, out);
  return out;
}

std::string digit_article(std::string_view s) {
  std::string out;
  vqa_text::process_digit_article(s, out);
  return out;
}

std::string evalai(std::string_view s) {
  std::string out;
  vqa_text::evalai_process(s, out);
  return out;
}

TEST(PythonStr, StripAndSplitUsePythonsWhitespace) {
  EXPECT_EQ(pystr::strip("\u3000\xc2\xa0 yes\x1c\t\u2009"), "yes");
  EXPECT_EQ(pystr::strip("\u200byes\u200b"), "\u200byes\u200b");  // zero-width space is no space
  EXPECT_EQ(pystr::strip("\u180eyes"), "\u180eyes");  // not whitespace since Unicode 6.3
  EXPECT_EQ(pystr::strip(" \n "), "");
  EXPECT_EQ(split(" a\u3000b\x1f c  "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(split("  ").empty());
}

TEST(PythonStr, CaseMappingIsFullUnicode) {
  EXPECT_EQ(pystr::lower("StraSSe ÄÖÜ"), "strasse äöü");
  EXPECT_EQ(pystr::lower("İ"), "i\u0307");
  EXPECT_EQ(pystr::lower("ΟΔΟΣ"), "οδος");      // final sigma
  EXPECT_EQ(pystr::lower("ΟΔΟΣ.Α"), "οδοσ.α");  // '.' is case-ignorable: sigma not final
  EXPECT_EQ(pystr::lower("ΟΔΟΣ Α"), "οδος α");
  EXPECT_EQ(pystr::upper("straße ﬃ"), "STRASSE FFI");
  EXPECT_EQ(pystr::upper_length("ß"), 2u);
  EXPECT_EQ(pystr::upper_length("abc"), 3u);
  EXPECT_EQ(pystr::length("aßİ🙂"), 4u);
}

TEST(PythonStr, DecimalDigitsOfEveryScript) {
  EXPECT_TRUE(pystr::is_decimal(U'７'));
  EXPECT_EQ(pystr::decimal_value(U'٣'), 3);
  EXPECT_EQ(pystr::decimal_value(U'३'), 3);
  EXPECT_FALSE(pystr::is_decimal(U'²'));
  EXPECT_FALSE(pystr::is_decimal(U'Ⅳ'));
  EXPECT_EQ(pystr::decimal_value(U'x'), -1);
}

TEST(PythonStr, FloatAcceptsWhatPythonAccepts) {
  EXPECT_EQ(pystr::to_float("1_000"), 1000.0);
  EXPECT_EQ(pystr::to_float("１２"), 12.0);
  EXPECT_EQ(pystr::to_float(" \u300012\xc2\xa0"), 12.0);
  EXPECT_EQ(pystr::to_float("1e3"), 1000.0);
  EXPECT_EQ(pystr::to_float("+.5"), 0.5);
  EXPECT_EQ(pystr::to_float("5."), 5.0);
  EXPECT_TRUE(std::isnan(*pystr::to_float("-NaN")));
  EXPECT_EQ(pystr::to_float("Infinity"), HUGE_VAL);
  EXPECT_EQ(pystr::to_float("1e400"), HUGE_VAL);
  EXPECT_EQ(pystr::to_float("1e-400"), 0.0);
  for (const char* bad : {"1__000", "_1", "1_", "1_.5", "1,000", "1 000", "0x10", "12%", "e5",
                          ".e5", "1e", "infinit", "nan(1)",
                          "\x1c"
                          "1",
                          "²", "", " ", "+-1"}) {
    EXPECT_FALSE(pystr::to_float(bad).has_value()) << bad;
  }
  EXPECT_FALSE(pystr::to_float(std::string("1\0", 2)).has_value());
}

TEST(PythonStr, MatchesPythonOnEveryAssignedCodePoint) {
  const auto doc = read_json("python_str.expected.json");
  std::map<char32_t, std::string> lower, upper;
  std::map<char32_t, int> decimal;
  std::set<char32_t> space;
  for (const auto& e : doc.at("lower"))
    lower[e[0].get<char32_t>()] = e[1].get<std::string>();
  for (const auto& e : doc.at("upper"))
    upper[e[0].get<char32_t>()] = e[1].get<std::string>();
  for (const auto& e : doc.at("decimal"))
    decimal[e[0].get<char32_t>()] = e[1].get<int>();
  for (const auto& e : doc.at("space"))
    space.insert(e.get<char32_t>());
  std::vector<std::pair<char32_t, char32_t>> unassigned;
  for (const auto& e : doc.at("unassigned"))
    unassigned.emplace_back(e[0].get<char32_t>(), e[1].get<char32_t>());

  std::size_t checked = 0;
  std::size_t range = 0;
  for (char32_t c = 0; c < 0x110000; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    while (range < unassigned.size() && unassigned[range].second < c)
      ++range;
    // Code points unassigned in Python's Unicode version may be assigned in ICU's newer one.
    if (range < unassigned.size() && unassigned[range].first <= c) continue;
    const std::string s = utf8(c);
    const auto l = lower.find(c);
    ASSERT_EQ(pystr::lower(s), l == lower.end() ? s : l->second)
        << "U+" << std::hex << static_cast<int>(c);
    const auto u = upper.find(c);
    ASSERT_EQ(pystr::upper(s), u == upper.end() ? s : u->second)
        << "U+" << std::hex << static_cast<int>(c);
    const auto d = decimal.find(c);
    ASSERT_EQ(pystr::decimal_value(c), d == decimal.end() ? -1 : d->second)
        << "U+" << std::hex << static_cast<int>(c);
    ASSERT_EQ(pystr::is_space(c), space.contains(c)) << "U+" << std::hex << static_cast<int>(c);
    ++checked;
  }
  EXPECT_GT(checked, 250000u);
}

TEST(PythonStr, MatchesPythonOnFixtureStrings) {
  const auto doc = read_json("python_str.expected.json");
  for (const auto& e : doc.at("strings")) {
    const auto s = e.at("s").get<std::string>();
    EXPECT_EQ(pystr::lower(s), e.at("lower").get<std::string>()) << s;
    EXPECT_EQ(pystr::upper_length(s), e.at("upper_len").get<std::size_t>()) << s;
    EXPECT_EQ(pystr::strip(s), e.at("strip").get<std::string>()) << s;
    EXPECT_EQ(split(s), e.at("split").get<std::vector<std::string>>()) << s;
    const auto got = pystr::to_float(s);
    const auto& want = e.at("float");
    if (want.is_null()) {
      EXPECT_FALSE(got.has_value()) << s;
    } else if (want.is_string()) {
      ASSERT_TRUE(got.has_value()) << s;
      const auto w = want.get<std::string>();
      if (w == "nan") {
        EXPECT_TRUE(std::isnan(*got)) << s;
      } else {
        EXPECT_EQ(*got, w == "inf" ? HUGE_VAL : -HUGE_VAL) << s;
      }
    } else {
      ASSERT_TRUE(got.has_value()) << s;
      EXPECT_EQ(*got, want.get<double>()) << s;  // correctly rounded on both sides: bit-equal
    }
  }
}

TEST(VqaText, PunctuationNextToSpaceIsDeletedElsewhereReplaced) {
  EXPECT_EQ(punctuation("hot-dog", vqa_text::kOfficialRules), "hot dog");
  EXPECT_EQ(punctuation("hot - dog", vqa_text::kOfficialRules), "hot  dog");
  // One occurrence next to a space decides for every occurrence of that character.
  EXPECT_EQ(punctuation("a-b -c", vqa_text::kOfficialRules), "ab c");
  EXPECT_EQ(punctuation("(yes)", vqa_text::kOfficialRules), " yes ");
}

TEST(VqaText, CommaRulesDifferOnRunsAndDigits) {
  // A digit-comma-digit anywhere deletes every punctuation character.
  EXPECT_EQ(punctuation("1,000-2", vqa_text::kOfficialRules), "10002");
  EXPECT_EQ(punctuation("1,,000", vqa_text::kOfficialRules), "1  000");
  EXPECT_EQ(punctuation("1,,000", vqa_text::kEvalAiRules), "1000");
  // Full-width digits are digits only for Python 3's `\d`.
  EXPECT_EQ(punctuation("２,０", vqa_text::kOfficialRules), "２ ０");
  EXPECT_EQ(punctuation("２,０", vqa_text::kEvalAiRules), "２０");
}

TEST(VqaText, PeriodStripKeepsDecimalPointsAndStopsAfter32) {
  EXPECT_EQ(punctuation("3.5 a.m.", vqa_text::kOfficialRules), "3.5 am");
  EXPECT_EQ(punctuation("x.３", vqa_text::kOfficialRules), "x３");
  EXPECT_EQ(punctuation("x.３", vqa_text::kEvalAiRules), "x.３");
  EXPECT_EQ(punctuation("yes" + std::string(40, '.'), vqa_text::kOfficialRules),
            "yes" + std::string(8, '.'));
  // The lookahead sees the text before deletions: "..5" keeps the second period only.
  EXPECT_EQ(punctuation("..5", vqa_text::kOfficialRules), ".5");
}

TEST(VqaText, DigitArticleMapsNumbersDropsArticlesAndRestoresContractions) {
  EXPECT_EQ(digit_article("  The  Two dogs  "), "2 dogs");
  EXPECT_EQ(digit_article("none of ten"), "0 of 10");
  EXPECT_EQ(digit_article("a an the"), "");
  EXPECT_EQ(digit_article("dont Im"), "don't im");  // "Im" is a key only with its capital
  EXPECT_EQ(digit_article("somebody'd"), "somebodyd");
  EXPECT_EQ(digit_article("eleven"), "eleven");
}

TEST(VqaText, EvalAiProcessorTokenisesFirst) {
  EXPECT_EQ(evalai("Man's hat, please?"), "man 's hat please");
  EXPECT_EQ(evalai("1,000"), "1000");
  EXPECT_EQ(evalai("  Two\tdogs. "), "2 dogs");
}

TEST(VqaText, LeaveOneOutAccuracy) {
  const auto accuracy = [](std::size_t matches) {
    std::vector<std::string> answers(10, "3");
    for (std::size_t i = 0; i < matches; ++i)
      answers[i] = "2";
    return vqa_text::leave_one_out_accuracy(answers, "2");
  };
  EXPECT_EQ(accuracy(0), 0.0);
  EXPECT_DOUBLE_EQ(accuracy(1), 0.3);
  EXPECT_DOUBLE_EQ(accuracy(2), 0.6);
  EXPECT_DOUBLE_EQ(accuracy(3), 0.9);
  EXPECT_EQ(accuracy(4), 1.0);
  EXPECT_EQ(accuracy(10), 1.0);
}

TEST(VqaText, MatchesTheReferenceFunctions) {
  const auto doc = read_json("answer_processing.expected.json");
  std::size_t n = 0;
  for (const auto& e : doc.at("per_sample")) {
    const auto in = e.at("input").get<std::string>();
    EXPECT_EQ(punctuation(in, vqa_text::kOfficialRules),
              e.at("official_punctuation").get<std::string>())
        << in;
    EXPECT_EQ(digit_article(in), e.at("digit_article").get<std::string>()) << in;
    EXPECT_EQ(punctuation(in, vqa_text::kEvalAiRules),
              e.at("evalai_punctuation").get<std::string>())
        << in;
    EXPECT_EQ(evalai(in), e.at("evalai").get<std::string>()) << in;
    ++n;
  }
  EXPECT_GT(n, 1000u);
}

}  // namespace
}  // namespace lmmbench::metrics
