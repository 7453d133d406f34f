#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "models/backend.hpp"
#include "models/worker/protocol.hpp"
#include "models/worker/subprocess.hpp"

/// The `worker` backend: a model served by a child process that speaks the worker protocol
/// (protocol.hpp; docs/backends.md, "Worker processes") over its stdin and stdout — an in-process
/// Python model (scripts/transformers_worker.py) or anything else that speaks it.
namespace lmmbench::models::worker {

struct WorkerOptions {
  SpawnSpec spawn;
  /// "command" as the config wrote it (a relative path unresolved): the fingerprint's, so that
  /// answers are reused from a checkout or an installed tree alike.
  std::string command_as_written;
  std::chrono::milliseconds timeout{600'000};          ///< Per request, from sending it.
  std::chrono::milliseconds startup_timeout{600'000};  ///< Until the hello (model loading).
  std::chrono::milliseconds shutdown_grace{10'000};    ///< Each of: exit, after SIGTERM.
  int max_restarts = 0;           ///< Restarts after the worker died or broke the protocol.
  std::size_t max_in_flight = 0;  ///< Caps the worker's own max_in_flight; 0: the worker's.
  std::size_t max_line_bytes = std::size_t{64} << 20;  ///< Longest line read from the worker.
  bool truncation_is_error = false;       ///< A reply cut at max_tokens is `truncated`.
  std::optional<ImageTransport> images;   ///< Forced image transport; none: the worker's first.
  std::optional<std::size_t> max_images;  ///< Caps the worker's max_images.
  /// "max_image_side", "max_image_bytes" and "image_formats" as the config gave them.
  Capabilities image_limits;
  bool image_formats_given = false;
};

/// Starts the worker and reads its hello in the constructor (throws Error: cannot start, no
/// hello, another protocol version); then one I/O thread owns the process: it writes requests,
/// reads replies, enforces timeouts, and delivers completions. Requests beyond max_in_flight wait
/// in lmmbench. A worker that dies or breaks the protocol fails its requests in flight
/// (`connection` or `malformed_reply`) and is restarted for the next request while restarts are
/// left; after that every request fails at once and `fatal`, so the harness stops the model.
class WorkerBackend final : public Backend {
 public:
  WorkerBackend(WorkerOptions options, const Clock& clock);
  ~WorkerBackend() override;
  WorkerBackend(const WorkerBackend&) = delete;
  WorkerBackend& operator=(const WorkerBackend&) = delete;

  [[nodiscard]] const Capabilities& capabilities() const override { return capabilities_; }
  [[nodiscard]] std::string fingerprint() const override;
  void submit(Request request, CompletionCallback done) override;
  void cancel() override;

  /// The worker's hello (the first process's).
  [[nodiscard]] const Hello& hello() const { return hello_; }
  /// Processes started so far (1 + restarts). Thread-safe.
  [[nodiscard]] int processes_started() const { return started_.load(); }

 private:
  struct Job {
    std::uint64_t id = 0;
    Request request;
    CompletionCallback done;
  };
  struct Active {
    CompletionCallback done;
    std::chrono::steady_clock::time_point deadline;
    Nanos sent{0};
    Timings timings;
  };

  /// Capabilities, image transport and max_in_flight from the hello and the options; throws
  /// Error when they cannot agree.
  void configure();
  /// Spawns and reads the hello; throws Error. Sets process_ on success.
  Hello start_process(const std::atomic<bool>* abort);
  void run();
  /// One turn of the I/O loop; false once the backend is shutting down.
  bool step();
  void take_lines(std::vector<std::string>& lines);
  void handle_line(const std::string& line);
  void finish(std::uint64_t id, Completion completion);
  /// The process is gone or no longer trusted: fails what is in flight with `kind`.
  void lose_process(ErrorKind kind, const std::string& why);
  /// Fails every waiting and active request.
  void fail_all(const Completion& failure);
  void ensure_process();
  void dispatch();
  void flush_stdin();
  void expire(std::chrono::steady_clock::time_point now);
  void shutdown_process();
  void send(const nlohmann::json& message);
  std::string image_file(const ImagePart& image);
  [[nodiscard]] std::string with_stderr(const std::string& message) const;
  void wake();

  WorkerOptions options_;
  const Clock& clock_;
  Hello hello_;
  Capabilities capabilities_;
  ImageTransport transport_ = ImageTransport::bytes;
  std::size_t max_in_flight_ = 1;
  std::atomic<int> started_{0};
  std::atomic<std::uint64_t> next_id_{1};

  // Shared between the harness's threads and the I/O thread.
  std::mutex mutex_;
  std::deque<Job> queue_;          // guarded by mutex_: submitted, not yet taken
  bool cancel_requested_ = false;  // guarded by mutex_
  bool stopping_ = false;          // guarded by mutex_
  std::atomic<bool> abort_startup_{false};
  int wake_read_ = -1;
  int wake_write_ = -1;

  // Owned by the I/O thread (by the constructor before it starts).
  std::unique_ptr<Subprocess> process_;
  LineBuffer lines_;
  std::vector<std::string> early_lines_;  // read with the hello
  TailBuffer stderr_tail_;
  std::deque<Job> waiting_;
  std::map<std::uint64_t, Active> active_;
  std::string to_stdin_;
  int restarts_ = 0;
  bool cancelled_ = false;      // the run is ending: shut the worker down without long waits
  bool gone_for_good_ = false;  // no restarts left: every request fails at once
  ErrorKind gone_kind_ = ErrorKind::connection;
  std::string gone_reason_;
  Nanos worker_clock_offset_{0};                       // harness clock - worker clock
  std::chrono::steady_clock::time_point last_output_;  // when its stdout last had bytes
  std::filesystem::path image_dir_;
  std::set<std::string> image_files_;

  std::thread io_;  // last: started when everything else is ready
};

/// Registry factory (harness/registry.cpp): reads the options (docs/backends.md) and starts the
/// worker; a worker that cannot start or refuses the protocol is an InputError at "command".
std::unique_ptr<Backend> create_worker(ObjectReader& options, const BackendContext& context);

}  // namespace lmmbench::models::worker
