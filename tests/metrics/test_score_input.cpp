#include <gtest/gtest.h>

#include "core/error.hpp"
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

TEST(ScoreInput, FieldsObjectCarriesMetricSpecificExtras) {
  const auto items = parse(
      R"({"id": 1, "label": "no", "subtask": "x", "fields": {"set_id": 3, "figure_id": "0", "subtask": "y", "gone": null}}
{"id": 2, "label": "no"}
)",
      {});
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].field("set_id"), "3");
  EXPECT_EQ(items[0].field("figure_id"), "0");
  EXPECT_EQ(items[0].field("subtask"), "y");  // the extras come last
  EXPECT_EQ(items[0].fields.count("gone"), 0u);
  EXPECT_TRUE(items[1].fields.empty());
  EXPECT_THROW(parse(R"({"id": 1, "fields": {"a": 1.5}})", {}), InputError);
  EXPECT_THROW(parse(R"({"id": 1, "fields": ["a"]})", {}), InputError);
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

TEST(PerSampleScore, TheScoreLineIsWrittenAndReadThroughOneFieldList) {
  const PerSampleScore s{"q-1", 0.5, "red"};
  EXPECT_EQ(nlohmann::json(s).dump(), R"({"extracted":"red","id":"q-1","score":0.5})");
  const auto back =
      nlohmann::json::parse(R"({"extracted":"red","id":"q-1","score":0.5})").get<PerSampleScore>();
  EXPECT_EQ(back.id, "q-1");
  EXPECT_EQ(back.score, 0.5);
  EXPECT_EQ(back.extracted, "red");
  try {
    (void)nlohmann::json::parse(R"({"id":"q-1","score":"high"})").get<PerSampleScore>();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().field, "/score");
    EXPECT_EQ(e.detail(), "expected a number, got a string");
  }
  try {
    (void)nlohmann::json::parse(R"({"score":1})").get<PerSampleScore>();
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().field, "/id");
  }
}

}  // namespace
}  // namespace lmmbench::metrics
