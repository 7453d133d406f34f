#include "harness/progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

namespace lmmbench::harness {

Progress::Progress(bool enabled, std::FILE* stream)
    : enabled_(enabled), stream_(stream), terminal_(::isatty(::fileno(stream)) != 0) {}

void Progress::start(std::string label, std::size_t total, std::size_t already_done) {
  label_ = std::move(label);
  total_ = total;
  already_done_ = already_done;
  started_ = std::chrono::steady_clock::now();
  last_print_ = started_;
  last_printed_done_ = already_done;
}

void Progress::update(std::size_t done, std::size_t errors) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const auto since = now - last_print_;
  if (terminal_) {
    if (since < std::chrono::milliseconds(100)) return;
  } else {
    // Plain lines for logs: every 10 % of the cell or every 10 s, but never more than one line per
    // 2 s, and the last line is left to finish().
    if (done >= total_ || since < std::chrono::seconds(2)) return;
    const bool step = total_ > 0 && (done - last_printed_done_) * 10 >= total_;
    if (!step && since < std::chrono::seconds(10)) return;
  }
  print(done, errors, false);
}

void Progress::finish(std::size_t done, std::size_t errors) {
  if (!enabled_) return;
  print(done, errors, true);
}

void Progress::print(std::size_t done, std::size_t errors, bool final_line) {
  const auto now = std::chrono::steady_clock::now();
  last_print_ = now;
  last_printed_done_ = done;
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  const std::size_t fresh = done - std::min(done, already_done_);
  const double rate = elapsed > 0 ? static_cast<double>(fresh) / elapsed : 0.0;
  std::string eta = "-";
  if (rate > 0 && done < total_) {
    const auto seconds = static_cast<long>(static_cast<double>(total_ - done) / rate + 0.5);
    eta = fmt::format("{}:{:02}", seconds / 60, seconds % 60);
  }
  const double percent =
      total_ > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
  std::string line = fmt::format("{}  {}/{} ({:.0f}%)  {:.1f}/s  ETA {}  errors {}", label_, done,
                                 total_, percent, rate, eta, errors);
  if (already_done_ > 0) line += fmt::format("  (resumed {})", already_done_);
  if (final_line) line += fmt::format("  done in {:.2f}s", elapsed);
  if (terminal_) {
    fmt::print(stream_, "\r\033[2K{}{}", line, final_line ? "\n" : "");
  } else {
    fmt::print(stream_, "{}\n", line);
  }
  std::fflush(stream_);
}

}  // namespace lmmbench::harness
