// The shipped task configs of the OpenVLM leaderboard's core set (AI2D, MMStar, RealWorldQA,
// MMBench v1.1 dev EN/CN, InfoVQA) run end to end by `lmmbench run` on small TSVs in VLMEvalKit's
// layouts (make_vlmevalkit_tsvs.py), answered by the replay backend: every score, unparsed count
// and per-category breakdown of the run record, and the report's breakdown tables. The expected
// multiple-choice numbers are what VLMEvalKit itself reports for the same TSVs and answers
// (vlmevalkit_scores_of_tsvs.py).
#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

const nlohmann::json& cell_of(const nlohmann::json& record, const std::string& task) {
  for (const auto& c : record.at("cells")) {
    if (c.at("task") == task) return c;
  }
  throw std::runtime_error("no cell for " + task);
}

double accuracy(const nlohmann::json& score, const std::string& key, const std::string& value) {
  return score.at("breakdown").at(key).at(value).at("accuracy").get<double>();
}

TEST(OpenVlmTasks, ShippedVlmEvalKitConfigsScoreGeneratedTsvsPerCategory) {
  TempDir dir;
  const auto data = dir.path() / "data";
  const auto r_make =
      run_process({LMMBENCH_PYTHON, (kSource / "tests/e2e/make_vlmevalkit_tsvs.py").string(),
                   (data / "vlmevalkit").string()});
  ASSERT_EQ(r_make.exit_code, 0) << r_make.err;
  // The answers, by sample id (the TSV index), in the styles the rule must read or refuse.
  const std::vector<std::pair<std::string, std::string>> answers = {
      {"1", "A"},                                        // right
      {"2", "The answer is C"},                          // C, wrong
      {"3", "(C) 12"},                                   // right
      {"4", "Cannot determine the answer"},              // a refusal: 'Z', unparsed
      {"5", "I am not sure."},                           // nothing read: unparsed
      {"6", "Photosynthesis makes it."},                 // the option text: B, right
      {"101", "B"},                                      // right
      {"102", "A rabbit"},                               // A (the article is read), right
      {"103", "E"},                                      // no option E: unparsed
      {"201", "A."},                                     // right
      {"202", "C because the road curves to the left"},  // C is too early: unparsed
      {"301", "A"},
      {"1000301", "D"},  // every copy right
      {"2000301", "C"},
      {"3000301", "B"},  //
      {"302", "A"},
      {"1000302", "GO"},  // the second copy reads A: wrong
      {"401", "答案是狗"},
      {"1000401", "狗"},       // option texts, both right
      {"501", "120 Million"},  // ANLS 1
      {"502", "Tokio"}};       // ANLS 1 - 1/5
  std::string replay;
  for (const auto& [id, text] : answers)
    replay += nlohmann::json{{"id", id}, {"prediction", text}}.dump() + "\n";
  write_text(dir.path() / "answers.jsonl", replay);

  // The shipped task configs read their data from $LMMBENCH_DATA (inherited by lmmbench).
  ::setenv("LMMBENCH_DATA", data.c_str(), 1);
  nlohmann::json tasks = nlohmann::json::array();
  for (const char* name : {"mmstar", "ai2d_test", "realworldqa", "mmbench_dev_en_v11",
                           "mmbench_dev_cn_v11", "infovqa_val"}) {
    tasks.push_back((kSource / "configs/tasks" / (std::string(name) + ".json")).string());
  }
  const nlohmann::json run{{"name", "openvlm"},
                           {"output_dir", "runs"},
                           {"models",
                            {{{"name", "replayed"},
                              {"backend", "replay"},
                              {"options", {{"path", (dir.path() / "answers.jsonl").string()}}}}}},
                           {"tasks", tasks}};
  write_text(dir.path() / "run.json", run.dump(2));
  const auto out = dir.path() / "run";
  const auto r = lmmbench({"run", (dir.path() / "run.json").string(), "--out", out.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));

  const auto& mmstar = cell_of(record, "mmstar").at("scores").at(0);
  EXPECT_EQ(mmstar.at("metric"), "multiple_choice");
  EXPECT_EQ(mmstar.at("variant"), "vlmevalkit");
  EXPECT_NEAR(mmstar.at("score").get<double>(), 50.0, 1e-9);
  EXPECT_EQ(mmstar.at("n_unparsed"), 2);
  EXPECT_NEAR(accuracy(mmstar, "category", "coarse perception"), 50.0, 1e-9);
  EXPECT_NEAR(accuracy(mmstar, "category", "math"), 100.0 / 3, 1e-9);
  EXPECT_NEAR(accuracy(mmstar, "category", "science & technology"), 100.0, 1e-9);
  EXPECT_NEAR(accuracy(mmstar, "l2_category", "geometry"), 50.0, 1e-9);
  EXPECT_NEAR(accuracy(mmstar, "l2_category", "image style & quality"), 0.0, 1e-9);
  EXPECT_EQ(mmstar.at("breakdown").at("l2_category").size(), 5U);
  EXPECT_EQ(cell_of(record, "mmstar").at("counts").at("unparsed"), 2);

  const auto& ai2d = cell_of(record, "ai2d-test").at("scores").at(0);
  EXPECT_NEAR(ai2d.at("score").get<double>(), 200.0 / 3, 1e-9);
  EXPECT_EQ(ai2d.at("n_unparsed"), 1);
  const auto& rwqa = cell_of(record, "realworldqa").at("scores").at(0);
  EXPECT_NEAR(rwqa.at("score").get<double>(), 50.0, 1e-9);
  EXPECT_EQ(rwqa.at("n_unparsed"), 1);

  const auto& en = cell_of(record, "mmbench-dev-en-v11").at("scores").at(0);
  EXPECT_EQ(en.at("metric"), "mmbench");
  EXPECT_EQ(en.at("variant"), "vlmevalkit");
  EXPECT_NEAR(en.at("score").get<double>(), 50.0, 1e-9);  // 2 circular groups, 1 right
  EXPECT_NEAR(accuracy(en, "category", "image_scene"), 100.0, 1e-9);
  EXPECT_NEAR(accuracy(en, "category", "ocr"), 0.0, 1e-9);
  // report_acc's l2-category columns (VLMEvalKit abbreviates MMBench's names: CP 1.0, FP-S 0.0).
  EXPECT_NEAR(accuracy(en, "l2_category", "coarse_perception"), 100.0, 1e-9);
  EXPECT_NEAR(accuracy(en, "l2_category", "finegrained_perception (instance-level)"), 0.0, 1e-9);
  EXPECT_NEAR(cell_of(record, "mmbench-dev-cn-v11").at("scores").at(0).at("score").get<double>(),
              100.0, 1e-9);

  const auto& info = cell_of(record, "infovqa-val").at("scores").at(0);
  EXPECT_EQ(info.at("metric"), "anls");
  EXPECT_NEAR(info.at("score").get<double>(), 100.0 * (1.0 + 0.8) / 2, 1e-9);

  // The report draws each breakdown as a table, MMStar's by core capability and by axis.
  const std::string html = read_text(out / "report.html");
  EXPECT_NE(html.find("mmstar · by category"), std::string::npos);
  EXPECT_NE(html.find("mmstar · by l2_category"), std::string::npos);
  EXPECT_NE(html.find("science &amp; technology"), std::string::npos);
  EXPECT_NE(html.find("numeric commonsense and calculation"), std::string::npos);
}

}  // namespace
}  // namespace lmmbench::testing
