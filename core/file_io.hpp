#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

namespace lmmbench {

/// Whole file as bytes. Throws InputError naming the file when it cannot be read.
std::string read_file_bytes(const std::filesystem::path& path);

/// `length` bytes from `offset` of the regular file at `path` (`length` 0: to its end), for a file
/// whose name comes from data (an image path in a scores file). nullopt when the path is a
/// symbolic link, is not a regular file (a FIFO or a device is opened without blocking and not
/// read), cannot be read, or the part asked for is longer than `max_bytes` (checked before
/// reading, so /dev/zero or a huge file costs nothing).
std::optional<std::string> read_regular_file(const std::filesystem::path& path,
                                             std::uint64_t offset, std::uint64_t length,
                                             std::uint64_t max_bytes);

/// Writes a file atomically (temporary file beside it + rename) so a crash never leaves a
/// half-written file and a reader never sees one. The parent directory must exist. Throws Error
/// naming the file when it cannot be written.
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

/// The same, written piece by piece (a file too large to build in memory first): the text goes to
/// a temporary file beside `path`, which commit() renames onto `path`. Destroyed without commit(),
/// it removes the temporary file and leaves `path` as it was. Throws Error when a write fails.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::filesystem::path path);
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  ~AtomicFileWriter();

  void write(std::string_view bytes);
  void commit();

 private:
  std::filesystem::path path_;
  std::string temporary_;
  std::ofstream out_;
  bool committed_ = false;
};

/// Removes, under `dir` (recursively), the temporary files of AtomicFileWriter ("NAME.tmp.PID")
/// whose writer is gone (no process PID, or PID is this process): what a kill between the write
/// and the rename leaves. A live writer's file is kept. Returns how many were removed.
std::size_t remove_stale_temporaries(const std::filesystem::path& dir);

}  // namespace lmmbench
