// The fast path of `lmmbench score` input reading against the located parse it stands in for:
// whatever the fast path accepts must give the item the located parse gives, and every line must
// give the same item or the same error through ScoringLineReader.
#include <filesystem>
#include <fstream>
#include <random>
#include <variant>

#include <gtest/gtest.h>

#include "core/jsonl.hpp"
#include "metrics/score_input.hpp"

namespace lmmbench::metrics {
namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests" / "metrics" / "fixtures";

/// An item, or the message of the exception reading the line threw; nullopt item = blank line.
using Outcome = std::variant<std::optional<ScoringItem>, std::string>;

Outcome located(std::string_view line, std::span<const std::string> required) {
  try {
    const auto record = parse_jsonl_line(line, "in.jsonl", 7);
    if (!record) return std::optional<ScoringItem>();
    return std::optional<ScoringItem>(parse_scoring_item(*record, required));
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

Outcome through_reader(std::string_view line, std::span<const std::string> required,
                       ScoringItem& reused) {
  try {
    ScoringLineReader reader("in.jsonl", {required.begin(), required.end()});
    if (!reader.read(7, line, reused)) return std::optional<ScoringItem>();
    return std::optional<ScoringItem>(reused);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

std::string describe(const std::optional<ScoringItem>& item) {
  if (!item) return "(blank)";
  std::string s = "id=" + item->id + " prediction=" + (item->prediction ? *item->prediction : "-") +
                  " category=" + item->category + " answers=";
  for (const auto& a : item->answers)
    s += "[" + a + "]";
  s += " options=";
  for (const auto& o : item->options)
    s += "[" + o + "]";
  for (const auto& [k, v] : item->fields)
    s += " " + k + "=" + v;
  return s;
}

std::string describe(const Outcome& outcome) {
  if (const auto* message = std::get_if<std::string>(&outcome)) return "error: " + *message;
  return describe(std::get<std::optional<ScoringItem>>(outcome));
}

const std::vector<std::vector<std::string>> kRequiredSets = {
    {}, {"answers"}, {"options", "answer", "group"}, {"label", "subtask", "image"}, {"label"}};

/// Checks one line under every required-field set; `reused` carries buffers from earlier lines,
/// as in a real run. Returns how many sets the fast path accepted.
int check_line(const std::string& line, ScoringItem& reused) {
  int fast_accepted = 0;
  for (const auto& required : kRequiredSets) {
    const Outcome expected = located(line, required);
    if (try_parse_scoring_line(line, required, reused)) {
      ++fast_accepted;
      EXPECT_EQ(describe(Outcome(std::optional<ScoringItem>(reused))), describe(expected))
          << "fast path accepted: " << line;
    }
    EXPECT_EQ(describe(through_reader(line, required, reused)), describe(expected)) << line;
  }
  return fast_accepted;
}

std::vector<std::string> fixture_lines() {
  std::vector<std::string> lines;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtures)) {
    if (!entry.path().string().ends_with(".input.jsonl")) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    for (std::string line; std::getline(in, line);)
      lines.push_back(line);
  }
  return lines;
}

TEST(ScoreInputFast, TakesEveryFixtureLineAndAgreesWithTheLocatedParse) {
  const auto lines = fixture_lines();
  ASSERT_GT(lines.size(), 100u);
  ScoringItem reused;
  for (const auto& line : lines) {
    // Every fixture line is an ordinary record: the fast path must take it whenever the located
    // parse accepts it (and agree, which check_line verifies).
    const int accepted = check_line(line, reused);
    int located_ok = 0;
    for (const auto& required : kRequiredSets)
      located_ok += std::holds_alternative<std::optional<ScoringItem>>(located(line, required));
    EXPECT_EQ(accepted, located_ok) << line;
  }
}

TEST(ScoreInputFast, AgreesOnUnusualAndBadLines) {
  const std::vector<std::string> lines = {
      R"({"id": 1, "prediction": "x", "answers": ["x"]})",
      R"({"id": "a", "prediction": null, "answers": [{"answer": "x", "answer_confidence": "yes", "answer_id": 1}, {"answer_id": 2, "answer": "y"}]})",
      R"({"answers": ["a"], "id": -5, "prediction": "\u00e9\n\ud83d\ude00", "extra": {"deep": [1, 2.5e3, {"x": null}]}, "question_type": "what", "answer_type": "other"})",
      R"({"id": 1, "prediction": "x", "answers": []})",
      R"({"id": 1, "prediction": "x"})",
      R"({"id": 1.0, "prediction": "x", "answers": ["x"]})",
      R"({"id": 007, "prediction": "x", "answers": ["x"]})",
      R"({"id": 1, "id": 2, "prediction": "x", "answers": ["x"]})",
      R"({"id": 1, "prediction": 5, "answers": ["a"]})",
      R"({"id": 1, "prediction": "a", "answers": "a"})",
      R"({"id": 1, "prediction": "a", "answers": [1]})",
      R"({"id": 1, "prediction": "a", "answers": [{"answer": null}]})",
      R"({"id": 1, "prediction": "a", "answers": [{"answer": 3}]})",
      R"({"id": 1, "prediction": "a", "answers": [{"answers": "x"}]})",
      R"({"id": 1, "prediction": "a", "answers": [{"answer": "x", "answer": "y"}]})",
      R"({"id": 1, "label": "yes", "subtask": "count", "image": "a.jpg", "prediction": "Yes"})",
      R"({"id": 1, "answer": "B", "options": ["x", "y"], "group": 12, "prediction": "B"})",
      R"({"id": 1, "answer": "B", "options": ["x", 2], "group": "g", "prediction": "B"})",
      R"({"id": 1, "answer": "B", "options": "x", "prediction": "B"})",
      R"({"id": 1, "image": true, "answer": "A", "options": ["a"], "prediction": "A"})",
      R"({"id": 1, "image": false, "label": "no", "subtask": "ocr", "prediction": "A"})",
      R"({"id": 1, "image": 3, "label": "no", "subtask": "ocr", "prediction": "A"})",
      R"({"id": 1, "group": -0, "answer": "A", "options": ["a"]})",
      R"({"id": 1, "group": 1.5, "answer": "A", "options": ["a"]})",
      R"({"id": 12345678901234567890, "answers": ["a"]})",
      R"({"id": 99999999999999999999999, "answers": ["a"]})",
      R"({"id": 1, "answers": ["x"], "n": 1e999})",
      R"({"id": 1, "answers": ["x"]} x)",
      R"([1, 2])",
      R"("string")",
      " \t ",
      "",
      "{\"id\": 1, \"prediction\": \"x\", \"answers\": [\"x\"]}\r",
      "\xEF\xBB\xBF{\"id\": 1, \"answers\": [\"x\"]}",
      R"({"id": 1, "category": "c", "answers": ["a"], "answer": "b", "label": "c", "prediction": "p"})",
      R"({"label": "c", "answer": "b", "answers": ["a"], "id": 1})",
      R"({"id": 1, "category": null, "prediction": "x", "answers": null})",
      R"({"id": 1, "pred\u0069ction": "x", "answers": ["x"]})",
      "{\"id\": 1, \"prediction\": \"bad \xC0\x80\", \"answers\": [\"x\"]}",
      "{\"id\": 1, \"prediction\": \"tab\tin\", \"answers\": [\"x\"]}",
      R"({"id": 1, "category": 3, "answers": ["x"]})",
      R"({"id": 1, "answers": ["x"], "question_type": ["what"]})",
      R"({"id": 1, "answers": ["x"],})",
      R"({"id": 1 "answers": ["x"]})",
      R"({"id": 1, "answers": ["x"]}{)",
      R"({"id": 1, "label": "no", "fields": {"set_id": 3, "figure_id": "0", "q": null}})",
      R"({"id": 1, "subtask": "x", "fields": {"subtask": "y", "subtask": "z"}})",
      R"({"id": 1, "label": "no"})",
      R"({"id": 1, "fields": {"a": 1.5}})",
      R"({"id": 1, "fields": {"a": true}})",
      R"({"id": 1, "fields": ["a"]})",
      R"({"id": 1, "fields": {}})",
      R"({"id": 1, "fields": null, "subtask": "s"})",
      R"({"id": 1, "fields": {"a": "b",}})",
  };
  ScoringItem reused;
  for (const auto& line : lines)
    check_line(line, reused);
}

TEST(ScoreInputFast, ReusedItemKeepsNothingFromTheLineBefore) {
  const std::vector<std::string> required = {};
  ScoringItem item;
  ASSERT_TRUE(try_parse_scoring_line(
      R"({"id": 1, "prediction": "p", "category": "c", "answers": ["a", "b", "c"], "options": ["x"], "image": true, "group": 3, "question_type": "q", "answer_type": "t", "subtask": "s"})",
      required, item));
  ASSERT_TRUE(try_parse_scoring_line(R"({"id": "two", "answers": ["z"]})", required, item));
  EXPECT_EQ(describe(std::optional<ScoringItem>(item)),
            "id=two prediction=- category= answers=[z] options=");
}

/// Fixture lines with random edits: whatever the fast path accepts, the located parse accepts
/// with the same item.
TEST(ScoreInputFast, NeverAcceptsWhatTheLocatedParseRejects) {
  const auto lines = fixture_lines();
  ASSERT_FALSE(lines.empty());
  const std::string alphabet = "{}[]:,\"\\ 0123456789-.etruflsnx\x80\xC3\xA9";
  std::mt19937 rng(2024);
  ScoringItem reused;
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line = lines[rng() % lines.size()];
    for (int edits = 1 + static_cast<int>(rng() % 2); edits > 0; --edits) {
      const std::size_t at = rng() % (line.size() + 1);
      const char c = alphabet[rng() % alphabet.size()];
      if (rng() % 2 == 0) {
        line.insert(at, 1, c);
      } else if (at < line.size()) {
        line.erase(at, 1);
      }
    }
    const auto& required = kRequiredSets[rng() % kRequiredSets.size()];
    if (!try_parse_scoring_line(line, required, reused)) continue;
    ++accepted;
    EXPECT_EQ(describe(Outcome(std::optional<ScoringItem>(reused))),
              describe(located(line, required)))
        << line;
  }
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace lmmbench::metrics
