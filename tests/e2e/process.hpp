#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace lmmbench::testing {

struct ProcessResult {
  int exit_code = -1;  ///< -signal when killed by a signal
  std::string out;
  std::string err;
};

/// Runs `argv` (argv[0] is the program path) in `cwd` and waits; stdout and stderr are captured.
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::filesystem::path& cwd = {});

/// Starts `argv` in the background with stdout/stderr sent to files in `log_dir`; returns the pid.
pid_t spawn_process(const std::vector<std::string>& argv, const std::filesystem::path& log_dir);

/// Waits for `pid`; returns its exit code, or -signal when it was killed.
int wait_process(pid_t pid);

/// A fresh directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string read_text(const std::filesystem::path& path);
void write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace lmmbench::testing
