// `lmmbench gpu` as a user runs it. Without a GPU (here and in CI) the roofline runs and the
// output says measurement needs a GPU; with one, the same commands also measure.
#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

const std::string kConfigs = (kSource / "configs").string();

std::vector<std::string> gpu_args(std::vector<std::string> extra) {
  std::vector<std::string> args = {"gpu", "--config-dir", kConfigs};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

const nlohmann::json& stage(const nlohmann::json& batch, const std::string& name) {
  for (const auto& s : batch.at("stages")) {
    if (s.at("name") == name) return s;
  }
  throw std::runtime_error("no stage " + name);
}

TEST(GpuCommand, JsonRooflineOfLlava7bOnEightA100s) {
  const auto r =
      lmmbench(gpu_args({"--model", "llava-1.5-7b", "--gpu", "a100-80gb", "--batch", "1,8,32",
                         "--images", "1", "--prompt-tokens", "64", "--output-tokens", "128",
                         "--price", "1.89", "--gpu-count", "8", "--no-measure", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("gpu"), "a100-80gb");
  EXPECT_EQ(j.at("gpu_count"), 8);
  EXPECT_FALSE(j.at("measured").get<bool>());
  EXPECT_TRUE(j.at("device").is_null());
  const auto& model = j.at("models").at(0);
  EXPECT_EQ(model.at("prompt_tokens"), 640);
  ASSERT_EQ(model.at("batches").size(), 3u);
  const auto& b1 = model.at("batches").at(0);
  EXPECT_EQ(b1.at("batch"), 1);
  EXPECT_NEAR(b1.at("prefill_flops").get<double>() / 1e12, 8.787, 0.001);
  EXPECT_NEAR(b1.at("decode_weight_bytes_per_step").get<double>() / 1e9, 13.215, 0.001);
  std::vector<std::string> names;
  for (const auto& s : b1.at("stages")) {
    names.push_back(s.at("name"));
    EXPECT_TRUE(s.at("measured_ms").is_null());
    EXPECT_GT(s.at("bound_ms").get<double>(), 0);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"vision.patch_embed", "vision.layers", "projector",
                                             "lm.prefill", "lm.decode", "lm_head"}));
  EXPECT_EQ(stage(b1, "lm.decode").at("bound_by"), "memory");
  EXPECT_EQ(stage(b1, "lm.prefill").at("bound_by"), "compute");
  EXPECT_TRUE(b1.at("measured_tokens_per_s").is_null());
  const auto& b32 = model.at("batches").at(2);
  EXPECT_NEAR(b32.at("bound_decode_tokens_per_s").get<double>(), 2591.3, 0.5);
  EXPECT_NEAR(b32.at("bound_tokens_per_s").get<double>(), 1658.5, 0.5);
  EXPECT_EQ(b32.at("max_batch_kv_fit"), 143);
  EXPECT_TRUE(b32.at("fits_in_memory").get<bool>());
  EXPECT_NEAR(b32.at("usd_per_day").get<double>(), 8 * 1.89 * 24, 1e-9);
  EXPECT_NEAR(b32.at("usd_per_1m_output_tokens").get<double>(),
              1.89 * 1e6 / (3600 * b32.at("bound_tokens_per_s").get<double>()), 1e-9);
  EXPECT_TRUE(b32.at("measured_usd_per_1m_output_tokens").is_null());
}

TEST(GpuCommand, WithoutAGpuItSaysMeasurementNeedsOne) {
  const auto r = lmmbench(gpu_args(
      {"--model", "llava-1.5-7b", "--gpu", "h100", "--batch", "1", "--max-runs", "20", "--json"}));
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  const auto& b = j.at("models").at(0).at("batches").at(0);
  if (j.at("measured").get<bool>()) {
    // A GPU machine: the same command measured every stage.
    for (const auto& s : b.at("stages")) {
      if (s.at("error").get<std::string>().empty()) {
        EXPECT_GT(s.at("measured_ms").get<double>(), 0);
      }
    }
    return;
  }
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("measurement needs a GPU"), std::string::npos) << r.err;
  EXPECT_TRUE(b.at("measured_tokens_per_s").is_null());
  // No --price: the table's first H100 quote is used, with its date and source.
  EXPECT_FALSE(j.at("price").at("date").get<std::string>().empty());
  EXPECT_FALSE(j.at("price").at("source").get<std::string>().empty());
}

TEST(GpuCommand, MarkdownTablesAndRunRecord) {
  TempDir dir;
  const auto r =
      lmmbench(gpu_args({"--model", "llava-1.5-13b,qwen2-vl-7b-instruct", "--gpu", "a100-40gb",
                         "--batch", "32", "--no-measure", "--out", dir.path().string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("### Stages · llava-1.5-13b · batch 32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("### Stages · qwen2-vl-7b-instruct · batch 32"), std::string::npos);
  EXPECT_NE(r.out.find("| lm.decode |"), std::string::npos);
  EXPECT_NE(r.out.find("| llava-1.5-13b · batch 32 | no (KV fit 14) ✗ |"), std::string::npos)
      << r.out;
  validate_run_record(dir.path() / "run.json");
  // The run directory is a run like any other: its reports are written, and re-render with the
  // numbers in every format.
  for (const char* file : {"report.html", "summary.md", "junit.xml", "results.csv", "run.lock"})
    EXPECT_TRUE(std::filesystem::exists(dir.path() / file)) << file;
  EXPECT_NE(
      read_text(dir.path() / "summary.md").find("| llava-1.5-13b · batch 32 | no (KV fit 14) ✗ |"),
      std::string::npos);
  const auto md = lmmbench({"report", dir.path().string(), "--md", "-"});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_EQ(md.out.find("0 models × 0 tasks"), std::string::npos) << md.out;
  EXPECT_NE(md.out.find("| lm.prefill | prefill |"), std::string::npos) << md.out;
  const auto csv = lmmbench({"report", dir.path().string(), "--csv", "-"});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_NE(csv.out.find(",Throughput and cost,,output tok/s bound,"), std::string::npos)
      << csv.out.substr(0, 800);
  const auto junit = lmmbench({"report", dir.path().string(), "--junit", "-"});
  ASSERT_EQ(junit.exit_code, 0) << junit.err;
  EXPECT_NE(junit.out.find("<testcase classname=\"lmmbench.gpu\" name=\"Throughput and cost\""),
            std::string::npos)
      << junit.out;
  const auto record = nlohmann::json::parse(read_text(dir.path() / "run.json"));
  EXPECT_EQ(record.at("schema_version"), 2);
  EXPECT_EQ(record.at("status"), "complete");
  EXPECT_EQ(record.at("resolved_config").at("batches"), nlohmann::json::array({32}));
  const auto& gpu = record.at("gpu");
  EXPECT_EQ(gpu.at("models").size(), 2u);
  EXPECT_EQ(gpu.at("models").at(1).at("image_tokens"), 144);
  EXPECT_EQ(gpu.at("models").at(0).at("batches").at(0).at("fits_in_memory"), false);
}

TEST(GpuCommand, HtmlReportOfAGpuRunShowsTheGpuSection) {
  TempDir dir;
  auto r =
      lmmbench(gpu_args({"--model", "llava-1.5-7b,llava-1.5-13b", "--gpu", "a100-80gb", "--batch",
                         "1,8,32", "--no-measure", "--out", (dir.path() / "run").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = lmmbench(
      {"report", (dir.path() / "run").string(), "--html", (dir.path() / "report.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto html = read_text(dir.path() / "report.html");
  EXPECT_NE(html.find("<section id=\"gpu\"><h2>GPU roofline and measurements</h2>"),
            std::string::npos);
  EXPECT_NE(html.find("<a href=\"#gpu\">GPU roofline and measurements</a>"), std::string::npos);
  EXPECT_NE(html.find("<li>Roofline bounds only: nothing was measured."), std::string::npos);
  EXPECT_NE(html.find("<tr><th>GPU (assumed)</th><td>1 × NVIDIA A100 80GB SXM4 (a100-80gb)"),
            std::string::npos);
  for (const char* batch :
       {"llava-1.5-7b · batch 1<", "llava-1.5-7b · batch 32<", "llava-1.5-13b · batch 8<"}) {
    EXPECT_NE(html.find(batch), std::string::npos) << batch;
  }
  // Six stages per model and batch, each a row of the stage table.
  std::size_t rows = 0;
  for (auto p = html.find("<tr><td>lm.decode</td>"); p != std::string::npos;
       p = html.find("<tr><td>lm.decode</td>", p + 1))
    ++rows;
  EXPECT_EQ(rows, 6u);
  // A run without scored tasks has no empty score sections and no generic key dump.
  for (const char* absent : {"id=\"results\"", "id=\"samples\"", "id=\"performance\"",
                             "image_height vs decode_context"}) {
    EXPECT_EQ(html.find(absent), std::string::npos) << absent;
  }
}

TEST(GpuCommand, ListGpusShowsTheGpuTable) {
  auto r = lmmbench({"list", "gpus", "--config-dir", kConfigs});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fp16 peak"), std::string::npos) << r.out;
  for (const char* row :
       {"a100-80gb      NVIDIA A100 80GB SXM4          80        312        312      2039  $",
        "h100-sxm", "l40s"}) {
    EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
  }
  r = lmmbench({"list", "gpus"}, kSource);  // default config dir: ./configs
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("NVIDIA H100 80GB SXM5"), std::string::npos) << r.out;
  // A config directory that surely does not exist (a fixed path such as /nonexistent may).
  TempDir dir;
  r = lmmbench({"list", "gpus", "--config-dir", (dir.path() / "missing").string()});
  EXPECT_EQ(r.exit_code, 2) << r.out;
}

TEST(GpuCommand, HuggingFaceConfigFilesAndTheirErrors) {
  TempDir dir;
  write_text(dir.path() / "config.json", R"({
  "model_type": "llava",
  "text_config": {
    "model_type": "mistral",
    "num_key_value_heads": 5
  }
})");
  auto r = lmmbench(gpu_args(
      {"--model", (dir.path() / "config.json").string(), "--gpu", "l40s", "--no-measure"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("config.json:5"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("num_attention_heads 32 is not a multiple of num_key_value_heads 5"),
            std::string::npos)
      << r.err;

  write_text(dir.path() / "config.json", R"({"model_type": "llava",
    "text_config": {"model_type": "mistral"}})");
  r = lmmbench(gpu_args({"--model", (dir.path() / "config.json").string(), "--gpu", "l40s",
                         "--no-measure", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("models").at(0).at("model"), "config");
}

TEST(GpuCommand, BadInputIsExitCode2) {
  auto r = lmmbench(gpu_args({"--model", "llava-1.5-70b", "--gpu", "a100", "--no-measure"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown model 'llava-1.5-70b'"), std::string::npos) << r.err;
  // The spec fails to load after --out was locked: nothing is left behind, not even run.lock.
  TempDir dir;
  r = lmmbench(gpu_args({"--model", "llava-1.5-70b", "--gpu", "a100", "--no-measure", "--out",
                         (dir.path() / "new" / "out").string()}));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "new")) << r.err;
  r = lmmbench(gpu_args({"--model", "llava-1.5-7b", "--gpu", "b300", "--no-measure"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown GPU kind 'b300'"), std::string::npos) << r.err;
  r = lmmbench(gpu_args({"--model", "llava-1.5-7b", "--gpu", "a100", "--batch", "0"}));
  EXPECT_EQ(r.exit_code, 2);
  r = lmmbench(gpu_args({"--model", "llava-1.5-7b", "--gpu", "a100", "--price", "cheap"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("'cheap' is not a number"), std::string::npos) << r.err;
  r = lmmbench(gpu_args({"--model", "llava-1.5-7b", "--gpu", "a100", "--l2", "hot"}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--l2: must be cold-decode, warm or cold"), std::string::npos) << r.err;
  r = lmmbench(gpu_args({"--model", "llava-1.5-7b", "--gpu", "auto", "--no-measure"}));
  if (r.exit_code != 0) {  // no GPU to detect
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("--gpu auto found no GPU"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace lmmbench::testing
