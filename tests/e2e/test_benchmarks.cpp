// Published benchmark files through `lmmbench run` with the replay backend: scores that must equal
// the published ones, LLaVA's own extractions, server submission files, dataset manifests.
#include <cmath>
#include <map>

#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

const std::filesystem::path kShared = std::filesystem::path(LMMBENCH_SHARED_DIR) / "fixtures";
const std::filesystem::path kFixtures = kSource / "tests/fixtures";

/// Runs `config` (JSON text, written into `dir`) into dir/run and returns run.json.
nlohmann::json run(const std::filesystem::path& dir, const nlohmann::json& config,
                   ProcessResult* result = nullptr) {
  write_text(dir / "run.json", config.dump(2));
  const auto r =
      lmmbench({"run", (dir / "run.json").string(), "--out", (dir / "run").string(), "--quiet"});
  if (result != nullptr) *result = r;
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(read_text(dir / "run/run.json"));
}

nlohmann::json model(const std::string& name, const std::string& format,
                     const std::filesystem::path& path) {
  return {{"name", name},
          {"backend", "replay"},
          {"options", {{"format", format}, {"path", path.string()}}}};
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

double round2(double x) {
  return std::round(x * 100) / 100;
}

/// MME's LLaVA-1.5 task: the result files' gold answers, LLaVA's short-answer instruction.
nlohmann::json mme_task() {
  return {
      {"name", "mme"},
      {"dataset", {{"format", "mme-results"}, {"path", (kShared / "mme_example/LaVIN").string()}}},
      {"prompt", {{"template", "{question}\nAnswer the question using a single word or phrase."}}},
      {"generation", {{"max_tokens", 128}}},
      {"metrics", {"mme"}}};
}

TEST(PublishedScores, MmeLavinResultsScoreWhatTheOfficialLeaderboardLists) {
  // BradyFU/Awesome-Multimodal-Large-Language-Models, branch Evaluation @ dd29509, README.md:
  // LaVIN-13B's perception, cognition and subtask scores (2 decimals).
  const std::map<std::string, double> leaderboard = {{"existence", 185.00},
                                                     {"count", 88.33},
                                                     {"position", 63.33},
                                                     {"color", 75.00},
                                                     {"posters", 79.59},
                                                     {"celebrity", 47.35},
                                                     {"scene", 136.75},
                                                     {"landmark", 93.50},
                                                     {"artwork", 87.25},
                                                     {"OCR", 107.50},
                                                     {"commonsense_reasoning", 87.14},
                                                     {"numerical_calculation", 65.00},
                                                     {"text_translation", 47.50},
                                                     {"code_reasoning", 50.00}};
  TempDir dir;
  const auto record =
      run(dir.path(), {{"name", "lavin"},
                       {"output_dir", "runs"},
                       {"models", {model("lavin", "mme-results", kShared / "mme_example/LaVIN")}},
                       {"tasks", {mme_task()}}});
  const auto& c = find_cell(record, "lavin", "");
  EXPECT_EQ(c.at("counts").at("ok"), 2374);
  EXPECT_EQ(c.at("counts").at("error"), 0);
  const auto& score = c.at("scores").at(0);
  EXPECT_EQ(round2(score.at("metrics").at("perception").get<double>()), 963.61);  // board: 963.6
  EXPECT_EQ(round2(score.at("metrics").at("cognition").get<double>()), 249.64);
  // The unrounded totals are what the official calculation.py prints for these files.
  EXPECT_NEAR(score.at("score").get<double>(), 963.6114445778312, 1e-9);
  EXPECT_NEAR(score.at("metrics").at("cognition").get<double>(), 249.64285714285714, 1e-9);
  const auto& subtasks = score.at("breakdown").at("subtask");
  ASSERT_EQ(subtasks.size(), 14U);
  for (const auto& [name, points] : leaderboard) {
    EXPECT_EQ(round2(subtasks.at(name).at("score").get<double>()), points) << name;
  }
}

TEST(PublishedScores, Llava15_13bMmeAnswersScoreItsPublishedPerception) {
  // LLaVA-1.5-13B's answer file from LLaVA's eval.zip, matched to MME's questions by
  // question_id and prompt; docs/MODEL_ZOO.md lists MME 1531.3 for it.
  TempDir dir;
  const auto record = run(dir.path(), {{"name", "llava"},
                                       {"output_dir", "runs"},
                                       {"models",
                                        {model("llava-v1.5-13b", "llava-answers",
                                               kFixtures / "llava_eval/mme_llava-v1.5-13b.jsonl")}},
                                       {"tasks", {mme_task()}}});
  const auto& c = find_cell(record, "llava-v1.5-13b", "");
  EXPECT_EQ(c.at("counts").at("ok"), 2374);  // every question found its answer
  EXPECT_EQ(std::round(c.at("scores").at(0).at("score").get<double>() * 10) / 10, 1531.3);
}

TEST(PublishedScores, ScienceQaLettersMatchLlavasStoredPredictions) {
  const std::map<std::string, std::filesystem::path> files = {
      {"v0", kShared / "llava_sqa_results/test_sqa_llava_13b_v0.json"},
      {"lcs558k",
       kShared / "llava_sqa_results/test_sqa_llava_lcs_558k_sqa_12e_vicuna_v1_3_13b.json"},
      {"llava-v1.5-13b", kFixtures / "llava_sqa/llava-v1.5-13b_result.json"}};
  nlohmann::json models = nlohmann::json::array();
  for (const auto& [name, path] : files)
    models.push_back(model(name, "llava-sqa-results", path));
  TempDir dir;
  const auto record = run(
      dir.path(), {{"name", "sqa"},
                   {"output_dir", "runs"},
                   {"models", models},
                   {"tasks",
                    {{{"name", "sqa"},
                      {"dataset",
                       {{"format", "llava-sqa"},
                        {"path", (kFixtures / "llava_sqa/llava_test_CQM-A.options.json").string()},
                        {"load_images", false}}},
                      {"prompt",
                       {{"template",
                         "{question}\nAnswer with the option's letter from the given "
                         "choices directly."}}},
                      {"generation", {{"max_tokens", 1024}}},
                      {"metrics", {"scienceqa"}}}}}});
  for (const auto& [name, path] : files) {
    const auto stored = nlohmann::json::parse(read_text(path));
    // The letter read from each output against the option index LLaVA's script stored.
    std::vector<std::string> mismatches;
    for (const auto& line :
         split_lines(read_text(dir.path() / "run/scores" / name / "sqa.jsonl"))) {
      const auto s = nlohmann::json::parse(line);
      const std::string letter = s.at("extracted");
      const int ours = letter.empty() ? -1 : letter[0] - 'A';
      const int theirs = stored.at("results").at(s.at("id").get<std::string>());
      if (ours != theirs) {
        mismatches.push_back(s.at("id").get<std::string>() + ":" + std::to_string(theirs) + "->" +
                             std::to_string(ours));
      }
    }
    const auto& c = find_cell(record, name, "");
    EXPECT_EQ(c.at("counts").at("ok"), 4241) << name;
    // The accuracy LLaVA's script computed, to the last digit.
    EXPECT_NEAR(c.at("scores").at(0).at("score").get<double>(), stored.at("acc").get<double>(),
                1e-9)
        << name;
    if (name == "v0") {
      // The v0 file predates ce1aa08 (2023-10-11): eval_science_qa.py then stored a random
      // choice for an answer it could not use. Problem 3247 has two options and the model
      // answered "The answer is D.": stored 1 (a random pick), read here as no answer (-1). The
      // stored acc (3855 / 4241) counted it wrong, as lmmbench does.
      EXPECT_EQ(mismatches, std::vector<std::string>{"3247:1->-1"});
    } else {
      EXPECT_TRUE(mismatches.empty()) << name << ": " << mismatches.size();
    }
  }
  // LLaVA-1.5-13B's IMG-accuracy is the SQA number of LLaVA's docs/MODEL_ZOO.md (71.6).
  double img = 0;
  for (const auto& m :
       find_cell(record, "llava-v1.5-13b", "").at("scores").at(0).at("metrics").items()) {
    if (m.key() == "img_accuracy") img = m.value().get<double>();
  }
  EXPECT_EQ(std::round(img * 10) / 10, 71.6);
}

TEST(Submissions, VizWizFileEqualsTheOneLlavaUploaded) {
  TempDir dir;
  run(dir.path(),
      {{"name", "vizwiz"},
       {"output_dir", "runs"},
       {"models",
        {{{"name", "llava-v1.5-13b"},
          {"backend", "replay"},
          {"options",
           {{"format", "llava-answers"},
            {"path", (kFixtures / "llava_eval/vizwiz_llava-v1.5-13b.head.jsonl").string()}}}}}},
       {"tasks",
        {{{"name", "vizwiz-test"},
          {"dataset",
           {{"format", "vizwiz"},
            {"path", (kFixtures / "formats/vizwiz_test.head.json").string()},
            {"load_images", false}}},
          {"prompt",
           {{"template",
             "{question}\nWhen the provided information is insufficient, "
             "respond with 'Unanswerable'.\nAnswer the question using a "
             "single word or phrase."}}},
          {"metrics", nlohmann::json::array()},
          {"submission", {{"format", "vizwiz-evalai"}}}}}}});
  const auto record = nlohmann::json::parse(read_text(dir.path() / "run/run.json"));
  EXPECT_EQ(record.at("cells").at(0).at("submission_file"),
            "submissions/llava-v1.5-13b/vizwiz-test.json");
  EXPECT_EQ(nlohmann::json::parse(
                read_text(dir.path() / "run/submissions/llava-v1.5-13b/vizwiz-test.json")),
            nlohmann::json::parse(
                read_text(kFixtures / "llava_eval/vizwiz_upload_llava-v1.5-13b.head.json")));
}

TEST(Submissions, VqaTestDevAnswersAreProcessedAsEvalAiExpects) {
  TempDir dir;
  run(dir.path(),
      {{"name", "vqa"},
       {"output_dir", "runs"},
       {"models", {{{"name", "two"}, {"backend", "constant"}, {"options", {{"answer", "Two."}}}}}},
       {"tasks",
        {{{"name", "vqav2-testdev"},
          {"dataset",
           {{"format", "vqa-official"},
            {"questions", (kFixtures / "formats/vqav2_testdev_questions.json").string()},
            {"load_images", false}}},
          {"metrics", nlohmann::json::array()},
          {"submission", {{"format", "vqav2-evalai"}}}}}}});
  EXPECT_EQ(nlohmann::json::parse(read_text(dir.path() / "run/submissions/two/vqav2-testdev.json")),
            nlohmann::json::parse(R"([{"question_id": 1000, "answer": "2"},
                                      {"question_id": 1001, "answer": "2"}])"));
}

TEST(Submissions, MmbenchWritesAnXlsxBesideItsRuleBasedScore) {
  TempDir dir;
  const auto record =
      run(dir.path(),
          {{"name", "mmbench"},
           {"output_dir", "runs"},
           {"models", {{{"name", "b"}, {"backend", "constant"}, {"options", {{"answer", "B"}}}}}},
           {"tasks",
            {{{"name", "mmbench"},
              {"dataset",
               {{"format", "vlmevalkit-tsv"},
                {"path", (kFixtures / "formats/mmbench_dev.head.tsv").string()}}},
              {"prompt", {{"template", "{if meta.hint}{meta.hint}\n{end}{question}\n{options}"}}},
              {"metrics", {"mmbench"}},
              {"submission", {{"format", "mmbench-xlsx"}}}}}}});
  const auto& c = find_cell(record, "b", "");
  EXPECT_EQ(c.at("counts").at("ok"), 4);
  EXPECT_EQ(c.at("scores").at(0).at("metrics").at("groups"), 3);  // 241 and its copy are one
  const std::string xlsx = read_text(dir.path() / "run/submissions/b/mmbench.xlsx");
  EXPECT_EQ(xlsx.substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_NE(xlsx.find("<t xml:space=\"preserve\">prediction</t>"), std::string::npos);
  EXPECT_NE(xlsx.find("<v>1000241</v>"), std::string::npos);
}

TEST(Datasets, VerifyRecomputesTheManifestAndFlagsAChangedFile) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 0, 0);
  const auto out = dir.path() / "run";
  auto r = lmmbench({"run", config.string(), "--out", out.string(), "--models", "oracle", "--tasks",
                     "open", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  const auto& dataset = record.at("cells").at(0).at("dataset");
  EXPECT_EQ(dataset.at("manifest_file"), "manifests/open.sha256");
  EXPECT_EQ(dataset.at("n_files"), 5);  // open.jsonl, calibration.jsonl, three images
  EXPECT_EQ(dataset.at("task_config_sha256").get<std::string>().size(), 64U);
  const std::string manifest = read_text(out / "manifests/open.sha256");
  EXPECT_NE(manifest.find("  images/red.png\n"), std::string::npos) << manifest;

  // The task as its own config file, as `lmmbench datasets verify TASK` takes it.
  const auto run_config = nlohmann::json::parse(read_text(config));
  write_text(dir.path() / "open.json", run_config.at("tasks").at(0).dump(2));
  r = lmmbench({"datasets", "verify", (dir.path() / "open.json").string(), "--run", out.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report.at("manifest_sha256"), dataset.at("manifest_sha256"));
  EXPECT_EQ(report.at("run").at("dataset_unchanged"), true);
  EXPECT_EQ(report.at("run").at("task_config_unchanged"), true);

  std::filesystem::copy_file(dir.path() / "images/blue.png", dir.path() / "images/red.png",
                             std::filesystem::copy_options::overwrite_existing);
  r = lmmbench({"datasets", "verify", (dir.path() / "open.json").string(), "--run", out.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report.at("run").at("dataset_unchanged"), false);
  EXPECT_EQ(report.at("run").at("differences"), nlohmann::json::array({"changed: images/red.png"}));
  EXPECT_NE(r.err.find("changed: task 'open' no longer reads what run"), std::string::npos)
      << r.err;
}

TEST(Datasets, AMissingDatasetSaysWhereToGetItAndNothingIsDownloaded) {
  TempDir dir;
  const auto record = [&] {
    write_text(
        dir.path() / "run.json",
        nlohmann::json{{"name", "missing"},
                       {"output_dir", "runs"},
                       {"models", {{{"name", "o"}, {"backend", "oracle"}}}},
                       {"tasks",
                        {{{"name", "gqa"},
                          {"dataset",
                           {{"format", "gqa"},
                            {"path", "${LMMBENCH_E2E_DATA}/gqa/testdev_balanced_questions.json"},
                            {"load_images", false},
                            {"source",
                             "https://cs.stanford.edu/people/dorarad/gqa/download.html into "
                             "$LMMBENCH_E2E_DATA/gqa/"}}},
                          {"metrics", {"gqa"}}}}}}
            .dump());
    return dir.path() / "run.json";
  }();
  auto r = lmmbench({"run", record.string(), "--out", (dir.path() / "a").string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("environment variable LMMBENCH_E2E_DATA is not set"), std::string::npos)
      << r.err;
  ::setenv("LMMBENCH_E2E_DATA", (dir.path() / "data").c_str(), 1);
  r = lmmbench({"run", record.string(), "--out", (dir.path() / "b").string(), "--quiet"});
  ::unsetenv("LMMBENCH_E2E_DATA");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find((dir.path() / "data/gqa/testdev_balanced_questions.json").string() +
                       ": GQA questions file not found. lmmbench never downloads data; get it "
                       "here: https://cs.stanford.edu/people/dorarad/gqa/download.html"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "data"));
}

}  // namespace
}  // namespace lmmbench::testing
