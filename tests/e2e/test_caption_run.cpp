// `lmmbench run` of the caption tasks' layouts: parquet files in lmms-lab's COCO-Caption2017,
// NoCaps and flickr30k column layouts and yerevann/coco-karpathy's (captions in the file, images
// as COCO val2014 files under image_root) (make_caption_parquet.py writes the 20 images of the
// caption fixture), answered by the replay baseline with the fixture's predictions, scored by the
// `caption` metric. Every layout must give pycocoevalcap's own numbers on those captions
// (tests/metrics/fixtures/caption.expected.json).
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

nlohmann::json caption_task(const std::string& name, const std::string& file,
                            const nlohmann::json& fields, const std::string& cache,
                            const std::string& image_root = "") {
  nlohmann::json dataset = {{"format", "hf-parquet"},
                            {"path", "data/" + file},
                            {"image_cache", cache},
                            {"fields", fields}};
  if (!image_root.empty()) dataset["image_root"] = image_root;
  return {{"name", name},
          {"dataset", dataset},
          {"prompt", {{"template", "Provide a one-sentence caption for the provided image."}}},
          {"generation", {{"max_tokens", 64}, {"temperature", 0}}},
          {"metrics", {"caption"}}};
}

TEST(CaptionRun, LmmsLabCaptionLayoutsScoreAsPycocoevalcap) {
  TempDir dir;
  const std::string make = "PYTHONPATH='" LMMBENCH_ARROW_PYTHONPATH "' '" LMMBENCH_PYTHON "' '" +
                           (kSource / "tests/e2e/make_caption_parquet.py").string() + "' '" +
                           (dir.path() / "data").string() + "'";
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  const std::string cache = (dir.path() / "image-cache").string();
  const nlohmann::json config = {
      {"name", "captions"},
      {"output_dir", "runs"},
      {"models",
       {{{"name", "recorded"},
         {"backend", "replay"},
         {"options", {{"path", (dir.path() / "data/predictions.jsonl").string()}}}}}},
      {"tasks",
       {caption_task("coco", "coco.parquet",
                     {{"id", "question_id"}, {"answers", "answer"}, {"images", "image"}}, cache),
        caption_task("nocaps", "nocaps.parquet",
                     {{"id", "image_id"}, {"answers", "annotations_captions"}, {"images", "image"}},
                     cache),
        caption_task("flickr", "flickr.parquet",
                     {{"id", "img_id"}, {"answers", "caption"}, {"images", "image"}}, cache),
        caption_task("karpathy", "karpathy.parquet",
                     {{"id", "filename"}, {"answers", "sentences"}, {"image_files", "filename"}},
                     cache, "data/val2014")}}};
  write_text(dir.path() / "run.json", config.dump(2));
  const auto out = dir.path() / "run";
  const auto r =
      lmmbench({"run", (dir.path() / "run.json").string(), "--out", out.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  const auto expected =
      nlohmann::json::parse(read_text(kSource / "tests/metrics/fixtures/caption.expected.json"))
          .at("sets")
          .at("caption.input.jsonl")
          .at("aggregate");
  for (const char* task : {"coco", "nocaps", "flickr", "karpathy"}) {
    const auto& cell = find_cell(record, "", task);
    ASSERT_EQ(cell.at("counts").at("total"), 20) << cell.dump(2);
    ASSERT_EQ(cell.at("counts").at("ok"), 20) << cell.dump(2);
    const auto& score = cell.at("scores").at(0);
    EXPECT_EQ(score.at("metric"), "caption");
    const auto& metrics = score.at("metrics");
    for (const char* name : {"bleu_1", "bleu_2", "bleu_3", "bleu_4", "rouge_l", "cider"}) {
      const double want = expected.at(name).get<double>();
      EXPECT_NEAR(metrics.at(name).get<double>(), want, 1e-12 * std::max(1.0, want))
          << task << " " << name;
    }
    // The headline is CIDEr-D in the scale papers print it (x 100).
    EXPECT_NEAR(score.at("score").get<double>(), 100.0 * expected.at("cider").get<double>(), 1e-10);
  }
  // The report shows the caption numbers.
  const std::string summary = read_text(out / "summary.md");
  EXPECT_NE(summary.find("caption"), std::string::npos) << summary;
}

TEST(CaptionRun, MeteorWithoutJavaOrJarIsRefusedBeforeAnyWork) {
  // The METEOR variant names what is missing, and the run stops before asking any model.
  TempDir dir;
  const std::string make = "PYTHONPATH='" LMMBENCH_ARROW_PYTHONPATH "' '" LMMBENCH_PYTHON "' '" +
                           (kSource / "tests/e2e/make_caption_parquet.py").string() + "' '" +
                           (dir.path() / "data").string() + "'";
  ASSERT_EQ(std::system(make.c_str()), 0) << make;
  nlohmann::json task =
      caption_task("nocaps", "nocaps.parquet",
                   {{"id", "image_id"}, {"answers", "annotations_captions"}, {"images", "image"}},
                   (dir.path() / "image-cache").string());
  task["metrics"] = {
      {{"name", "caption"},
       {"variant", "pycocoevalcap-meteor"},
       {"options",
        {{"java", "/nonexistent/bin/java"}, {"meteor_jar", "/nonexistent/meteor-1.5.jar"}}}}};
  const nlohmann::json config = {
      {"name", "meteor"},
      {"output_dir", "runs"},
      {"models",
       {{{"name", "recorded"},
         {"backend", "replay"},
         {"options", {{"path", (dir.path() / "data/predictions.jsonl").string()}}}}}},
      {"tasks", {task}}};
  write_text(dir.path() / "run.json", config.dump(2));
  const auto r =
      lmmbench({"run", (dir.path() / "run.json").string(), "--out", (dir.path() / "run").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("Java: '/nonexistent/bin/java' is not an executable"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("meteor-1.5.jar: not found (looked in /nonexistent/meteor-1.5.jar"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "run" / "predictions.jsonl"));
}

}  // namespace
}  // namespace lmmbench::testing
