#include "llm_server.hpp"

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lmmbench::testing {

LlmServer::LlmServer(Options options) {
  std::string pattern = (std::filesystem::temp_directory_path() / "lmmbench-llm-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  log_ = dir_ / "requests.jsonl";
  const auto port_file = dir_ / "port";
  const std::string python = options.python.empty() ? LMMBENCH_PYTHON : options.python.string();
  const std::string script = options.script.empty() ? LMMBENCH_LLM_SERVER : options.script.string();
  std::vector<std::string> argv = {
      python,  script,        "--port-file", port_file.string(),
      "--log", log_.string(), "--lifetime",  std::to_string(options.lifetime_s)};
  for (const auto& a : options.answers) {
    argv.emplace_back("--answers");
    argv.push_back(a.string());
  }
  if (options.judge) argv.emplace_back("--judge");
  if (!options.expect_key.empty()) {
    argv.emplace_back("--expect-key");
    argv.push_back(options.expect_key);
  }
  argv.insert(argv.end(), options.args.begin(), options.args.end());
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    const int err = ::open((dir_ / "stderr.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (err >= 0) {
      ::dup2(err, 1);
      ::dup2(err, 2);
    }
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(options.start_timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(port_file);
    if (in >> port_) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream err(dir_ / "stderr.txt");
      std::stringstream text;
      text << err.rdbuf();
      throw std::runtime_error("the test server exited at start: " + text.str());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
  throw std::runtime_error("the test server did not start within " +
                           std::to_string(options.start_timeout_s) + " s: " + script);
}

LlmServer::~LlmServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    bool reaped = false;
    for (int i = 0; i < 200 && !reaped; ++i) {
      reaped = ::waitpid(pid_, &status, WNOHANG) == pid_;
      if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!reaped) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string LlmServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port_);
}

std::vector<nlohmann::json> LlmServer::requests() const {
  std::vector<nlohmann::json> out;
  std::ifstream in(log_);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

}  // namespace lmmbench::testing
