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

/// Sends `requests` (in order) to `backend` as `plan` says and waits for every completion.
/// The calling thread is the harness thread: it sleeps until the next due time (absolute
/// deadlines, so lateness never accumulates), calls submit() and collects completions delivered
/// by the backend's callback on any thread. `stop` is polled between sends: once it returns
/// true no further request is sent, and those not sent are left out of the result. Returns the
/// records of the requests sent, in send order.
std::vector<RequestRecord> generate_load(models::Backend& backend, const Clock& clock,
                                         std::span<const models::Request> requests,
                                         const LoadPlan& plan, bool (*stop)() = nullptr);

}  // namespace lmmbench::harness::perf
