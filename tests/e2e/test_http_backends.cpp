// End-to-end: `lmmbench run` with the openai, gemini and anthropic backends against the local test
// server (tests/servers/llm_server.py) — correct answers, injected faults with exact accounting,
// the response cache, and API keys that never reach a file or a message.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "e2e_support.hpp"
#include "llm_server.hpp"

namespace lmmbench::testing {
namespace {

/// One line per prediction-log entry.
std::vector<nlohmann::json> log_entries(const std::filesystem::path& run_dir) {
  std::vector<nlohmann::json> out;
  std::istringstream in(read_text(run_dir / "predictions.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

nlohmann::json cell_of(const std::filesystem::path& run_dir, const std::string& model,
                       const std::string& task) {
  const auto record = nlohmann::json::parse(read_text(run_dir / "run.json"));
  for (const auto& cell : record.at("cells")) {
    if (cell.at("model") == model && cell.at("task") == task) return cell;
  }
  ADD_FAILURE() << "no cell " << model << " x " << task;
  return {};
}

/// The three fixture images, copied next to a dataset (image paths are relative to its root).
void copy_images(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "images");
  for (const char* colour : {"red", "blue", "green"}) {
    std::filesystem::copy_file(
        kSource / "tests/fixtures/tiny_vqa/images" / (std::string(colour) + ".png"),
        dir / "images" / (std::string(colour) + ".png"),
        std::filesystem::copy_options::overwrite_existing);
  }
}

/// A dataset of questions that carry their answer (and perhaps a fault) for the test server.
void write_dataset(const std::filesystem::path& path, const std::vector<std::string>& questions,
                   const std::vector<std::string>& answers) {
  copy_images(path.parent_path());
  const char* colours[] = {"red", "blue", "green"};
  std::string lines;
  for (std::size_t i = 0; i < questions.size(); ++i) {
    nlohmann::json item{{"id", "s" + std::to_string(i)},
                        {"images", {std::string("images/") + colours[i % 3] + ".png"}},
                        {"question", questions[i]},
                        {"answers", {answers[i]}}};
    lines += item.dump() + "\n";
  }
  write_text(path, lines);
}

nlohmann::json task(const std::string& name, const std::string& dataset) {
  return {{"name", name},
          {"dataset", {{"format", "lmmbench-jsonl"}, {"path", dataset}}},
          {"generation", {{"max_tokens", 16}, {"temperature", 0}}},
          {"metrics", {"exact_match"}}};
}

nlohmann::json model(const std::string& name, const std::string& backend, nlohmann::json options,
                     nlohmann::json retry = nullptr) {
  nlohmann::json m{{"name", name}, {"backend", backend}, {"options", std::move(options)}};
  if (!retry.is_null()) m["retry"] = std::move(retry);
  return m;
}

std::filesystem::path write_config(const std::filesystem::path& dir, nlohmann::json models,
                                   nlohmann::json tasks, int concurrency = 8) {
  const nlohmann::json run{{"name", "http"},
                           {"output_dir", "runs"},
                           {"concurrency", concurrency},
                           {"seed", 3},
                           {"prices", (kSource / "configs/prices.json").string()},
                           {"models", std::move(models)},
                           {"tasks", std::move(tasks)}};
  const auto path = dir / "http.run.json";
  write_text(path, run.dump(2));
  return path;
}

TEST(HttpBackends, EveryDialectGetsTheOracleScoreOnTheSyntheticSuite) {
  TempDir dir;
  const auto data = dir.path() / "data";
  LlmServer server({{data / "open.jsonl", data / "mc.jsonl"}, "", 600});
  const nlohmann::json tasks = synthetic_suite_tasks({"vqa", "exact_match"});
  const nlohmann::json models = {
      {{"name", "oracle"}, {"backend", "oracle"}},
      model("gpt", "openai", {{"base_url", server.url() + "/v1"}, {"model", "gpt-4o"}}),
      model("gpt-stream", "openai",
            {{"base_url", server.url() + "/v1"}, {"model", "gpt-4o-mini"}, {"stream", true}}),
      model("gemini", "gemini",
            {{"base_url", server.url() + "/v1beta"},
             {"model", "gemini-2.0-flash"},
             {"stream", true}}),
      model("claude", "anthropic",
            {{"base_url", server.url() + "/v1"}, {"model", "claude-3-5-sonnet-20241022"}})};
  const auto config = write_config(dir.path(), models, tasks, 16);
  const auto oracle_dir = dir.path() / "oracle";
  auto r = lmmbench(
      {"run", config.string(), "--models", "oracle", "--out", oracle_dir.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto http_dir = dir.path() / "http";
  r = lmmbench({"run", config.string(), "--models", "gpt,gpt-stream,gemini,claude", "--out",
                http_dir.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  for (const std::string t : {"open", "mc"}) {
    const auto oracle = cell_of(oracle_dir, "oracle", t);
    for (const std::string m : {"gpt", "gpt-stream", "gemini", "claude"}) {
      const auto cell = cell_of(http_dir, m, t);
      EXPECT_EQ(cell["outcome"], "ok") << m << " " << t << cell.dump();
      EXPECT_EQ(cell["scores"][0]["score"], oracle["scores"][0]["score"]) << m << " " << t;
      EXPECT_EQ(cell["counts"]["ok"], cell["counts"]["total"]) << m << " " << t;
      EXPECT_GT(cell["usage"]["prompt_tokens"].get<std::int64_t>(), 576) << m;
      EXPECT_EQ(cell["usage"]["requests_with_usage"], cell["counts"]["total"]) << m;
      EXPECT_GT(cell["usage"]["cost_usd"].get<double>(), 0.0) << m;
      EXPECT_EQ(cell["usage"]["prices_as_of"], "2025-06-01");
    }
    EXPECT_EQ(cell_of(http_dir, "gpt-stream", t)["usage"]["price_model"], "gpt-4o-mini");
    EXPECT_EQ(cell_of(http_dir, "claude", t)["usage"]["price_model"], "claude-3-5-sonnet");
  }
  // Streamed answers carry token-event timestamps on the harness clock; whole ones do not.
  for (const auto& entry : log_entries(http_dir)) {
    const bool streamed = entry["model"] == "gpt-stream" || entry["model"] == "gemini";
    EXPECT_EQ(entry["timing"].contains("first_token_s"), streamed) << entry.dump();
    if (streamed) {
      EXPECT_LE(entry["timing"]["submitted_s"].get<double>(),
                entry["timing"]["first_token_s"].get<double>());
      EXPECT_LE(entry["timing"]["first_token_s"].get<double>(),
                entry["timing"]["finished_s"].get<double>());
    }
  }
  EXPECT_EQ(server.requests().size(), 4u * 90u);
}

TEST(HttpBackends, FaultsAreSurvivedWithExactAccounting) {
  TempDir dir;
  LlmServer server;
  // Fault directive per sample; "times=1" faults hit only the first attempt.
  struct Case {
    std::string fault;
    std::string outcome;  ///< "ok" or the error kind
    int attempts;
  };
  const std::vector<Case> cases = {
      {"", "ok", 1},
      {"status=429;retry_after=1;times=1", "ok", 2},
      {"status=429;times=1", "ok", 2},
      {"status=500;times=1", "ok", 2},
      {"status=503;retry_after=0;times=1", "ok", 2},
      {"reset;times=1", "ok", 2},
      {"truncate;times=1", "ok", 2},
      {"malformed;times=1", "ok", 2},
      {"wrong_type;times=1", "ok", 2},
      {"huge;size=3000000;times=1", "ok", 2},
      {"stall;times=1", "ok", 2},
      {"slow;delay=0.2", "ok", 1},
      {"status=503;times=2", "ok", 3},
      {"status=503", "http", 3},
      {"status=400", "http", 1},
      {"refusal", "refused", 1},
      {"length", "ok", 1},
      {"", "ok", 1},
  };
  std::vector<std::string> questions;
  std::vector<std::string> answers;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    answers.push_back("answer" + std::to_string(i));
    questions.push_back("Question " + std::to_string(i) + " [[answer:" + answers.back() + "]]" +
                        (cases[i].fault.empty() ? "" : " [[fault:" + cases[i].fault + "]]"));
  }
  write_dataset(dir.path() / "faults.jsonl", questions, answers);
  const nlohmann::json retry{{"max_attempts", 3}, {"base_delay_s", 0.05}, {"max_delay_s", 0.2}};
  const nlohmann::json common{
      {"timeout_s", 1.5}, {"idle_timeout_s", 0.5}, {"max_response_bytes", 1 << 20}};
  auto with = [&](nlohmann::json o) {
    o.merge_patch(common);
    return o;
  };
  const auto config = write_config(
      dir.path(),
      {model("gpt", "openai", with({{"base_url", server.url() + "/v1"}, {"model", "m"}}), retry),
       model("claude", "anthropic",
             with({{"base_url", server.url() + "/v1"}, {"model", "c"}, {"stream", true}}), retry)},
      {task("faults", "faults.jsonl")});
  const auto out = dir.path() / "run";
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--quiet"});
  // The permanent failures are over the default error budget of 0: both cells fail the run.
  ASSERT_EQ(r.exit_code, 1) << r.err;

  const auto entries = log_entries(out);
  ASSERT_EQ(entries.size(), 2 * cases.size());  // exactly one recorded outcome per sample
  std::map<std::string, std::map<std::string, nlohmann::json>> by_model;
  for (const auto& e : entries) {
    by_model[e["model"]][e["sample_id"]] = e;
  }
  std::map<std::string, int> requests_per_text;
  for (const auto& request : server.requests()) {
    const auto& body = request["body"];
    // Both dialects send one user message: [image, text].
    const std::string text = body["messages"][0]["content"][1]["text"].get<std::string>();
    ++requests_per_text[request["dialect"].get<std::string>() + ":" + text];
  }
  for (const std::string m : {"gpt", "claude"}) {
    ASSERT_EQ(by_model[m].size(), cases.size()) << m;
    std::size_t ok = 0;
    std::size_t retries = 0;
    std::map<std::string, std::size_t> errors;
    for (std::size_t i = 0; i < cases.size(); ++i) {
      const auto& e = by_model[m]["s" + std::to_string(i)];
      const auto& c = cases[i];
      if (c.outcome == "ok") {
        EXPECT_EQ(e["outcome"], "ok") << m << " " << c.fault << " " << e.dump();
        // A retried request succeeds with the same answer.
        EXPECT_EQ(e["prediction"], answers[i]) << m << " " << c.fault;
        ++ok;
      } else {
        EXPECT_EQ(e["error_kind"], c.outcome) << m << " " << c.fault << " " << e.dump();
        EXPECT_TRUE(e["prediction"].is_null());
        ++errors[c.outcome];
      }
      EXPECT_EQ(e["attempts"], c.attempts) << m << " " << c.fault << " " << e.dump();
      retries += static_cast<std::size_t>(c.attempts - 1);
      const std::string dialect = m == "gpt" ? "openai" : "anthropic";
      EXPECT_EQ(requests_per_text[dialect + ":" + questions[i]], c.attempts) << m << " " << c.fault;
    }
    const auto cell = cell_of(out, m, "faults");
    EXPECT_EQ(cell["outcome"], "too_many_errors");
    EXPECT_EQ(cell["counts"]["total"], cases.size());
    EXPECT_EQ(cell["counts"]["ok"], ok);
    EXPECT_EQ(cell["counts"]["error"], cases.size() - ok);
    EXPECT_EQ(cell["counts"]["retries"], retries);
    EXPECT_EQ(cell["counts"]["errors_by_kind"], nlohmann::json(errors));
    // Failed requests are never scored as answers.
    EXPECT_DOUBLE_EQ(cell["scores"][0]["score"].get<double>(),
                     100.0 * static_cast<double>(ok) / static_cast<double>(cases.size()));
  }
  // Permanent errors carry the server's message; the exhausted one says why it stopped.
  EXPECT_NE(by_model["gpt"]["s14"]["error_message"].get<std::string>().find("HTTP 400"),
            std::string::npos);
  EXPECT_NE(by_model["gpt"]["s13"]["error_message"].get<std::string>().find("gave up after 3"),
            std::string::npos);
}

TEST(HttpBackends, TheCacheMakesASecondRunIssueZeroRequests) {
  TempDir dir;
  LlmServer server;
  std::vector<std::string> questions;
  std::vector<std::string> answers;
  for (int i = 0; i < 12; ++i) {
    answers.push_back("a" + std::to_string(i));
    questions.push_back("Q" + std::to_string(i) + " [[answer:a" + std::to_string(i) + "]]");
  }
  write_dataset(dir.path() / "d.jsonl", questions, answers);
  nlohmann::json sampled = task("sampled", "d.jsonl");
  sampled["generation"]["temperature"] = 0.7;  // not deterministic: never cached
  const auto config = write_config(
      dir.path(), {model("gpt", "openai", {{"base_url", server.url() + "/v1"}, {"model", "m"}})},
      {task("greedy", "d.jsonl"), sampled});
  auto run = [&](const std::string& name, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"run", config.string(), "--out", (dir.path() / name).string(),
                                  "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = lmmbench(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return server.requests().size();
  };
  EXPECT_EQ(run("first"), 24u);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "runs/.cache/lmmbench/responses.sqlite"));
  EXPECT_EQ(run("second"), 36u);  // the greedy task is served from the cache
  EXPECT_EQ(cell_of(dir.path() / "second", "gpt", "greedy")["counts"]["cached"], 12u);
  EXPECT_EQ(cell_of(dir.path() / "second", "gpt", "sampled")["counts"]["cached"], 0u);
  EXPECT_EQ(cell_of(dir.path() / "second", "gpt", "greedy")["scores"][0]["score"], 100.0);
  for (const auto& e : log_entries(dir.path() / "second")) {
    if (e["task"] == "greedy") {
      EXPECT_EQ(e["cached"], true);
      EXPECT_EQ(e["attempts"], 0);
    }
  }
  EXPECT_EQ(run("no-cache", {"--no-cache"}), 60u);
  EXPECT_EQ(cell_of(dir.path() / "no-cache", "gpt", "greedy")["counts"]["cached"], 0u);
  EXPECT_EQ(run("refresh", {"--refresh-cache"}), 84u);
  EXPECT_EQ(run("third", {"--tasks", "greedy"}), 84u);
  // LMMBENCH_CACHE_DIR moves the cache: an empty one there asks the server again.
  ::setenv("LMMBENCH_CACHE_DIR", (dir.path() / "elsewhere").c_str(), 1);
  EXPECT_EQ(run("moved", {"--tasks", "greedy"}), 96u);
  ::unsetenv("LMMBENCH_CACHE_DIR");
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "elsewhere/responses.sqlite"));
}

TEST(HttpBackends, ProcessesRunningAtOnceShareOneCacheDirectory) {
  TempDir dir;
  LlmServer server;
  std::vector<std::string> questions;
  std::vector<std::string> answers;
  for (int i = 0; i < 36; ++i) {
    answers.push_back("a" + std::to_string(i));
    // A short delay per answer, so the processes overlap.
    questions.push_back("Q" + std::to_string(i) + " [[answer:a" + std::to_string(i) +
                        "]] [[fault:slow;delay=0.02]]");
  }
  write_dataset(dir.path() / "d.jsonl", questions, answers);
  const auto config = write_config(
      dir.path(), {model("gpt", "openai", {{"base_url", server.url() + "/v1"}, {"model", "m"}})},
      {task("greedy", "d.jsonl")}, 2);
  // Starts one `lmmbench run` per entry of `extra` at once, into runs NAME-0, NAME-1, ...; waits
  // for all; every one must succeed.
  auto run_at_once = [&](const std::string& name,
                         const std::vector<std::vector<std::string>>& extra) {
    std::vector<pid_t> pids;
    for (std::size_t k = 0; k < extra.size(); ++k) {
      const auto out = dir.path() / (name + "-" + std::to_string(k));
      std::filesystem::create_directories(out);
      std::vector<std::string> args{kBinary.string(), "run",        config.string(),
                                    "--out",          out.string(), "--quiet"};
      args.insert(args.end(), extra[k].begin(), extra[k].end());
      pids.push_back(spawn_process(args, out));
    }
    for (std::size_t k = 0; k < pids.size(); ++k) {
      const auto out = dir.path() / (name + "-" + std::to_string(k));
      EXPECT_EQ(wait_process(pids[k]), 0) << read_text(out / "stderr.txt");
      EXPECT_EQ(cell_of(out, "gpt", "greedy")["scores"][0]["score"], 100.0) << out;
    }
  };
  // Three shards of one run, each its own process, one cache.
  run_at_once("shard", {{"--shard", "0/3"}, {"--shard", "1/3"}, {"--shard", "2/3"}});
  EXPECT_EQ(server.requests().size(), 36u);
  // Every answer the three wrote is there for a fourth: the whole task without a request.
  run_at_once("after", {{}});
  EXPECT_EQ(server.requests().size(), 36u);
  EXPECT_EQ(cell_of(dir.path() / "after-0", "gpt", "greedy")["counts"]["cached"], 36u);
  // Three processes writing the same 36 keys at once.
  run_at_once("refresh", {{"--refresh-cache"}, {"--refresh-cache"}, {"--refresh-cache"}});
  EXPECT_EQ(server.requests().size(), 36u * 4);
  // The file is sound and holds one row per key.
  const auto cache = dir.path() / "runs/.cache/lmmbench/responses.sqlite";
  const auto check = run_process({LMMBENCH_PYTHON, "-c",
                                  "import sqlite3, sys\n"
                                  "db = sqlite3.connect(sys.argv[1])\n"
                                  "print(db.execute('PRAGMA integrity_check').fetchone()[0],"
                                  " db.execute('SELECT COUNT(*) FROM responses').fetchone()[0])",
                                  cache.string()});
  EXPECT_EQ(check.exit_code, 0) << check.err;
  EXPECT_EQ(check.out, "ok 36\n");
}

/// Every regular file under `root` whose bytes contain `needle`.
std::vector<std::string> files_containing(const std::filesystem::path& root,
                                          const std::string& needle) {
  std::vector<std::string> hits;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && read_text(entry.path()).find(needle) != std::string::npos) {
      hits.push_back(entry.path().string());
    }
  }
  return hits;
}

TEST(HttpBackends, ApiKeysNeverReachAFileOrAMessage) {
  TempDir dir;
  const std::string key = "sk-e2e-canary-9f86d081884c7d659a2feaa0c55ad015";
  ::setenv("LMMBENCH_E2E_API_KEY", key.c_str(), 1);
  LlmServer server({{}, key, 600});
  std::vector<std::string> questions;
  std::vector<std::string> answers;
  for (int i = 0; i < 6; ++i) {
    answers.push_back("a" + std::to_string(i));
    // One sample makes the server reject the key and quote it back in its error message.
    questions.push_back("Q" + std::to_string(i) + " [[answer:a" + std::to_string(i) + "]]" +
                        (i == 5 ? " [[fault:status=401]]" : ""));
  }
  write_dataset(dir.path() / "d.jsonl", questions, answers);
  const nlohmann::json key_env{{"api_key_env", "LMMBENCH_E2E_API_KEY"}};
  auto options = [&](const std::string& path, const std::string& model_id, bool stream) {
    nlohmann::json o{{"base_url", server.url() + path}, {"model", model_id}, {"stream", stream}};
    o.merge_patch(key_env);
    return o;
  };
  const auto config = write_config(dir.path(),
                                   {model("gpt", "openai", options("/v1", "m", false)),
                                    model("gemini", "gemini", options("/v1beta", "g", true)),
                                    model("claude", "anthropic", options("/v1", "c", true))},
                                   {task("t", "d.jsonl")}, 1);
  // One sample at a time, so the rejected one comes last: the 401 stops each backend (exit 1)
  // after the others were answered.
  const auto out = dir.path() / "run";
  const auto r = lmmbench({"run", config.string(), "--out", out.string()});
  ASSERT_EQ(r.exit_code, 1) << r.err;  // the rejected sample is over the error budget
  const auto again = lmmbench({"run", config.string(), "--out", (dir.path() / "again").string()});
  ASSERT_EQ(again.exit_code, 1) << again.err;
  for (const std::string m : {"gpt", "gemini", "claude"}) {
    const auto cell = cell_of(out, m, "t");
    EXPECT_EQ(cell["counts"]["ok"], 5u) << m;
    EXPECT_EQ(cell["counts"]["errors_by_kind"]["http"], 1u) << m;
  }
  // The server did receive the key (every request but the rejected ones was accepted).
  EXPECT_EQ(server.requests().size(), 3u * 6u + 3u);
  // Nothing written — run directories, prediction logs, run.json, scores, the response cache and
  // its WAL — and nothing printed holds the key or a recognisable part of it.
  for (const auto& needle : {key, key.substr(0, 14), key.substr(key.size() - 14)}) {
    EXPECT_EQ(files_containing(dir.path(), needle), std::vector<std::string>{}) << needle;
    for (const auto& text : {r.out, r.err, again.out, again.err})
      EXPECT_EQ(text.find(needle), std::string::npos) << needle;
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "runs/.cache/lmmbench/responses.sqlite"));
  const auto rejected = log_entries(out);
  bool redacted = false;
  for (const auto& e : rejected) {
    if (e["outcome"] == "error") {
      redacted =
          redacted || e["error_message"].get<std::string>().find("[REDACTED]") != std::string::npos;
    }
  }
  EXPECT_TRUE(redacted);

  // A key written into a config is refused before anything runs, without echoing it.
  const auto leaky =
      write_config(dir.path() / "leaky",
                   {model("gpt", "openai",
                          {{"base_url", server.url() + "/v1"}, {"model", "m"}, {"api_key", key}})},
                   {task("t", "../d.jsonl")});
  const auto refused = lmmbench({"run", leaky.string()});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("api_key_env"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find(key), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "leaky/runs"));
  ::unsetenv("LMMBENCH_E2E_API_KEY");
}

/// A 127.0.0.1 port that is bound but never listens, for the lifetime of the object: every
/// connection to it is refused, and no other test can take the port meanwhile.
class DeadPort {
 public:
  DeadPort() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      throw std::runtime_error("cannot bind a loopback port");
    }
    port_ = ntohs(address.sin_port);
  }
  ~DeadPort() { ::close(fd_); }
  DeadPort(const DeadPort&) = delete;
  DeadPort& operator=(const DeadPort&) = delete;
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_;
  int port_ = 0;
};

std::size_t occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++n;
  return n;
}

/// `n` questions that carry their answers for the test server.
void write_answerable(const std::filesystem::path& path, int n) {
  std::vector<std::string> questions;
  std::vector<std::string> answers;
  for (int i = 0; i < n; ++i) {
    answers.push_back("a" + std::to_string(i));
    questions.push_back("Q" + std::to_string(i) + " [[answer:a" + std::to_string(i) + "]]");
  }
  write_dataset(path, questions, answers);
}

TEST(HttpBackends, ADeadEndpointEndsTheRunWithinSecondsAndFailsIt) {
  TempDir dir;
  DeadPort dead;
  write_answerable(dir.path() / "d.jsonl", 40);
  // Default timeouts and retries: what a user who mistyped the port gets.
  const auto config = write_config(
      dir.path(), {model("gpt", "openai", {{"base_url", dead.url() + "/v1"}, {"model", "m"}})},
      {task("first", "d.jsonl"), task("second", "d.jsonl")});
  const auto out = dir.path() / "run";
  const auto start = std::chrono::steady_clock::now();
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--quiet"});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("dead_endpoint_run_seconds", std::to_string(seconds));
  std::cout << "run against a dead endpoint: " << seconds << " s\n";
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(seconds, 10.0);
  // The failure is printed once, with curl's words for it.
  EXPECT_EQ(occurrences(r.err, "error: gpt stopped"), 1u) << r.err;
  EXPECT_NE(r.err.find("Couldn't connect to server"), std::string::npos) << r.err;
  // Every sample of both cells is logged as failed with the refusal's kind; none as answered.
  const auto entries = log_entries(out);
  ASSERT_EQ(entries.size(), 80u);
  std::size_t never_sent = 0;
  for (const auto& e : entries) {
    EXPECT_EQ(e["outcome"], "error") << e.dump();
    EXPECT_EQ(e["error_kind"], "connection") << e.dump();
    EXPECT_TRUE(e["prediction"].is_null());
    if (e["attempts"] == 0) ++never_sent;
  }
  EXPECT_GE(never_sent, 40u + 40u - 8u);  // at most `concurrency` were ever tried
  EXPECT_EQ(cell_of(out, "gpt", "second")["counts"]["error"], 40u);
}

TEST(HttpBackends, AWrongKeyStopsTheBackendAndTheOthersCarryOn) {
  TempDir dir;
  const std::string key = "sk-wrong-e2e-1f0e3dad99908345f7439f8ffabdffc4";
  ::setenv("LMMBENCH_E2E_WRONG_KEY", key.c_str(), 1);
  LlmServer server({{}, "the-right-key", 600});
  write_answerable(dir.path() / "d.jsonl", 30);
  const auto config = write_config(dir.path(),
                                   {model("gpt", "openai",
                                          {{"base_url", server.url() + "/v1"},
                                           {"model", "m"},
                                           {"api_key_env", "LMMBENCH_E2E_WRONG_KEY"}}),
                                    {{"name", "oracle"}, {"backend", "oracle"}}},
                                   {task("t", "d.jsonl")}, 4);
  const auto out = dir.path() / "run";
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--quiet"});
  ::unsetenv("LMMBENCH_E2E_WRONG_KEY");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // Only what was in flight when the first 401 came back reached the server.
  EXPECT_LE(server.requests().size(), 4u);
  // The server's message, once, without the key.
  EXPECT_EQ(occurrences(r.err, "Incorrect API key provided"), 1u) << r.err;
  EXPECT_EQ(r.err.find(key.substr(0, 14)), std::string::npos) << r.err;
  std::size_t sent = 0;
  for (const auto& e : log_entries(out)) {
    if (e["model"] != "gpt") continue;
    EXPECT_EQ(e["error_kind"], "http") << e.dump();
    EXPECT_NE(e["error_message"].get<std::string>().find("HTTP 401"), std::string::npos)
        << e.dump();
    sent += e["attempts"].get<std::size_t>();
  }
  // Each request the server saw is a logged attempt; a request cancelled before it reached the
  // server is an attempt too.
  EXPECT_LE(server.requests().size(), sent);
  EXPECT_LE(sent, 4u);
  EXPECT_EQ(cell_of(out, "gpt", "t")["counts"]["error"], 30u);
  // The other model of the run was not stopped.
  EXPECT_EQ(cell_of(out, "oracle", "t")["counts"]["ok"], 30u);
}

TEST(HttpBackends, EveryRequestThatReachesTheServerIsALoggedAttempt) {
  // The server resets every reused connection before replying, where libcurl would quietly send
  // the request again. Whatever the retry settings, the server's count is the logged attempts.
  TempDir dir;
  LlmServer server;
  write_answerable(dir.path() / "d.jsonl", 20);
  const std::string url = server.url() + "/fault/reset_reused/v1";
  auto flaky = [&](const std::string& id, nlohmann::json retry) {
    return model(id, "openai", {{"base_url", url}, {"model", id}}, std::move(retry));
  };
  const auto config = write_config(
      dir.path(),
      {flaky("retried", {{"max_attempts", 4}, {"base_delay_s", 0.01}, {"max_delay_s", 0.05}}),
       flaky("once", {{"max_attempts", 1}}),
       flaky("budget", {{"max_attempts", 10}, {"base_delay_s", 0.01}, {"run_budget", 2}})},
      {task("t", "d.jsonl")}, 2);
  const auto out = dir.path() / "run";
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--quiet"});
  ASSERT_TRUE(std::filesystem::exists(out / "run.json")) << r.err;
  EXPECT_NE(r.exit_code, 2) << r.err;
  std::map<std::string, std::size_t> served;
  for (const auto& request : server.requests())
    ++served[request["body"]["model"].get<std::string>()];
  std::map<std::string, std::size_t> attempts;
  std::map<std::string, std::size_t> retries;
  std::map<std::string, std::size_t> failed;
  for (const auto& e : log_entries(out)) {
    const auto m = e["model"].get<std::string>();
    attempts[m] += e["attempts"].get<std::size_t>();
    retries[m] += e["attempts"].get<std::size_t>() - 1;
    if (e["outcome"] != "ok") {
      ++failed[m];
      EXPECT_EQ(e["error_kind"], "connection") << e.dump();
      // A retry may meet another reused connection; only the last allowed attempt fails a sample.
      if (m == "retried") {
        EXPECT_EQ(e["attempts"], 4) << e.dump();
      }
    }
  }
  for (const std::string m : {"retried", "once", "budget"}) {
    RecordProperty("server_requests_" + m, std::to_string(served[m]));
    RecordProperty("logged_attempts_" + m, std::to_string(attempts[m]));
    std::cout << m << ": server saw " << served[m] << " requests, the log has " << attempts[m]
              << " attempts\n";
    EXPECT_EQ(served[m], attempts[m]) << m;
    EXPECT_EQ(cell_of(out, m, "t")["counts"]["retries"], retries[m]) << m;
  }
  EXPECT_GT(retries["retried"], 0u);  // resets happened and were retried
  EXPECT_LT(failed["retried"], 20u);
  EXPECT_EQ(served["once"], 20u);  // max_attempts: 1 holds on the wire
  EXPECT_GT(failed["once"], 0u);
  EXPECT_EQ(retries["budget"], 2u);  // so does the run's retry budget
}

TEST(HttpBackends, ABareDoneStreamIsNeverAnAnswer) {
  // Every stream ends with [DONE] alone (llama.cpp's server after an interrupted generation):
  // each sample is a malformed reply, retried, then failed; none is scored as an empty answer.
  TempDir dir;
  LlmServer server;
  write_answerable(dir.path() / "d.jsonl", 6);
  const auto config = write_config(
      dir.path(),
      {model(
          "gpt", "openai",
          {{"base_url", server.url() + "/fault/empty_done/v1"}, {"model", "m"}, {"stream", true}},
          {{"max_attempts", 2}, {"base_delay_s", 0.01}})},
      {task("t", "d.jsonl")});
  const auto out = dir.path() / "run";
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--quiet"});
  ASSERT_TRUE(std::filesystem::exists(out / "run.json")) << r.err;
  EXPECT_EQ(r.exit_code, 1) << r.err;  // no answers: over the default error budget of 0
  const auto entries = log_entries(out);
  ASSERT_EQ(entries.size(), 6u);
  for (const auto& e : entries) {
    EXPECT_EQ(e["error_kind"], "malformed_reply") << e.dump();
    EXPECT_TRUE(e["prediction"].is_null()) << e.dump();
    EXPECT_EQ(e["attempts"], 2) << e.dump();
  }
  const auto cell = cell_of(out, "gpt", "t");
  EXPECT_EQ(cell["counts"]["ok"], 0u);
  EXPECT_EQ(cell["counts"]["errors_by_kind"]["malformed_reply"], 6u);
  EXPECT_EQ(server.requests().size(), 12u);
}

TEST(HttpBackends, SigintCancelsStalledRequestsAndExitsWithin1s) {
  TempDir dir;
  LlmServer server;
  write_answerable(dir.path() / "d.jsonl", 20);
  // The server reads every request and never answers; only timeout_s would end them.
  const auto config = write_config(dir.path(),
                                   {model("gpt", "openai",
                                          {{"base_url", server.url() + "/fault/slow;delay=60/v1"},
                                           {"model", "m"},
                                           {"timeout_s", 20},
                                           {"idle_timeout_s", 20}})},
                                   {task("t", "d.jsonl")}, 4);
  const auto out = dir.path() / "run";
  TempDir logs;
  const pid_t pid = spawn_process(
      {kBinary.string(), "run", config.string(), "--out", out.string(), "--quiet"}, logs.path());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (server.requests().size() < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(server.requests().size(), 4u);
  const auto start = std::chrono::steady_clock::now();
  ::kill(pid, SIGINT);
  const int code = wait_process(pid);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("sigint_to_exit_seconds", std::to_string(seconds));
  std::cout << "SIGINT to exit with 4 stalled requests: " << seconds << " s\n";
  EXPECT_EQ(code, 130) << read_text(logs.path() / "stderr.txt");
  EXPECT_LT(seconds, 1.0);
  // The log and run.json are written: the cancelled requests are logged as such (tried again on
  // --resume) and the run says it was interrupted.
  const auto entries = log_entries(out);
  ASSERT_EQ(entries.size(), 4u);
  for (const auto& e : entries)
    EXPECT_EQ(e["error_kind"], "cancelled") << e.dump();
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  EXPECT_EQ(record["status"], "interrupted");
  validate_run_record(out / "run.json");
  EXPECT_NE(read_text(logs.path() / "stderr.txt").find("--resume"), std::string::npos);
}

}  // namespace
}  // namespace lmmbench::testing
