// `lmmbench run` on parquet files in lmms-lab's layouts (tests/datasets/make_hf_parquet.py writes
// them with pyarrow), through baseline models: the hf-parquet loader end to end.
#include <cstdlib>

#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

TEST(HfParquetRun, PopeAndMmBenchLayoutsRunThroughBaselines) {
  TempDir dir;
  const std::string make = "PYTHONPATH='" LMMBENCH_ARROW_PYTHONPATH "' '" LMMBENCH_PYTHON "' '" +
                           (kSource / "tests/datasets/make_hf_parquet.py").string() + "' '" +
                           (dir.path() / "data").string() + "'";
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  const std::string cache = (dir.path() / "image-cache").string();
  const nlohmann::json config = {
      {"name", "hf"},
      {"output_dir", "runs"},
      {"models",
       {{{"name", "oracle"}, {"backend", "oracle"}},
        {{"name", "always-a"}, {"backend", "constant"}, {"options", {{"answer", "A"}}}}}},
      {"tasks",
       {{{"name", "pope-parquet"},
         {"dataset",
          {{"format", "hf-parquet"},
           {"path", "data/pope.parquet"},
           {"image_cache", cache},
           {"fields",
            {{"id", "question_id"},
             {"question", "question"},
             {"answers", "answer"},
             {"images", "image"},
             {"category", "category"}}}}},
         {"metrics", {{{"name", "pope"}, {"variant", "lmms-eval"}}}}},
        {{"name", "mmbench-parquet"},
         {"dataset",
          {{"format", "hf-parquet"},
           {"path", "data/mmbench.parquet"},
           {"image_cache", cache},
           {"fields",
            {{"id", "index"},
             {"question", "question"},
             {"options", {"A", "B", "C", "D"}},
             {"answers", "answer"},
             {"images", "image"},
             {"category", "category"}}}}},
         {"prompt", {{"template", "{question}\n{options}"}}},
         {"metrics", {"multiple_choice"}}}}}};
  write_text(dir.path() / "run.json", config.dump(2));
  const auto out = dir.path() / "run";
  const auto r =
      lmmbench({"run", (dir.path() / "run.json").string(), "--out", out.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));

  const auto& pope = find_cell(record, "oracle", "pope-parquet");
  EXPECT_EQ(pope.at("counts").at("ok"), 3) << pope.dump(2);
  // The oracle answers each gold label: every merged POPE number is perfect (lmms-eval's
  // variant reports them as metrics.all).
  const auto& all = pope.at("scores").at(0).at("metrics").at("all");
  EXPECT_EQ(all.at("accuracy"), 100.0) << pope.dump(2);
  EXPECT_EQ(all.at("f1"), 100.0) << pope.dump(2);
  EXPECT_EQ(pope.at("scores").at(0).at("breakdown").at("split").size(), 3U);
  const auto& mc = find_cell(record, "always-a", "mmbench-parquet");
  EXPECT_EQ(mc.at("counts").at("ok"), 3) << mc.dump(2);
  // Gold letters A, B, C: always answering "A" is right once.
  EXPECT_NEAR(mc.at("scores").at(0).at("score").get<double>(), 100.0 / 3, 1e-9) << mc.dump(2);

  // Each sample's line names the image extracted into the cache, and the report shows it.
  const std::string scores = read_text(out / "scores/oracle/pope-parquet.jsonl");
  EXPECT_NE(scores.find(cache + "/"), std::string::npos) << scores;
  const std::string html = read_text(out / "report.html");
  std::size_t thumbnails = 0;
  for (auto at = html.find("data:image/jpeg;base64,"); at != std::string::npos;
       at = html.find("data:image/jpeg;base64,", at + 1))
    ++thumbnails;
  EXPECT_GT(thumbnails, 0U);

  // The manifest names the parquet file (its hash covers the embedded images), not the images
  // extracted into the cache.
  const std::string manifest = read_text(out / "manifests/pope-parquet.sha256");
  EXPECT_NE(manifest.find("  pope.parquet\n"), std::string::npos) << manifest;
  EXPECT_EQ(manifest.find("image-cache"), std::string::npos) << manifest;
}

TEST(HfParquetRun, ShippedOkVqaConfigReadsBothShardsAndScoresAsLmmsEval) {
  TempDir dir;
  const auto data = dir.path() / "data";
  const std::string make = "PYTHONPATH='" LMMBENCH_ARROW_PYTHONPATH "' '" LMMBENCH_PYTHON "' '" +
                           (kSource / "tests/e2e/make_okvqa_parquet.py").string() + "' '" +
                           data.string() + "'";
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  write_text(dir.path() / "answers.jsonl", R"({"id": "1", "prediction": "Tennis."}
{"id": "2", "prediction": "toy"}
{"id": "3", "prediction": "Unanswerable"}
)");
  // The shipped task config reads its data from $LMMBENCH_DATA (inherited by lmmbench).
  ::setenv("LMMBENCH_DATA", data.c_str(), 1);
  ::setenv("XDG_CACHE_HOME", (dir.path() / "cache").c_str(), 1);
  const nlohmann::json config = {
      {"name", "okvqa"},
      {"output_dir", "runs"},
      {"models",
       {{{"name", "replayed"},
         {"backend", "replay"},
         {"options", {{"path", (dir.path() / "answers.jsonl").string()}}}}}},
      {"tasks", {(kSource / "configs/tasks/okvqa_val.json").string()}}};
  write_text(dir.path() / "run.json", config.dump(2));
  const auto out = dir.path() / "run";
  const auto r =
      lmmbench({"run", (dir.path() / "run.json").string(), "--out", out.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  const auto& c = find_cell(record, "replayed", "okvqa-val");
  EXPECT_EQ(c.at("counts").at("ok"), 3) << c.dump(2);
  const auto& score = c.at("scores").at(0);
  EXPECT_EQ(score.at("variant"), "lmms-eval-okvqa");
  // "Tennis." is 8 of 10 answers (1); "toy" is 1 of 10 (9 x 1/3 + 0, over 10: 0.3); a miss (0).
  EXPECT_NEAR(score.at("score").get<double>(), 100.0 * (1.0 + 0.3 + 0.0) / 3, 1e-9) << c.dump(2);
  const std::string manifest = read_text(out / "manifests/okvqa-val.sha256");
  EXPECT_NE(manifest.find("val2014-00000-of-00002.parquet"), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("val2014-00001-of-00002.parquet"), std::string::npos) << manifest;
}

}  // namespace
}  // namespace lmmbench::testing
