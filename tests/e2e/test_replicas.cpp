// A model served by three replicas ("base_url" as a list): requests spread over them, and when one
// is killed mid-run its share goes to the other two, every failed request retried there (counted as
// attempts), nothing lost, the run exits 0 with the oracle's score.
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "e2e_support.hpp"
#include "llm_server.hpp"

namespace lmmbench::testing {
namespace {

std::vector<nlohmann::json> log_entries(const std::filesystem::path& run_dir) {
  std::vector<nlohmann::json> out;
  std::istringstream in(read_text(run_dir / "predictions.jsonl"));
  for (std::string line; std::getline(in, line);)
    out.push_back(nlohmann::json::parse(line));
  return out;
}

/// The cells of a run.json, keyed "model/task".
std::map<std::string, nlohmann::json> cells(const std::filesystem::path& run_dir) {
  std::map<std::string, nlohmann::json> out;
  const auto record = nlohmann::json::parse(read_text(run_dir / "run.json"));
  for (const auto& cell : record.at("cells"))
    out[cell.at("model").get<std::string>() + "/" + cell.at("task").get<std::string>()] = cell;
  return out;
}

/// The synthetic suite (90 items) and a run config whose model is `base_urls`, answering slowly.
std::filesystem::path replica_config(const std::filesystem::path& dir,
                                     const nlohmann::json& base_urls) {
  const nlohmann::json tasks = synthetic_suite_tasks({"exact_match"});
  const nlohmann::json run{{"name", "replicas"},
                           {"output_dir", "runs"},
                           {"concurrency", 6},
                           {"seed", 3},
                           {"models",
                            {{{"name", "served"},
                              {"backend", "openai"},
                              {"options", {{"base_url", base_urls}, {"model", "llava"}}},
                              {"retry", {{"base_delay_s", 0.05}, {"max_attempts", 4}}}},
                             {{"name", "oracle"}, {"backend", "oracle"}}}},
                           {"tasks", tasks}};
  const auto path = dir / "replicas.run.json";
  write_text(path, run.dump(2));
  return path;
}

TEST(Replicas, OneKilledMidRunItsShareGoesToTheOthersAndNothingIsLost) {
  TempDir dir;
  const auto data = dir.path() / "data";
  const LlmServer::Options options{{data / "open.jsonl", data / "mc.jsonl"}, "", 600};
  LlmServer first(options);
  std::optional<LlmServer> second(std::in_place, options);
  LlmServer third(options);
  // 80 ms an answer, 6 in flight: the run takes about 1.2 s, long enough to kill one mid-run.
  const std::string slow = "/fault/slow;delay=0.08/v1";
  const std::string second_url = second->url() + slow;
  const auto config =
      replica_config(dir.path(), {first.url() + slow, second_url, third.url() + slow});
  // The oracle first: it prepares the data the servers answer from, and is the expected score.
  const auto oracle = lmmbench({"run", config.string(), "--models", "oracle", "--out",
                                (dir.path() / "oracle").string(), "--quiet"},
                               dir.path());
  ASSERT_EQ(oracle.exit_code, 0) << oracle.err;

  const auto out = dir.path() / "served";
  const pid_t run = spawn_process({kBinary.string(), "run", config.string(), "--models", "served",
                                   "--out", out.string(), "--quiet"},
                                  dir.path());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (second->requests().size() < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::size_t before_kill = second->requests().size();
  ASSERT_GE(before_kill, 4u);
  ASSERT_LT(before_kill, 30u) << "the run was nearly over before the kill";
  second.reset();  // SIGTERM, then SIGKILL: in-flight requests and later connects fail
  ASSERT_EQ(wait_process(run), 0) << read_text(dir.path() / "stderr.txt");

  // Nothing lost, nothing answered twice: every sample once in the log, the oracle's score.
  std::set<std::string> keys;
  std::size_t entries = 0;
  for (const auto& entry : log_entries(out)) {
    ++entries;
    keys.insert(entry["key"].get<std::string>());
    EXPECT_FALSE(entry.contains("error")) << entry.dump();
  }
  EXPECT_EQ(entries, 90u);
  EXPECT_EQ(keys.size(), 90u);
  const auto served = cells(out);
  const auto expected = cells(dir.path() / "oracle");
  std::size_t retries = 0;
  for (const std::string task : {"open", "mc"}) {
    const auto& cell = served.at("served/" + task);
    EXPECT_EQ(cell["scores"][0]["score"], expected.at("oracle/" + task)["scores"][0]["score"])
        << task;
    EXPECT_EQ(cell["counts"]["ok"], cell["counts"]["total"]) << cell.dump();
    retries += cell["counts"]["retries"].get<std::size_t>();
  }
  // The requests the dead replica failed were retried (on the others): counted as attempts.
  EXPECT_GE(retries, 1u);
  // The record says what each replica did: every attempt counted once, the failures on the dead
  // one, latency over the answered ones.
  std::size_t attempts = 0;
  std::size_t failures_of_second = 0;
  std::size_t answered = 0;
  for (const std::string task : {"open", "mc"}) {
    const auto& replicas = served.at("served/" + task)["replicas"];
    ASSERT_EQ(replicas.size(), 3u);
    EXPECT_EQ(replicas[1]["base_url"], second_url);
    for (const auto& replica : replicas) {
      attempts += replica["requests"].get<std::size_t>();
      answered += replica["answered"].get<std::size_t>();
      if (replica["answered"].get<std::size_t>() > 0) {
        EXPECT_GE(replica["latency_sum_s"].get<double>(), 0.08 * replica["answered"].get<double>());
      }
    }
    failures_of_second += replicas[1]["connection_failures"].get<std::size_t>();
    EXPECT_EQ(replicas[0]["connection_failures"], 0);
    EXPECT_EQ(replicas[2]["connection_failures"], 0);
  }
  EXPECT_EQ(attempts, 90u + retries);
  EXPECT_EQ(answered, 90u);
  EXPECT_EQ(failures_of_second, retries);
  // The dead replica's share went to the other two: together they answered every sample it had
  // not answered before it died, and each more than a third of the run.
  const std::size_t survivors = first.requests().size() + third.requests().size();
  EXPECT_GE(survivors + before_kill, 90u);
  EXPECT_GT(first.requests().size(), 30u);
  EXPECT_GT(third.requests().size(), 30u);
}

TEST(Replicas, RequestsSpreadOverEveryReplica) {
  TempDir dir;
  const auto data = dir.path() / "data";
  const LlmServer::Options options{{data / "open.jsonl", data / "mc.jsonl"}, "", 600};
  LlmServer a(options);
  LlmServer b(options);
  LlmServer c(options);
  const std::string slow = "/fault/slow;delay=0.02/v1";
  const auto config =
      replica_config(dir.path(), {a.url() + slow, b.url() + slow + "/", c.url() + slow});
  const auto r = lmmbench(
      {"run", config.string(), "--out", (dir.path() / "run").string(), "--quiet"}, dir.path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(cells(dir.path() / "run").at("oracle/open").contains("replicas"));
  // Least in flight, ties in turn: each replica gets about a third of the 90 requests.
  for (const auto* server : {&a, &b, &c}) {
    EXPECT_GE(server->requests().size(), 20u);
    EXPECT_LE(server->requests().size(), 40u);
  }
  EXPECT_EQ(a.requests().size() + b.requests().size() + c.requests().size(), 90u);
}

TEST(Replicas, EveryReplicaDownStopsTheBackendAsOneDeadEndpointDoes) {
  TempDir dir;
  // Nothing listens on ports 1 and 2 of 127.0.0.1: connection refused, at once.
  const auto config =
      replica_config(dir.path(), {"http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"});
  const auto oracle = lmmbench({"run", config.string(), "--models", "oracle", "--out",
                                (dir.path() / "oracle").string(), "--quiet"},
                               dir.path());
  ASSERT_EQ(oracle.exit_code, 0) << oracle.err;
  const auto r = lmmbench({"run", config.string(), "--models", "served", "--limit", "5", "--out",
                           (dir.path() / "dead").string(), "--quiet"},
                          dir.path());
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("served stopped: connection:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(replica http://127.0.0.1:"), std::string::npos) << r.err;
}

TEST(Replicas, BadReplicaListsAreRefusedNamingTheElement) {
  TempDir dir;
  const auto refused = [&](const nlohmann::json& base_urls, const std::string& message) {
    const auto config = replica_config(dir.path(), base_urls);
    const auto r = lmmbench({"run", config.string(), "--limit", "1", "--out",
                             (dir.path() / "never").string(), "--quiet"},
                            dir.path());
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  };
  refused(nlohmann::json::array(), "a list of replicas needs at least one URL");
  refused({"http://127.0.0.1:1/v1", "ftp://x/v1"}, "/options/base_url/1");
  refused({"http://127.0.0.1:1/v1", "http://127.0.0.1:1/v1/"}, "lists the replica");
  refused({"http://127.0.0.1:1/v1", 7}, "/options/base_url/1");
}

}  // namespace
}  // namespace lmmbench::testing
