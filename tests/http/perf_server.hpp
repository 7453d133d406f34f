#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace lmmbench::testing {

/// What the server did, for the test to compare with what the client measured.
struct PerfServerJournal {
  using TimePoint = std::chrono::steady_clock::time_point;
  struct Stream {
    TimePoint received;              ///< The whole request had been read.
    std::vector<TimePoint> due;      ///< Each token event's deadline ...
    std::vector<TimePoint> written;  ///< ... and when the write of it returned.
  };
  mutable std::mutex mutex;
  std::vector<Stream> streams;
};

/// A timed OpenAI streaming server for the load generator's accuracy tests, on a free 127.0.0.1
/// port, served by one thread of the test process for the lifetime of the object. It speaks the
/// part of HTTP/1.1 that the tests use (keep-alive, Content-Length bodies, chunked replies) and
/// answers POST /perf/SPEC/.../chat/completions with "stream": true, SPEC as in
/// tests/servers/llm_server.py ("ttft=S;itl=S;tokens=N[;pause_at=T;pause_for=S]"): token event i
/// is written at received + ttft + i·itl, where `received` is the moment the whole request had
/// been read, on absolute CLOCK_MONOTONIC deadlines (timerfd, 1 µs timer slack); events due
/// inside [pause_at, pause_at + pause_for) wait until its end; "role=1" opens the reply with a
/// role-only delta at once (before any token), "finish=1" ends it with an empty delta that only
/// carries the finish reason (llama-cpp-python does). Usage is reported when the request asks for
/// it (stream_options.include_usage). Anything else gets a 4xx reply.
///
/// The Python test server does the same, but the same client measured TTFT +0.75 ms at p50 and
/// +1.5…3.9 ms at p99 against it on an idle 2-core machine (+0.3…0.5 and +0.6…1.5 ms against this
/// one): its scheduling counted against the client in a test whose targets are 1 ms and 2 ms.
/// This one wrote its events ≈ 0.1 ms after their
/// deadlines at the median (0.25–0.4 ms at p99) on the project's 2-core VM, and it journals the
/// deadline and the write of every event (streams()), so a test can tell the server's error from
/// the client's.
class PerfServer {
 public:
  PerfServer();
  ~PerfServer();
  PerfServer(const PerfServer&) = delete;
  PerfServer& operator=(const PerfServer&) = delete;

  [[nodiscard]] int port() const { return port_; }
  /// "http://127.0.0.1:PORT"
  [[nodiscard]] std::string url() const;
  /// Every streamed reply so far, in the order the requests were read.
  [[nodiscard]] std::vector<PerfServerJournal::Stream> streams() const;

 private:
  void run();

  int listen_fd_ = -1;
  int stop_fd_ = -1;
  int port_ = 0;
  PerfServerJournal journal_;
  std::thread thread_;
};

}  // namespace lmmbench::testing
