#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

/// Arrival schedules of the open-loop `rate` scenario, computed before anything is sent.
namespace lmmbench::harness::perf {

enum class ArrivalProcess {
  poisson,   ///< Exponential gaps (gamma with shape 1).
  gamma,     ///< Gamma gaps with shape = burstiness: coefficient of variation 1 / sqrt(burstiness).
  constant,  ///< Every gap 1 / rate.
  trace,     ///< Replayed timestamps.
};

std::string_view to_string(ArrivalProcess process);
std::optional<ArrivalProcess> parse_arrival_process(std::string_view name);

struct ArrivalOptions {
  ArrivalProcess process = ArrivalProcess::poisson;
  double rate = 1.0;        ///< Requests per second (not used by trace).
  double burstiness = 1.0;  ///< Gamma shape k > 0; 1 = Poisson, < 1 burstier, > 1 smoother.
  std::uint64_t seed = 0;
  std::vector<double> trace_s;  ///< Trace: timestamps in seconds, non-decreasing.
};

/// Send times of `count` requests, as offsets from the level's start: the first at 0. For poisson
/// and gamma, `count - 1` gaps are drawn (mt19937_64 from `seed`; Box-Muller normals;
/// Marsaglia-Tsang gamma, so the schedule is the same on every platform) and then scaled so the
/// last arrival is exactly (count - 1) / rate, as vLLM's `bench serve` does: the realised rate
/// equals the target rather than drifting by sampling noise. A trace gives its own timestamps
/// minus the first; `count` larger than the trace throws InputError.
std::vector<Nanos> arrival_times(const ArrivalOptions& options, std::size_t count);

/// A trace file: one timestamp in seconds per line (absolute or relative; only differences
/// matter), '#' comments and blank lines allowed, non-decreasing. Throws InputError naming the
/// file and line of a bad value.
std::vector<double> read_trace(const std::filesystem::path& path);

}  // namespace lmmbench::harness::perf
