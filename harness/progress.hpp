#pragma once

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>

namespace lmmbench::harness {

/// Progress of the current cell on stderr: done/total, rate, ETA and errors. On a terminal one
/// line is redrawn at most 10 times a second; otherwise (CI logs, pipes) a plain line is printed
/// every 10 % or 10 seconds, at most one line per 2 seconds, plus a final line per cell. Used from
/// the harness thread only.
class Progress {
 public:
  /// `enabled` false prints nothing; `stream` defaults to stderr.
  explicit Progress(bool enabled, std::FILE* stream = stderr);

  void start(std::string label, std::size_t total, std::size_t already_done);
  void update(std::size_t done, std::size_t errors);
  /// Prints the final line of the cell (always, when enabled).
  void finish(std::size_t done, std::size_t errors);

 private:
  void print(std::size_t done, std::size_t errors, bool final_line);

  bool enabled_;
  std::FILE* stream_;
  bool terminal_;
  std::string label_;
  std::size_t total_ = 0;
  std::size_t already_done_ = 0;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_print_;
  std::size_t last_printed_done_ = 0;
};

}  // namespace lmmbench::harness
