// `lmmbench run` on the synthetic suite through the shipped Hugging Face transformers worker
// (scripts/transformers-worker → scripts/transformers_worker.py) serving a tiny random-weight
// LLaVA-1.5 that the test builds (tests/models/tiny_hf_lmm.py build: CLIP ViT at 336 px, patch 14,
// so each image is 576 tokens; nothing downloaded, HF_HUB_OFFLINE=1), a tiny LLaVA-NeXT (anyres
// tiles: more image tokens per image) and a tiny Qwen2-VL (M-RoPE, 2x2 merged patches). The weights
// are random, so the answers are gibberish; what is real is the whole path: the processor's chat
// template, the vision tower, the image tokens in the prompt count, generate(). The answers
// lmmbench logged must equal model.generate() called directly on the same inputs (tiny_hf_lmm.py
// check).
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

/// Skips the test (or fails it where CI is set) when the interpreter is missing.
void require_python() {
  const auto python = transformers_python();
  if (std::filesystem::exists(python)) return;
  const std::string why = "no interpreter with torch and transformers at " + python.string() +
                          " (scripts/install-deps.sh --test installs it; docs/testing.md)";
  if (required()) FAIL() << why << " — required here (CI or LMMBENCH_REQUIRE_TRANSFORMERS is set)";
  GTEST_SKIP() << why;
}

TEST(TransformersWorker, ATinyLlavaAnswersTheSyntheticSuiteAsGenerateDoesWithImageTokens) {
  require_python();
  if (IsSkipped() || HasFatalFailure()) return;
  const auto python = transformers_python();
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  TempDir dir;
  const auto model = dir.path() / "tiny-llava";
  const auto script = (kSource / "tests/models/tiny_hf_lmm.py").string();
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

/// Builds a tiny model of `arch` (tiny_hf_lmm.py build --arch), runs the open task of the
/// synthetic suite through a one-request-at-a-time worker, and checks the answers against
/// generate(); returns the image tokens of one prompt (0 after a failure).
std::int64_t run_and_check(const std::string& arch) {
  const auto python = transformers_python();
  ::setenv("HF_HUB_OFFLINE", "1", 1);
  TempDir dir;
  const auto model = dir.path() / arch;
  const auto script = (kSource / "tests/models/tiny_hf_lmm.py").string();
  auto r = run_process({python.string(), script, "build", model.string(), "--arch", arch});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return 0;
  const nlohmann::json run{{"name", "transformers"},
                           {"output_dir", "runs"},
                           {"concurrency", 2},
                           {"seed", 1},
                           {"models", {worker_model(arch, python, model, {"--max-batch", "1"})}},
                           {"tasks", synthetic_suite_tasks({"vqa"})}};
  const auto config = dir.path() / "transformers.run.json";
  write_text(config, run.dump(2));
  const auto out = dir.path() / "run";
  constexpr int kLimit = 4;
  r = lmmbench({"run", config.string(), "--tasks", "open", "--out", out.string(), "--limit",
                std::to_string(kLimit), "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  if (r.exit_code != 0) return 0;
  EXPECT_EQ(cell_of(out, arch, "open")["counts"]["ok"], kLimit);
  r = run_process({python.string(), script, "check", model.string(), "--dataset",
                   (dir.path() / "data/open.jsonl").string(), "--predictions",
                   (out / "predictions.jsonl").string(), "--model", arch, "--task", "open",
                   "--template", kOpenTemplate, "--max-tokens", "16"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (r.exit_code != 0) return 0;
  const auto check = nlohmann::json::parse(r.out);
  EXPECT_EQ(check["checked"], kLimit) << r.out;
  EXPECT_EQ(check["errors"].size(), 0U) << r.out;
  EXPECT_EQ(check["usage_mismatches"].size(), 0U) << r.out;
  EXPECT_EQ(check["text_mismatches"].size(), 0U) << r.out;
  return check["image_tokens"].get<std::int64_t>();
}

TEST(TransformersWorker, ATinyLlavaNextAnswersAsGenerateDoesWithItsTiles) {
  require_python();
  if (IsSkipped() || HasFatalFailure()) return;
  // The base tile's 576 tokens and the higher-resolution tiles' (less padding).
  EXPECT_GT(run_and_check("llava-next"), kImageTokens);
}

TEST(TransformersWorker, ATinyQwen2VlAnswersAsGenerateDoes) {
  require_python();
  if (IsSkipped() || HasFatalFailure()) return;
  // A 336 px image resized to the processor's 224x224 pixel cap: 16x16 patches of 14 px, merged
  // 2x2 into 64 tokens.
  EXPECT_EQ(run_and_check("qwen2-vl"), 64);
}

}  // namespace
}  // namespace lmmbench::testing
