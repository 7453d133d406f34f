#include "models/worker/worker_backend.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "models/image_options.hpp"

namespace lmmbench::models::worker {

namespace {

using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kStderrTailBytes = 4096;
/// The worker's hello had no time: token events are stamped when they arrive.
constexpr Nanos kNoWorkerClock = Nanos::min();
/// How long a worker may take to exit, and then to die of SIGTERM, once the run was cancelled.
constexpr std::chrono::milliseconds kCancelledGrace{1000};

/// Reads what is there from a non-blocking fd; returns false at end of file (or an error).
bool read_available(int fd, std::string& out) {
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
      if (out.size() >= (std::size_t{1} << 20)) return true;  // let the caller take it in turns
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
}

std::string extension_of(const std::string& mime) {
  const auto slash = mime.find('/');
  return slash == std::string::npos ? "img" : mime.substr(slash + 1);
}

}  // namespace

WorkerBackend::WorkerBackend(WorkerOptions options, const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      lines_(options_.max_line_bytes),
      stderr_tail_(kStderrTailBytes) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) throw_system_error("pipe");
  wake_read_ = fds[0];
  wake_write_ = fds[1];
  try {
    hello_ = start_process(nullptr);
    configure();
  } catch (...) {
    process_.reset();
    ::close(wake_read_);
    ::close(wake_write_);
    throw;
  }
  io_ = std::thread([this] { run(); });
}

void WorkerBackend::configure() {
  const auto& worker = hello_.capabilities;
  max_in_flight_ = static_cast<std::size_t>(worker.max_in_flight);
  if (options_.max_in_flight > 0) max_in_flight_ = std::min(max_in_flight_, options_.max_in_flight);

  capabilities_ = options_.image_limits;
  capabilities_.streaming = worker.streaming;
  capabilities_.reports_usage = true;
  // A worker's answers cost time like a remote model's: deterministic ones may be cached.
  capabilities_.cache_responses = true;
  std::optional<ImageTransport> transport = options_.images;
  if (!transport) {
    for (const auto& name : worker.images) {
      if (name == "bytes") transport = ImageTransport::bytes;
      if (name == "path") transport = ImageTransport::path;
      if (transport) break;
    }
  } else if (std::find(worker.images.begin(), worker.images.end(),
                       *transport == ImageTransport::path ? "path" : "bytes") ==
             worker.images.end()) {
    throw Error(fmt::format("the worker does not take images by {} (its hello offers: {})",
                            *transport == ImageTransport::path ? "path" : "bytes",
                            nlohmann::json(worker.images).dump()));
  }
  std::size_t max_images =
      transport ? static_cast<std::size_t>(std::max<std::int64_t>(worker.max_images, 0)) : 0;
  if (options_.max_images) max_images = std::min(max_images, *options_.max_images);
  capabilities_.max_images_per_request = max_images;
  transport_ = transport.value_or(ImageTransport::bytes);
  if (!options_.image_formats_given) capabilities_.image_mime_types = worker.image_formats;
}

WorkerBackend::~WorkerBackend() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  abort_startup_ = true;
  wake();
  if (io_.joinable()) io_.join();
  ::close(wake_read_);
  ::close(wake_write_);
  if (!image_dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(image_dir_, ignored);
  }
}

std::string WorkerBackend::fingerprint() const {
  nlohmann::json f{{"kind", "worker"},
                   {"command", options_.command_as_written.empty() ? options_.spawn.command
                                                                   : options_.command_as_written},
                   {"args", options_.spawn.args},
                   {"protocol", kProtocolVersion},
                   {"model", hello_.model},
                   {"worker_fingerprint", hello_.fingerprint}};
  return f.dump();
}

void WorkerBackend::wake() {
  const char byte = 1;
  // A full pipe already holds a wake-up: nothing is lost when this write fails.
  [[maybe_unused]] const auto n = ::write(wake_write_, &byte, 1);
}

void WorkerBackend::submit(Request request, CompletionCallback done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(Job{next_id_++, std::move(request), std::move(done)});
  }
  wake();
}

void WorkerBackend::cancel() {
  std::deque<Job> cancelled;
  {
    std::lock_guard lock(mutex_);
    cancelled.swap(queue_);
    cancel_requested_ = true;
  }
  abort_startup_ = true;
  wake();
  for (auto& job : cancelled)
    job.done(Completion::failure(ErrorKind::cancelled, "cancelled before it was sent"));
}

std::string WorkerBackend::with_stderr(const std::string& message) const {
  auto tail = stderr_tail_.text();
  while (!tail.empty() && std::isspace(static_cast<unsigned char>(tail.back())) != 0)
    tail.pop_back();
  if (tail.empty()) return message;
  return fmt::format("{}; its stderr ends:\n{}", message, tail);
}

Hello WorkerBackend::start_process(const std::atomic<bool>* abort) {
  stderr_tail_.clear();
  lines_.clear();
  early_lines_.clear();
  process_ = std::make_unique<Subprocess>(options_.spawn);
  ++started_;
  const auto deadline = SteadyClock::now() + options_.startup_timeout;
  const auto fail = [this](const std::string& why) {
    // Whatever it wrote to stderr before dying explains it best: read the rest first.
    if (process_->stderr_fd() >= 0) {
      std::string rest;
      read_available(process_->stderr_fd(), rest);
      stderr_tail_.append(rest);
    }
    process_->kill(SIGKILL);
    process_->stop(std::chrono::milliseconds(1000));
    process_.reset();
    throw Error(with_stderr(why));
  };
  std::vector<std::string> lines;
  for (;;) {
    if (abort != nullptr && abort->load()) fail("stopped while waiting for the worker's hello");
    const auto now = SteadyClock::now();
    if (now >= deadline) {
      fail(fmt::format("the worker sent no hello within startup_timeout_s ({} s)",
                       std::chrono::duration<double>(options_.startup_timeout).count()));
    }
    pollfd fds[2] = {{process_->stdout_fd(), POLLIN, 0}, {process_->stderr_fd(), POLLIN, 0}};
    const auto wait = std::min<std::int64_t>(
        100, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1);
    const nfds_t count = process_->stderr_fd() >= 0 ? 2 : 1;
    if (::poll(fds, count, static_cast<int>(wait)) < 0 && errno != EINTR)
      throw_system_error("poll");
    if (count == 2 && fds[1].revents != 0) {
      std::string bytes;
      const bool open = read_available(process_->stderr_fd(), bytes);
      stderr_tail_.append(bytes);
      if (!open) process_->close_stderr();
    }
    if (fds[0].revents == 0) continue;
    std::string bytes;
    const bool open = read_available(process_->stdout_fd(), bytes);
    if (!lines_.append(bytes, lines)) {
      fail(fmt::format("the worker's first line is longer than max_line_bytes ({} bytes)",
                       options_.max_line_bytes));
    }
    if (!lines.empty()) break;
    if (!open) {
      process_->close_stdout();
      const int status = process_->stop(std::chrono::milliseconds(2000));
      fail(fmt::format("the worker exited ({}) before its hello", describe_exit(status)));
    }
  }
  Hello hello;
  try {
    auto message = parse_worker_line(lines.front());
    if (!std::holds_alternative<Hello>(message))
      throw ProtocolError("its first message is not a hello: " + excerpt(lines.front()));
    hello = std::get<Hello>(std::move(message));
  } catch (const ProtocolError& e) {
    fail(
        fmt::format("the worker's first line does not follow the worker protocol (version {}): "
                    "{}",
                    kProtocolVersion, e.what()));
  }
  if (hello.protocol != kProtocolVersion) {
    fail(
        fmt::format("the worker speaks protocol version {}; this lmmbench speaks version {} "
                    "(docs/backends.md, \"Worker processes\")",
                    hello.protocol, kProtocolVersion));
  }
  if (hello.capabilities.max_in_flight < 1) {
    fail(fmt::format("the worker's hello has capabilities.max_in_flight {}; expected at least 1",
                     hello.capabilities.max_in_flight));
  }
  if (started_ > 1 && (hello.model != hello_.model || hello.fingerprint != hello_.fingerprint)) {
    fail(fmt::format("the restarted worker serves another model ({} {}) than the first ({} {})",
                     hello.model, hello.fingerprint, hello_.model, hello_.fingerprint));
  }
  // The worker's clock, mapped onto the harness's at the hello (a pipe's latency is microseconds).
  worker_clock_offset_ = hello.time ? clock_.now() - std::chrono::duration_cast<Nanos>(
                                                         std::chrono::duration<double>(*hello.time))
                                    : kNoWorkerClock;
  early_lines_.assign(std::make_move_iterator(lines.begin() + 1),
                      std::make_move_iterator(lines.end()));
  return hello;
}

void WorkerBackend::finish(std::uint64_t id, Completion completion) {
  const auto it = active_.find(id);
  if (it == active_.end()) return;
  auto done = std::move(it->second.done);
  completion.timings.first_token = it->second.timings.first_token;
  completion.timings.token_events = std::move(it->second.timings.token_events);
  active_.erase(it);
  done(std::move(completion));
}

void WorkerBackend::fail_all(const Completion& failure) {
  for (auto& job : waiting_)
    job.done(failure);
  waiting_.clear();
  auto active = std::move(active_);
  active_.clear();
  for (auto& [id, a] : active)
    a.done(failure);
}

void WorkerBackend::lose_process(ErrorKind kind, const std::string& why) {
  std::string message = with_stderr(why);
  if (process_) {
    process_->kill(SIGKILL);
    process_->stop(std::chrono::milliseconds(1000));
    process_.reset();
  }
  to_stdin_.clear();
  lines_.clear();
  const bool last = restarts_ >= options_.max_restarts;
  if (last) {
    gone_for_good_ = true;
    gone_kind_ = kind;
    gone_reason_ = message;
  }
  auto failure = Completion::failure(kind, message);
  failure.fatal = last;
  auto active = std::move(active_);
  active_.clear();
  for (auto& [id, a] : active) {
    auto c = failure;
    c.timings = std::move(a.timings);
    a.done(std::move(c));
  }
}

void WorkerBackend::ensure_process() {
  if (process_ || waiting_.empty()) return;
  if (!gone_for_good_) {
    ++restarts_;
    try {
      start_process(&abort_startup_);
      std::vector<std::string> early = std::move(early_lines_);
      early_lines_.clear();
      take_lines(early);
      return;
    } catch (const Error& e) {
      gone_for_good_ = true;
      gone_kind_ = ErrorKind::connection;
      gone_reason_ = fmt::format("the worker could not be restarted: {}", e.what());
    }
  }
  // The kind of the loss that ended it, as the harness logs the samples it never sends.
  auto failure = Completion::failure(
      gone_kind_, fmt::format("not sent: the worker is gone ({} of max_restarts {} used): {}",
                              restarts_, options_.max_restarts, gone_reason_));
  failure.fatal = true;
  failure.attempts = 0;
  for (auto& job : waiting_)
    job.done(failure);
  waiting_.clear();
}

std::string WorkerBackend::image_file(const ImagePart& image) {
  if (image_dir_.empty()) {
    auto pattern = (std::filesystem::temp_directory_path() / "lmmbench-worker-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw_system_error("mkdtemp " + pattern);
    image_dir_ = pattern;
  }
  const auto name = image.sha256 + "." + extension_of(image.mime_type);
  const auto path = image_dir_ / name;
  if (image_files_.insert(name).second) {
    std::ofstream out(path, std::ios::binary);
    out.write(image.bytes->data(), static_cast<std::streamsize>(image.bytes->size()));
    if (!out.flush()) throw Error("cannot write " + path.string());
  }
  return path.string();
}

void WorkerBackend::send(const nlohmann::json& message) {
  if (!process_ || process_->stdin_fd() < 0) return;
  to_stdin_ += message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  to_stdin_ += '\n';
}

void WorkerBackend::dispatch() {
  while (process_ && !waiting_.empty() && active_.size() < max_in_flight_) {
    Job job = std::move(waiting_.front());
    waiting_.pop_front();
    nlohmann::json line;
    try {
      line = request_message(job.id, job.request, transport_,
                             [this](const ImagePart& image) { return image_file(image); });
    } catch (const std::exception& e) {
      job.done(Completion::failure(ErrorKind::internal, e.what()));
      continue;
    }
    Active a;
    a.done = std::move(job.done);
    a.deadline = SteadyClock::now() + options_.timeout;
    a.sent = clock_.now();
    active_.emplace(job.id, std::move(a));
    send(line);
  }
}

void WorkerBackend::flush_stdin() {
  while (process_ && process_->stdin_fd() >= 0 && !to_stdin_.empty()) {
    const ssize_t n = ::write(process_->stdin_fd(), to_stdin_.data(), to_stdin_.size());
    if (n > 0) {
      to_stdin_.erase(0, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // EPIPE: it closed its stdin or died; its stdout's end tells which.
    process_->close_stdin();
    to_stdin_.clear();
    // This thread blocks SIGPIPE; take the one the write raised so it is not left pending.
    sigset_t pipe_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    const timespec zero{0, 0};
    ::sigtimedwait(&pipe_set, nullptr, &zero);
  }
}

void WorkerBackend::take_lines(std::vector<std::string>& lines) {
  for (const auto& line : lines) {
    if (!process_) return;  // lost at an earlier line: the rest is the dead worker's
    try {
      handle_line(line);
    } catch (const ProtocolError& e) {
      lose_process(ErrorKind::malformed_reply,
                   fmt::format("the worker broke the protocol: {}", e.what()));
    }
  }
}

void WorkerBackend::handle_line(const std::string& line) {
  WorkerMessage message = parse_worker_line(line);  // throws ProtocolError
  if (auto* token = std::get_if<TokenEvent>(&message)) {
    const auto it = active_.find(token->id);
    if (it == active_.end()) return;  // late: timed out or cancelled
    auto& a = it->second;
    const Nanos now = clock_.now();
    Nanos at = now;
    if (token->time && worker_clock_offset_ != kNoWorkerClock) {
      at = worker_clock_offset_ +
           std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(*token->time));
      at = std::clamp(at, a.sent, now);
    }
    if (!a.timings.first_token) a.timings.first_token = at;
    a.timings.token_events.push_back(at);
    return;
  }
  if (auto* done = std::get_if<Done>(&message)) {
    Completion c;
    c.text = std::move(done->text);
    c.usage.prompt_tokens = done->usage.prompt_tokens;
    c.usage.completion_tokens = done->usage.completion_tokens;
    if (done->finish_reason == "length" && options_.truncation_is_error) {
      c.error = ErrorKind::truncated;
      c.error_message = "the answer was cut at max_tokens (truncation: \"error\")";
      c.text.clear();
    }
    finish(done->id, std::move(c));
    return;
  }
  if (auto* error = std::get_if<ErrorEvent>(&message)) {
    if (!error->id) {
      lose_process(ErrorKind::connection,
                   fmt::format("the worker reported a failure of its own ({}): {}",
                               to_string(error->kind), error->message));
      return;
    }
    finish(*error->id, completion_of(*error));
    return;
  }
  throw ProtocolError("a second hello");
}

void WorkerBackend::expire(SteadyClock::time_point now) {
  std::vector<std::uint64_t> expired;
  bool silent = false;
  for (const auto& [id, a] : active_) {
    if (a.deadline > now) continue;
    expired.push_back(id);
    // Not a line since this request was sent: the worker as a whole is stuck, not this request.
    silent = silent || last_output_ < a.deadline - options_.timeout;
  }
  if (expired.empty()) return;
  const double seconds = std::chrono::duration<double>(options_.timeout).count();
  if (silent) {
    lose_process(ErrorKind::timeout,
                 fmt::format("the worker wrote nothing for timeout_s ({} s) while answering: it "
                             "was stopped as hung",
                             seconds));
    return;
  }
  for (const auto id : expired) {
    send(cancel_message(id));
    finish(id, Completion::failure(
                   ErrorKind::timeout,
                   fmt::format("no answer from the worker within timeout_s ({} s); it was sent a "
                               "cancel",
                               seconds)));
  }
}

void WorkerBackend::shutdown_process() {
  if (!process_) return;
  send(shutdown_message());
  // Best effort: a worker that reads nothing more still gets its stdin closed, then signals.
  const auto until = SteadyClock::now() + std::chrono::milliseconds(cancelled_ ? 100 : 1000);
  while (!to_stdin_.empty() && process_->stdin_fd() >= 0 && SteadyClock::now() < until) {
    flush_stdin();
    if (to_stdin_.empty()) break;
    pollfd fd{process_->stdin_fd(), POLLOUT, 0};
    ::poll(&fd, 1, 20);
  }
  process_->close_stdin();
  // After a cancel (an interrupt, or the model stopped by a fatal failure) lmmbench is about to
  // exit: a worker stuck in its model gets a second, not shutdown_timeout_s.
  process_->stop(cancelled_ ? std::min(options_.shutdown_grace, kCancelledGrace)
                            : options_.shutdown_grace);
  process_.reset();
}

void WorkerBackend::run() {
  // Writing to a worker that died raises SIGPIPE in the writing thread: this one takes EPIPE.
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, nullptr);

  {
    std::vector<std::string> early = std::move(early_lines_);
    early_lines_.clear();
    take_lines(early);
  }

  for (;;) {
    try {
      if (!step()) return;
    } catch (const std::exception& e) {
      // Never leaves this thread: the worker is dropped and its requests fail, and the loop
      // goes on serving (a restart, or failing every request), so no completion is lost.
      lose_process(ErrorKind::internal, fmt::format("worker backend: {}", e.what()));
    }
  }
}

bool WorkerBackend::step() {
  std::deque<Job> incoming;
  bool cancel = false;
  bool stopping = false;
  {
    std::lock_guard lock(mutex_);
    cancel = std::exchange(cancel_requested_, false);
    incoming.swap(queue_);
    stopping = stopping_;
  }
  if (cancel) {
    cancelled_ = true;
    // Everything here was submitted before cancel(): cancel() took the queue of that moment.
    for (const auto& [id, a] : active_)
      send(cancel_message(id));
    fail_all(Completion::failure(ErrorKind::cancelled, "cancelled"));
    abort_startup_ = stopping;
  }
  for (auto& job : incoming)
    waiting_.push_back(std::move(job));
  if (stopping) {
    fail_all(Completion::failure(ErrorKind::cancelled, "the backend was shut down"));
    shutdown_process();
    return false;
  }
  ensure_process();
  dispatch();
  flush_stdin();

  std::vector<pollfd> fds{{wake_read_, POLLIN, 0}};
  if (process_) {
    fds.push_back({process_->stdout_fd(), POLLIN, 0});
    if (process_->stderr_fd() >= 0) fds.push_back({process_->stderr_fd(), POLLIN, 0});
    if (!to_stdin_.empty() && process_->stdin_fd() >= 0)
      fds.push_back({process_->stdin_fd(), POLLOUT, 0});
  }
  int wait_ms = -1;
  const auto now = SteadyClock::now();
  for (const auto& [id, a] : active_) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(a.deadline - now).count() + 1;
    wait_ms = wait_ms < 0 ? static_cast<int>(std::clamp<std::int64_t>(left, 0, 60'000))
                          : std::min(wait_ms, static_cast<int>(std::max<std::int64_t>(left, 0)));
  }
  if (::poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) {
    lose_process(ErrorKind::internal, fmt::format("poll: {}", std::strerror(errno)));
    return true;
  }
  if (fds[0].revents != 0) {
    char drain[256];
    while (::read(wake_read_, drain, sizeof drain) > 0) {
    }
  }
  if (process_) {
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents == 0 || !process_) continue;
      if (fds[i].fd == process_->stderr_fd()) {
        std::string bytes;
        const bool open = read_available(fds[i].fd, bytes);
        stderr_tail_.append(bytes);
        if (!open) process_->close_stderr();
      } else if (fds[i].fd == process_->stdout_fd()) {
        std::string bytes;
        const bool open = read_available(fds[i].fd, bytes);
        if (!bytes.empty()) last_output_ = SteadyClock::now();
        std::vector<std::string> lines;
        const bool fits = lines_.append(bytes, lines);
        take_lines(lines);
        if (!process_) continue;
        if (!fits) {
          lose_process(ErrorKind::malformed_reply,
                       fmt::format("the worker wrote a line longer than max_line_bytes ({} "
                                   "bytes): {}",
                                   options_.max_line_bytes, excerpt(lines_.partial(), 60)));
          continue;
        }
        if (!open) {
          // Its stdout is closed: it exited or is about to. Give it a moment to say how.
          process_->close_stdout();
          if (process_->stderr_fd() >= 0) {
            std::string rest;
            read_available(process_->stderr_fd(), rest);
            stderr_tail_.append(rest);
          }
          const int status = process_->stop(std::chrono::milliseconds(1000));
          lose_process(ErrorKind::connection,
                       fmt::format("the worker exited ({})", describe_exit(status)) +
                           (active_.empty() ? "" : " while answering"));
        }
      } else if (fds[i].revents != 0) {
        flush_stdin();
      }
    }
  }
  expire(SteadyClock::now());
  flush_stdin();
  return true;
}

std::unique_ptr<Backend> create_worker(ObjectReader& options, const BackendContext& context) {
  WorkerOptions o;
  const ConfigNode command = options.required("command");
  o.spawn.command = command.as_string();
  o.command_as_written = o.spawn.command;
  if (o.spawn.command.empty()) command.fail("expected a program to run");
  // A path with a '/' is relative to the config file; a bare name is looked up on PATH.
  if (o.spawn.command.find('/') != std::string::npos) o.spawn.command = command.as_path().string();
  o.spawn.args = options.get_string_list("args", {});
  if (const auto env = options.find("env")) {
    // Free-form names (not config keys): read from the JSON itself.
    if (!env->is_object()) env->fail("expected an object of environment variables");
    for (const auto& [name, value] : env->json().items()) {
      if (name.empty() || name.find('=') != std::string::npos)
        env->fail(fmt::format("\"{}\" is not an environment variable name", name));
      if (!value.is_string()) env->fail(fmt::format("the value of \"{}\" is not a string", name));
      o.spawn.env.emplace_back(name, value.get<std::string>());
    }
  }
  const auto seconds = [&options](std::string_view key, double fallback) {
    const double s = options.get_number(key, fallback);
    if (!(s > 0) || s > 1e7) options.required(key).fail("expected a number of seconds > 0");
    return millis(s);
  };
  o.timeout = seconds("timeout_s", 600);
  o.startup_timeout = seconds("startup_timeout_s", 600);
  o.shutdown_grace = seconds("shutdown_timeout_s", 10);
  o.max_restarts = static_cast<int>(options.get_int("max_restarts", 0, 0, 1000));
  o.max_in_flight = static_cast<std::size_t>(options.get_int("max_in_flight", 0, 0, 1 << 20));
  o.max_line_bytes = static_cast<std::size_t>(
      options.get_int("max_line_bytes", static_cast<std::int64_t>(o.max_line_bytes), 1024));
  const auto truncation = options.get_string("truncation", "answer");
  if (truncation != "answer" && truncation != "error")
    options.required("truncation").fail("expected \"answer\" or \"error\"");
  o.truncation_is_error = truncation == "error";
  if (const auto images = options.find("images")) {
    const auto name = images->as_string();
    if (name == "bytes") {
      o.images = ImageTransport::bytes;
    } else if (name == "path") {
      o.images = ImageTransport::path;
    } else {
      images->fail("expected \"bytes\" or \"path\"");
    }
  }
  if (options.has("max_images"))
    o.max_images = static_cast<std::size_t>(options.get_int("max_images", 0, 0, 1 << 20));
  o.image_formats_given = options.has("image_formats");
  read_image_limit_options(options, o.image_limits);
  options.finish();
  try {
    return std::make_unique<WorkerBackend>(std::move(o), context.clock);
  } catch (const Error& e) {
    command.fail(fmt::format("worker {}: {}", command.as_string(), e.what()));
  }
}

}  // namespace lmmbench::models::worker
