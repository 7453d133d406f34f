#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/types.h>

namespace lmmbench::testing {

/// tests/servers/llm_server.py, started on a free 127.0.0.1 port for the lifetime of the object
/// (each test gets its own, so CTest -j runs never share one). The constructor waits until the
/// server listens; the destructor stops it (SIGTERM, then SIGKILL) and reaps it. The server also
/// dies with the test process (PR_SET_PDEATHSIG) and exits by itself after `lifetime_s`.
/// Another server script with the same contract (--port-file, --log, --lifetime; one JSON line
/// per request in the log) runs through `script` and `python`: tests/servers/llama_cpp_server.py.
class LlmServer {
 public:
  struct Options {
    std::vector<std::filesystem::path> answers;  ///< lmmbench-jsonl files with gold answers.
    std::string expect_key;                      ///< Reject other API keys with 401.
    double lifetime_s = 600;
    bool judge = false;  ///< --judge: verdicts derived from the request (llm_server.py).
    std::filesystem::path script{};   ///< Default: tests/servers/llm_server.py.
    std::filesystem::path python{};   ///< Default: the build's Python 3.
    std::vector<std::string> args{};  ///< Appended to the script's arguments.
    double start_timeout_s = 30;      ///< Until the port file appears.
  };
  LlmServer() : LlmServer(Options{}) {}
  explicit LlmServer(Options options);
  ~LlmServer();
  LlmServer(const LlmServer&) = delete;
  LlmServer& operator=(const LlmServer&) = delete;

  [[nodiscard]] int port() const { return port_; }
  /// "http://127.0.0.1:PORT"
  [[nodiscard]] std::string url() const;
  /// Every request logged so far, in arrival order.
  [[nodiscard]] std::vector<nlohmann::json> requests() const;
  [[nodiscard]] const std::filesystem::path& log_path() const { return log_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace lmmbench::testing
