// The official GPT-4 protocols of MathVista and HallusionBench through `lmmbench run`'s judge
// stage. MathVista: the 1,000 LLaVA-LLaMA-2-13B
// testmini responses and the crafted answers of tests/metrics/fixtures/mathvista.input.jsonl,
// replayed as a model's answers, and a replay judge that gives GPT-4's extractions recorded in
// the official run (crafted answers: the answer itself). Expected values come from the official
// code (tests/metrics/reference/run_mathvista_judge.py, fixtures/mathvista.judge.expected.json).
// HallusionBench: the twelve items whose official requests run_hallusionbench_judge.py recorded,
// with its scripted replies.
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

const std::filesystem::path kFixtures = kSource / "tests/metrics/fixtures";

/// What a judged run of replayed answers needs: the task's name, prompt template, metric
/// variant's metric, judge parser, judge prompt file and judge temperature.
struct JudgedTask {
  std::string name;
  std::string template_text;
  std::string metric;
  std::string judge_prompt;
  double temperature = 0;
};

/// Writes `dataset`, the model's `answers` and the judge's `replies` (JSONL) into `dir` with a
/// task (variant "judge" of `t.metric`, the judge a replay of `replies`) and a run config, runs
/// `lmmbench run` into dir/out and returns what it printed.
ProcessResult run_judged(const std::filesystem::path& dir, const JudgedTask& t,
                         const std::string& dataset, const std::string& answers,
                         const std::string& replies) {
  write_text(dir / "data.jsonl", dataset);
  write_text(dir / "answers.jsonl", answers);
  write_text(dir / "replies.jsonl", replies);
  const nlohmann::json task{
      {"name", t.name},
      {"dataset", {{"format", "lmmbench-jsonl"}, {"path", (dir / "data.jsonl").string()}}},
      {"prompt", {{"template", t.template_text}}},
      {"metrics", {{{"name", t.metric}, {"variant", "judge"}}}},
      {"judge",
       {{"model",
         {{"name", "gpt-4-replayed"},
          {"backend", "replay"},
          {"options", {{"path", (dir / "replies.jsonl").string()}}}}},
        {"parser", t.metric},
        {"prompt", (kSource / "configs/judges" / t.judge_prompt).string()},
        {"generation", {{"max_tokens", 1024}, {"temperature", t.temperature}}}}}};
  write_text(dir / "task.json", task.dump(2));
  const nlohmann::json run{{"name", t.name},
                           {"output_dir", "runs"},
                           {"models",
                            {{{"name", "m"},
                              {"backend", "replay"},
                              {"options", {{"path", (dir / "answers.jsonl").string()}}}}}},
                           {"tasks", {(dir / "task.json").string()}}};
  write_text(dir / "run.json", run.dump(2));
  return lmmbench({"run", (dir / "run.json").string(), "--out", (dir / "out").string(), "--quiet"});
}

TEST(MathVistaJudgeRun, TheJudgeExtractsWhereTheRulesDoNotAndTheVerdictsAreTheOfficialOnes) {
  TempDir dir;
  const auto expected =
      nlohmann::json::parse(read_text(kFixtures / "mathvista.judge.expected.json"));
  std::map<std::string, std::string> queries;  // the official requests recorded for some items
  std::map<std::string, std::string> requests;
  for (const auto& r : expected.at("requests")) {
    queries[r.at("id")] = r.at("query");
    requests[r.at("id")] = r.at("request");
  }
  std::map<std::string, std::string> recorded;  // pid -> GPT-4's extraction in the official run
  std::vector<nlohmann::json> records;
  for (auto& r : read_jsonl(kFixtures / "mathvista.input.jsonl")) {
    const std::string id = r.at("id");
    if (id.starts_with("extraction/")) {
      recorded[id.substr(11)] = r.at("prediction");
    } else if (!r.at("prediction").is_null()) {  // a missing answer would be a failed request
      records.push_back(std::move(r));
    }
  }

  std::string dataset;
  std::string answers;
  std::string replies;
  for (const auto& r : records) {
    const std::string id = r.at("id");
    nlohmann::json meta = r.at("fields");
    meta["question_type"] = r.at("question_type");
    meta["answer_type"] = r.at("answer_type");
    meta["query"] = queries.contains(id) ? queries[id] : "Question: " + id;
    nlohmann::json sample{{"id", id},
                          {"question", "q"},
                          {"answers", r.at("answers")},
                          {"category", r.at("category")},
                          {"meta", meta}};
    if (r.contains("options")) sample["options"] = r.at("options");
    dataset += sample.dump() + "\n";
    answers += nlohmann::json{{"id", id}, {"prediction", r.at("prediction")}}.dump() + "\n";
    // A reply for every item: the run must ask only for those the rules leave open.
    const std::string reply = id.starts_with("llava/") ? recorded.at(id.substr(6))
                                                       : r.at("prediction").get<std::string>();
    replies += nlohmann::json{{"task", "mathvista-judge/judge"},
                              {"sample_id", "m/" + id + "/run0/ask0"},
                              {"prediction", reply}}
                   .dump() +
               "\n";
  }
  const auto r = run_judged(
      dir.path(),
      {"mathvista-judge", "{meta.query}", "mathvista", "mathvista_extraction_prompt.txt", 0},
      dataset, answers, replies);
  const auto out = dir.path() / "out";
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // The official verdicts of the items run, and which of them the official code asked GPT-4.
  std::map<std::string, nlohmann::json> want;
  for (const auto& s : expected.at("per_sample"))
    want[s.at("id")] = s;
  std::size_t asked = 0;
  double sum = 0;
  for (const auto& rec : records) {
    const auto& w = want.at(rec.at("id").get<std::string>());
    asked += w.at("asked").get<bool>() ? 1 : 0;
    sum += w.at("score").get<double>();
  }
  ASSERT_GT(asked, 1000U);           // every LLaVA response, and some crafted answers
  ASSERT_LT(asked, records.size());  // the crafted answers the rules settle are not asked
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  const auto& cell = record.at("cells").at(0);
  EXPECT_EQ(cell.at("judge").at("requests"), asked);
  EXPECT_EQ(cell.at("judge").at("parser"), "mathvista");
  const auto& score = cell.at("scores").at(0);
  EXPECT_EQ(score.at("variant"), "judge");
  EXPECT_NEAR(score.at("score").get<double>(), 100.0 * sum / static_cast<double>(records.size()),
              1e-9);

  std::size_t llava = 0;
  std::size_t llava_right = 0;
  std::set<std::string> judged;
  for (const auto& line : read_jsonl(out / "scores/m/mathvista-judge.jsonl")) {
    const std::string id = line.at("id");
    const auto& w = want.at(id);
    EXPECT_EQ(line.at("score").get<double>(), w.at("score").get<double>()) << id;
    EXPECT_EQ(line.at("extracted"), w.at("extracted")) << id;
    if (line.contains("judge") && !line.at("judge").empty()) judged.insert(id);
    if (id.starts_with("llava/")) {
      ++llava;
      llava_right += line.at("score").get<double>() == 1.0 ? 1 : 0;
    }
  }
  EXPECT_EQ(llava, 1000U);
  EXPECT_EQ(llava_right, 261U);  // 26.1 %, the published number of LLaVA-LLaMA-2-13B
  EXPECT_EQ(judged.size(), asked);

  // The judge was sent the official create_test_prompt bytes.
  std::size_t checked = 0;
  for (const auto& line : read_jsonl(out / "judgments.jsonl")) {
    const std::string sample = line.at("sample_id");  // m/<id>/run0/ask0
    const std::string id = sample.substr(2, sample.size() - 2 - 10);
    if (requests.contains(id)) {
      EXPECT_EQ(line.at("request"), requests[id]) << id;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 10U);

  // Resumed, nothing is asked again.
  const auto again = lmmbench(
      {"run", (dir.path() / "run.json").string(), "--out", out.string(), "--resume", "--quiet"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const auto resumed = nlohmann::json::parse(read_text(out / "run.json")).at("cells").at(0);
  EXPECT_EQ(resumed.at("judge").at("resumed"), asked);
  EXPECT_NEAR(resumed.at("scores").at(0).at("score").get<double>(), score.at("score").get<double>(),
              1e-12);
}

TEST(HallusionBenchJudgeRun, TheJudgeIsAskedTheOfficialRequestAndItsVerdictsScore) {
  TempDir dir;
  const auto expected =
      nlohmann::json::parse(read_text(kFixtures / "hallusionbench.judge.expected.json"));
  std::map<std::string, nlohmann::json> want;
  for (const auto& s : expected.at("per_sample"))
    want[s.at("id")] = s;
  std::map<std::string, nlohmann::json> inputs;
  for (auto& r : read_jsonl(kFixtures / "hallusionbench.input.jsonl"))
    inputs[r.at("id")] = r;
  std::string dataset;
  std::string answers;
  std::string replies;
  std::map<std::string, std::string> requests;
  for (const auto& q : expected.at("requests")) {
    const std::string id = q.at("id");
    const auto& input = inputs.at(id);
    requests[id] = q.at("request");
    nlohmann::json meta = input.at("fields");
    meta["gt_answer_details"] = q.at("gt_answer_details");
    dataset += nlohmann::json{{"id", id},
                              {"question", q.at("question")},
                              {"answers", input.at("answers")},
                              {"category", input.at("category")},
                              {"meta", meta}}
                   .dump() +
               "\n";
    answers += nlohmann::json{{"id", id}, {"prediction", q.at("prediction")}}.dump() + "\n";
    replies += nlohmann::json{{"task", "hb-judge/judge"},
                              {"sample_id", "m/" + id + "/run0/ask0"},
                              {"prediction", want.at(id).at("reply")}}
                   .dump() +
               "\n";
  }
  const auto r =
      run_judged(dir.path(),
                 {"hb-judge", "{question}", "hallusionbench", "hallusionbench_judge_prompt.txt", 1},
                 dataset, answers, replies);
  const auto out = dir.path() / "out";
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const auto cell = nlohmann::json::parse(read_text(out / "run.json")).at("cells").at(0);
  EXPECT_EQ(cell.at("judge").at("requests"), 12);
  std::size_t unclear = 0;
  for (const auto& line : read_jsonl(out / "scores/m/hb-judge.jsonl")) {
    const std::string id = line.at("id");
    EXPECT_EQ(line.at("score").get<double>(), want.at(id).at("score").get<double>()) << id;
    EXPECT_EQ(line.at("extracted"), want.at(id).at("extracted")) << id;
    unclear += line.at("extracted") == "unclear" ? 1 : 0;
  }
  EXPECT_EQ(cell.at("judge").at("unparsed"), unclear);
  EXPECT_EQ(cell.at("scores").at(0).at("n_unparsed"), unclear);
  std::size_t checked = 0;
  for (const auto& line : read_jsonl(out / "judgments.jsonl")) {
    const std::string sample = line.at("sample_id");  // m/<id>/run0/ask0
    EXPECT_EQ(line.at("request"), requests.at(sample.substr(2, sample.size() - 2 - 10)));
    ++checked;
  }
  EXPECT_EQ(checked, 12U);
}

}  // namespace
}  // namespace lmmbench::testing
