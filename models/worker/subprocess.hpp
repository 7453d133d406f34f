#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/types.h>

namespace lmmbench::models::worker {

/// What to start: no shell is involved; `command` is looked up on PATH when it has no '/'.
struct SpawnSpec {
  std::string command;
  std::vector<std::string> args;
  /// Set in the child's environment on top of lmmbench's own.
  std::vector<std::pair<std::string, std::string>> env;
};

/// A child process with its stdin, stdout and stderr on non-blocking pipes (posix_spawn). It runs
/// in its own process group, so a terminal's Ctrl-C reaches lmmbench alone, which then stops it.
/// The destructor kills (SIGKILL) and reaps a child that is still running. Not thread-safe: one
/// thread owns it.
class Subprocess {
 public:
  /// Throws Error when it cannot be started (no such program, not executable).
  explicit Subprocess(const SpawnSpec& spec);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] int stdin_fd() const { return stdin_; }
  [[nodiscard]] int stdout_fd() const { return stdout_; }
  [[nodiscard]] int stderr_fd() const { return stderr_; }
  void close_stdin();
  void close_stdout();
  void close_stderr();

  /// The wait status once it has exited (reaped here), else none. Never blocks.
  std::optional<int> poll_exit();
  /// Waits up to `grace` for it to exit; then SIGTERM and up to `grace` more; then SIGKILL.
  /// Returns the wait status.
  int stop(std::chrono::milliseconds grace);
  void kill(int signal);

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  int stderr_ = -1;
  std::optional<int> status_;
};

/// "exit status N" or "signal N (SIGNAME)" of a wait status.
std::string describe_exit(int status);

/// Splits a byte stream into lines, holding at most `max_line_bytes` of an unfinished line:
/// bounded memory whatever the writer sends.
class LineBuffer {
 public:
  explicit LineBuffer(std::size_t max_line_bytes) : max_(max_line_bytes) {}
  /// Appends `bytes`; complete lines (without '\n', a trailing '\r' kept) go to `lines`. Returns
  /// false, keeping the complete lines before it, once a line grows past the limit.
  bool append(std::string_view bytes, std::vector<std::string>& lines);
  [[nodiscard]] const std::string& partial() const { return partial_; }
  void clear() { partial_.clear(); }

 private:
  std::size_t max_;
  std::string partial_;
};

/// Keeps the last `capacity` bytes written to it (a child's stderr, for error messages).
class TailBuffer {
 public:
  explicit TailBuffer(std::size_t capacity) : capacity_(capacity) {}
  void append(std::string_view bytes);
  /// The kept text, "" when nothing was written; prefixed with "..." when bytes were dropped.
  [[nodiscard]] std::string text() const;
  void clear();

 private:
  std::size_t capacity_;
  std::string data_;
  bool dropped_ = false;
};

}  // namespace lmmbench::models::worker
