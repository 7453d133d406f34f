#pragma once

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "harness/run_lock.hpp"
#include "reports/run_record.hpp"

namespace lmmbench::harness {

/// The one owner of a run directory, whichever command makes it (`run`, `perf`, `gpu`, `merge`):
/// it holds the directory's lock for its whole life, starts the record's header (tool, host, run
/// name, start time), writes every file into the directory atomically, and at the end stamps the
/// record and renders the reports. The commands only fill the header's command-specific fields
/// and add their sections (cells, perf, gpu).
class RunDirectory {
 public:
  /// Creates `dir` if needed, takes its lock (throws InputError naming the holder when another
  /// process has it) and removes temporary files an interrupted write left there.
  RunDirectory(std::filesystem::path dir, std::string run_name);

  /// An owner that leaves nothing but the lock file it created (the command failed on its input
  /// or before measuring) leaves nothing new behind: that lock file is removed, and so are the
  /// directories it created for `dir` (parents included).
  ~RunDirectory();
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  [[nodiscard]] reports::RunRecord& record() { return record_; }
  [[nodiscard]] const reports::RunRecord& record() const { return record_; }

  /// Writes `relative` inside the directory, whole and atomically (a side file: requests.jsonl).
  void write(const std::filesystem::path& relative, std::string_view content) const;

  /// Writes run.json as it stands, atomically: a reader sees the old record or the new one.
  void save() const;

  /// Saves the record as it stands and writes the reports (report.html, summary.md, junit.xml,
  /// results.csv); a report that cannot be written is a warning, since the record is safe and
  /// `lmmbench report` can retry.
  void close() const;

  /// Sets the record's status, finished_at and wall_seconds (since construction), then close().
  /// The reports
  /// (report.html, summary.md, junit.xml, results.csv); a report that cannot be written is a
  /// warning, since the record is safe and `lmmbench report` can retry.
  void finish(const std::string& status);

 private:
  // Set while dir_ is made, so declared before it.
  std::filesystem::path created_from_;  ///< The outermost directory made for `dir`; empty: none.
  bool created_lock_ = false;           ///< Its lock file did not exist before.
  std::filesystem::path dir_;
  RunLock lock_;
  std::set<std::string> found_;  ///< What the directory held once locked, the lock file included.
  reports::RunRecord record_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace lmmbench::harness
