// MathVista against the fixtures its official normaliser wrote (tests/metrics/reference/
// run_mathvista.py, run_mathvista_judge.py), plus focused tests.

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/jsonl.hpp"
#include "core/sha256.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/mathvista.hpp"
#include "metrics/score_input.hpp"
#include "tests/metrics/fixture_check.hpp"

namespace lmmbench::metrics {
namespace {

const std::filesystem::path kSource = LMMBENCH_SOURCE_DIR;
const std::filesystem::path kFixtures = kSource / "tests/metrics/fixtures";

nlohmann::json judge_fixture() {
  std::ifstream in(kFixtures / "mathvista.judge.expected.json");
  return nlohmann::json::parse(in);
}

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

TEST(MathVistaJudge, TheStoredPromptIsTheOfficialDemoPrompt) {
  // evaluation/prompts/ext_ans.py demo_prompt, byte for byte (run_mathvista_judge.py hashes it).
  EXPECT_EQ(sha256_hex(read_file_bytes(kSource / "configs/judges/mathvista_extraction_prompt.txt")),
            judge_fixture().at("demo_prompt_sha256").get<std::string>());
}

TEST(MathVistaJudge, RequestsAreTheOfficialCreateTestPromptByteForByte) {
  const std::string demo =
      read_file_bytes(kSource / "configs/judges/mathvista_extraction_prompt.txt");
  const auto requests = judge_fixture().at("requests");
  ASSERT_EQ(requests.size(), 12U);
  for (const auto& r : requests) {
    EXPECT_EQ(MathVista::extraction_request(demo, r.at("query").get<std::string>(),
                                            r.at("response").get<std::string>()),
              r.at("request").get<std::string>())
        << r.at("id");
  }
}

// The official protocol on the 1,000 LLaVA-LLaMA-2-13B responses, GPT-4's recorded replies given as
// the judge's, and on the crafted answers with a judge that replies the answer: every verdict,
// every extraction, which items the judge is asked about (extract_answer called the model), and
// the published 26.1 %.
TEST(MathVistaJudge, ScoresAsTheOfficialProtocolAndAsksOnlyWhereItsRulesDoNotSettle) {
  const auto expected = judge_fixture();
  const MathVista metric(MathVista::Variant::judge);
  EXPECT_EQ(metric.info().reference, expected.at("reference").get<std::string>());
  EXPECT_TRUE(metric.info().needs_judge);
  std::vector<ScoringItem> items;
  std::map<std::string, std::string> recorded;  // pid -> GPT-4's extraction in the official run
  for_each_jsonl_record(kFixtures / "mathvista.input.jsonl", [&](const ConfigNode& record) {
    auto item = parse_scoring_item(record, metric.info().required_fields);
    if (item.id.starts_with("extraction/"))
      recorded[item.id.substr(11)] = *item.prediction;
    else
      items.push_back(std::move(item));
  });
  const auto& per_sample = expected.at("per_sample");
  ASSERT_EQ(items.size(), per_sample.size());
  std::size_t asked = 0;
  std::size_t llava_right = 0;
  auto aggregator = metric.aggregator();
  for (std::size_t i = 0; i < items.size(); ++i) {
    auto& item = items[i];
    const auto& want = per_sample[i];
    ASSERT_EQ(item.id, want.at("id").get<std::string>());
    const bool llava = item.id.starts_with("llava/");
    const std::string response = item.prediction.value_or("");
    const bool needs_judge = !MathVista::extraction_rules(
        response, item.options, item.field("question_type"), item.field("answer_type"));
    EXPECT_EQ(needs_judge, want.at("asked").get<bool>()) << item.id;
    if (needs_judge) {
      ++asked;
      item.judge_replies = {llava ? recorded.at(item.id.substr(6)) : response};
    }
    const auto s = metric.score(item);
    EXPECT_EQ(s.score, want.at("score").get<double>()) << item.id;
    EXPECT_EQ(s.extracted, want.at("extracted").get<std::string>()) << item.id;
    if (llava && s.score == 1.0) ++llava_right;
    aggregator->add(item, s);
  }
  const auto& aggregate = expected.at("aggregate");
  EXPECT_EQ(asked, aggregate.at("judge_requests").get<std::size_t>());
  EXPECT_EQ(llava_right, 261U);  // the published 26.1 % of LLaVA-LLaMA-2-13B
  const MetricResult result = aggregator->finish();
  EXPECT_EQ(result.n, aggregate.at("n").get<std::size_t>());
  EXPECT_EQ(result.n_missing, aggregate.at("n_missing").get<std::size_t>());
  EXPECT_EQ(result.n_unparsed, aggregate.at("n_unparsed").get<std::size_t>());
  EXPECT_NEAR(result.score, aggregate.at("score").get<double>(), 1e-9);
}

TEST(MathVistaJudge, ARuleSettledAnswerNeedsNoReplyAnOpenOneDoes) {
  const std::vector<std::string> choices{"red", "green"};
  using M = MathVista;
  EXPECT_EQ(M::extraction_rules("", choices, "multi_choice", "text"), "");
  EXPECT_EQ(M::extraction_rules("green", choices, "multi_choice", "text"), "green");
  EXPECT_EQ(M::extraction_rules("Green", choices, "multi_choice", "text"), std::nullopt);
  EXPECT_EQ(M::extraction_rules("B", choices, "multi_choice", "text"), std::nullopt);
  EXPECT_EQ(M::extraction_rules(" 007 ", {}, "free_form", "integer"), "7");
  EXPECT_EQ(M::extraction_rules("12.0", {}, "free_form", "integer"), std::nullopt);  // int() fails
  EXPECT_EQ(M::extraction_rules("1e3", {}, "free_form", "float"), "1000.0");
  EXPECT_EQ(M::extraction_rules("[1, 2]", {}, "free_form", "list"), std::nullopt);
  EXPECT_EQ(M::extraction_request("\n demo \n", "Q", "R"), "demo\n\nQ\n\nR\n\nExtracted answer: ");

  const MathVista metric(MathVista::Variant::judge);
  ScoringItem item;
  item.id = "7";
  item.prediction = "The answer is twelve.";
  item.answers = {"12"};
  item.fields = {{"question_type", "free_form"}, {"answer_type", "integer"}};
  EXPECT_THROW((void)metric.score(item), InputError);  // the judge was not asked
  item.judge_replies = {" 12\n"};                      // strip()ped, as get_response does
  EXPECT_EQ(metric.score(item).score, 1.0);
  item.prediction = "12";  // settled by int(): the reply is not read
  item.judge_replies = {"13"};
  EXPECT_EQ(metric.score(item).score, 1.0);
}

TEST(PythonInt, StrOfIntAsCPythonReadsIt) {
  EXPECT_EQ(pystr::int_text("12"), "12");
  EXPECT_EQ(pystr::int_text(" -0 "), "0");
  EXPECT_EQ(pystr::int_text("+007"), "7");
  EXPECT_EQ(pystr::int_text("1_000"), "1000");
  EXPECT_EQ(pystr::int_text("\u0661\u0662"), "12");    // Arabic-Indic digits
  EXPECT_EQ(pystr::int_text("\u00a012\u3000"), "12");  // Unicode whitespace
  EXPECT_EQ(pystr::int_text("123456789012345678901234567890"), "123456789012345678901234567890");
  for (const char* bad : {"", " ", "+", "1__0", "_1", "1_", "12.0", "1e3", "0x10", "twelve", "1 2"})
    EXPECT_EQ(pystr::int_text(bad), std::nullopt) << bad;
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
