// `lmmbench run` on parquet files in lmms-lab's layouts (tests/datasets/make_hf_parquet.py writes
// them with pyarrow), through baseline models: the hf-parquet loader end to end.
#include <cstdlib>

#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

const nlohmann::json& cell(const nlohmann::json& record, const std::string& model,
                           const std::string& task) {
  for (const auto& c : record.at("cells")) {
    if (c.at("model") == model && c.at("task") == task) return c;
  }
  throw std::runtime_error("no cell " + model + "/" + task);
}

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

  const auto& pope = cell(record, "oracle", "pope-parquet");
  EXPECT_EQ(pope.at("counts").at("ok"), 3) << pope.dump(2);
  // The oracle answers each gold label: every merged POPE number is perfect (lmms-eval's
  // variant reports them as metrics.all).
  const auto& all = pope.at("scores").at(0).at("metrics").at("all");
  EXPECT_EQ(all.at("accuracy"), 100.0) << pope.dump(2);
  EXPECT_EQ(all.at("f1"), 100.0) << pope.dump(2);
  EXPECT_EQ(pope.at("scores").at(0).at("breakdown").at("split").size(), 3U);
  const auto& mc = cell(record, "always-a", "mmbench-parquet");
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

}  // namespace
}  // namespace lmmbench::testing
