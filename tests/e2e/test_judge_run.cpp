// The judge stage of `lmmbench run` end to end: the shipped llava_bench and mmvet task configs on
// tiny generated datasets, a model server and a judge server (tests/servers/llm_server.py, the
// judge with --judge: verdicts derived from the request), each on its own ephemeral port.
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "e2e_support.hpp"
#include "llm_server.hpp"

namespace lmmbench::testing {
namespace {

const std::filesystem::path kImages = kSource / "tests/fixtures/tiny_vqa/images";

/// LLaVA-Bench in its released layout; the model's answers ([[answer:...]]) carry the judge
/// server's directives: scores=A B, or review=junk (a review without scores).
void write_llava_bench(const std::filesystem::path& root) {
  std::filesystem::create_directories(root / "images");
  std::filesystem::copy_file(kImages / "red.png", root / "images/001.png");
  std::filesystem::copy_file(kImages / "blue.png", root / "images/002.png");
  write_text(
      root / "questions.jsonl",
      R"({"question_id": 0, "image": "001.png", "text": "What is it? [[answer:Red. scores=8 6 <b>bold</b>]]", "category": "conv"}
{"question_id": 1, "image": "001.png", "text": "Describe it. [[answer:A red square. scores=10 5]]", "category": "detail"}
{"question_id": 2, "image": "002.png", "text": "Why blue? [[answer:review=junk]]", "category": "complex"}
)");
  write_text(root / "context.jsonl",
             R"({"id": "001", "image": "001.png", "caption": "A red square."}
{"id": "002", "image": "002.png", "caption": ["A blue square.", "Nothing else."]}
)");
  write_text(root / "answers_gpt4.jsonl",
             R"({"question_id": 0, "text": "A red square.", "answer_id": "a0"}
{"question_id": 1, "text": "A square, red all over.", "answer_id": "a1"}
{"question_id": 2, "text": "Blue is calm.", "answer_id": "a2"}
)");
}

/// MM-Vet's mm-vet.json; the answers' grade=X directives: 1.0, 0.5, junk (never readable: six
/// requests per run, then the official 0.0) and reask (readable only when re-asked: 0.8).
void write_mmvet(const std::filesystem::path& root) {
  std::filesystem::create_directories(root / "images");
  for (const char* name : {"v1_0.png", "v1_1.png", "v1_2.png", "v1_3.png"})
    std::filesystem::copy_file(kImages / "green.png", root / "images" / name);
  const nlohmann::json items = {{"v1_0",
                                 {{"imagename", "v1_0.png"},
                                  {"capability", {"rec"}},
                                  {"question", "What is it? [[answer:grade=1.0]]"},
                                  {"answer", "green<OR>a square"}}},
                                {"v1_1",
                                 {{"imagename", "v1_1.png"},
                                  {"capability", {"ocr", "math"}},
                                  {"question", "What is x? [[answer:x = -1 grade=0.5]]"},
                                  {"answer", "-1<AND>-5"}}},
                                {"v1_2",
                                 {{"imagename", "v1_2.png"},
                                  {"capability", {"rec", "know"}},
                                  {"question", "Who painted it? [[answer:grade=junk]]"},
                                  {"answer", "nobody"}}},
                                {"v1_3",
                                 {{"imagename", "v1_3.png"},
                                  {"capability", {"rec"}},
                                  {"question", "Which colour? [[answer:grade=reask]]"},
                                  {"answer", "green"}}}};
  write_text(root / "mm-vet.json", items.dump(2));
}

nlohmann::json openai_model(const std::string& name, const LlmServer& server,
                            const std::string& model) {
  return {{"name", name},
          {"backend", "openai"},
          {"options", {{"base_url", server.url() + "/v1"}, {"model", model}}}};
}

const nlohmann::json& cell(const nlohmann::json& record, const std::string& task) {
  for (const auto& c : record.at("cells"))
    if (c.at("task") == task) return c;
  throw std::runtime_error("no cell for " + task);
}

std::vector<nlohmann::json> lines(const std::filesystem::path& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(read_text(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

class JudgeRun : public ::testing::Test {
 protected:
  void SetUp() override {
    write_llava_bench(dir.path() / "data/llava-bench-in-the-wild");
    write_mmvet(dir.path() / "data/mm-vet");
    // The shipped task configs read their data from $LMMBENCH_DATA (inherited by lmmbench).
    ::setenv("LMMBENCH_DATA", (dir.path() / "data").c_str(), 1);
    const nlohmann::json run{{"name", "judged"},
                             {"output_dir", "runs"},
                             {"concurrency", 4},
                             {"prices", (kSource / "configs/prices.json").string()},
                             {"models", {openai_model("m", model, "llava-test")}},
                             {"tasks",
                              {(kSource / "configs/tasks/mmvet.json").string(),
                               (kSource / "configs/tasks/llava_bench.json").string()}},
                             {"judge", openai_model("judge-a", judge, "gpt-4o")}};
    config = dir.path() / "judged.run.json";
    write_text(config, run.dump(2));
    out = dir.path() / "run";
  }

  nlohmann::json record() const { return nlohmann::json::parse(read_text(out / "run.json")); }

  TempDir dir;
  LlmServer model;
  LlmServer judge{LlmServer::Options{{}, "", 600, true}};
  std::filesystem::path config;
  std::filesystem::path out;
};

TEST_F(JudgeRun, MmVetIsGradedWithTheOfficialReaskRuleAndFiveRuns) {
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto c = cell(record(), "mmvet");
  const auto& score = c.at("scores").at(0);
  // Grades 1.0, 0.5, 0.0 (unreadable six times: the official fallback), 0.8 (read on re-ask).
  EXPECT_NEAR(score.at("score").get<double>(), 100.0 * (1.0 + 0.5 + 0.0 + 0.8) / 4, 1e-9);
  EXPECT_NEAR(score.at("metrics").at("rec").get<double>(), 100.0 * 1.8 / 3, 1e-9);
  EXPECT_NEAR(score.at("metrics").at("know").get<double>(), 0.0, 1e-12);
  EXPECT_EQ(score.at("metrics").at("n_runs"), 5);
  EXPECT_NEAR(score.at("metrics").at("std").get<double>(), 0.0, 1e-9);  // a deterministic judge
  EXPECT_EQ(score.at("n_unparsed"), 1);
  EXPECT_EQ(c.at("counts").at("unparsed"), 1);
  const auto& j = c.at("judge");
  EXPECT_EQ(j.at("model"), "judge-a");
  EXPECT_FALSE(j.at("backend_fingerprint").get<std::string>().empty());
  EXPECT_EQ(j.at("prompt_sha256"),
            "d1b3e0a5b4e72c888b77164489d705bba4dd149934fff564dfba6443d81afe3f");
  EXPECT_EQ(j.at("runs"), 5);
  // Per run: 1 + 1 + (1 + 5 re-asks) + (1 + 1 re-ask).
  EXPECT_EQ(j.at("requests"), 50);
  EXPECT_EQ(j.at("reasks"), 30);
  EXPECT_EQ(j.at("unparsed"), 5);
  EXPECT_EQ(j.at("failed"), 0);
  EXPECT_GT(j.at("usage").at("prompt_tokens").get<std::int64_t>(), 0);
  EXPECT_GT(j.at("usage").at("cost_usd").get<double>(), 0.0);  // gpt-4o's price
  EXPECT_EQ(j.at("usage").at("price_model"), "gpt-4o");

  // The unreadable item: the official temperatures 0, 0, 0.5, 1, 1.5, 2 in every run.
  std::vector<double> temperatures;
  std::size_t grader_requests = 0;
  for (const auto& request : judge.requests()) {
    const auto& body = request.at("body");
    const auto text = body.at("messages").back().at("content").get<std::string>();
    if (text.find("[End of Assistant 2]") != std::string::npos) continue;
    ++grader_requests;
    EXPECT_EQ(body.at("max_tokens"), 3);
    if (text.find("grade=junk | ") != std::string::npos)
      temperatures.push_back(body.at("temperature").get<double>());
  }
  EXPECT_EQ(grader_requests, 50U);
  ASSERT_EQ(temperatures.size(), 30U);
  EXPECT_EQ(std::vector<double>(temperatures.begin(), temperatures.begin() + 6),
            (std::vector<double>{0.0, 0.0, 0.5, 1.0, 1.5, 2.0}));

  // The judge log holds every request's text and reply; the scores file shows the exchanges.
  const auto log = lines(out / "judgments.jsonl");
  EXPECT_EQ(log.size(), 53U);  // with LLaVA-Bench's three reviews
  for (const auto& entry : log) {
    EXPECT_FALSE(entry.at("request").get<std::string>().empty());
    EXPECT_EQ(entry.at("model"), "judge-a");
  }
  const auto scores = lines(out / "scores/m/mmvet.jsonl");
  ASSERT_EQ(scores.size(), 4U);
  EXPECT_EQ(scores[2].at("judge").size(), 30U);
  EXPECT_EQ(scores[2].at("judge").at(5).at("reply"), "n/a");
  EXPECT_EQ(scores[2].at("status"), "unparsed");
}

TEST_F(JudgeRun, LlavaBenchIsReviewedAsLlavasScriptAsks) {
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto c = cell(record(), "llava_bench");
  const auto& score = c.at("scores").at(0);
  // Reviews [8, 6], [10, 5] and an unreadable one, averaged as [-1, -1] (summarize_gpt_review.py).
  EXPECT_NEAR(score.at("score").get<double>(), 100.0 * (10.0 / 3) / (17.0 / 3), 1e-9);
  EXPECT_NEAR(score.at("metrics").at("answer1").get<double>(), 10.0 * 17.0 / 3, 1e-9);
  EXPECT_NEAR(score.at("metrics").at("answer2").get<double>(), 10.0 * 10.0 / 3, 1e-9);
  EXPECT_EQ(score.at("n_unparsed"), 1);
  EXPECT_EQ(score.at("breakdown").at("category").at("llava_bench_conv").at("n"), 1);
  const auto& j = c.at("judge");
  EXPECT_EQ(j.at("requests"), 3);
  EXPECT_EQ(j.at("unparsed"), 1);
  EXPECT_EQ(j.at("reasks"), 0);
  EXPECT_EQ(j.at("prompt_sha256"),
            "2ce22b562d6008864970ea863ac8a4d385ea6f2e64ab1313a23f825202a9529d");
  std::size_t reviews = 0;
  for (const auto& request : judge.requests()) {
    const auto& body = request.at("body");
    const auto text = body.at("messages").back().at("content").get<std::string>();
    if (text.find("[End of Assistant 2]") == std::string::npos) continue;
    ++reviews;
    EXPECT_EQ(body.at("temperature"), 0.2);
    EXPECT_EQ(body.at("max_tokens"), 1024);
    EXPECT_EQ(body.at("messages").at(0).at("role"), "system");
    if (text.find("Red. scores=8 6") != std::string::npos) {
      EXPECT_EQ(text.rfind("[Context]\nA red square.\n\n[Question]\nWhat is it?", 0), 0U) << text;
      EXPECT_NE(text.find("[Assistant 1]\nA red square.\n\n[End of Assistant 1]"),
                std::string::npos);
    }
  }
  EXPECT_EQ(reviews, 3U);

  // The HTML sample browser shows the judge's reply as text: the answer it quotes is not markup.
  const auto html = read_text(out / "report.html");
  EXPECT_NE(html.find("Assistant 2 said: Red. scores=8 6"), std::string::npos);
  EXPECT_EQ(html.find("<b>bold</b>"), std::string::npos);
  // The judge's cost has its own row in "Tokens and cost".
  EXPECT_NE(html.find("m (judge judge-a)"), std::string::npos);
}

TEST_F(JudgeRun, ResumeAsksNothingAndRejudgeAsksOnlyTheNewJudge) {
  ASSERT_EQ(lmmbench({"run", config.string(), "--out", out.string(), "-q"}).exit_code, 0);
  const auto first = record();
  const auto model_requests = model.requests().size();
  const auto judge_requests = judge.requests().size();
  EXPECT_EQ(model_requests, 7U);
  EXPECT_EQ(judge_requests, 53U);

  const auto resumed = lmmbench({"run", config.string(), "--out", out.string(), "--resume", "-q"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(model.requests().size(), model_requests);
  EXPECT_EQ(judge.requests().size(), judge_requests);
  EXPECT_EQ(cell(record(), "mmvet").at("judge").at("resumed"), 50);
  EXPECT_EQ(cell(record(), "mmvet").at("scores").at(0).at("score"),
            cell(first, "mmvet").at("scores").at(0).at("score"));

  LlmServer judge_b{LlmServer::Options{{}, "", 600, true}};
  write_text(dir.path() / "judge-b.json", openai_model("judge-b", judge_b, "gpt-4o-mini").dump());
  const auto rejudged = lmmbench({"run", config.string(), "--out", out.string(), "--resume",
                                  "--rejudge", (dir.path() / "judge-b.json").string(), "-q"});
  ASSERT_EQ(rejudged.exit_code, 0) << rejudged.err;
  EXPECT_EQ(model.requests().size(), model_requests);  // 0 model requests
  EXPECT_EQ(judge.requests().size(), judge_requests);
  EXPECT_EQ(judge_b.requests().size(), 53U);
  const auto again = record();
  EXPECT_EQ(cell(again, "mmvet").at("judge").at("model"), "judge-b");
  EXPECT_EQ(cell(again, "llava_bench").at("judge").at("model"), "judge-b");
  EXPECT_EQ(cell(again, "mmvet").at("judge").at("usage").at("price_model"), "gpt-4o-mini");
  // The two judges' verdicts compared (the same deterministic rules: full agreement).
  const auto& agreement = cell(again, "mmvet").at("judge").at("agreement");
  EXPECT_EQ(agreement.at("previous_model"), "judge-a");
  EXPECT_EQ(agreement.at("n"), 20);  // 4 answers x 5 judge runs
  EXPECT_EQ(agreement.at("percent"), 100.0);
  EXPECT_NEAR(agreement.at("kappa").get<double>(), 1.0, 1e-12);
  EXPECT_EQ(cell(again, "llava_bench").at("judge").at("agreement").at("n"), 3);
  EXPECT_FALSE(cell(first, "mmvet").at("judge").contains("agreement"));
  // Both judges' replies stay in the append-only judge log.
  EXPECT_EQ(lines(out / "judgments.jsonl").size(), 106U);
}

TEST_F(JudgeRun, AJudgeRequestWithoutAReplyFailsTheCellAndResumeAsksItAgain) {
  // The first attempt of v1_0's grading request gets HTTP 500 (the directive is in the question,
  // which the judge is shown); the model retries its own 500 and answers, the judge does not retry.
  auto items = nlohmann::json::parse(read_text(dir.path() / "data/mm-vet/mm-vet.json"));
  items["v1_0"]["question"] = "What is it? [[fault:status=500;times=1]] [[answer:grade=1.0]]";
  write_text(dir.path() / "data/mm-vet/mm-vet.json", items.dump(2));
  auto run = nlohmann::json::parse(read_text(config));
  run["tasks"] = {(kSource / "configs/tasks/mmvet.json").string()};
  run["models"][0]["retry"] = {{"max_attempts", 2}, {"base_delay_s", 0.01}};
  run["judge"]["retry"] = {{"max_attempts", 1}};
  write_text(config, run.dump(2));

  const auto first = lmmbench({"run", config.string(), "--out", out.string(), "-q"});
  EXPECT_EQ(first.exit_code, 1) << first.err;
  const auto failed = cell(record(), "mmvet");
  EXPECT_EQ(failed.at("outcome"), "failed");
  EXPECT_NE(failed.at("message").get<std::string>().find("1 judge request(s) got no reply"),
            std::string::npos)
      << failed.at("message");
  EXPECT_EQ(failed.at("judge").at("failed"), 1);
  EXPECT_TRUE(failed.at("scores").empty());  // no score without every verdict
  const auto model_requests = model.requests().size();
  EXPECT_EQ(model_requests, 5U);  // 4 answers, one retried

  const auto resumed = lmmbench({"run", config.string(), "--out", out.string(), "--resume", "-q"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(model.requests().size(), model_requests);
  const auto c = cell(record(), "mmvet");
  EXPECT_EQ(c.at("outcome"), "ok");
  EXPECT_EQ(c.at("judge").at("failed"), 0);
  EXPECT_EQ(c.at("judge").at("resumed"), 49);  // only the failed request is asked again
  EXPECT_NEAR(c.at("scores").at(0).at("score").get<double>(), 57.5, 1e-9);
}

}  // namespace
}  // namespace lmmbench::testing
