#include "harness/perf/benchmark.hpp"

#include <algorithm>
#include <optional>
#include <ostream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "harness/perf/load_generator.hpp"

namespace lmmbench::harness::perf {

namespace {

struct LevelRun {
  LevelSpec spec;
  LoadPlan plan;
};

[[noreturn]] void bad(const char* option, const std::string& message) {
  throw InputError(Location{option, 0, ""}, message);
}

LevelRun rate_level(const PerfOptions& o, double rate) {
  LevelRun L;
  L.spec.scenario = "rate";
  ArrivalOptions arrival = o.arrival;
  arrival.rate = rate;
  arrival.seed = o.seed;
  L.plan.schedule = arrival_times(arrival, o.requests);
  if (arrival.process == ArrivalProcess::trace) {
    const double span = to_seconds(L.plan.schedule.back());
    if (o.requests > 1 && span > 0)
      L.spec.request_rate = static_cast<double>(o.requests - 1) / span;
  } else {
    L.spec.request_rate = rate;
  }
  if (o.concurrency) {
    L.spec.concurrency = o.concurrency;
    L.plan.max_in_flight = static_cast<std::size_t>(*o.concurrency);
  }
  // With fewer than two requests there is no gap to schedule; the level is one send at 0.
  if (L.plan.schedule.empty()) L.plan.schedule.push_back(Nanos{0});
  return L;
}

LevelRun concurrency_level(std::int64_t n) {
  LevelRun L;
  L.spec.scenario = "concurrency";
  L.spec.concurrency = n;
  L.plan.max_in_flight = static_cast<std::size_t>(n);
  return L;
}

std::vector<LevelRun> plan_levels(const PerfOptions& o) {
  if (o.requests < 1) bad("--requests", "must be >= 1");
  if (o.concurrency && *o.concurrency < 1) bad("--concurrency", "must be >= 1");
  if (o.validity.windows < 1) bad("--windows", "must be >= 1");
  if (!(o.slos.attainment > 0 && o.slos.attainment <= 1)) {
    bad("--slo-attainment", "must be in (0, 1]");
  }
  std::vector<LevelRun> levels;
  if (o.scenario == "offline") {
    LevelRun L;
    L.spec.scenario = "offline";
    if (o.concurrency) {
      L.spec.concurrency = o.concurrency;
      L.plan.max_in_flight = static_cast<std::size_t>(*o.concurrency);
    }
    levels.push_back(std::move(L));
  } else if (o.scenario == "rate") {
    if (o.arrival.process != ArrivalProcess::trace && !o.request_rate) {
      bad("--request-rate",
          "the rate scenario needs --request-rate (or --arrival trace --trace F)");
    }
    levels.push_back(rate_level(o, o.request_rate.value_or(1.0)));
  } else if (o.scenario == "concurrency") {
    if (!o.concurrency) bad("--concurrency", "the concurrency scenario needs --concurrency N");
    levels.push_back(concurrency_level(*o.concurrency));
  } else if (o.scenario == "sweep") {
    if (o.sweep_rates.empty() == o.sweep_concurrencies.empty()) {
      bad("--rates", "a sweep needs exactly one of --rates R1,R2,... or --concurrencies N1,N2,...");
    }
    if (o.arrival.process == ArrivalProcess::trace)
      bad("--arrival", "a sweep cannot replay a trace");
    for (const double r : o.sweep_rates)
      levels.push_back(rate_level(o, r));
    for (const auto n : o.sweep_concurrencies) {
      if (n < 1) bad("--concurrencies", "every concurrency must be >= 1");
      levels.push_back(concurrency_level(n));
    }
  } else {
    bad("--scenario", fmt::format("'{}' is not offline, rate, concurrency or sweep", o.scenario));
  }
  return levels;
}

std::string describe(const LevelSpec& s) {
  if (s.scenario == "rate") {
    return fmt::format("rate {:g}/s{}", s.request_rate.value_or(0),
                       s.concurrency ? fmt::format(" (max {} in flight)", *s.concurrency) : "");
  }
  if (s.scenario == "concurrency") return fmt::format("concurrency {}", s.concurrency.value_or(0));
  return s.concurrency ? fmt::format("offline (max {} in flight)", *s.concurrency) : "offline";
}

/// A number that orders sweep levels by load.
double load_of(const reports::PerfLevel& L) {
  if (L.scenario == "rate") return L.request_rate.value_or(0);
  return static_cast<double>(L.concurrency.value_or(0));
}

/// A level's per-replica figures, from what the backend counted over the level.
std::vector<reports::PerfReplica> level_replicas(const std::vector<models::ReplicaUse>& use) {
  std::vector<reports::PerfReplica> out;
  for (const auto& r : use) {
    out.push_back({r.base_url, r.requests, r.answered, r.connection_failures,
                   r.answered > 0 ? std::optional<double>(1e3 * r.latency_sum_s /
                                                          static_cast<double>(r.answered))
                                  : std::nullopt});
  }
  return out;
}

}  // namespace

PerfOutcome run_perf(const PerfOptions& o, models::Backend& backend, const Clock& clock,
                     const RequestSource& source, std::ostream& log, bool (*stop)()) {
  const std::vector<LevelRun> levels = plan_levels(o);
  PerfOutcome out;
  auto& s = out.section;
  s.scenario = o.scenario;
  s.seed = o.seed;
  s.warmup_requests = o.warmup;
  s.slos = o.slos;
  s.validity = o.validity;
  s.schedule = {{"arrival", to_string(o.arrival.process)},
                {"burstiness", o.arrival.burstiness},
                {"requests_per_level", o.requests}};

  // Everything is built before the first request is sent.
  std::vector<models::Request> warmup =
      o.warmup > 0 ? source(o.warmup, o.seed) : std::vector<models::Request>{};
  std::vector<std::vector<models::Request>> work;
  for (std::size_t i = 0; i < levels.size(); ++i)
    work.push_back(source(o.requests, o.seed + 1 + i));

  if (!warmup.empty()) {
    LoadPlan plan;
    if (o.concurrency) plan.max_in_flight = static_cast<std::size_t>(*o.concurrency);
    log << fmt::format("warm-up: {} request(s)\n", warmup.size());
    const auto records = generate_load(backend, clock, warmup, plan, stop);
    for (const auto& r : records) {
      if (o.request_lines)
        out.request_lines.push_back(request_json(r, request_metrics(r, o.slos), 0, true));
    }
    const auto failures = describe_failures(records);
    const bool all_failed =
        !records.empty() && std::none_of(records.begin(), records.end(),
                                         [](const auto& r) { return r.completion.ok(); });
    if (all_failed && !(stop && stop())) {
      out.warmup_failed = failures;
      log << fmt::format("warm-up: all {} request(s) failed: {}\n", records.size(), failures);
      return out;
    }
    if (!failures.empty()) log << "warm-up: some requests failed: " << failures << '\n';
  }
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (stop && stop()) {
      out.interrupted = true;
      break;
    }
    const auto& run = levels[i];
    log << fmt::format("level {}/{}: {}: {} request(s)\n", i + 1, levels.size(), describe(run.spec),
                       work[i].size());
    for (auto* observer : o.observers)
      observer->before_level(i);
    const auto replicas_before = backend.replica_use();
    const auto records = generate_load(backend, clock, work[i], run.plan, stop);
    const auto replicas = models::replica_use_since(replicas_before, backend.replica_use());
    if (records.size() < work[i].size()) out.interrupted = true;
    auto level = compute_level(run.spec, records, o.slos, o.validity);
    for (auto* observer : o.observers)
      observer->after_level(i, level);
    level.replicas = level_replicas(replicas);
    if (o.cost) level.cost = compute_cost(level, *o.cost);
    if (o.token_prices) level.token_cost = compute_token_cost(level, *o.token_prices);
    add_objectives(level, describe(run.spec), records);
    for (const auto& r : records) {
      if (o.request_lines)
        out.request_lines.push_back(request_json(r, request_metrics(r, o.slos), i, false));
    }
    log << fmt::format("  {:.2f} s, {} ok, {} failed, {:.3g} req/s, {:.4g} output tok/s: {}\n",
                       level.duration_s, level.completed, level.failed, level.request_throughput,
                       level.output_throughput, level.valid ? "VALID" : "INVALID");
    for (const auto& why : level.invalid_reasons)
      log << "    " << why << '\n';
    // An INVALID level's reasons already say what failed.
    if (level.failed > 0 && level.valid)
      log << "    failed: " << describe_failures(records) << '\n';
    s.levels.push_back(std::move(level));
  }
  if (o.scenario == "sweep") {
    for (std::size_t i = 0; i < s.levels.size(); ++i) {
      const auto& L = s.levels[i];
      if (!L.valid || !L.meets_slos) continue;
      if (!s.best_level || load_of(L) > load_of(s.levels[*s.best_level])) s.best_level = i;
    }
  }
  return out;
}

}  // namespace lmmbench::harness::perf
