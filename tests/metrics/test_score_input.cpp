#include <gtest/gtest.h>

#include "core/jsonl.hpp"
#include "metrics/score_input.hpp"

namespace lmmbench::metrics {
namespace {

std::vector<ScoringItem> parse(std::string_view text, std::vector<std::string> required) {
  std::vector<ScoringItem> items;
  for_each_jsonl_record(text, "in.jsonl", {}, [&](const ConfigNode& record) {
    items.push_back(parse_scoring_item(record, required));
  });
  return items;
}

TEST(ScoreInput, ReadsEveryAnswerForm) {
  const auto items = parse(
      R"({"id": 7, "prediction": "2", "answers": [{"answer": "2"}, {"answer": "two"}], "answer_type": "number"}
{"id": "b", "prediction": null, "answer": "yes", "category": "random"}
{"id": "c", "label": "no", "image": true, "group": 12}
)",
      {});
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].id, "7");
  EXPECT_EQ(items[0].answers, (std::vector<std::string>{"2", "two"}));
  EXPECT_EQ(items[0].field("answer_type"), "number");
  EXPECT_FALSE(items[1].prediction.has_value());
  EXPECT_EQ(items[1].category, "random");
  EXPECT_FALSE(items[2].prediction.has_value());
  EXPECT_EQ(items[2].answers, (std::vector<std::string>{"no"}));
  EXPECT_EQ(items[2].field("image"), "true");
  EXPECT_EQ(items[2].field("group"), "12");
}

TEST(ScoreInput, MissingRequiredFieldNamesFileLineAndField) {
  try {
    parse(
        "{\"id\": 1, \"prediction\": \"x\", \"answers\": [\"x\"]}\n{\"id\": 2, \"prediction\": "
        "\"x\"}\n",
        {"answers"});
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "in.jsonl:2: field /answers: missing required field");
  }
}

TEST(ScoreInput, WrongTypeIsRejected) {
  EXPECT_THROW(parse(R"({"id": 1, "prediction": 3, "answers": ["3"]})", {"answers"}), InputError);
  EXPECT_THROW(parse(R"({"id": [1], "prediction": "3"})", {}), InputError);
  EXPECT_THROW(parse(R"({"id": 1, "prediction": "a", "options": "A"})", {"options"}), InputError);
}

}  // namespace
}  // namespace lmmbench::metrics
