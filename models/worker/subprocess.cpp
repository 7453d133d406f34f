#include "models/worker/subprocess.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX leaves it undeclared

namespace lmmbench::models::worker {

namespace {

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

/// A pipe whose ends are close-on-exec (the child gets its ends through dup2, which clears it).
std::pair<int, int> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_system_error("pipe");
  return {fds[0], fds[1]};
}

void set_nonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) throw_system_error("fcntl");
}

}  // namespace

Subprocess::Subprocess(const SpawnSpec& spec) {
  std::vector<std::string> words{spec.command};
  words.insert(words.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (auto& w : words)
    argv.push_back(w.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view entry(*e);
    const auto name = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [key, value] : spec.env)
      overridden = overridden || key == name;
    if (!overridden) env_strings.emplace_back(entry);
  }
  for (const auto& [key, value] : spec.env)
    env_strings.push_back(key + "=" + value);
  std::vector<char*> envp;
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  auto [in_read, in_write] = make_pipe();
  auto [out_read, out_write] = make_pipe();
  auto [err_read, err_write] = make_pipe();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in_read, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out_write, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_write, STDERR_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group (Ctrl-C is lmmbench's to handle), no signal blocked, and the default
  // action for the signals lmmbench's threads may block or catch (SIGPIPE on the I/O thread).
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (const int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP})
    sigaddset(&defaults, s);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const int rc = ::posix_spawnp(&pid_, argv[0], &actions, &attributes, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  ::close(in_read);
  ::close(out_write);
  ::close(err_write);
  stdin_ = in_write;
  stdout_ = out_read;
  stderr_ = err_read;
  if (rc != 0) {
    pid_ = -1;
    close_fd(stdin_);
    close_fd(stdout_);
    close_fd(stderr_);
    throw Error(fmt::format("cannot start {}: {}", spec.command, std::strerror(rc)));
  }
  set_nonblocking(stdin_);
  set_nonblocking(stdout_);
  set_nonblocking(stderr_);
}

Subprocess::~Subprocess() {
  close_fd(stdin_);
  close_fd(stdout_);
  close_fd(stderr_);
  if (pid_ > 0 && !status_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void Subprocess::close_stdin() {
  close_fd(stdin_);
}
void Subprocess::close_stdout() {
  close_fd(stdout_);
}
void Subprocess::close_stderr() {
  close_fd(stderr_);
}

std::optional<int> Subprocess::poll_exit() {
  if (status_ || pid_ <= 0) return status_;
  int status = 0;
  pid_t r = 0;
  while ((r = ::waitpid(pid_, &status, WNOHANG)) < 0 && errno == EINTR) {
  }
  if (r == pid_) status_ = status;
  return status_;
}

void Subprocess::kill(int signal) {
  if (pid_ > 0 && !poll_exit()) ::kill(pid_, signal);
}

int Subprocess::stop(std::chrono::milliseconds grace) {
  const auto wait = [this](std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!poll_exit() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return poll_exit().has_value();
  };
  if (!wait(grace)) {
    kill(SIGTERM);
    if (!wait(grace)) {
      kill(SIGKILL);
      wait(std::chrono::milliseconds(10'000));
    }
  }
  return status_.value_or(0);
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const char* name = ::strsignal(WTERMSIG(status));
    return fmt::format("signal {} ({})", WTERMSIG(status), name != nullptr ? name : "?");
  }
  return fmt::format("wait status {}", status);
}

bool LineBuffer::append(std::string_view bytes, std::vector<std::string>& lines) {
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    const auto take = newline == std::string_view::npos ? bytes.size() : newline;
    if (partial_.size() + take > max_) return false;
    partial_.append(bytes.substr(0, take));
    if (newline == std::string_view::npos) break;
    lines.push_back(std::move(partial_));
    partial_.clear();
    bytes.remove_prefix(newline + 1);
  }
  return true;
}

void TailBuffer::append(std::string_view bytes) {
  if (bytes.size() >= capacity_) {
    dropped_ = dropped_ || bytes.size() > capacity_ || !data_.empty();
    data_.assign(bytes.substr(bytes.size() - capacity_));
    return;
  }
  data_.append(bytes);
  if (data_.size() > capacity_) {
    data_.erase(0, data_.size() - capacity_);
    dropped_ = true;
  }
}

std::string TailBuffer::text() const {
  return dropped_ ? "..." + data_ : data_;
}

void TailBuffer::clear() {
  data_.clear();
  dropped_ = false;
}

}  // namespace lmmbench::models::worker
