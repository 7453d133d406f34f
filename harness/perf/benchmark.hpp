#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "harness/perf/metrics.hpp"
#include "harness/perf/schedule.hpp"
#include "models/backend.hpp"
#include "reports/perf_section.hpp"

/// `lmmbench perf` without the command line: scenarios, warm-up, levels, results.
namespace lmmbench::harness::perf {

/// Watches the levels from outside the measurement (server metrics, telemetry). Called on the
/// harness thread just before a level's first request and just after its last completion; the
/// time an observer takes is outside every level's figures.
class LevelObserver {
 public:
  virtual ~LevelObserver() = default;
  virtual void before_level(std::size_t index) = 0;
  /// May add to `level` (its server_metrics, say); must not change the measured figures.
  virtual void after_level(std::size_t index, reports::PerfLevel& level) = 0;
};

struct PerfOptions {
  std::string scenario = "offline";  ///< offline, rate, concurrency or sweep.
  std::size_t requests = 200;        ///< Measured requests per level.
  std::size_t warmup = 2;            ///< Sent (at most `concurrency` at once) and left out first.
  /// rate: the arrival process (its rate is set per level; a trace gives its own times).
  ArrivalOptions arrival;
  std::optional<double> request_rate;  ///< rate scenario.
  /// concurrency scenario: requests in flight. offline and rate: an optional cap.
  std::optional<std::int64_t> concurrency;
  std::vector<double> sweep_rates;                ///< sweep: one rate level each (open loop), or
  std::vector<std::int64_t> sweep_concurrencies;  ///< one closed-loop level each.
  reports::PerfSlos slos;
  reports::PerfValidity validity;
  std::optional<CostInputs> cost;
  std::optional<TokenPrices> token_prices;  ///< API models: $ from the measured tokens.
  std::vector<LevelObserver*> observers;    ///< Not owned; called in order.
  std::uint64_t seed = 0;                   ///< Of the workload and the arrival schedule.
  /// Fill PerfOutcome::request_lines (what --out writes as requests.jsonl). Off, no JSON object
  /// is built per request.
  bool request_lines = true;
};

/// Makes `count` requests for one phase; `seed` differs per phase so no two levels send the
/// same request (a server cache would flatter later levels).
using RequestSource =
    std::function<std::vector<models::Request>(std::size_t count, std::uint64_t seed)>;

struct PerfOutcome {
  reports::PerfSection section;  ///< workload, model and requests_file are left to the caller.
  /// The per-request JSONL, every phase (empty unless PerfOptions::request_lines).
  std::vector<nlohmann::json> request_lines;
  bool interrupted = false;
  /// Every warm-up request failed (a dead endpoint, a wrong key): no level was run, since a
  /// measurement against a server that answers nothing measures nothing. What failed and the
  /// first message, as describe_failures says it.
  std::optional<std::string> warmup_failed;
};

/// Validates `options` (InputError naming the option), builds every level's requests and
/// schedule, then runs warm-up and each level in turn against `backend` (none when every warm-up
/// request failed; see PerfOutcome::warmup_failed). Progress lines go to `log`. `stop` (may be
/// null) ends the run early: the level in progress is kept with the requests it sent.
PerfOutcome run_perf(const PerfOptions& options, models::Backend& backend, const Clock& clock,
                     const RequestSource& source, std::ostream& log, bool (*stop)() = nullptr);

}  // namespace lmmbench::harness::perf
