// The one owner of a run directory (harness/run_directory.hpp): the lock for its whole life, the
// record's header, atomic files, temporaries left by a killed writer removed, and the reports at
// the end, whichever command makes the directory.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "harness/run_directory.hpp"
#include "harness/run_lock.hpp"

namespace lmmbench::harness {
namespace {

using ::testing::HasSubstr;

class RunDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lmmbench-run-dir-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

TEST_F(RunDirectoryTest, HoldsTheLockForItsLifeAndStartsTheHeader) {
  {
    RunDirectory out(dir_ / "run", "gpu");
    EXPECT_TRUE(std::filesystem::is_directory(dir_ / "run"));
    EXPECT_EQ(out.record().run_name, "gpu");
    EXPECT_FALSE(out.record().tool.version.empty());
    EXPECT_FALSE(out.record().host.hostname.empty());
    EXPECT_FALSE(out.record().started_at.empty());
    EXPECT_EQ(out.record().status, "running");
    try {
      RunDirectory second(dir_ / "run", "perf");
      ADD_FAILURE() << "a second owner of one directory";
    } catch (const InputError& e) {
      EXPECT_THAT(e.what(), HasSubstr("pid " + std::to_string(::getpid())));
    }
  }
  EXPECT_FALSE(RunLock::holder(dir_ / "run").has_value());  // released with its owner
  RunDirectory again(dir_ / "run", "perf");
}

TEST_F(RunDirectoryTest, RemovesTemporariesOfAKilledWriter) {
  std::filesystem::create_directories(dir_ / "run");
  // The temporary name AtomicFileWriter uses, of a process that no longer exists.
  std::ofstream(dir_ / "run" / "run.json.tmp.999999999") << "{";
  RunDirectory out(dir_ / "run", "perf");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run" / "run.json.tmp.999999999"));
}

TEST_F(RunDirectoryTest, SavesAndFinishesWithTheReports) {
  RunDirectory out(dir_ / "run", "perf");
  out.write("requests.jsonl", "{}\n");
  out.save();
  auto saved = nlohmann::json::parse(read_file_bytes(dir_ / "run" / "run.json"));
  EXPECT_EQ(saved.at("status"), "running");
  EXPECT_EQ(saved.at("run_name"), "perf");
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run" / "report.html"));
  out.finish("complete");
  saved = nlohmann::json::parse(read_file_bytes(dir_ / "run" / "run.json"));
  EXPECT_EQ(saved.at("status"), "complete");
  EXPECT_FALSE(saved.at("finished_at").get<std::string>().empty());
  EXPECT_GE(saved.at("wall_seconds").get<double>(), 0.0);
  EXPECT_EQ(read_file_bytes(dir_ / "run" / "requests.jsonl"), "{}\n");
  for (const char* file : {"report.html", "summary.md", "junit.xml", "results.csv"})
    EXPECT_TRUE(std::filesystem::exists(dir_ / "run" / file)) << file;
}

// `perf --out` whose warm-up fails, `gpu --out` whose model spec does not load: the owner goes
// away having written nothing, and leaves nothing new behind (not a directory holding run.lock).
TEST_F(RunDirectoryTest, AnOwnerThatWroteNothingLeavesNothingNewBehind) {
  std::filesystem::create_directories(dir_);
  { RunDirectory out(dir_ / "new" / "run", "gpu"); }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "new"));  // the parent it made too
  EXPECT_TRUE(std::filesystem::exists(dir_));
  { RunDirectory out(dir_ / "slash" / "run/", "gpu"); }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "slash"));
  std::filesystem::create_directories(dir_ / "mine");
  std::ofstream(dir_ / "mine" / "notes.txt") << "kept";
  { RunDirectory out(dir_ / "mine", "perf"); }
  EXPECT_TRUE(std::filesystem::exists(dir_ / "mine" / "notes.txt"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "mine" / RunLock::kFileName));
  // Unwinding from an input error after the lock was taken.
  try {
    RunDirectory out(dir_ / "thrown", "gpu");
    throw InputError(Location{"--model", 0, ""}, "no such spec");
  } catch (const InputError&) {
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ / "thrown"));
  // A file written beside the lock (not through the owner: a prediction log) keeps it.
  {
    RunDirectory out(dir_ / "log", "run");
    std::ofstream(dir_ / "log" / "predictions.jsonl") << "{}\n";
  }
  EXPECT_TRUE(std::filesystem::exists(dir_ / "log" / RunLock::kFileName));
  // A directory with a record keeps everything, lock file included.
  {
    RunDirectory out(dir_ / "kept", "perf");
    out.save();
  }
  EXPECT_TRUE(std::filesystem::exists(dir_ / "kept" / "run.json"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "kept" / RunLock::kFileName));
  // A lock file of an earlier run stays.
  { RunDirectory out(dir_ / "kept", "perf"); }
  EXPECT_TRUE(std::filesystem::exists(dir_ / "kept" / RunLock::kFileName));
}

}  // namespace
}  // namespace lmmbench::harness
