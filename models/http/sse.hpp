#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace lmmbench::models::http {

/// One server-sent event: the `event:` type (empty when the server sent none), the `data:` lines
/// joined by '\n', and the last `id:`.
struct SseEvent {
  std::string event;
  std::string data;
  std::string id;
};

/// Incremental parser for a text/event-stream body, following the WHATWG HTML "Server-sent events"
/// interpretation rules (§9.2.6): lines end in CRLF, LF or CR; a blank line dispatches the event;
/// lines starting with ':' are comments (keep-alives); "field: value" drops one leading space;
/// several data lines are joined with '\n'; an event with no data is not dispatched.
///
/// Bytes may arrive in arbitrary pieces: an event split across reads, several events in one read,
/// a CRLF split between two reads. Not thread-safe; one parser per response.
class SseParser {
 public:
  using Handler = std::function<void(const SseEvent&)>;

  /// Parses `bytes` and calls `on_event` for every event completed by them.
  void feed(std::string_view bytes, const Handler& on_event);
  /// At the end of the body: dispatches a last event that has data but no terminating blank line
  /// (as vLLM's benchmark client accepts an unterminated trailing buffer). Returns whether one was
  /// dispatched.
  bool finish(const Handler& on_event);

 private:
  void line(std::string_view text, const Handler& on_event);

  std::string partial_;    ///< Bytes of a line not yet terminated.
  bool after_cr_ = false;  ///< The last byte seen was a CR: an LF right after it is not a new line.
  SseEvent current_;
  bool has_data_ = false;
};

}  // namespace lmmbench::models::http
