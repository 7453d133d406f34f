#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace lmmbench::harness {

/// Who holds a run directory's lock, as its lock file says.
struct RunLockHolder {
  long pid = 0;  ///< 0 when the file does not say (yet).
  std::string host;
  std::string since;  ///< ISO 8601 UTC.

  /// "pid 1234 on host h, since 2026-...", with the parts the file gave.
  [[nodiscard]] std::string describe() const;
};

/// An exclusive advisory lock (flock(2)) on RUN_DIR/run.lock, held for the life of a run, so two
/// processes never write one run directory at once. The kernel drops the lock when the holder
/// exits, however it exits (SIGKILL included): a lock file left by a dead process is not a lock.
/// The file stays once a run wrote anything; a holder that created it and wrote nothing removes it
/// (RunDirectory), and a lock then taken on the removed file is dropped and the file opened again,
/// so removal never lets two processes in. The holder writes its pid, host and start time into it,
/// for the message a second process prints. On NFS,
/// Linux emulates flock with byte-range locks, so processes on other hosts see the lock too.
class RunLock {
 public:
  /// Takes the lock or throws InputError naming the directory and the holder ("in use by pid N").
  /// Throws Error when the lock file cannot be created.
  explicit RunLock(const std::filesystem::path& run_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  /// The holder of `run_dir`'s lock, or nullopt when no live process holds it. Takes and drops the
  /// lock to find out; creates nothing.
  static std::optional<RunLockHolder> holder(const std::filesystem::path& run_dir);

  static constexpr const char* kFileName = "run.lock";

 private:
  int fd_ = -1;
};

}  // namespace lmmbench::harness
