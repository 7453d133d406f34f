// `lmmbench slurm --submit` on a real single-node Slurm (Debian's slurm-wlm and munge, started by
// tests/slurm/cluster.sh in a temporary directory; needs root). An array of 3 shards over the
// synthetic suite and its merge job make a run equal to the unsharded run; an element killed
// mid-run and requeued (`scontrol requeue`, or `scancel` then `scontrol requeue`) resumes its shard
// with no answer lost or given twice. The model answers slowly (a baseline with a latency), so the
// kill lands mid-run. The job directory's name holds a space, quotes and a '%'.
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "../e2e/e2e_support.hpp"

namespace lmmbench::testing {
namespace {

/// `name` on PATH or in the sbin directories; empty when absent.
std::string find_program(const std::string& name) {
  std::string path = ::getenv("PATH") ? ::getenv("PATH") : "";
  path += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find(':', start), path.size());
    const auto candidate = std::filesystem::path(path.substr(start, end - start)) / name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    start = end + 1;
  }
  return {};
}

const auto kCluster = kSource / "tests/slurm/cluster.sh";

/// The cluster and the unsharded run, made once for every test of this file.
class Slurm : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (::geteuid() != 0) {
      skip_ = "needs root: slurmd runs the jobs (CI runs as root)";
      return;
    }
    for (const auto* tool : {"munged", "mungekey", "slurmctld", "slurmd", "sbatch", "scontrol"}) {
      if (find_program(tool).empty()) {
        skip_ = std::string(tool) + " is not installed: scripts/install-deps.sh --test";
        return;
      }
    }
    dir_ = new TempDir();
    cluster_ = dir_->path() / "cluster";
    std::filesystem::create_directories(cluster_);
    const auto r = run_process({"/bin/bash", kCluster.string(), "start", cluster_.string()});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    ::setenv("SLURM_CONF", (cluster_ / "slurm.conf").c_str(), 1);

    config_ = dir_->path() / "slow-suite.json";
    const nlohmann::json config = {
        {"name", "slurm-e2e"},
        {"output_dir", (dir_->path() / "runs").string()},
        {"concurrency", 2},
        {"seed", 2026},
        // 50 ms an answer: a shard of ~134 oracle answers takes ~3 s, long enough to kill it
        // mid-run; the prior answers at once.
        {"models",
         {{{"name", "oracle"}, {"backend", "oracle"}, {"options", {{"latency_ms", 50}}}},
          (kSource / "configs/models/prior.json").string()}},
        {"tasks",
         {(kSource / "configs/tasks/synthetic_open.json").string(),
          (kSource / "configs/tasks/synthetic_mc.json").string()}}};
    write_text(config_, config.dump(2));
    // The unsharded run, in the background while the tests' jobs run.
    full_pid_ = spawn_process(
        {kBinary.string(), "run", config_.string(), "--out", full().string(), "--quiet"},
        dir_->path());
  }
  static void TearDownTestSuite() {
    if (full_pid_ > 0) wait_process(full_pid_);
    if (dir_ != nullptr) {
      run_process({"/bin/bash", kCluster.string(), "stop", cluster_.string()});
      ::unsetenv("SLURM_CONF");
    }
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
  }
  void TearDown() override {
    if (HasFailure() && dir_ != nullptr) {
      for (const auto* log : {"log/slurmctld.log", "log/slurmd.log"}) {
        const auto path = cluster_ / log;
        if (std::filesystem::exists(path)) {
          const auto text = read_text(path);
          std::cerr << "--- " << path.string() << " (tail)\n"
                    << text.substr(text.size() > 4000 ? text.size() - 4000 : 0) << '\n';
        }
      }
    }
  }

  static std::filesystem::path full() { return dir_->path() / "full"; }

  /// The unsharded run, finished.
  static void wait_for_full_run() {
    if (full_pid_ > 0) {
      ASSERT_EQ(wait_process(full_pid_), 0) << read_text(dir_->path() / "stderr.txt");
      full_pid_ = 0;
    }
  }

  static ProcessResult slurm_tool(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {find_program(args.front())};
    argv.insert(argv.end(), args.begin() + 1, args.end());
    return run_process(argv);
  }

  /// JobState of a job or array element ("RUNNING", "COMPLETED", ...).
  static std::string job_state(const std::string& id) {
    const auto r = slurm_tool({"scontrol", "show", "job", id});
    std::smatch m;
    static const std::regex state("JobState=([A-Z_]+)");
    return std::regex_search(r.out, m, state) ? m[1].str() : "UNKNOWN(" + r.err + ")";
  }

  /// Polls `done` every 50 ms for up to `seconds`; fails the test with `what` on a timeout.
  static bool wait_for(const std::function<bool()>& done, double seconds, const std::string& what) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(static_cast<int>(seconds * 1000));
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "timed out after " << seconds << " s waiting for " << what;
    return false;
  }

  static std::size_t line_count(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);)
      n += !line.empty();
    return n;
  }

  /// Submits the quickstart-like suite as 3 shards into a job directory whose name needs quoting.
  /// Returns {array id, merge id}.
  std::pair<std::string, std::string> submit(const std::filesystem::path& out) {
    const auto r =
        lmmbench({"slurm", config_.string(), "--shards", "3", "--out", out.string(), "--submit"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    const auto ids = nlohmann::json::parse(read_text(out / "slurm/submitted.json"));
    return {ids.at("array_job").get<std::string>(), ids.at("merge_job").get<std::string>()};
  }

  /// Waits until shard `index` is running and has logged some answers but not all.
  void wait_mid_run(const std::filesystem::path& out, const std::string& element, int index) {
    const auto log = out / "shards" / std::to_string(index) / "predictions.jsonl";
    ASSERT_TRUE(wait_for([&] { return job_state(element) == "RUNNING" && line_count(log) >= 10; },
                         90, element + " running with 10 answers logged"));
    ASSERT_LT(line_count(log), 200u) << "the shard finished before it could be killed mid-run";
  }

  /// Every shard answered each of its samples exactly once; the requeued one resumed; the merged
  /// run equals the unsharded one (per-sample score files byte for byte, run.json scores).
  void expect_merged_equals_unsharded(const std::filesystem::path& out, int requeued) {
    for (int i = 0; i < 3; ++i) {
      const auto shard = out / "shards" / std::to_string(i);
      std::map<std::string, int> seen;
      std::ifstream in(shard / "predictions.jsonl");
      std::size_t entries = 0;
      for (std::string line; std::getline(in, line);) {
        ++entries;
        ++seen[nlohmann::json::parse(line).at("key").get<std::string>()];
      }
      for (const auto& [key, n] : seen)
        EXPECT_EQ(n, 1) << "shard " << i << " answered " << key << " " << n << " times";
      const auto record = nlohmann::json::parse(read_text(shard / "run.json"));
      std::size_t samples = 0;
      std::size_t resumed = 0;
      for (const auto& cell : record["cells"]) {
        samples += cell["counts"]["total"].get<std::size_t>();
        resumed += cell["counts"]["resumed"].get<std::size_t>();
      }
      EXPECT_EQ(entries, samples) << "shard " << i;
      // The answers logged before the kill were taken from the log, not asked again.
      if (i == requeued) {
        EXPECT_GE(resumed, 10u);
      }
      EXPECT_EQ(record["status"], "complete") << "shard " << i;
      EXPECT_EQ(record["resume_count"].get<int>() >= 1, i == requeued) << "shard " << i;
    }
    EXPECT_NE(read_text(out / "slurm/logs" / ("shard-" + std::to_string(requeued) + ".out"))
                  .find("restart 1"),
              std::string::npos);

    wait_for_full_run();
    const auto merged = out / "merged";
    ASSERT_TRUE(std::filesystem::exists(merged / "run.json"))
        << read_text(out / "slurm/logs/merge.out");
    validate_run_record(merged / "run.json");
    auto comparable = [](nlohmann::json record) {
      for (const auto* key :
           {"host", "started_at", "finished_at", "wall_seconds", "merged_from", "resume_count"})
        record.erase(key);
      // `resumed` counts answers a shard took from its own log after the requeue: how the run
      // went, not what it measured.
      for (auto& cell : record["cells"]) {
        cell.erase("wall_seconds");
        cell["counts"].erase("resumed");
      }
      return record;
    };
    const auto expected = nlohmann::json::parse(read_text(full() / "run.json"));
    const auto actual = nlohmann::json::parse(read_text(merged / "run.json"));
    ASSERT_EQ(actual["cells"].size(), 4u);
    EXPECT_EQ(nlohmann::json::diff(comparable(expected), comparable(actual)),
              nlohmann::json::array());
    for (const auto& cell : expected["cells"]) {
      ASSERT_EQ(cell["outcome"], "ok");
      const auto file = cell["scores_file"].get<std::string>();
      EXPECT_EQ(read_text(merged / file), read_text(full() / file)) << file;
    }
  }

  static std::string skip_;
  static TempDir* dir_;
  static std::filesystem::path cluster_;
  static std::filesystem::path config_;
  static pid_t full_pid_;
};

std::string Slurm::skip_;
TempDir* Slurm::dir_ = nullptr;
std::filesystem::path Slurm::cluster_;
std::filesystem::path Slurm::config_;
pid_t Slurm::full_pid_ = 0;

TEST_F(Slurm, ElementRequeuedMidRunResumesAndTheMergeJobEqualsTheUnshardedRun) {
  const auto out = dir_->path() / "job 'one' \"q\" %p";
  const auto [array, merge] = submit(out);
  wait_mid_run(out, array + "_1", 1);
  // What a pre-emption or a node failure does: the running element is killed and queued again.
  const auto requeue = slurm_tool({"scontrol", "requeue", array + "_1"});
  ASSERT_EQ(requeue.exit_code, 0) << requeue.err;

  ASSERT_TRUE(wait_for(
      [&] {
        const auto s = job_state(merge);
        return s == "COMPLETED" || s == "FAILED" || s == "CANCELLED";
      },
      180, "the merge job"));
  EXPECT_EQ(job_state(merge), "COMPLETED") << read_text(out / "slurm/logs/merge.out");
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(job_state(array + "_" + std::to_string(i)), "COMPLETED") << i;
  expect_merged_equals_unsharded(out, 1);
}

TEST_F(Slurm, ElementCancelledMidRunThenRequeuedFinishesAndMerges) {
  const auto out = dir_->path() / "job 'two' \"q\" %p";
  const auto [array, merge] = submit(out);
  wait_mid_run(out, array + "_1", 1);
  ASSERT_EQ(slurm_tool({"scancel", array + "_1"}).exit_code, 0);
  ASSERT_TRUE(wait_for([&] { return job_state(array + "_1") == "CANCELLED"; }, 60,
                       "the cancelled element"));
  // Slurm never satisfies `afterok` on an array with a cancelled element: the merge job, submitted
  // with --kill-on-invalid-dep=yes, is cancelled rather than left pending for ever.
  ASSERT_TRUE(wait_for([&] { return job_state(merge) == "CANCELLED"; }, 60,
                       "the merge job to be cancelled"));

  const auto requeue = slurm_tool({"scontrol", "requeue", array + "_1"});
  ASSERT_EQ(requeue.exit_code, 0) << requeue.err;
  ASSERT_TRUE(wait_for(
      [&] {
        for (int i = 0; i < 3; ++i) {
          if (job_state(array + "_" + std::to_string(i)) != "COMPLETED") return false;
        }
        return true;
      },
      180, "every element to complete"));
  // What docs/scale.md says to do then: submit the merge script again.
  const auto resubmitted =
      slurm_tool({"sbatch", "--parsable", (out / "slurm/merge.sbatch").string()});
  ASSERT_EQ(resubmitted.exit_code, 0) << resubmitted.err;
  const auto merge_again = resubmitted.out.substr(0, resubmitted.out.find_first_of(";\n"));
  ASSERT_TRUE(wait_for(
      [&] {
        const auto s = job_state(merge_again);
        return s == "COMPLETED" || s == "FAILED";
      },
      120, "the resubmitted merge job"));
  EXPECT_EQ(job_state(merge_again), "COMPLETED") << read_text(out / "slurm/logs/merge.out");
  expect_merged_equals_unsharded(out, 1);
}

}  // namespace
}  // namespace lmmbench::testing
