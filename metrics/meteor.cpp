// METEOR 1.5 through its own jar (caption.hpp: find_meteor, meteor_score). METEOR's WordNet
// synonyms and paraphrase tables are not reproduced; the jar pycocoevalcap ships is run the way
// pycocoevalcap/meteor/meteor.py runs it.

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.hpp"
#include "metrics/caption.hpp"

extern char** environ;

namespace lmmbench::metrics {

namespace {

namespace fs = std::filesystem;

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

bool is_executable(const fs::path& path) {
  return ::access(path.c_str(), X_OK) == 0 && !fs::is_directory(path);
}

/// `name` on PATH, as execvp would find it, or "".
std::string on_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return is_executable(name) ? name : std::string();
  const std::string path = environment("PATH");
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const fs::path candidate = fs::path(path.substr(start, end - start)) / name;
    if (end > start && is_executable(candidate)) return candidate.string();
    start = end + 1;
  }
  return {};
}

/// meteor-1.5.jar of an installed pycocoevalcap, or "".
fs::path installed_jar(std::vector<std::string>& searched) {
  std::vector<fs::path> prefixes;
  if (const auto venv = environment("VIRTUAL_ENV"); !venv.empty()) prefixes.emplace_back(venv);
  if (const auto home = environment("HOME"); !home.empty())
    prefixes.push_back(fs::path(home) / ".local");
  prefixes.emplace_back("/usr/local");
  prefixes.emplace_back("/usr");
  for (const auto& prefix : prefixes) {
    const fs::path lib = prefix / "lib";
    searched.push_back((lib / "python3*/{site,dist}-packages/pycocoevalcap/meteor").string());
    std::error_code ec;
    for (fs::directory_iterator it(lib, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->path().filename().string().starts_with("python3")) continue;
      for (const char* packages : {"site-packages", "dist-packages"}) {
        const fs::path jar = it->path() / packages / "pycocoevalcap/meteor/meteor-1.5.jar";
        if (fs::is_regular_file(jar, ec)) return jar;
      }
    }
  }
  return {};
}

/// A line-oriented conversation with a child process over its stdin and stdout.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const fs::path& directory) {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      throw Error(fmt::format("METEOR: pipe: {}", std::strerror(errno)));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());
    std::vector<char*> args;
    for (const auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    write_fd_ = in[1];
    read_fd_ = out[0];
    if (rc != 0) {
      close_pipes();
      throw Error(fmt::format("METEOR: cannot start {}: {}", argv[0], std::strerror(rc)));
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    close_pipes();
    if (pid_ > 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  void write_line(const std::string& line) {
    std::string data = line + '\n';
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::write(write_fd_, data.data() + done, data.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Error("METEOR: the java process stopped reading (see its messages above)");
      done += static_cast<std::size_t>(n);
    }
  }

  /// Ends the conversation: the child sees end of input, a blocked write returns an error.
  void stop() {
    if (pid_ > 0) ::kill(pid_, SIGTERM);
  }

  std::string read_line() {
    while (true) {
      const std::size_t newline = buffer_.find('\n');
      if (newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
          line.pop_back();
        return line;
      }
      char chunk[65536];
      const ssize_t n = ::read(read_fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Error("METEOR: the java process ended early (see its messages above)");
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

 private:
  void close_pipes() {
    if (write_fd_ >= 0) ::close(write_fd_);
    if (read_fd_ >= 0) ::close(read_fd_);
    write_fd_ = read_fd_ = -1;
  }

  pid_t pid_ = -1;
  int write_fd_ = -1;
  int read_fd_ = -1;
  std::string buffer_;
};

double parse_score(const std::string& line) {
  char* end = nullptr;
  const double value = std::strtod(line.c_str(), &end);
  if (line.empty() || end != line.c_str() + line.size())
    throw Error(fmt::format("METEOR: unexpected reply from the jar: '{}'", line));
  return value;
}

/// meteor.py _stat: hypothesis_str.replace('|||', '').replace('  ', ' ').
std::string clean_hypothesis(std::string_view text) {
  std::string without_bars;
  for (std::size_t i = 0; i < text.size();) {
    if (text.substr(i, 3) == "|||") {
      i += 3;
    } else {
      without_bars.push_back(text[i++]);
    }
  }
  std::string out;
  for (std::size_t i = 0; i < without_bars.size();) {
    if (without_bars.compare(i, 2, "  ") == 0) {
      out.push_back(' ');
      i += 2;
    } else {
      out.push_back(without_bars[i++]);
    }
  }
  return out;
}

}  // namespace

MeteorSetup find_meteor(std::optional<std::string> java, std::optional<std::string> jar) {
  std::vector<std::string> missing;
  MeteorSetup setup;
  std::string java_name = java ? *java : environment("LMMBENCH_JAVA");
  if (java_name.empty()) java_name = "java";
  setup.java = on_path(java_name);
  if (setup.java.empty()) {
    missing.push_back(fmt::format(
        "Java: '{}' is not an executable{} (install a JRE, e.g. Debian's openjdk-17-jre-headless, "
        "or set LMMBENCH_JAVA or the metric's \"java\" option)",
        java_name, java_name.find('/') == std::string::npos ? " on PATH" : ""));
  }
  std::string jar_path = jar ? *jar : environment("LMMBENCH_METEOR_JAR");
  std::vector<std::string> searched;
  if (!jar_path.empty()) {
    setup.jar = jar_path;
    searched.push_back(jar_path);
    if (!fs::is_regular_file(setup.jar)) setup.jar.clear();
  } else {
    setup.jar = installed_jar(searched);
  }
  if (setup.jar.empty()) {
    missing.push_back(fmt::format(
        "meteor-1.5.jar: not found (looked in {}; `pip install pycocoevalcap` ships it, or set "
        "LMMBENCH_METEOR_JAR or the metric's \"meteor_jar\" option)",
        fmt::join(searched, ", ")));
  } else if (!fs::is_regular_file(setup.jar.parent_path() / "data" / "paraphrase-en.gz")) {
    missing.push_back(
        fmt::format("METEOR's paraphrase table: {} is missing (it ships next to the jar)",
                    (setup.jar.parent_path() / "data" / "paraphrase-en.gz").string()));
  }
  if (!missing.empty()) {
    throw InputError(
        fmt::format("caption/pycocoevalcap-meteor runs METEOR 1.5 in Java and needs: {}",
                    fmt::join(missing, "; ")));
  }
  setup.jar = fs::absolute(setup.jar);
  return setup;
}

double meteor_score(const MeteorSetup& setup, std::span<const std::string> hypotheses,
                    std::span<const std::vector<std::string>> references) {
  // meteor.py: ['java', '-jar', '-Xmx2G', METEOR_JAR, '-', '-', '-stdio', '-l', 'en', '-norm'],
  // run in the jar's folder.
  // A jar that dies mid-conversation must be an error, not a SIGPIPE that ends lmmbench.
  struct IgnoreSigpipe {
    struct sigaction previous {};
    IgnoreSigpipe() {
      struct sigaction ignore {};
      ignore.sa_handler = SIG_IGN;
      ::sigaction(SIGPIPE, &ignore, &previous);
    }
    ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &previous, nullptr); }
  } ignore_sigpipe;
  Child child({setup.java, "-jar", "-Xmx2G", setup.jar.filename().string(), "-", "-", "-stdio",
               "-l", "en", "-norm"},
              setup.jar.parent_path());
  // The SCORE lines are written by a second thread while this one reads the replies: the jar
  // answers them in order, and not waiting for each reply before the next line saves a process
  // switch per image (the reference waits; the replies are the same).
  std::exception_ptr write_error;
  std::thread writer([&] {
    try {
      std::string line;
      for (std::size_t i = 0; i < hypotheses.size(); ++i) {
        line = "SCORE";
        for (const auto& reference : references[i]) {
          line += " ||| ";
          line += reference;
        }
        line += " ||| ";
        line += clean_hypothesis(hypotheses[i]);
        child.write_line(line);
      }
    } catch (...) {
      write_error = std::current_exception();
    }
  });
  std::string eval = "EVAL";
  try {
    for (std::size_t i = 0; i < hypotheses.size(); ++i) {
      eval += " ||| ";
      eval += child.read_line();
    }
  } catch (...) {
    child.stop();  // unblocks the writer, then its error or ours is reported
    writer.join();
    if (write_error) std::rethrow_exception(write_error);
    throw;
  }
  writer.join();
  if (write_error) std::rethrow_exception(write_error);
  child.write_line(eval);
  for (std::size_t i = 0; i < hypotheses.size(); ++i)
    parse_score(child.read_line());
  return parse_score(child.read_line());
}

}  // namespace lmmbench::metrics
