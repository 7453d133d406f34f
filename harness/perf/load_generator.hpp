#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "core/clock.hpp"
#include "models/backend.hpp"
#include "models/completion.hpp"
#include "models/request.hpp"

/// The load generator of `lmmbench perf`: sends requests to a Backend on a schedule the harness
/// owns and timestamps everything on the harness clock.
namespace lmmbench::harness::perf {

/// How requests are released.
struct LoadPlan {
  /// Open loop: request i becomes due at start + schedule[i] whether or not earlier ones have
  /// finished (no coordinated omission). Empty: every request is due at the start (offline).
  std::vector<Nanos> schedule;
  /// At most this many in flight (closed loop when the schedule is empty: a freed slot makes
  /// the next request due at that moment). Empty = no cap.
  std::optional<std::size_t> max_in_flight;
};

/// One request as the harness saw it. Times are offsets from the level's start (the moment the
/// first request became due), on the harness clock.
struct RequestRecord {
  std::size_t index = 0;  ///< Position in the level's request list.
  Nanos scheduled{0};     ///< When it became due (closed loop: when its slot was freed).
  Nanos sent{0};          ///< Just before Backend::submit.
  Nanos end{0};           ///< When the backend reported the completion.
  std::size_t images = 0;
  /// The backend's completion; its timings (first_token, token_events) are shifted to the same
  /// origin as the fields above; timings.submitted = sent, timings.finished = end.
  models::Completion completion;
};

/// Who sent the requests of one generate_load call, and how often a completion woke the
/// harness thread (for tests and measurements; the records do not depend on it).
struct LoadCounters {
  std::size_t sent_by_harness = 0;  ///< Submitted by the harness thread.
  /// Submitted by the completion callback that freed the slot, on the backend's thread
  /// (Capabilities::submit_from_callback).
  std::size_t sent_from_callbacks = 0;
  /// Completions that woke (notified) the harness thread: a freed slot it has to fill, the
  /// last completion, or a slot it was waiting for.
  std::size_t harness_wakeups = 0;
};

/// Sends `requests` (in order) to `backend` as `plan` says and waits for every completion.
/// The calling thread is the harness thread: it sleeps until the next due time (absolute
/// deadlines, so lateness never accumulates), calls submit() and waits for the completions,
/// which the backend's callback delivers on any thread.
///
/// With a cap (`max_in_flight`) and a backend that states Capabilities::submit_from_callback,
/// the completion that frees a slot sends the request that slot is for itself, on its own
/// thread, when that request is due (closed loop: always; open loop: when its scheduled time
/// has passed and it was waiting for a slot), as wrk does: the harness thread is then woken
/// only when it has something to do. Submits stay serialised by a mutex that a callback only
/// try-locks; a callback that does not get it, or that is delivered inside submit() itself,
/// hands the slot to the harness thread instead (no recursion, never blocking a backend's
/// thread). Either way at most `max_in_flight` requests are in flight and each is sent once.
///
/// `stop` is polled before each send, from the harness thread and from the callbacks' threads
/// (it must be thread-safe, and stay true once true): once it returns true no further request
/// is sent, and those not sent are left out of the result. Returns the records of the requests
/// sent, in send order. `counters`, when given, receives who sent what.
std::vector<RequestRecord> generate_load(models::Backend& backend, const Clock& clock,
                                         std::span<const models::Request> requests,
                                         const LoadPlan& plan, bool (*stop)() = nullptr,
                                         LoadCounters* counters = nullptr);

}  // namespace lmmbench::harness::perf
