#include <chrono>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "harness/run_lock.hpp"

namespace lmmbench::harness {
namespace {

using ::testing::HasSubstr;

class RunLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lmmbench-lock-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// A child process that takes the lock, says so through a pipe, and waits to be killed.
  pid_t child_holding_the_lock() {
    int ready[2];
    EXPECT_EQ(::pipe(ready), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(ready[0]);
      try {
        const RunLock lock(dir_);
        (void)!::write(ready[1], "1", 1);
        while (true)
          ::pause();
      } catch (...) {
        ::_exit(3);
      }
    }
    ::close(ready[1]);
    char c = 0;
    EXPECT_EQ(::read(ready[0], &c, 1), 1);
    ::close(ready[0]);
    return pid;
  }

  std::filesystem::path dir_;
};

TEST_F(RunLockTest, ASecondHolderIsRefusedWithTheFirstOnesPid) {
  const pid_t holder = child_holding_the_lock();
  try {
    const RunLock second(dir_);
    ADD_FAILURE() << "a second lock was granted";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr(dir_.string() +
                                    ": this run directory is in use by another "
                                    "lmmbench (pid " +
                                    std::to_string(holder)));
  }
  const auto seen = RunLock::holder(dir_);
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->pid, holder);
  EXPECT_FALSE(seen->since.empty());
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
}

TEST_F(RunLockTest, TheLockOfAKilledProcessIsNoLock) {
  const pid_t holder = child_holding_the_lock();
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  // The file still names the dead process; the kernel dropped its lock.
  EXPECT_THAT(lmmbench::read_file_bytes(dir_ / RunLock::kFileName),
              HasSubstr("\"pid\":" + std::to_string(holder)));
  EXPECT_FALSE(RunLock::holder(dir_).has_value());
  const RunLock lock(dir_);
  EXPECT_THAT(lmmbench::read_file_bytes(dir_ / RunLock::kFileName),
              HasSubstr("\"pid\":" + std::to_string(::getpid())));
}

TEST_F(RunLockTest, ReleasedWhenTheRunEnds) {
  EXPECT_FALSE(RunLock::holder(dir_).has_value());  // never locked: no file needed
  {
    const RunLock lock(dir_);
    EXPECT_THROW(RunLock{dir_}, InputError);  // one holder, even within one process
  }
  const RunLock again(dir_);
}

TEST(StaleTemporaries, FilesOfDeadWritersAreRemovedAndALiveWritersKept) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("lmmbench-tmp-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "scores/m");
  const pid_t dead = ::fork();
  if (dead == 0) ::_exit(0);
  ::waitpid(dead, nullptr, 0);
  const auto write = [](const std::filesystem::path& p) { std::ofstream(p) << "partial"; };
  const auto dead_tmp = dir / "scores/m/t.jsonl.tmp." += std::to_string(dead);
  const auto dead_record = dir / "run.json.tmp." += std::to_string(dead);
  const auto live_tmp = dir / "report.html.tmp." += std::to_string(::getppid());
  write(dead_tmp);
  write(dead_record);
  write(live_tmp);
  write(dir / "scores/m/t.jsonl");
  write(dir / "notes.tmp.txt");  // not a temporary of ours: the suffix is not a pid
  EXPECT_EQ(remove_stale_temporaries(dir), 2u);
  EXPECT_FALSE(std::filesystem::exists(dead_tmp));
  EXPECT_FALSE(std::filesystem::exists(dead_record));
  EXPECT_TRUE(std::filesystem::exists(live_tmp));
  EXPECT_TRUE(std::filesystem::exists(dir / "scores/m/t.jsonl"));
  EXPECT_TRUE(std::filesystem::exists(dir / "notes.tmp.txt"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lmmbench::harness
