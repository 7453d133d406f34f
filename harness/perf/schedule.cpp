#include "harness/perf/schedule.hpp"

#include <cmath>
#include <fstream>
#include <numbers>
#include <random>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"

namespace lmmbench::harness::perf {

namespace {

/// Uniform on (0, 1) from the top 53 bits (never 0, so log() is finite).
double uniform(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53;
}

double normal(std::mt19937_64& rng) {
  const double u1 = uniform(rng);
  const double u2 = uniform(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

/// Gamma(shape k, scale 1): Marsaglia & Tsang (2000); for k < 1, Gamma(k + 1) * U^(1/k).
double gamma(std::mt19937_64& rng, double k) {
  if (k < 1.0) return gamma(rng, k + 1.0) * std::pow(uniform(rng), 1.0 / k);
  const double d = k - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0;
    double v = 0;
    do {
      x = normal(rng);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform(rng);
    if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

Nanos seconds(double s) {
  return std::chrono::duration_cast<Nanos>(std::chrono::duration<double>(s));
}

}  // namespace

std::string_view to_string(ArrivalProcess process) {
  switch (process) {
    case ArrivalProcess::poisson:
      return "poisson";
    case ArrivalProcess::gamma:
      return "gamma";
    case ArrivalProcess::constant:
      return "constant";
    case ArrivalProcess::trace:
      return "trace";
  }
  return "?";
}

std::optional<ArrivalProcess> parse_arrival_process(std::string_view name) {
  for (const auto p : {ArrivalProcess::poisson, ArrivalProcess::gamma, ArrivalProcess::constant,
                       ArrivalProcess::trace}) {
    if (name == to_string(p)) return p;
  }
  return std::nullopt;
}

std::vector<Nanos> arrival_times(const ArrivalOptions& o, std::size_t count) {
  std::vector<Nanos> out;
  if (count == 0) return out;
  out.reserve(count);
  if (o.process == ArrivalProcess::trace) {
    if (count > o.trace_s.size()) {
      throw InputError(Location{"--trace", 0, ""},
                       fmt::format("{} requests asked for, the trace has {} timestamps", count,
                                   o.trace_s.size()));
    }
    for (std::size_t i = 0; i < count; ++i)
      out.push_back(seconds(o.trace_s[i] - o.trace_s[0]));
    return out;
  }
  if (!(o.rate > 0) || !std::isfinite(o.rate)) {
    throw InputError(Location{"--request-rate", 0, ""}, "the request rate must be > 0 and finite");
  }
  const double span = static_cast<double>(count - 1) / o.rate;
  if (o.process == ArrivalProcess::constant) {
    for (std::size_t i = 0; i < count; ++i)
      out.push_back(seconds(static_cast<double>(i) / o.rate));
    return out;
  }
  const double k = o.process == ArrivalProcess::poisson ? 1.0 : o.burstiness;
  if (!(k > 0) || !std::isfinite(k)) {
    throw InputError(Location{"--burstiness", 0, ""}, "burstiness must be > 0 and finite");
  }
  std::mt19937_64 rng(o.seed);
  std::vector<double> at(count, 0.0);
  for (std::size_t i = 1; i < count; ++i)
    at[i] = at[i - 1] + gamma(rng, k);
  const double scale = at.back() > 0 ? span / at.back() : 0.0;
  for (const double t : at)
    out.push_back(seconds(t * scale));
  return out;
}

std::vector<double> read_trace(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw InputError(Location{path.string(), 0, ""}, "cannot open the trace file");
  std::vector<double> out;
  std::string line;
  std::size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto hash = line.find('#');
    const std::string text{trim(hash == std::string::npos ? line : line.substr(0, hash))};
    if (text.empty()) continue;
    std::size_t used = 0;
    double t = 0;
    try {
      t = std::stod(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || !std::isfinite(t)) {
      throw InputError(Location{path.string(), number, ""},
                       fmt::format("'{}' is not a timestamp in seconds", text));
    }
    if (!out.empty() && t < out.back()) {
      throw InputError(
          Location{path.string(), number, ""},
          fmt::format("timestamp {} is earlier than the line before ({})", t, out.back()));
    }
    out.push_back(t);
  }
  if (out.empty()) throw InputError(Location{path.string(), 0, ""}, "the trace has no timestamps");
  return out;
}

}  // namespace lmmbench::harness::perf
