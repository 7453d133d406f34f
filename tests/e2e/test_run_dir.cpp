// End-to-end tests of one run directory used by several processes: the run lock, which run
// `--resume` picks, leftovers of a kill, and a response cache shared by concurrent runs.
#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

std::size_t count_lines(const std::filesystem::path& path) {
  const std::string text = read_text(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

/// Every line of a prediction log parsed (a test failure names a line that is not JSON); the
/// distinct keys.
std::set<std::string> valid_log_keys(const std::filesystem::path& run_dir) {
  std::set<std::string> keys;
  std::istringstream in(read_text(run_dir / "predictions.jsonl"));
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("key")) {
      ADD_FAILURE() << "line " << number << " is not a log entry: " << line.substr(0, 200);
      continue;
    }
    keys.insert(j.at("key").get<std::string>());
  }
  return keys;
}

/// Waits until `path` exists (at most 60 s).
void wait_for(const std::filesystem::path& path) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!std::filesystem::exists(path) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

/// A pid no process has (one that existed and exited).
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST(RunDirectory, TwoConcurrentResumesOfOneRunDirectory_OneRunsTheOtherIsRefused) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 4.0, 2.0, 4);
  const auto reference = dir.path() / "reference";
  ASSERT_EQ(lmmbench({"run", config.string(), "--out", reference.string(), "--quiet",
                      "--concurrency", "48"})
                .exit_code,
            0);
  const auto out = dir.path() / "run";
  std::filesystem::create_directories(dir.path() / "a");
  std::filesystem::create_directories(dir.path() / "b");
  const std::vector<std::string> args = {kBinary.string(), "run",      config.string(), "--out",
                                         out.string(),     "--resume", "--quiet"};
  const pid_t a = spawn_process(args, dir.path() / "a");
  const pid_t b = spawn_process(args, dir.path() / "b");
  const int code_a = wait_process(a);
  const int code_b = wait_process(b);
  const std::string err_a = read_text(dir.path() / "a/stderr.txt");
  const std::string err_b = read_text(dir.path() / "b/stderr.txt");
  // Exactly one ran; the other stopped before touching the directory and named the holder.
  ASSERT_EQ(std::multiset<int>({code_a, code_b}), std::multiset<int>({0, 2}))
      << "a: " << err_a << "\nb: " << err_b;
  const bool a_ran = code_a == 0;
  const std::string& refused = a_ran ? err_b : err_a;
  const pid_t winner = a_ran ? a : b;
  EXPECT_NE(refused.find(out.string() + ": this run directory is in use by another lmmbench (pid " +
                         std::to_string(winner)),
            std::string::npos)
      << refused;
  // The log is whole and complete: every line valid, every sample answered once.
  EXPECT_EQ(valid_log_keys(out), valid_log_keys(reference));
  EXPECT_EQ(count_lines(out / "predictions.jsonl"), count_lines(reference / "predictions.jsonl"));
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  EXPECT_EQ(record.at("status"), "complete");
  // A later resume finds the lock of the finished (dead) process and carries on.
  const auto again = lmmbench({"run", config.string(), "--out", out.string(), "--resume"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

TEST(RunDirectory, ResumeWithoutOutRefusesARunOfAnotherConfig) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 0, 0);
  ASSERT_EQ(lmmbench({"run", config.string(), "--models", "yes", "--quiet"}).exit_code, 0);
  const auto runs = dir.path() / "runs";
  ASSERT_TRUE(std::filesystem::is_directory(runs));
  const auto run_dir = std::filesystem::directory_iterator(runs)->path();
  const auto record_before = read_text(run_dir / "run.json");
  const auto first_hash = nlohmann::json::parse(record_before).at("config_sha256");

  // The same output_dir, another config (a different seed).
  auto other = nlohmann::json::parse(read_text(config));
  other["seed"] = 12;
  const auto other_path = dir.path() / "other.json";
  write_text(other_path, other.dump(2));
  const auto r = lmmbench({"run", other_path.string(), "--resume", "--quiet"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(run_dir.string() +
                       ": --resume: the newest run here was made from a "
                       "different config (its config_sha256 " +
                       first_hash.get<std::string>()),
            std::string::npos)
      << r.err;
  EXPECT_EQ(read_text(run_dir / "run.json"), record_before);  // not taken over

  // The config that made it resumes it.
  const auto same = lmmbench({"run", config.string(), "--resume", "--models", "yes", "--quiet"});
  EXPECT_EQ(same.exit_code, 0) << same.err;
  EXPECT_NE(same.err.find("resuming " + run_dir.string()), std::string::npos) << same.err;
}

TEST(RunDirectory, ResumeWithoutOutRefusesTheNewestRunWhileAnotherProcessWritesIt) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 20.0, 0, 1);
  const pid_t running = spawn_process(
      {kBinary.string(), "run", config.string(), "--models", "oracle", "--quiet"}, dir.path());
  const auto runs = dir.path() / "runs";
  wait_for(runs);
  std::filesystem::path run_dir;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (run_dir.empty() && std::chrono::steady_clock::now() < deadline) {
    for (const auto& entry : std::filesystem::directory_iterator(runs))
      if (std::filesystem::exists(entry.path() / "run.json")) run_dir = entry.path();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (run_dir.empty()) {
    ::kill(running, SIGKILL);
    wait_process(running);
    FAIL() << "the first run never wrote its run.json";
  }
  wait_for(run_dir / "predictions.jsonl");
  const auto r = lmmbench({"run", config.string(), "--resume", "--quiet"});
  ::kill(running, SIGKILL);
  wait_process(running);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find(run_dir.string() +
                       ": --resume: the newest run here is in use by another lmmbench (pid " +
                       std::to_string(running)),
            std::string::npos)
      << r.err;
}

TEST(RunDirectory, TemporaryFilesLeftByAKillAreRemovedByTheNextResume) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 0, 0);
  const auto out = dir.path() / "run";
  ASSERT_EQ(lmmbench({"run", config.string(), "--out", out.string(), "--quiet"}).exit_code, 0);
  // What a SIGKILL between writing and renaming a scores file or run.json leaves.
  const auto pid = std::to_string(dead_pid());
  const auto scores_tmp = out / ("scores/oracle/open.jsonl.tmp." + pid);
  const auto record_tmp = out / ("run.json.tmp." + pid);
  write_text(scores_tmp, "{\"id\":");
  write_text(record_tmp, "{");
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--resume", "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("removed 2 temporary file(s) left in " + out.string()), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(scores_tmp));
  EXPECT_FALSE(std::filesystem::exists(record_tmp));
}

}  // namespace
}  // namespace lmmbench::testing
