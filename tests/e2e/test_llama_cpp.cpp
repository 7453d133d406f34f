// lmmbench against a real OpenAI-compatible server: llama-cpp-python's (tests/servers/
// llama_cpp_server.py), serving tiny random-weight GGUF models that the test writes with
// benchmarks/make_tiny_gguf.py — a LLaVA-1.5-architecture model (text model + mmproj: CLIP ViT and
// the 2-layer MLP projector, 336 px, patch 14, 576 image tokens) served in the llava-1-5 chat
// format, and a text model as a local judge that can never write a digit (its grades are never
// readable). The model configs are the shipped ones (configs/models/llava-1.5-7b-llama-cpp.json and
// local-judge.json) with the test server's URL. The weights are random, so answers and verdicts
// are gibberish; what is real is the whole path: images encoded by the vision tower, tokens
// counted by the server, the judge's requests, replies and usage.
//
// Needs the interpreter that scripts/install-deps.sh --test sets up with llama-cpp-python[server]
// (CMake cache variable LMMBENCH_LLAMA_CPP_PYTHON, or the environment variable of that name at run
// time). Without it, or when the server does not start, each test is skipped with the reason —
// except when the environment variable CI is set (and not "false" or "0"), or
// LMMBENCH_REQUIRE_LLAMA_CPP=1: then it fails.
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "e2e_support.hpp"
#include "llm_server.hpp"

namespace lmmbench::testing {
namespace {

/// LLaVA-1.5's image tokens at 336 px and patch 14: (336 / 14)^2.
constexpr std::int64_t kImageTokens = 576;

std::filesystem::path llama_python() {
  if (const char* env = std::getenv("LMMBENCH_LLAMA_CPP_PYTHON"); env != nullptr && *env != '\0')
    return env;
  return LMMBENCH_LLAMA_CPP_PYTHON;
}

bool required() {
  const auto set = [](const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' && std::string(v) != "false" && std::string(v) != "0";
  };
  return set("CI") || set("LMMBENCH_REQUIRE_LLAMA_CPP");
}

nlohmann::json read_jsonc(const std::filesystem::path& path) {
  return nlohmann::json::parse(read_text(path), nullptr, true, /*ignore_comments=*/true);
}

std::vector<nlohmann::json> lines(const std::filesystem::path& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(read_text(path));
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

std::vector<nlohmann::json> chat_requests(const LlmServer& server) {
  std::vector<nlohmann::json> out;
  for (auto& r : server.requests())
    if (r.at("path") == "/v1/chat/completions") out.push_back(std::move(r));
  return out;
}

std::size_t image_parts(const nlohmann::json& body) {
  std::size_t n = 0;
  for (const auto& m : body.at("messages"))
    if (m.at("content").is_array())
      for (const auto& part : m.at("content"))
        if (part.value("type", "") == "image_url") ++n;
  return n;
}

const nlohmann::json& cell(const nlohmann::json& record, const std::string& task) {
  for (const auto& c : record.at("cells"))
    if (c.at("task") == task) return c;
  throw std::runtime_error("no cell for " + task);
}

/// The tiny models and the two servers, started for each test (CTest runs each test alone).
class LlamaCpp : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto python = llama_python();
    std::string why;
    if (!std::filesystem::exists(python)) {
      why = "no interpreter with llama-cpp-python at " + python.string() +
            " (scripts/install-deps.sh --test installs it; docs/testing.md)";
    } else {
      why = start(python);
    }
    if (why.empty()) return;
    if (required()) FAIL() << why << " — required here (CI or LMMBENCH_REQUIRE_LLAMA_CPP is set)";
    GTEST_SKIP() << "llama-cpp-python server unavailable: " << why;
  }

  /// Writes the models and starts both servers; returns why not, or "".
  std::string start(const std::filesystem::path& python) {
    const auto models = dir.path() / "models";
    std::filesystem::create_directories(models);
    const auto make = (kSource / "benchmarks/make_tiny_gguf.py").string();
    auto r = run_process({python.string(), make, (models / "llava.gguf").string(), "--seed", "1",
                          "--mmproj", (models / "mmproj.gguf").string()});
    if (r.exit_code != 0) return "make_tiny_gguf.py --mmproj failed: " + r.err;
    r = run_process(
        {python.string(), make, (models / "judge.gguf").string(), "--seed", "2", "--ban-digits"});
    if (r.exit_code != 0) return "make_tiny_gguf.py --ban-digits failed: " + r.err;
    const auto server = [&python](std::vector<std::string> args) {
      LlmServer::Options o;
      o.script = kSource / "tests/servers/llama_cpp_server.py";
      o.python = python;
      o.args = std::move(args);
      o.lifetime_s = 900;
      o.start_timeout_s = 120;
      return o;
    };
    try {
      model = std::make_unique<LlmServer>(
          server({"--model", (models / "llava.gguf").string(), "--clip-model",
                  (models / "mmproj.gguf").string(), "--chat-format", "llava-1-5", "--alias",
                  "llava-1.5-7b", "--n-ctx", "4096"}));
      judge = std::make_unique<LlmServer>(server({"--model", (models / "judge.gguf").string(),
                                                  "--alias", "local-judge", "--n-ctx", "8192"}));
    } catch (const std::exception& e) {
      return e.what();
    }
    return {};
  }

  /// A shipped model config (configs/models/NAME.json) pointed at `server`.
  static nlohmann::json shipped(const std::string& name, const LlmServer& server) {
    auto config = read_jsonc(kSource / "configs/models" / (name + ".json"));
    config["options"]["base_url"] = server.url() + "/v1";
    return config;
  }

  TempDir dir;
  std::unique_ptr<LlmServer> model;
  std::unique_ptr<LlmServer> judge;
};

const std::filesystem::path kImages = kSource / "tests/fixtures/tiny_vqa/images";

/// Two LLaVA-Bench questions and two MM-Vet items in their released layouts.
void write_judged_data(const std::filesystem::path& data) {
  const auto bench = data / "llava-bench-in-the-wild";
  std::filesystem::create_directories(bench / "images");
  std::filesystem::copy_file(kImages / "red.png", bench / "images/001.png");
  write_text(bench / "questions.jsonl",
             R"({"question_id": 0, "image": "001.png", "text": "What is it?", "category": "conv"}
{"question_id": 1, "image": "001.png", "text": "Describe it.", "category": "detail"}
)");
  write_text(bench / "context.jsonl",
             R"({"id": "001", "image": "001.png", "caption": "A red square."}
)");
  write_text(bench / "answers_gpt4.jsonl",
             R"({"question_id": 0, "text": "A red square.", "answer_id": "a0"}
{"question_id": 1, "text": "A square, red all over.", "answer_id": "a1"}
)");
  const auto vet = data / "mm-vet";
  std::filesystem::create_directories(vet / "images");
  std::filesystem::copy_file(kImages / "green.png", vet / "images/v1_0.png");
  std::filesystem::copy_file(kImages / "blue.png", vet / "images/v1_1.png");
  const nlohmann::json items = {{"v1_0",
                                 {{"imagename", "v1_0.png"},
                                  {"capability", {"rec"}},
                                  {"question", "What colour is it?"},
                                  {"answer", "green"}}},
                                {"v1_1",
                                 {{"imagename", "v1_1.png"},
                                  {"capability", {"ocr", "math"}},
                                  {"question", "What is x?"},
                                  {"answer", "-1<AND>-5"}}}};
  write_text(vet / "mm-vet.json", items.dump(2));
}

/// The shipped task config with the model's answers cut to `max_tokens` (a random model never
/// stops) and its judge's prompt as an absolute path; the judge itself is the run's.
std::filesystem::path judged_task(const std::filesystem::path& dir, const std::string& name,
                                  int max_tokens) {
  auto task = read_jsonc(kSource / "configs/tasks" / (name + ".json"));
  task["generation"]["max_tokens"] = max_tokens;
  auto& judge = task["judge"];
  judge.erase("model");
  judge["prompt"] =
      (kSource / "configs/tasks" / judge["prompt"].get<std::string>()).lexically_normal().string();
  const auto path = dir / (name + ".json");
  write_text(path, task.dump(2));
  return path;
}

TEST_F(LlamaCpp, AJudgedRunWithALocalJudgeServerCountsUnreadableVerdictsAndRejudgesForFree) {
  const auto data = dir.path() / "data";
  write_judged_data(data);
  ::setenv("LMMBENCH_DATA", data.c_str(), 1);
  // A price for the local judge's id, so that the cost path is exercised (a local judge costs
  // nothing: leave it out of the table and the record has no cost).
  auto prices = read_jsonc(kSource / "configs/prices.json");
  prices["models"]["local-judge"] = {{"input", 1.0}, {"output", 2.0}, {"source", "openai"}};
  write_text(dir.path() / "prices.json", prices.dump(2));
  const auto judge_config = dir.path() / "judge.json";
  write_text(judge_config, shipped("local-judge", *judge).dump(2));
  const nlohmann::json run{{"name", "judged-llama-cpp"},
                           {"output_dir", "runs"},
                           {"concurrency", 2},
                           {"prices", (dir.path() / "prices.json").string()},
                           {"models", {shipped("llava-1.5-7b-llama-cpp", *model)}},
                           {"tasks",
                            {judged_task(dir.path(), "llava_bench", 8).string(),
                             judged_task(dir.path(), "mmvet", 8).string()}},
                           {"judge", judge_config.string()}};
  const auto config = dir.path() / "judged.run.json";
  write_text(config, run.dump(2));
  const auto out = dir.path() / "run";

  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));

  // The model: four answers, each request with its image, the image's tokens in the usage.
  const auto model_requests = chat_requests(*model);
  ASSERT_EQ(model_requests.size(), 4U);
  for (const auto& req : model_requests) {
    EXPECT_EQ(req.at("status"), 200);
    EXPECT_EQ(image_parts(req.at("body")), 1U);
  }
  for (const std::string task : {"llava_bench", "mmvet"}) {
    const auto& usage = cell(record, task).at("usage");
    EXPECT_GT(usage.at("prompt_tokens").get<std::int64_t>(), 2 * kImageTokens) << task;
    EXPECT_EQ(usage.at("completion_tokens"), 2 * 8) << task;
  }

  // The judge: MM-Vet's official rule on a judge that never gives a readable grade — the first
  // request and five re-asks per answer and judge run, then the grade 0.0 counted unparsed.
  const auto judge_requests = chat_requests(*judge);
  EXPECT_EQ(judge_requests.size(), 2U + 2 * 5 * 6);
  std::map<double, int> temperatures;  // the protocols': MM-Vet 0 and its re-asks', LLaVA 0.2
  for (const auto& req : judge_requests) {
    EXPECT_EQ(req.at("status"), 200);
    EXPECT_EQ(image_parts(req.at("body")), 0U);
    ++temperatures[req.at("body").at("temperature").get<double>()];
  }
  EXPECT_EQ(temperatures, (std::map<double, int>{
                              {0.0, 20}, {0.2, 2}, {0.5, 10}, {1.0, 10}, {1.5, 10}, {2.0, 10}}));
  const auto& vet = cell(record, "mmvet");
  EXPECT_EQ(vet.at("outcome"), "ok");
  const auto& vj = vet.at("judge");
  EXPECT_EQ(vj.at("model"), "local-judge");
  EXPECT_EQ(vj.at("requests"), 60);
  EXPECT_EQ(vj.at("reasks"), 50);
  EXPECT_EQ(vj.at("unparsed"), 10);
  EXPECT_EQ(vj.at("failed"), 0);
  // The server's own usage: 3 tokens per grade (max_tokens 3; the model never stops).
  EXPECT_EQ(vj.at("usage").at("completion_tokens"), 60 * 3);
  const auto vet_prompt = vj.at("usage").at("prompt_tokens").get<std::int64_t>();
  EXPECT_GT(vet_prompt, 60 * 500);  // the few-shot grader prompt in every request
  EXPECT_EQ(vj.at("usage").at("price_model"), "local-judge");
  EXPECT_NEAR(vj.at("usage").at("cost_usd").get<double>(), (vet_prompt * 1.0 + 180 * 2.0) / 1e6,
              1e-12);
  const auto& vet_score = vet.at("scores").at(0);
  EXPECT_EQ(vet_score.at("score"), 0.0);
  EXPECT_EQ(vet_score.at("n_unparsed"), 2);
  EXPECT_EQ(vet_score.at("metrics").at("n_runs"), 5);

  // LLaVA-Bench: one review per answer, never re-asked; unreadable reviews are [-1, -1], as
  // summarize_gpt_review.py averages them.
  const auto& bench = cell(record, "llava_bench");
  EXPECT_EQ(bench.at("outcome"), "ok");
  const auto& bj = bench.at("judge");
  EXPECT_EQ(bj.at("requests"), 2);
  EXPECT_EQ(bj.at("reasks"), 0);
  EXPECT_EQ(bj.at("unparsed"), 2);
  EXPECT_EQ(bj.at("usage").at("completion_tokens"), 2 * 1024);  // the protocol's max_tokens
  const auto& bench_score = bench.at("scores").at(0);
  EXPECT_EQ(bench_score.at("n_unparsed"), 2);
  EXPECT_EQ(bench_score.at("metrics").at("answer1"), -10.0);
  EXPECT_EQ(bench_score.at("metrics").at("answer2"), -10.0);

  // The judge log: every request's text and the server's reply.
  const auto log = lines(out / "judgments.jsonl");
  ASSERT_EQ(log.size(), 62U);
  for (const auto& entry : log) {
    EXPECT_FALSE(entry.at("request").get<std::string>().empty());
    EXPECT_FALSE(entry.at("prediction").get<std::string>().empty());
  }
  // The report shows the judge's usage and cost in a row of its own.
  const auto html = read_text(out / "report.html");
  const std::string judge_row =
      "<td>llava-1.5-7b-llama-cpp (judge local-judge)</td><td>mmvet</td>"
      "<td class=\"num\" data-v=\"" +
      std::to_string(vet_prompt) + "\">";
  const auto row = html.find(judge_row);
  ASSERT_NE(row, std::string::npos) << judge_row;
  EXPECT_NE(html.find("local-judge (" + prices.at("as_of").get<std::string>() + ")", row),
            std::string::npos);

  // --rejudge with the same judge: every answer and every verdict is reused.
  const auto again = lmmbench({"run", config.string(), "--out", out.string(), "--resume",
                               "--rejudge", judge_config.string(), "-q"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(chat_requests(*model).size(), model_requests.size());  // 0 model requests
  EXPECT_EQ(chat_requests(*judge).size(), judge_requests.size());  // 0 judge requests
  const auto rejudged = nlohmann::json::parse(read_text(out / "run.json"));
  EXPECT_EQ(cell(rejudged, "mmvet").at("judge").at("resumed"), 60);
  EXPECT_EQ(cell(rejudged, "llava_bench").at("judge").at("resumed"), 2);
  EXPECT_EQ(cell(rejudged, "mmvet").at("scores").at(0).at("score"), 0.0);
}

/// The shipped synthetic task config with its generated suite under `dir` instead of data/.
std::filesystem::path synthetic_task(const std::filesystem::path& dir, const std::string& name) {
  auto task = read_jsonc(kSource / "configs/tasks" / (name + ".json"));
  const std::string shipped = "../../data/synthetic-vqa-2026";
  const std::string here = (dir / "synthetic").string();
  for (auto* path :
       {&task["prepare"]["path"], &task["dataset"]["path"], &task["calibration"]["path"]}) {
    const auto text = path->get<std::string>();
    *path = here + text.substr(shipped.size());
  }
  const auto path = dir / (name + ".json");
  write_text(path, task.dump(2));
  return path;
}

/// `lmmbench perf --json` against `model`: `requests` one at a time with `images` synthetic
/// images each; the level's JSON.
nlohmann::json perf(const std::filesystem::path& model, int images, int requests) {
  std::vector<std::string> args = {"perf", model.string(), "--scenario", "concurrency"};
  args.insert(args.end(), {"--concurrency", "1", "--requests", std::to_string(requests)});
  args.insert(args.end(), {"--images", std::to_string(images), "--image-size", "336"});
  args.insert(args.end(), {"--prompt-tokens", "16", "--output-tokens", "4", "--seed", "1"});
  // Few requests: no minimum duration and one steady-state window.
  args.insert(args.end(), {"--min-duration", "0", "--min-requests", "1", "--windows", "1"});
  args.emplace_back("--json");
  const auto r = lmmbench(args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

TEST_F(LlamaCpp, ATinyLlavaAnswersTheSyntheticSuiteWithItsImagesEncoded) {
  const auto model_config = dir.path() / "llava.json";
  write_text(model_config, shipped("llava-1.5-7b-llama-cpp", *model).dump(2));
  // One question with 0, 1 and 2 images, to read the image tokens off the server's usage.
  const auto images = dir.path() / "images";
  std::filesystem::create_directories(images);
  std::filesystem::copy_file(kImages / "red.png", images / "red.png");
  std::filesystem::copy_file(kImages / "blue.png", images / "blue.png");
  write_text(images / "images.jsonl",
             R"({"id": "none", "question": "Which colours?", "answers": ["red"]}
{"id": "one", "images": ["red.png"], "question": "Which colours?", "answers": ["red"]}
{"id": "two", "images": ["red.png", "blue.png"], "question": "Which colours?", "answers": ["red"]}
)");
  const nlohmann::json per_image{
      {"name", "images-per-request"},
      {"dataset", {{"format", "lmmbench-jsonl"}, {"path", (images / "images.jsonl").string()}}},
      {"prompt", {{"template", "{question}"}}},
      {"generation", {{"max_tokens", 4}, {"temperature", 0}}},
      {"metrics", {"exact_match"}}};
  const nlohmann::json run{{"name", "llava-llama-cpp"},
                           {"output_dir", "runs"},
                           {"concurrency", 2},
                           {"models", {model_config.string()}},
                           {"tasks",
                            {synthetic_task(dir.path(), "synthetic_open").string(),
                             synthetic_task(dir.path(), "synthetic_mc").string(), per_image}}};
  const auto config = dir.path() / "synthetic.run.json";
  write_text(config, run.dump(2));
  const auto out = dir.path() / "run";
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--limit", "4", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;

  // Every answer came from the server, each request with its image, and was logged and scored.
  const auto requests = chat_requests(*model);
  ASSERT_EQ(requests.size(), 8U + 3U);
  std::size_t sent_images = 0;
  for (const auto& req : requests) {
    EXPECT_EQ(req.at("status"), 200);
    sent_images += image_parts(req.at("body"));
  }
  EXPECT_EQ(sent_images, 8U + 0U + 1U + 2U);
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  for (const std::string task : {"synthetic-open", "synthetic-mc"}) {
    const auto& c = cell(record, task);
    EXPECT_EQ(c.at("outcome"), "ok") << task;
    EXPECT_EQ(c.at("scores").at(0).at("n"), 4) << task;
    // The server counts the image's 576 tokens in every prompt (plus the chat template's text).
    EXPECT_GT(c.at("usage").at("prompt_tokens").get<std::int64_t>(), 4 * kImageTokens) << task;
  }
  // The server's usage: each image adds its 576 tokens. (A text-only prompt is sent as a plain
  // string, which the llava-1-5 template lays out a little differently from a list of parts,
  // hence the tolerance there.)
  std::map<std::string, std::int64_t> prompt_tokens;
  const auto predictions = lines(out / "predictions.jsonl");
  EXPECT_EQ(predictions.size(), 11U);
  for (const auto& p : predictions) {
    EXPECT_EQ(p.at("usage").at("completion_tokens"), p.at("task") == "images-per-request" ? 4 : 16);
    if (p.at("task") == "images-per-request")
      prompt_tokens[p.at("sample_id")] = p.at("usage").at("prompt_tokens").get<std::int64_t>();
  }
  ASSERT_EQ(prompt_tokens.size(), 3U);
  EXPECT_EQ(prompt_tokens["two"] - prompt_tokens["one"], kImageTokens);
  EXPECT_NEAR(prompt_tokens["one"] - prompt_tokens["none"], kImageTokens, 16);
  std::cout << "prompt tokens with 0, 1, 2 images: " << prompt_tokens["none"] << ", "
            << prompt_tokens["one"] << ", " << prompt_tokens["two"] << "\n";
  EXPECT_NE(read_text(out / "report.html").find("synthetic-open"), std::string::npos);

  // `lmmbench perf` with image workloads (it streams: this server then reports no usage, the
  // tokens are counted from the stream).
  // The first token waits for the vision tower: TTFT grows with images per request.
  std::vector<double> ttft;
  for (int n = 0; n <= 2; ++n) {
    const auto level = perf(model_config, n, 5);
    EXPECT_EQ(level.at("failed"), 0) << level.dump();
    EXPECT_EQ(level.at("images"), 5 * n);
    EXPECT_EQ(level.at("output_tokens"), 5 * 4);
    ttft.push_back(level.at("ttft_ms").at("p50").get<double>());
  }
  const double t0 = ttft[0], t1 = ttft[1], t2 = ttft[2];
  EXPECT_LT(t0, t1);
  EXPECT_LT(t1, t2);
  std::cout << "TTFT p50 by images per request: 0: " << t0 << " ms, 1: " << t1 << " ms, 2: " << t2
            << " ms\n";
}

}  // namespace
}  // namespace lmmbench::testing
