// End-to-end: `lmmbench run` on the synthetic suite with the `worker` backend, the worker being
// tests/servers/fake_worker.py (gold answers from the dataset files, faults on request): answers
// and usage through the protocol, the response cache, a crash mid-run that loses nothing and
// resumes, a hung worker, garbage on its stdout, and a worker of another protocol version.
#include <chrono>
#include <csignal>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

const std::string kFakeWorker = (kSource / "tests/servers/fake_worker.py").string();

std::string error_kind(const nlohmann::json& entry) {
  const auto& kind = entry["error_kind"];
  return kind.is_string() ? kind.get<std::string>() : "";
}

std::size_t requests_in(const std::filesystem::path& worker_log) {
  std::size_t n = 0;
  for (const auto& m : read_jsonl(worker_log))
    n += m["type"] == "request" ? 1 : 0;
  return n;
}

nlohmann::json cell_of(const std::filesystem::path& run_dir, const std::string& model,
                       const std::string& task) {
  const auto record = nlohmann::json::parse(read_text(run_dir / "run.json"));
  for (const auto& cell : record.at("cells"))
    if (cell.at("model") == model && cell.at("task") == task) return cell;
  ADD_FAILURE() << "no cell " << model << " x " << task;
  return {};
}

/// A worker model config: fake_worker.py with `flags`, its answers from the prepared suite.
nlohmann::json worker_model(const std::filesystem::path& dir, const std::string& name,
                            std::vector<std::string> flags, nlohmann::json extra = {}) {
  std::vector<std::string> args{kFakeWorker,
                                "--answers",
                                (dir / "data/open.jsonl").string(),
                                "--answers",
                                (dir / "data/mc.jsonl").string(),
                                "--log",
                                (dir / (name + ".log")).string()};
  args.insert(args.end(), flags.begin(), flags.end());
  nlohmann::json options{{"command", "python3"}, {"args", args}, {"timeout_s", 30}};
  if (extra.is_object()) options.update(extra);
  return {{"name", name},
          {"backend", "worker"},
          {"options", options},
          {"retry", {{"max_attempts", 1}}}};
}

std::filesystem::path write_config(const std::filesystem::path& dir, nlohmann::json models,
                                   int concurrency = 8) {
  models.insert(models.begin(), nlohmann::json{{"name", "oracle"}, {"backend", "oracle"}});
  const nlohmann::json run{{"name", "worker"},
                           {"output_dir", "runs"},
                           {"concurrency", concurrency},
                           {"seed", 3},
                           {"models", std::move(models)},
                           {"tasks", synthetic_suite_tasks({"vqa", "exact_match"})}};
  const auto path = dir / "worker.run.json";
  write_text(path, run.dump(2));
  return path;
}

TEST(WorkerRun, TheSyntheticSuiteThroughAWorkerGetsTheOracleScoreWithUsageAndIsCached) {
  TempDir dir;
  const auto config = write_config(dir.path(), {worker_model(dir.path(), "w", {"--streaming"})});
  const auto out = dir.path() / "run";
  auto r = lmmbench({"run", config.string(), "--out", out.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::size_t total = 0;
  for (const std::string t : {"open", "mc"}) {
    const auto oracle = cell_of(out, "oracle", t);
    const auto cell = cell_of(out, "w", t);
    EXPECT_EQ(cell["outcome"], "ok") << cell.dump();
    EXPECT_EQ(cell["scores"][0]["score"], oracle["scores"][0]["score"]) << t;
    EXPECT_EQ(cell["counts"]["ok"], cell["counts"]["total"]) << t;
    const auto n = cell["counts"]["total"].get<std::int64_t>();
    total += static_cast<std::size_t>(n);
    // Each request carries one image: 576 image tokens in each prompt count.
    EXPECT_GT(cell["usage"]["prompt_tokens"].get<std::int64_t>(), 576 * n) << t;
    EXPECT_EQ(cell["usage"]["requests_with_usage"], n) << t;
  }
  EXPECT_EQ(requests_in(dir.path() / "w.log"), total);
  for (const auto& e : read_jsonl(out / "predictions.jsonl")) {
    if (e["model"] != "w") continue;
    EXPECT_TRUE(e["timing"].contains("first_token_s")) << e.dump();
    EXPECT_NE(e["backend"].get<std::string>().find("\"worker\""), std::string::npos);
  }
  // Into a new directory: every answer comes from the response cache, the worker is asked nothing.
  const auto again = dir.path() / "again";
  r = lmmbench({"run", config.string(), "--models", "w", "--out", again.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(cell_of(again, "w", "open")["counts"]["cached"],
            cell_of(again, "w", "open")["counts"]["total"]);
  EXPECT_EQ(requests_in(dir.path() / "w.log"), total);
}

TEST(WorkerRun, AWorkerCrashMidRunLosesNothingAndResumeAsksOnlyForTheRest) {
  TempDir dir;
  const auto config =
      write_config(dir.path(),
                   {worker_model(dir.path(), "w",
                                 {"--crash-after", "25", "--crash-marker",
                                  (dir.path() / "crashed").string(), "--delay", "0.01"})},
                   4);
  const auto out = dir.path() / "run";
  auto r = lmmbench({"run", config.string(), "--models", "w", "--out", out.string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("crashing (--crash-after)"), std::string::npos) << r.err;
  std::size_t ok = 0;
  std::size_t failed = 0;
  for (const auto& e : read_jsonl(out / "predictions.jsonl")) {
    if (e["outcome"] == "ok") {
      ++ok;
    } else {
      ++failed;
      EXPECT_EQ(e["error_kind"], "connection") << e.dump();
    }
  }
  EXPECT_EQ(ok, 25U);  // every answer the worker gave before it died is kept
  EXPECT_EQ(ok + failed, 90U);
  const auto asked_before = requests_in(dir.path() / "w.log");

  r = lmmbench(
      {"run", config.string(), "--models", "w", "--out", out.string(), "--resume", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(requests_in(dir.path() / "w.log") - asked_before, 90U - 25U);
  for (const std::string t : {"open", "mc"}) {
    const auto cell = cell_of(out, "w", t);
    EXPECT_EQ(cell["counts"]["ok"], cell["counts"]["total"]) << cell.dump();
  }
}

TEST(WorkerRun, ACrashedWorkerIsRestartedAndTheRunCompletes) {
  TempDir dir;
  auto model = worker_model(dir.path(), "w",
                            {"--crash-after", "10", "--crash-marker",
                             (dir.path() / "crashed").string(), "--delay", "0.01"},
                            {{"max_restarts", 1}});
  model["retry"] = {{"max_attempts", 2}, {"base_delay_s", 0.01}};
  const auto config = write_config(dir.path(), {model}, 4);
  const auto out = dir.path() / "run";
  auto r = lmmbench({"run", config.string(), "--models", "w", "--out", out.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string t : {"open", "mc"})
    EXPECT_EQ(cell_of(out, "w", t)["counts"]["ok"], cell_of(out, "w", t)["counts"]["total"]);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "crashed"));
}

TEST(WorkerRun, AHungWorkerTimesOutPerSampleAndTheRunEnds) {
  TempDir dir;
  // Every multiple-choice prompt hangs; open questions are answered.
  const auto config =
      write_config(dir.path(), {worker_model(dir.path(), "w", {"--hang-on", "option's letter"},
                                             {{"timeout_s", 1}, {"shutdown_timeout_s", 1}})});
  const auto start = std::chrono::steady_clock::now();
  const auto out = dir.path() / "run";
  auto r = lmmbench(
      {"run", config.string(), "--models", "w", "--limit", "8", "--out", out.string(), "--quiet"});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(cell_of(out, "w", "open")["counts"]["ok"], 8);
  std::size_t timeouts = 0;
  for (const auto& e : read_jsonl(out / "predictions.jsonl"))
    timeouts += error_kind(e) == "timeout" ? 1 : 0;
  EXPECT_EQ(timeouts, 8U);
}

TEST(WorkerRun, SigintWithAFrozenWorkerExitsAtOnce) {
  TempDir dir;
  // The worker freezes at its first request: four are in flight, none is answered.
  const auto config =
      write_config(dir.path(), {worker_model(dir.path(), "w", {"--hang-on", "Answer"})}, 4);
  const auto out = dir.path() / "run";
  const pid_t pid =
      spawn_process({kBinary.string(), "run", config.string(), "--models", "w", "--tasks", "open",
                     "--limit", "6", "--out", out.string(), "--quiet"},
                    dir.path());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (requests_in(dir.path() / "w.log") < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(requests_in(dir.path() / "w.log"), 4U);
  const auto start = std::chrono::steady_clock::now();
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_process(pid), 130);
  // Cancelled at once; the frozen worker gets a second to exit, then SIGTERM.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
  std::size_t cancelled = 0;
  for (const auto& e : read_jsonl(out / "predictions.jsonl"))
    cancelled += error_kind(e) == "cancelled" ? 1 : 0;
  EXPECT_EQ(cancelled, 4U);
}

TEST(WorkerRun, GarbageFromTheWorkerIsAClearPerSampleError) {
  TempDir dir;
  const auto config = write_config(
      dir.path(), {worker_model(dir.path(), "w", {"--garbage-after", "5", "--delay", "0.01"})}, 2);
  const auto out = dir.path() / "run";
  auto r = lmmbench(
      {"run", config.string(), "--models", "w", "--limit", "10", "--out", out.string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("not JSON: 'Traceback"), std::string::npos) << r.err;
  std::size_t ok = 0;
  std::size_t malformed = 0;
  for (const auto& e : read_jsonl(out / "predictions.jsonl")) {
    ok += e["outcome"] == "ok" ? 1 : 0;
    malformed += error_kind(e) == "malformed_reply" ? 1 : 0;
  }
  EXPECT_EQ(ok, 5U);
  EXPECT_GE(malformed, 1U);
}

TEST(WorkerRun, AWorkerOfAnotherProtocolVersionIsRefusedAsAConfigError) {
  TempDir dir;
  const auto config =
      write_config(dir.path(), {worker_model(dir.path(), "w", {"--protocol", "2"})});
  auto r = lmmbench(
      {"run", config.string(), "--models", "w", "--out", (dir.path() / "run").string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("worker.run.json"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("/models/1/options/command"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("speaks protocol version 2; this lmmbench speaks version 1"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace lmmbench::testing
