// End-to-end: the real `lmmbench perf` binary against the local test server
// (tests/servers/llm_server.py) with injected streaming delays — the `--json` contract CI jobs and
// dashboards read (one object per level, a list for sweep), the run record and requests.jsonl of
// `--out`, and exit code 2 with the flag named for bad input. Short runs (about 5 s in all); the
// accuracy of the figures is tests/http/test_perf_accuracy.cpp's job.
#include <algorithm>
#include <optional>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "e2e_support.hpp"
#include "llm_server.hpp"

namespace lmmbench::testing {
namespace {

// Every reply: first token event 20 ms after the request was read, then one every 2 ms, 8 in all.
constexpr double kTtftMs = 20;
constexpr double kItlMs = 2;
constexpr int kTokens = 8;

std::filesystem::path write_model(const std::filesystem::path& dir, const LlmServer& server,
                                  const std::string& model_id = "m") {
  const nlohmann::json model{{"name", "perf-e2e"},
                             {"backend", "openai"},
                             {"options",
                              {{"base_url", server.url() + "/perf/ttft=0.02;itl=0.002;tokens=8/v1"},
                               {"model", model_id}}}};
  const auto path = dir / "perf-e2e.json";
  write_text(path, model.dump(2));
  return path;
}

/// Options every run shares: a small synthetic workload (one 64x64 JPEG, 8 prompt words) and
/// validity rules loose enough that a short run on a busy machine is VALID.
std::vector<std::string> perf_args(const std::filesystem::path& model,
                                   std::vector<std::string> extra) {
  std::vector<std::string> args{"perf",
                                model.string(),
                                "--images",
                                "1",
                                "--image-size",
                                "64",
                                "--prompt-tokens",
                                "8",
                                "--output-tokens",
                                std::to_string(kTokens),
                                "--warmup",
                                "2",
                                "--seed",
                                "5",
                                "--min-duration",
                                "0",
                                "--min-requests",
                                "1",
                                "--stability",
                                "100",
                                "--max-rate-error",
                                "0.5"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

/// The keys the issue promises to `--json` readers, with sane values for this server.
void expect_level_summary(const nlohmann::json& level, std::size_t requests) {
  SCOPED_TRACE(level.dump());
  for (const char* key : {"scenario", "requests", "failed", "duration_s", "request_throughput",
                          "output_throughput", "goodput", "valid"}) {
    EXPECT_TRUE(level.contains(key)) << key;
  }
  EXPECT_TRUE(level["valid"].is_boolean());
  EXPECT_EQ(level["requests"], requests);
  EXPECT_EQ(level["failed"], 0);
  EXPECT_EQ(level["output_tokens"], static_cast<std::int64_t>(requests) * kTokens);
  EXPECT_EQ(level["token_source"], "usage");
  const double duration = level["duration_s"].get<double>();
  ASSERT_GT(duration, 0);
  EXPECT_NEAR(level["request_throughput"].get<double>(), requests / duration, 1e-6);
  EXPECT_NEAR(level["output_throughput"].get<double>(), requests * kTokens / duration, 1e-6);
  // No SLOs given: every completed request is good.
  EXPECT_NEAR(level["goodput"].get<double>(), level["request_throughput"].get<double>(), 1e-9);
  for (const char* key : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"}) {
    for (const char* stat : {"mean", "p50", "p90", "p99"}) {
      ASSERT_TRUE(level[key].contains(stat)) << key << "." << stat;
      EXPECT_TRUE(level[key][stat].is_number()) << key << "." << stat;
    }
    EXPECT_FALSE(level[key].contains("histogram")) << key;
  }
  // Never earlier than injected; the upper bounds only catch gross errors (CTest shares the CPUs).
  const double e2e_ms = kTtftMs + (kTokens - 1) * kItlMs;
  EXPECT_GE(level["ttft_ms"]["p50"].get<double>(), kTtftMs - 0.05);
  EXPECT_LE(level["ttft_ms"]["p50"].get<double>(), kTtftMs + 15);
  // TPOT may come out below the injected gap: the server keeps absolute deadlines, so a late
  // first token is followed by the rest catching up.
  EXPECT_GT(level["tpot_ms"]["p50"].get<double>(), 0);
  EXPECT_LE(level["tpot_ms"]["p50"].get<double>(), kItlMs + 3);
  EXPECT_EQ(level["itl_ms"]["count"], static_cast<std::int64_t>(requests) * (kTokens - 1));
  EXPECT_GE(level["e2e_ms"]["p50"].get<double>(), e2e_ms - 0.05);
  EXPECT_LE(level["e2e_ms"]["p50"].get<double>(), e2e_ms + 20);
}

TEST(PerfCli, RateRunPrintsJsonAndWritesRecordAndRequests) {
  TempDir dir;
  LlmServer server;
  const auto model = write_model(dir.path(), server);
  const auto out = dir.path() / "rate";
  const auto r = lmmbench(perf_args(model, {"--scenario", "rate", "--request-rate", "40",
                                            "--requests", "30", "--json", "--out", out.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto printed = nlohmann::json::parse(r.out);  // stdout is the JSON and nothing else
  ASSERT_TRUE(printed.is_object()) << r.out;
  EXPECT_EQ(printed["scenario"], "rate");
  EXPECT_EQ(printed["request_rate"], 40.0);
  EXPECT_EQ(printed["valid"], true) << printed["invalid_reasons"];
  EXPECT_NEAR(printed["achieved_rate"].get<double>(), 40.0, 20.0);
  expect_level_summary(printed, 30);

  // The record: schema-valid, the same numbers as stdout.
  ASSERT_TRUE(std::filesystem::exists(out / "run.json")) << r.err;
  EXPECT_NE(r.err.find("Results: " + (out / "run.json").string()), std::string::npos) << r.err;
  validate_run_record(out / "run.json");
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  EXPECT_EQ(record["run_name"], "perf");
  EXPECT_EQ(record["status"], "complete");
  EXPECT_EQ(record["resolved_config"]["perf_options_patched"], true);  // stream switched on
  const auto& perf = record["perf"];
  EXPECT_EQ(perf["scenario"], "rate");
  EXPECT_EQ(perf["model"], "perf-e2e");
  EXPECT_EQ(perf["workload"]["kind"], "synthetic");
  EXPECT_EQ(perf["warmup_requests"], 2);
  EXPECT_EQ(perf["requests_file"], "requests.jsonl");
  ASSERT_EQ(perf["levels"].size(), 1u);
  auto level = perf["levels"][0];
  for (const char* key : {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms", "send_delay_ms"})
    level[key].erase("histogram");
  EXPECT_EQ(level, printed);
  EXPECT_FALSE(perf["levels"][0]["objectives"].empty());
  EXPECT_FALSE(printed.contains("replicas"));  // one URL: no per-replica figures

  // requests.jsonl: the warm-up requests, then every measured one with its token events.
  const auto lines = read_jsonl(out / "requests.jsonl");
  ASSERT_EQ(lines.size(), 32u);
  std::size_t warmup = 0;
  std::set<std::int64_t> indices;
  for (const auto& line : lines) {
    SCOPED_TRACE(line.dump());
    if (line["phase"] == "warmup") {
      ++warmup;
      continue;
    }
    indices.insert(line["index"].get<std::int64_t>());
    EXPECT_EQ(line["outcome"], "ok");
    EXPECT_EQ(line["output_tokens"], kTokens);
    EXPECT_EQ(line["tokens_from_usage"], true);
    EXPECT_EQ(line["images"], 1);
    ASSERT_EQ(line["token_ms"].size(), static_cast<std::size_t>(kTokens));
    EXPECT_LE(line["scheduled_ms"].get<double>(), line["sent_ms"].get<double>());
    EXPECT_LE(line["sent_ms"].get<double>(), line["first_token_ms"].get<double>());
    EXPECT_EQ(line["first_token_ms"], line["token_ms"][0]);
    EXPECT_LE(line["token_ms"].back().get<double>(), line["end_ms"].get<double>());
    EXPECT_NEAR(line["ttft_ms"].get<double>(),
                line["first_token_ms"].get<double>() - line["sent_ms"].get<double>(), 1e-6);
  }
  EXPECT_EQ(warmup, 2u);
  EXPECT_EQ(indices.size(), 30u);
}

TEST(PerfCli, ATaskWorkloadSendsItsSamplesAndCountsTheUnusableOnes) {
  TempDir dir;
  LlmServer server;
  const auto model = write_model(dir.path(), server);
  // The six-item fixture with red.png missing: its two samples are skipped, the rest are sent.
  const auto fixture = kSource / "tests/fixtures/tiny_vqa";
  std::filesystem::copy(fixture / "images", dir.path() / "images");
  std::filesystem::remove(dir.path() / "images/red.png");
  std::filesystem::copy_file(fixture / "questions.jsonl", dir.path() / "questions.jsonl");
  const auto task = dir.path() / "task.json";
  write_text(
      task, nlohmann::json{{"name", "tiny-open"},
                           {"dataset", {{"format", "lmmbench-jsonl"}, {"path", "questions.jsonl"}}},
                           {"prompt", {{"template", "{question}"}}},
                           {"generation", {{"max_tokens", 4}}},
                           {"metrics", {"exact_match"}}}
                .dump());
  const auto out = dir.path() / "task-run";
  const auto r = lmmbench(perf_args(
      model, {"--task", task.string(), "--requests", "10", "--json", "--out", out.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  expect_level_summary(nlohmann::json::parse(r.out), 10);
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  const auto& workload = record["perf"]["workload"];
  EXPECT_EQ(workload["kind"], "task");
  EXPECT_EQ(workload["task"], "tiny-open");
  EXPECT_EQ(workload["task_config"], task.string());
  EXPECT_EQ(workload["max_tokens"], kTokens);  // --output-tokens overrides the task's 4
  EXPECT_EQ(workload["skipped_samples"], 2);
  EXPECT_EQ(record["resolved_config"]["task"]["name"], "tiny-open");
  for (const auto& line : read_jsonl(out / "requests.jsonl"))
    EXPECT_EQ(line["images"], 1) << line.dump();
}

TEST(PerfCli, SweepPrintsOneObjectPerLevelAndMarksTheBest) {
  TempDir dir;
  LlmServer server;
  const auto model = write_model(dir.path(), server);
  const auto out = dir.path() / "sweep";
  const auto r =
      lmmbench(perf_args(model, {"--scenario", "sweep", "--concurrencies", "1,4", "--requests",
                                 "16", "--slo-e2e-ms", "5000", "--json", "--out", out.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto printed = nlohmann::json::parse(r.out);
  ASSERT_TRUE(printed.is_array()) << r.out;
  ASSERT_EQ(printed.size(), 2u);
  std::size_t best = 0;
  for (std::size_t i = 0; i < printed.size(); ++i) {
    const auto& level = printed[i];
    EXPECT_EQ(level["scenario"], "concurrency");
    EXPECT_EQ(level["concurrency"], i == 0 ? 1 : 4);
    expect_level_summary(level, 16);
    EXPECT_EQ(level["slo_attainment"], 1.0);
    if (level["best"] == true) ++best;
  }
  EXPECT_EQ(best, 1u);
  EXPECT_EQ(printed[1]["best"], true);  // the highest load that is valid and meets the SLO
  // Four in flight finish the same requests faster than one.
  EXPECT_GT(printed[1]["request_throughput"].get<double>(),
            1.5 * printed[0]["request_throughput"].get<double>());

  validate_run_record(out / "run.json");
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  EXPECT_EQ(record["perf"]["scenario"], "sweep");
  EXPECT_EQ(record["perf"]["levels"].size(), 2u);
  EXPECT_EQ(record["perf"]["best_level"], 1);
  EXPECT_EQ(record["perf"]["slos"]["e2e_ms"], 5000.0);
  const auto lines = read_jsonl(out / "requests.jsonl");
  EXPECT_EQ(lines.size(), 2u + 2 * 16u);
  std::set<std::int64_t> levels;
  for (const auto& line : lines) {
    if (line["phase"] != "warmup") levels.insert(line["level"].get<std::int64_t>());
  }
  EXPECT_EQ(levels, (std::set<std::int64_t>{0, 1}));
}

const nlohmann::json& series(const nlohmann::json& list, const std::string& name,
                             const nlohmann::json& labels) {
  for (const auto& s : list) {
    if (s["name"] == name && s["labels"] == labels) return s;
  }
  throw std::runtime_error("no series " + name + labels.dump() + " in " + list.dump());
}

// A model served by three replicas (docs/scale.md): each level records what every replica did
// over it, in run.json, `--json` and the report; one URL records nothing (the test above).
TEST(PerfCli, ReplicasPerLevelSumToTheLevelsRequests) {
  TempDir dir;
  LlmServer a;
  LlmServer b;
  LlmServer c;
  const std::string path = "/perf/ttft=0.02;itl=0.002;tokens=8/v1";
  const std::vector<std::string> urls{a.url() + path, b.url() + path, c.url() + path};
  const nlohmann::json config{{"name", "perf-replicas"},
                              {"backend", "openai"},
                              {"options", {{"base_url", urls}, {"model", "m"}}}};
  const auto model = dir.path() / "perf-replicas.json";
  write_text(model, config.dump(2));
  const auto out = dir.path() / "sweep";
  // The second replica's own count of what it answered, per level (its /metrics).
  const auto r = lmmbench(
      perf_args(model, {"--scenario", "sweep", "--concurrencies", "1,3", "--requests", "12",
                        "--prometheus", b.url() + "/metrics", "--json", "--out", out.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto printed = nlohmann::json::parse(r.out);
  ASSERT_EQ(printed.size(), 2u) << r.out;
  const nlohmann::json answered_labels{
      {"engine", "0"}, {"model_name", "m"}, {"finished_reason", "length"}};
  validate_run_record(out / "run.json");
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  for (std::size_t i = 0; i < printed.size(); ++i) {
    const auto& level = record["perf"]["levels"][i];
    SCOPED_TRACE(level["replicas"].dump());
    EXPECT_EQ(printed[i]["replicas"], level["replicas"]);
    ASSERT_EQ(level["replicas"].size(), urls.size());
    std::size_t requests = 0;
    for (std::size_t k = 0; k < urls.size(); ++k) {
      const auto& replica = level["replicas"][k];
      EXPECT_EQ(replica["base_url"], urls[k]);
      // Least in flight, ties in turn: every replica gets a share of either level.
      EXPECT_GE(replica["requests"].get<std::size_t>(), 1u);
      EXPECT_EQ(replica["answered"], replica["requests"]);
      EXPECT_EQ(replica["connection_failures"], 0);
      // 20 ms to the first token and 7 gaps of 2 ms: at least 34 ms to the reply's end.
      EXPECT_GE(replica["latency_mean_ms"].get<double>(), 30.0);
      requests += replica["requests"].get<std::size_t>();
    }
    // The server agrees with the client's count for its replica, warm-up excluded.
    EXPECT_EQ(series(level["server_metrics"]["counters"], "vllm:request_success_total",
                     answered_labels)["value"]
                  .get<double>(),
              level["replicas"][1]["requests"].get<double>());
    // No retries in perf: every measured request is one attempt on one replica.
    EXPECT_EQ(requests, level["requests"].get<std::size_t>());
    EXPECT_EQ(requests, 12u);
  }

  const auto md = lmmbench({"report", out.string(), "--md", "-"});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  EXPECT_NE(md.out.find("Replicas"), std::string::npos) << md.out;
  for (std::size_t k = 0; k < urls.size(); ++k) {
    const auto n =
        std::to_string(record["perf"]["levels"][1]["replicas"][k]["requests"].get<std::size_t>());
    EXPECT_NE(md.out.find("| concurrency 3 · " + urls[k] + " | " + n + " | " + n + " | 0 | "),
              std::string::npos)
        << md.out;
  }
}

// A replica that refuses connections: its request fails (perf resends nothing), counted as its
// connection failure and the level's, and while it is backed off the others take its share.
TEST(PerfCli, ADeadReplicasFailuresAreItsOwnAndTheOthersServeTheRest) {
  TempDir dir;
  LlmServer a;
  LlmServer b;
  std::optional<LlmServer> dead(std::in_place);
  const std::string path = "/perf/ttft=0.02;itl=0.002;tokens=8/v1";
  const std::vector<std::string> urls{a.url() + path, b.url() + path, dead->url() + path};
  dead.reset();  // its port now refuses connections
  const nlohmann::json config{{"name", "perf-replicas"},
                              {"backend", "openai"},
                              {"options", {{"base_url", urls}, {"model", "m"}}}};
  const auto model = dir.path() / "perf-replicas.json";
  write_text(model, config.dump(2));
  const auto out = dir.path() / "dead";
  const auto r =
      lmmbench(perf_args(model, {"--scenario", "concurrency", "--concurrency", "1", "--requests",
                                 "12", "--max-failed", "0.5", "--json", "--out", out.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  validate_run_record(out / "run.json");
  const auto level = nlohmann::json::parse(read_text(out / "run.json"))["perf"]["levels"][0];
  SCOPED_TRACE(level.dump());
  const auto& replicas = level["replicas"];
  ASSERT_EQ(replicas.size(), 3u);
  // The two warm-up requests went to the first two; the level's first, in turn, to the third.
  EXPECT_GE(replicas[2]["requests"].get<std::size_t>(), 1u);
  EXPECT_EQ(replicas[2]["answered"], 0);
  EXPECT_EQ(replicas[2]["connection_failures"], replicas[2]["requests"]);
  EXPECT_TRUE(replicas[2]["latency_mean_ms"].is_null());
  EXPECT_EQ(level["failed"], replicas[2]["connection_failures"]);
  EXPECT_EQ(level["failures_by_kind"]["connection"], replicas[2]["connection_failures"]);
  std::size_t requests = 0;
  for (std::size_t k = 0; k < 2; ++k) {
    EXPECT_EQ(replicas[k]["answered"], replicas[k]["requests"]);
    EXPECT_EQ(replicas[k]["connection_failures"], 0);
    requests += replicas[k]["requests"].get<std::size_t>();
  }
  EXPECT_GE(requests, 10u);
  EXPECT_EQ(requests + replicas[2]["requests"].get<std::size_t>(), 12u);
  EXPECT_EQ(level["completed"].get<std::size_t>(), requests);
}

// The test server's /metrics counts what it answered (vLLM's names): each level's deltas must be
// exactly what that level sent, warm-up excluded.
TEST(PerfCli, PrometheusDeltasMatchWhatTheRunSent) {
  TempDir dir;
  LlmServer server;
  const auto model = write_model(dir.path(), server);
  const auto out = dir.path() / "prom";
  const auto r = lmmbench(
      perf_args(model, {"--scenario", "sweep", "--concurrencies", "1,3", "--requests", "12",
                        "--prometheus", server.url() + "/metrics", "--out", out.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(r.err.find("note: server metrics"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("Server metrics"), std::string::npos) << r.out;  // the Markdown mentions it
  validate_run_record(out / "run.json");
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  const auto& levels = record["perf"]["levels"];
  ASSERT_EQ(levels.size(), 2u);
  const nlohmann::json labels{{"engine", "0"}, {"model_name", "m"}};
  for (const auto& level : levels) {
    SCOPED_TRACE(level["concurrency"].dump());
    const auto& m = level["server_metrics"];
    EXPECT_EQ(m["url"], server.url() + "/metrics");
    EXPECT_EQ(m["scraped"], true);
    EXPECT_TRUE(m["notes"].empty()) << m["notes"];
    auto with_reason = labels;
    with_reason["finished_reason"] = "length";
    EXPECT_EQ(series(m["counters"], "vllm:request_success_total", with_reason)["value"], 12.0);
    EXPECT_EQ(series(m["counters"], "vllm:prompt_tokens_total", labels)["value"].get<double>(),
              level["prompt_tokens"].get<double>());
    EXPECT_EQ(series(m["counters"], "vllm:generation_tokens_total", labels)["value"],
              12.0 * kTokens);
    EXPECT_EQ(series(m["gauges"], "vllm:num_requests_running", labels)["value"], 0.0);
    const auto& ttft = series(m["histograms"], "vllm:time_to_first_token_seconds", labels);
    EXPECT_EQ(ttft["count"], 12.0);
    // The server's mean TTFT (request read -> first event written) is the injected 20 ms plus its
    // own lateness, and cannot exceed the client's (which adds the upload and the read).
    const double server_ms = 1000 * ttft["mean"].get<double>();
    EXPECT_GE(server_ms, kTtftMs - 0.05);
    EXPECT_LE(server_ms, level["ttft_ms"]["mean"].get<double>() + 0.5);
    const auto& e2e = series(m["histograms"], "vllm:e2e_request_latency_seconds", labels);
    EXPECT_EQ(e2e["count"], 12.0);
    // prometheus_client's _created timestamps are not figures.
    for (const auto& g : m["gauges"])
      EXPECT_EQ(g["name"].get<std::string>().find("_created"), std::string::npos) << g;
  }
}

TEST(PerfCli, AFailedScrapeIsANoteAndTheRunGoesOn) {
  TempDir dir;
  LlmServer server;
  const auto model = write_model(dir.path(), server);
  for (const std::string fault : {"status=500", "malformed"}) {
    SCOPED_TRACE(fault);
    const auto out = dir.path() / fault;
    const auto r = lmmbench(perf_args(
        model, {"--scenario", "offline", "--concurrency", "2", "--requests", "4", "--prometheus",
                server.url() + "/fault/" + fault + "/metrics", "--json", "--out", out.string()}));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.err.find("note: server metrics: scrape before the level failed"), std::string::npos)
        << r.err;
    validate_run_record(out / "run.json");
    const auto printed = nlohmann::json::parse(r.out);
    const auto& m = printed["server_metrics"];
    EXPECT_EQ(m["scraped"], false);
    EXPECT_TRUE(m["counters"].empty());
    ASSERT_EQ(m["notes"].size(), 2u) << m;  // before and after
    EXPECT_NE(m["notes"][0].get<std::string>().find(fault == "malformed" ? "not Prometheus text"
                                                                         : "HTTP status 500"),
              std::string::npos)
        << m;
    expect_level_summary(printed, 4);
  }
}

// --nvml on a machine without an NVIDIA GPU (this project's CI): the run goes on, and each level
// records why there is no telemetry; the Markdown output says so too. Where NVML works the level
// has one entry per GPU and the cost's power is the measured one.
TEST(PerfCli, NvmlWithoutAGpuIsANoteAndTheRunGoesOn) {
  TempDir dir;
  LlmServer server;
  const auto model = write_model(dir.path(), server);
  const auto out = dir.path() / "nvml";
  const auto r = lmmbench(perf_args(
      model, {"--scenario", "sweep", "--concurrencies", "1,2", "--requests", "4", "--nvml",
              "--nvml-interval-ms", "20", "--gpu", "a100-80gb", "--gpu-table",
              (kSource / "configs" / "gpus.json").string(), "--json", "--out", out.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  validate_run_record(out / "run.json");
  const auto printed = nlohmann::json::parse(r.out);
  ASSERT_EQ(printed.size(), 2u) << printed;
  for (const auto& level : printed) {
    const auto& t = level["gpu_telemetry"];
    ASSERT_TRUE(t.is_object()) << level;
    EXPECT_EQ(t["interval_ms"], 20.0);
    if (t["available"] == false) {
      EXPECT_EQ(t["note"].get<std::string>().rfind("not available: ", 0), 0u) << t;
      EXPECT_TRUE(t["gpus"].empty());
      EXPECT_EQ(level["cost"]["power_source"], "tdp (upper bound)");
    } else {
      EXPECT_FALSE(t["gpus"].empty());
      EXPECT_EQ(level["cost"]["power_source"].get<std::string>().rfind("nvml", 0), 0u);
    }
    expect_level_summary(level, 4);
  }
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  EXPECT_EQ(record["perf"]["levels"][0]["gpu_telemetry"], printed[0]["gpu_telemetry"]);
  if (printed[0]["gpu_telemetry"]["available"] == false) {
    EXPECT_NE(r.err.find("note: GPU telemetry: not available: "), std::string::npos) << r.err;
  }

  // Markdown: the telemetry as a fact, with the table where NVML sampled a GPU and the reason as
  // a note where it did not.
  const auto md =
      lmmbench(perf_args(model, {"--scenario", "offline", "--requests", "2", "--nvml"}));
  ASSERT_EQ(md.exit_code, 0) << md.err << md.out;
  EXPECT_NE(md.out.find("- GPU telemetry: NVML"), std::string::npos) << md.out;
  EXPECT_TRUE(md.out.find("### GPU telemetry (NVML)") != std::string::npos ||
              md.out.find("- note: offline: GPU telemetry not available: ") != std::string::npos)
      << md.out;

  // The interval alone means nothing: refused, naming the flag.
  const auto refused = lmmbench(perf_args(model, {"--requests", "2", "--nvml-interval-ms", "50"}));
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("--nvml-interval-ms"), std::string::npos) << refused.err;
}

// An API model priced per token: the level's measured tokens at configs/prices.json's rates.
TEST(PerfCli, PricesGiveAnApiModelsCostFromItsTokens) {
  TempDir dir;
  LlmServer server;
  const auto model = write_model(dir.path(), server, "gpt-4o-2024-08-06");
  const auto out = dir.path() / "priced";
  const auto r = lmmbench(perf_args(
      model, {"--scenario", "offline", "--concurrency", "2", "--requests", "6", "--prices",
              (kSource / "configs" / "prices.json").string(), "--gpu", "a100-80gb", "--gpu-table",
              (kSource / "configs" / "gpus.json").string(), "--json", "--out", out.string()}));
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto level = nlohmann::json::parse(r.out);
  const auto& c = level["token_cost"];
  ASSERT_TRUE(c.is_object()) << level;
  EXPECT_EQ(c["price_model"], "gpt-4o");  // the dated snapshot uses its family's price
  EXPECT_EQ(c["usd_per_1m_input_tokens"], 2.5);
  EXPECT_EQ(c["usd_per_1m_output_tokens_rate"], 10.0);
  const double prompt = level["prompt_tokens"].get<double>();
  const double output = level["output_tokens"].get<double>();
  EXPECT_EQ(output, 6.0 * kTokens);
  EXPECT_GT(prompt, 6 * 576);  // the server counts 576 tokens per image
  const double usd = (prompt * 2.5 + output * 10) / 1e6;
  EXPECT_NEAR(c["usd"].get<double>(), usd, 1e-12);
  EXPECT_NEAR(c["usd_per_1m_output_tokens"].get<double>(), usd / output * 1e6, 1e-9);
  EXPECT_NEAR(c["usd_per_1k_requests"].get<double>(), usd / 6 * 1e3, 1e-12);
  EXPECT_NEAR(c["usd_per_1k_images"].get<double>(), usd / 6 * 1e3, 1e-12);
  EXPECT_NEAR(c["usd_per_day"].get<double>(), usd / level["duration_s"].get<double>() * 86400,
              1e-6);
  EXPECT_EQ(c["note"], "");
  EXPECT_TRUE(level["cost"].is_object());  // GPU-hour cost beside it
  validate_run_record(out / "run.json");

  // A model the table does not price is refused before anything is sent.
  const auto unpriced = write_model(dir.path(), server, "my-local-llava");
  const auto refused = lmmbench(perf_args(
      unpriced, {"--prices", (kSource / "configs" / "prices.json").string(), "--requests", "2"}));
  EXPECT_EQ(refused.exit_code, 2) << refused.err;
  EXPECT_NE(refused.err.find("--prices"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("my-local-llava"), std::string::npos) << refused.err;
}

TEST(PerfCli, BadInputExitsWithTwoAndNamesTheFlag) {
  TempDir dir;
  // Every case is refused before anything is sent, so no server is needed.
  const auto model = dir.path() / "m.json";
  write_text(model,
             nlohmann::json{{"name", "m"},
                            {"backend", "openai"},
                            {"options", {{"base_url", "http://127.0.0.1:9/v1"}, {"model", "m"}}}}
                 .dump());
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--scenario", "sweep", "--rates", "1,x"}, "--rates"},
      {{"--scenario", "sweep", "--concurrencies", "1,2.5"}, "--concurrencies"},
      {{"--scenario", "rate", "--request-rate", "2", "--arrival", "uniform"}, "--arrival"},
      {{"--image-size", "64x"}, "--image-size"},
      {{"--image-size", "64,64"}, "--image-size"},
      {{"--scenario", "offline", "--duration", "3"}, "--duration"},
      {{"--price", "-1"}, "--price"},
      {{"--prometheus", "http://user:secret@127.0.0.1:9/metrics"}, "--prometheus"},
      {{"--prometheus", "http://127.0.0.1:9/metrics?token=secret"}, "--prometheus"},
  };
  for (const auto& [extra, flag] : cases) {
    std::vector<std::string> args{"perf", model.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = lmmbench(args);
    EXPECT_EQ(r.exit_code, 2) << flag << ": " << r.err << r.out;
    EXPECT_NE(r.err.find(flag), std::string::npos) << flag << ": " << r.err;
    EXPECT_TRUE(r.out.empty()) << flag << ": " << r.out;
    EXPECT_EQ(r.err.find("secret"), std::string::npos) << r.err;  // never repeated
  }
  const auto missing = lmmbench({"perf", (dir.path() / "absent.json").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  EXPECT_NE(missing.err.find("absent.json"), std::string::npos) << missing.err;
}

/// A model config named "perf-e2e" whose base URL is `path` on the test server.
std::filesystem::path write_model_at(const std::filesystem::path& file, const LlmServer& server,
                                     const std::string& path) {
  const nlohmann::json model{{"name", "perf-e2e"},
                             {"backend", "openai"},
                             {"options", {{"base_url", server.url() + path}, {"model", "m"}}}};
  write_text(file, model.dump(2));
  return file;
}

TEST(PerfCli, AWarmUpThatFailsStopsTheRunAndSaysWhy) {
  TempDir dir;
  LlmServer server;
  // Every request of this base URL is answered HTTP 500.
  const auto model = write_model_at(dir.path() / "broken.json", server, "/fault/status=500/v1");
  const auto out = dir.path() / "out";
  const auto r = lmmbench(perf_args(model, {"--scenario", "concurrency", "--concurrency", "2",
                                            "--requests", "10", "--out", out.string()}));
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_NE(r.err.find("warm-up: all 2 request(s) failed: 2 http; first: HTTP 500"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("error: every warm-up request failed, so nothing was measured"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("level 1/1"), std::string::npos) << r.err;  // no level was run
  EXPECT_FALSE(std::filesystem::exists(out));  // nor the directory it locked: nothing was written
}

TEST(PerfCli, ALevelsFailuresAreNamedWithTheirKindAndFirstMessage) {
  TempDir dir;
  LlmServer server;
  const auto model = write_model_at(dir.path() / "broken.json", server, "/fault/status=500/v1");
  // No warm-up: the level itself fails, INVALID, and says how.
  auto args =
      perf_args(model, {"--scenario", "concurrency", "--concurrency", "2", "--requests", "4"});
  *(std::find(args.begin(), args.end(), "--warmup") + 1) = "0";
  const auto r = lmmbench(args);
  EXPECT_EQ(r.exit_code, 1) << r.err << r.out;
  EXPECT_NE(r.err.find("4 of 4 requests failed (at most 0% allowed): 4 http; first: HTTP 500"),
            std::string::npos)
      << r.err;
}

TEST(PerfCli, CompareGatesTwoPerfRunsOnTtftAndThroughput) {
  TempDir dir;
  LlmServer server;
  // The same server, once with a 20 ms and once with a 120 ms first token.
  const auto fast =
      write_model_at(dir.path() / "fast.json", server, "/perf/ttft=0.02;itl=0.002;tokens=8/v1");
  const auto slow =
      write_model_at(dir.path() / "slow.json", server, "/perf/ttft=0.12;itl=0.002;tokens=8/v1");
  const auto base = dir.path() / "base";
  const auto worse = dir.path() / "worse";
  for (const auto& [model, out] : {std::pair{fast, base}, std::pair{slow, worse}}) {
    const auto r = lmmbench(perf_args(model, {"--scenario", "concurrency", "--concurrency", "2",
                                              "--requests", "30", "--out", out.string()}));
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  }
  // A regression: TTFT p99 and throughput far beyond their tolerance and noise.
  auto r = lmmbench(
      {"compare", base.string(), worse.string(), "--junit", (dir.path() / "gate.xml").string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("## lmmbench compare: ✗"), std::string::npos) << r.out;
  const auto row = [&](const std::string& what) {
    const auto at = r.out.find("concurrency 2: " + what + " |");
    return at == std::string::npos
               ? std::string()
               : r.out.substr(r.out.rfind('\n', at) + 1, std::string("| ✗").size());
  };
  EXPECT_EQ(row("ttft p99"), "| ✗") << r.out;
  EXPECT_EQ(row("request throughput"), "| ✗") << r.out;
  EXPECT_NE(read_text(dir.path() / "gate.xml").find("performance regression: "), std::string::npos);
  // The noise of each figure is recorded and shown.
  const auto record = nlohmann::json::parse(read_text(base / "run.json"));
  for (const auto& o : record["perf"]["levels"][0]["objectives"]) {
    if (o["name"] == "concurrency 2: ttft p99") {
      EXPECT_EQ(o["ci95"].size(), 2u) << o.dump();
    }
  }
  // An improvement passes; so does a run compared with itself. (TPOT is the same 2 ms in both
  // runs; its p99 over 30 requests moves by more than 10 % between runs on a busy machine, which
  // is what the tolerance is for.)
  r = lmmbench({"compare", worse.string(), base.string(), "--latency-tolerance", "0.5"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("✓ no regression"), std::string::npos) << r.out;
  r = lmmbench({"compare", base.string(), base.string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  // Tolerances are flags: a 100 x latency tolerance lets the slow TTFT through, not the throughput.
  r = lmmbench({"compare", base.string(), worse.string(), "--latency-tolerance", "100"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(row("ttft p99"), "| ✗") << r.out;
  EXPECT_EQ(row("request throughput"), "| ✗") << r.out;
}

}  // namespace
}  // namespace lmmbench::testing
