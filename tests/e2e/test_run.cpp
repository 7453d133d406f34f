// End-to-end tests: the real lmmbench binary on real files, as a user runs it.
#include <chrono>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

std::size_t count_lines(const std::filesystem::path& path) {
  const std::string text = read_text(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::set<std::string> logged_keys(const std::filesystem::path& run_dir) {
  std::set<std::string> keys;
  std::istringstream in(read_text(run_dir / "predictions.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    keys.insert(nlohmann::json::parse(line).at("key").get<std::string>());
  }
  return keys;
}

std::string scores_of(const std::filesystem::path& run_dir, const std::string& model,
                      const std::string& task) {
  return read_text(run_dir / "scores" / model / (task + ".jsonl"));
}

const std::vector<std::string> kModels = {"oracle", "prior", "yes", "chance"};
const std::vector<std::string> kTasks = {"open", "mc"};

TEST(EndToEnd, EveryBaselineRunsAndEverySampleIsAccountedFor) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 0, 0);
  const auto out = dir.path() / "run";
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| oracle |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Results: " + (out / "run.json").string()), std::string::npos) << r.out;

  const auto cells = cell_summaries(out);
  ASSERT_EQ(cells.size(), 8u);
  EXPECT_EQ(cells.at("oracle/open")["score"], 100.0);
  EXPECT_EQ(cells.at("oracle/mc")["score"], 100.0);
  for (const auto& key : {"prior/open", "prior/mc", "yes/open", "yes/mc", "chance/mc"}) {
    const auto& c = cells.at(key);
    EXPECT_EQ(c["outcome"], "ok") << key;
    EXPECT_LT(c["score"].get<double>(), 100.0) << key;
  }
  // The chance baseline answers lettered questions only: on the open task it is unsupported, a
  // recorded result rather than a crash or a guess.
  EXPECT_EQ(cells.at("chance/open")["outcome"], "unsupported");
  // Every sample of every cell that ran is in its scores file once, and the counts add up.
  for (const auto& [key, c] : cells) {
    if (c["outcome"] != "ok") continue;
    const auto slash = key.find('/');
    const std::size_t expected = key.substr(slash + 1) == "open" ? 240u : 120u;
    EXPECT_EQ(c["total"], expected) << key;
    EXPECT_EQ(c["ok"].get<std::size_t>() + c["error"].get<std::size_t>(), expected) << key;
    EXPECT_EQ(
        count_lines(out / "scores" / key.substr(0, slash) / (key.substr(slash + 1) + ".jsonl")),
        expected);
  }
  // The constant "yes" cannot name an option: unparsed, counted, never guessed.
  EXPECT_EQ(cells.at("yes/mc")["n_unparsed"], 120u);
  EXPECT_EQ(cells.at("yes/mc")["score"], 0.0);
  EXPECT_EQ(count_lines(out / "predictions.jsonl"), 3u * 360u + 120u);
}

TEST(EndToEnd, ResultsAreIdenticalWhateverTheConcurrency) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 1.0, 1.0);
  const auto serial = dir.path() / "serial";
  const auto parallel = dir.path() / "parallel";
  auto r =
      lmmbench({"run", config.string(), "--out", serial.string(), "--concurrency", "1", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = lmmbench(
      {"run", config.string(), "--out", parallel.string(), "--concurrency", "48", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(cell_summaries(serial), cell_summaries(parallel));
  for (const auto& model : kModels) {
    for (const auto& task : kTasks) {
      EXPECT_EQ(scores_of(serial, model, task), scores_of(parallel, model, task))
          << model << "/" << task;
    }
  }
  EXPECT_EQ(logged_keys(serial), logged_keys(parallel));
}

/// Kills a run with SIGKILL once its log holds `kill_after` lines (or it ends), then resumes it.
void kill_then_resume(const std::filesystem::path& config, const std::filesystem::path& out,
                      std::size_t kill_after) {
  const auto log = out / "predictions.jsonl";
  const pid_t pid = spawn_process({kBinary.string(), "run", config.string(), "--out", out.string(),
                                   "--quiet", "--concurrency", "4"},
                                  out.parent_path());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    if (std::filesystem::exists(log) && count_lines(log) >= kill_after) break;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return;  // finished before the kill point
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_process(pid), -SIGKILL);
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--resume", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(EndToEnd, KilledWithSigkillAndResumedGivesTheUninterruptedScores) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 1.0, 1.0);
  const auto reference = dir.path() / "reference";
  ASSERT_EQ(lmmbench({"run", config.string(), "--out", reference.string(), "--quiet"}).exit_code,
            0);
  const auto expected = cell_summaries(reference);

  for (const std::size_t kill_after : {1u, 137u, 700u, 1100u}) {
    const auto out = dir.path() / ("killed-" + std::to_string(kill_after));
    kill_then_resume(config, out, kill_after);
    EXPECT_EQ(cell_summaries(out), expected) << "killed after " << kill_after << " answers";
    for (const auto& model : kModels) {
      for (const auto& task : kTasks) {
        EXPECT_EQ(scores_of(out, model, task), scores_of(reference, model, task))
            << model << "/" << task << " killed after " << kill_after;
      }
    }
    // Nothing lost, nothing counted twice: the same set of keys, one answer per sample.
    EXPECT_EQ(logged_keys(out), logged_keys(reference));
  }
}

TEST(EndToEnd, KilledTwiceStillConverges) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 2.0, 2.0);
  const auto reference = dir.path() / "reference";
  ASSERT_EQ(lmmbench({"run", config.string(), "--out", reference.string(), "--quiet"}).exit_code,
            0);
  const auto out = dir.path() / "twice";
  std::filesystem::create_directories(out);
  // First kill: no run.json of a finished run yet; the second kill interrupts the resumed run.
  const pid_t first = spawn_process({kBinary.string(), "run", config.string(), "--out",
                                     out.string(), "--quiet", "--concurrency", "2"},
                                    dir.path());
  while (!std::filesystem::exists(out / "predictions.jsonl") ||
         count_lines(out / "predictions.jsonl") < 50) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  ::kill(first, SIGKILL);
  wait_process(first);
  const pid_t second = spawn_process({kBinary.string(), "run", config.string(), "--out",
                                      out.string(), "--resume", "--quiet", "--concurrency", "2"},
                                     dir.path());
  while (count_lines(out / "predictions.jsonl") < 300)
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  ::kill(second, SIGKILL);
  wait_process(second);
  ASSERT_EQ(
      lmmbench({"run", config.string(), "--out", out.string(), "--resume", "--quiet"}).exit_code,
      0);
  EXPECT_EQ(cell_summaries(out), cell_summaries(reference));
  EXPECT_EQ(logged_keys(out), logged_keys(reference));
}

TEST(EndToEnd, ResumingAFinishedRunRescoresWithoutQueryingAnyModel) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 0, 0);
  const auto out = dir.path() / "run";
  ASSERT_EQ(lmmbench({"run", config.string(), "--out", out.string(), "--quiet"}).exit_code, 0);
  const std::string log_before = read_text(out / "predictions.jsonl");
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--resume"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_text(out / "predictions.jsonl"), log_before);  // not one new answer
  EXPECT_NE(r.err.find("resumed 240"), std::string::npos) << r.err;
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  EXPECT_EQ(record.at("resume_count"), 1);
  EXPECT_EQ(record.at("status"), "complete");
}

TEST(EndToEnd, ShardsCoverEverySampleExactlyOnce) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 0, 0);
  std::multiset<std::string> seen;
  for (int shard = 0; shard < 3; ++shard) {
    const auto out = dir.path() / ("shard" + std::to_string(shard));
    const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--shard",
                             std::to_string(shard) + "/3", "--models", "oracle", "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const auto& task : kTasks) {
      std::istringstream in(scores_of(out, "oracle", task));
      std::string line;
      while (std::getline(in, line))
        seen.insert(task + "/" + nlohmann::json::parse(line).at("id").get<std::string>());
    }
  }
  EXPECT_EQ(seen.size(), 360u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 360u);
}

TEST(EndToEnd, LimitTakesTheFirstSamplesDeterministically) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 0, 0);
  const auto a = dir.path() / "a";
  const auto b = dir.path() / "b";
  for (const auto& out : {a, b}) {
    const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--limit", "10",
                             "--tasks", "mc", "--quiet"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(scores_of(a, "prior", "mc"), scores_of(b, "prior", "mc"));
  EXPECT_EQ(count_lines(a / "scores/prior/mc.jsonl"), 10u);
  EXPECT_NE(scores_of(a, "prior", "mc").find("\"id\":\"m0\""), std::string::npos);
  EXPECT_NE(scores_of(a, "prior", "mc").find("\"id\":\"m9\""), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(a / "scores/prior/open.jsonl"));
}

TEST(EndToEnd, AnExistingRunIsNeverOverwrittenWithoutResume) {
  TempDir dir;
  const auto config = write_medium_suite(dir.path(), 0, 0);
  const auto out = dir.path() / "run";
  ASSERT_EQ(lmmbench({"run", config.string(), "--out", out.string(), "--models", "yes", "--quiet"})
                .exit_code,
            0);
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("already holds a run; pass --resume"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lmmbench::testing
