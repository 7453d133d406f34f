#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "harness/config.hpp"
#include "harness/prediction_log.hpp"
#include "harness/progress.hpp"
#include "harness/response_cache.hpp"
#include "harness/retry.hpp"
#include "harness/task_loading.hpp"
#include "models/backend.hpp"
#include "reports/run_record.hpp"

namespace lmmbench::harness {

/// One model x task cell to answer.
struct CellRun {
  const ModelConfig& model;
  models::Backend& backend;
  const LoadedTask& task;
  PredictionLog& log;
  const Clock& clock;
  std::size_t concurrency;
  Progress& progress;
  /// Serves and stores answers of deterministic requests to backends that want caching; null with
  /// --no-cache.
  ResponseCache* cache = nullptr;
  bool read_cache = true;  ///< false with --refresh-cache: ask again and store the new answer.
  RetryPolicy* retry = nullptr;  ///< Retries failed attempts (the model's "retry"); null = never.
  /// The failure that stopped this model's backend for the rest of the run (Completion::fatal),
  /// shared by the model's cells; set by infer_cell. Null: the backend is never stopped.
  std::optional<models::Completion>* stopped_by = nullptr;
  /// Log each request's text (the sample's question) with its answer: the judge log does.
  bool log_request_text = false;
};

/// Answers every selected sample of a cell that the prediction log does not already hold (or holds
/// only as a transient failure), with at most `concurrency` requests in flight, appending each
/// completion to the log from this thread as it arrives. A failed attempt is submitted again after
/// the retry policy's delay (a sample waiting for its retry keeps its concurrency slot); only the
/// last attempt is logged, with the number of attempts. Returns the log key of every selected
/// sample, in order; counts.resumed is the number of answers reused.
///
/// When a request's last attempt fails with a fatal failure (a refused connection, an
/// unresolvable host, TLS, HTTP 401/403/404), the backend is stopped: its requests in flight are
/// cancelled, and every sample not yet answered, in this cell and the model's later cells, is
/// logged with that failure's kind (attempts 0 when it was never sent); the server's message is
/// printed once on stderr. When a stop is requested (interrupt.hpp) it stops submitting, cancels
/// the requests in flight (logged as `cancelled`, retried on --resume) within about 50 ms, and
/// sets `interrupted`.
std::vector<std::string> infer_cell(const CellRun& run, reports::SampleCounts& counts,
                                    bool& interrupted);

}  // namespace lmmbench::harness
