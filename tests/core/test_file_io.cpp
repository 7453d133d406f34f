// Whole-file reading and atomic writing (core/file_io.hpp).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/file_io.hpp"

namespace lmmbench {
namespace {

class FileIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lmmbench-file-io-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  [[nodiscard]] std::size_t entries() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_))
      ++n;
    return n;
  }

  std::filesystem::path dir_;
};

// A file named by data (an image path in a scores file) is read only when it is a regular file and
// small enough: a FIFO would block a reader forever, /dev/zero would fill its memory, and a link
// may point anywhere.
TEST_F(FileIo, ReadRegularFileRefusesLinksFifosDevicesAndOversizedParts) {
  const auto path = dir_ / "image.bin";
  write_file_atomic(path, "0123456789");
  EXPECT_EQ(read_regular_file(path, 0, 0, 10), "0123456789");
  EXPECT_EQ(read_regular_file(path, 2, 3, 10), "234");
  EXPECT_EQ(read_regular_file(path, 0, 0, 9), std::nullopt);    // over the cap
  EXPECT_EQ(read_regular_file(path, 8, 3, 100), std::nullopt);  // past the end
  EXPECT_EQ(read_regular_file(path, 11, 0, 100), std::nullopt);
  EXPECT_EQ(read_regular_file(dir_ / "missing", 0, 0, 100), std::nullopt);
  std::filesystem::create_symlink(path, dir_ / "link");
  EXPECT_EQ(read_regular_file(dir_ / "link", 0, 0, 100), std::nullopt);
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(read_regular_file(dir_ / "fifo", 0, 0, 100), std::nullopt);  // returns, never blocks
  EXPECT_EQ(read_regular_file("/dev/zero", 0, 0, 100), std::nullopt);
  EXPECT_EQ(read_regular_file(dir_, 0, 0, 100), std::nullopt);
}

TEST_F(FileIo, WritesAndReplacesWholeFilesWithoutLeavingTemporaries) {
  const auto path = dir_ / "run.json";
  write_file_atomic(path, std::string("a\0b", 3));
  EXPECT_EQ(read_file_bytes(path), std::string("a\0b", 3));
  write_file_atomic(path, "second");
  EXPECT_EQ(read_file_bytes(path), "second");
  EXPECT_EQ(entries(), 1U);
}

TEST_F(FileIo, AnUncommittedWriterLeavesTheOldFile) {
  const auto path = dir_ / "scores.jsonl";
  write_file_atomic(path, "old\n");
  {
    AtomicFileWriter out(path);
    out.write("new, half written");
  }
  EXPECT_EQ(read_file_bytes(path), "old\n");
  EXPECT_EQ(entries(), 1U);
}

TEST_F(FileIo, ErrorsNameTheFile) {
  const auto missing = dir_ / "missing.json";
  try {
    (void)read_file_bytes(missing);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, missing.string());
  }
  try {
    write_file_atomic(dir_ / "no-such-dir" / "x", "x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir_ / "no-such-dir" / "x").string()), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace lmmbench
