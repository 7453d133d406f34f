// `lmmbench run` on the synthetic suite through the shipped Hugging Face transformers worker
// (scripts/transformers-worker → scripts/transformers_worker.py) serving a tiny random-weight
// LLaVA-1.5 that the test builds (tests/models/tiny_llava.py build: CLIP ViT at 336 px, patch 14,
// so each image is 576 tokens; nothing downloaded, HF_HUB_OFFLINE=1), and a tiny LLaVA-NeXT
// (anyres tiles: more image tokens per image). The weights are random, so
// the answers are gibberish; what is real is the whole path: the processor's chat template, the
// vision tower, the image tokens in the prompt count, generate(). The answers lmmbench logged must
// equal model.generate() called directly on the same inputs (tiny_llava.py check).
//
// Needs the interpreter that scripts/install-deps.sh --test sets up with torch and transformers
// (CMake cache variable LMMBENCH_TRANSFORMERS_PYTHON, or the environment variable of that name at
// run time). Without it each test is skipped with the reason — except when the environment
// variable CI is set (and not "false" or "0"), or LMMBENCH_REQUIRE_TRANSFORMERS=1: then it fails.
#include <cstdlib>
#include <sstream>

#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

/// LLaVA-1.5's image tokens at 336 px and patch 14: (336 / 14)^2.
constexpr std::int64_t kImageTokens = 576;
const std::string kOpenTemplate = "{question}\nAnswer the question using a single word or phrase.";

std::filesystem::path transformers_python() {
  if (const char* env = std::getenv("LMMBENCH_TRANSFORMERS_PYTHON"); env != nullptr && *env != '\0')
    return env;
  return LMMBENCH_TRANSFORMERS_PYTHON;
}

bool required() {
  const auto set = [](const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' && std::string(v) != "false" && std::string(v) != "0";
  };
  return set("CI") || set("LMMBENCH_REQUIRE_TRANSFORMERS");
}

nlohmann::json cell_of(const std::filesystem::path& run_dir, const std::string& model,
                       const std::string& task) {
  const auto record = nlohmann::json::parse(read_text(run_dir / "run.json"));
  for (const auto& cell : record.at("cells"))
    if (cell.at("model") == model && cell.at("task") == task) return cell;
  ADD_FAILURE() << "no cell " << model << " x " << task;
  return {};
}

nlohmann::json worker_model(const std::string& name, const std::filesystem::path& python,
                            const std::filesystem::path& model, std::vector<std::string> flags) {
  std::vector<std::string> args{"--model", model.string(), "--device", "cpu"};
  args.insert(args.end(), flags.begin(), flags.end());
  return {{"name", name},
          {"backend", "worker"},
          {"options",
           {{"command", (kSource / "scripts/transformers-worker").string()},
            {"args", args},
            {"env", {{"LMMBENCH_TRANSFORMERS_PYTHON", python.string()}, {"HF_HUB_OFFLINE", "1"}}},
            {"timeout_s", 300}}},
          {"retry", {{"max_attempts", 1}}}};
}

TEST(TransformersWorker, ATinyLlavaAnswersTheSyntheticSuiteAsGenerateDoesWithImageTokens) {
  const auto python = transformers_python();
  if (!std::filesystem::exists(python)) {
    const std::string why = "no interpreter with torch and transformers at " + python.string() +
                            " (scripts/install-deps.sh --test installs it; docs/testing.md)";
    if (required())
      FAIL() << why << " — required here (CI or LMMBENCH_REQUIRE_TRANSFORMERS is set)";
    GTEST_SKIP() << why;
  }
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  TempDir dir;
  const auto model = dir.path() / "tiny-llava";
  const auto script = (kSource / "tests/models/tiny_llava.py").string();
  auto r = run_process({python.string(), script, "build", model.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // One request at a time, and batches of up to 4 with token events.
  const nlohmann::json models = {
      worker_model("llava", python, model, {"--max-batch", "1"}),
      worker_model("llava-batched", python, model, {"--max-batch", "4", "--stream"})};
  const nlohmann::json run{{"name", "transformers"}, {"output_dir", "runs"},
                           {"concurrency", 4},       {"seed", 1},
                           {"models", models},       {"tasks", synthetic_suite_tasks({"vqa"})}};
  const auto config = dir.path() / "transformers.run.json";
  write_text(config, run.dump(2));
  const auto out = dir.path() / "run";
  constexpr int kLimit = 4;
  r = lmmbench({"run", config.string(), "--out", out.string(), "--limit", std::to_string(kLimit),
                "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;

  for (const std::string m : {"llava", "llava-batched"}) {
    for (const std::string t : {"open", "mc"}) {
      const auto cell = cell_of(out, m, t);
      EXPECT_EQ(cell["counts"]["ok"], kLimit) << m << " " << t << cell.dump();
      // Every prompt holds one image: 576 image tokens plus the text's.
      EXPECT_GT(cell["usage"]["prompt_tokens"].get<std::int64_t>(), kLimit * kImageTokens);
      EXPECT_EQ(cell["usage"]["requests_with_usage"], kLimit);
    }
  }
  std::size_t streamed = 0;
  std::istringstream log(read_text(out / "predictions.jsonl"));
  for (std::string line; std::getline(log, line);) {
    const auto e = nlohmann::json::parse(line);
    if (e["model"] == "llava-batched") streamed += e["timing"].contains("first_token_s") ? 1 : 0;
  }
  EXPECT_EQ(streamed, 2U * kLimit);

  for (const std::string m : {"llava", "llava-batched"}) {
    r = run_process({python.string(), script, "check", model.string(), "--dataset",
                     (dir.path() / "data/open.jsonl").string(), "--predictions",
                     (out / "predictions.jsonl").string(), "--model", m, "--task", "open",
                     "--template", kOpenTemplate, "--max-tokens", "16"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto check = nlohmann::json::parse(r.out);
    EXPECT_EQ(check["checked"], kLimit) << m << " " << r.out;
    EXPECT_EQ(check["image_tokens"], kImageTokens) << m;
    EXPECT_EQ(check["errors"].size(), 0U) << m << " " << r.out;
    EXPECT_EQ(check["usage_mismatches"].size(), 0U) << m << " " << r.out;
    if (m == "llava") {
      // One request at a time: exactly generate()'s answers.
      EXPECT_EQ(check["text_mismatches"].size(), 0U) << r.out;
    } else {
      // Left-padded batches may differ from generate() on one request in the last float bits.
      ::testing::Test::RecordProperty("batched_text_mismatches",
                                      static_cast<int>(check["text_mismatches"].size()));
    }
  }
}

TEST(TransformersWorker, ATinyLlavaNextAnswersAsGenerateDoesWithItsTiles) {
  const auto python = transformers_python();
  if (!std::filesystem::exists(python)) {
    const std::string why = "no interpreter with torch and transformers at " + python.string() +
                            " (scripts/install-deps.sh --test installs it; docs/testing.md)";
    if (required())
      FAIL() << why << " — required here (CI or LMMBENCH_REQUIRE_TRANSFORMERS is set)";
    GTEST_SKIP() << why;
  }
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  TempDir dir;
  const auto model = dir.path() / "tiny-llava-next";
  const auto script = (kSource / "tests/models/tiny_llava.py").string();
  auto r = run_process({python.string(), script, "build", model.string(), "--next"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json run{
      {"name", "transformers"},
      {"output_dir", "runs"},
      {"concurrency", 2},
      {"seed", 1},
      {"models", {worker_model("llava-next", python, model, {"--max-batch", "1"})}},
      {"tasks", synthetic_suite_tasks({"vqa"})}};
  const auto config = dir.path() / "transformers.run.json";
  write_text(config, run.dump(2));
  const auto out = dir.path() / "run";
  constexpr int kLimit = 4;
  r = lmmbench({"run", config.string(), "--tasks", "open", "--out", out.string(), "--limit",
                std::to_string(kLimit), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto cell = cell_of(out, "llava-next", "open");
  EXPECT_EQ(cell["counts"]["ok"], kLimit) << cell.dump();
  r = run_process({python.string(), script, "check", model.string(), "--dataset",
                   (dir.path() / "data/open.jsonl").string(), "--predictions",
                   (out / "predictions.jsonl").string(), "--model", "llava-next", "--task", "open",
                   "--template", kOpenTemplate, "--max-tokens", "16"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto check = nlohmann::json::parse(r.out);
  EXPECT_EQ(check["checked"], kLimit) << r.out;
  // The base tile's 576 tokens and the higher-resolution tiles' (less padding).
  EXPECT_GT(check["image_tokens"].get<std::int64_t>(), kImageTokens) << r.out;
  EXPECT_EQ(check["errors"].size(), 0U) << r.out;
  EXPECT_EQ(check["usage_mismatches"].size(), 0U) << r.out;
  EXPECT_EQ(check["text_mismatches"].size(), 0U) << r.out;
}

}  // namespace
}  // namespace lmmbench::testing
