#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "harness/perf/benchmark.hpp"
#include "reports/perf_section.hpp"

/// Server-side figures from a Prometheus text exposition (format 0.0.4, what vLLM, SGLang and TGI
/// serve at /metrics): the parser, the before/after difference, and the level observer that
/// scrapes around each load level of `lmmbench perf` (docs/perf.md, "Server metrics").
namespace lmmbench::harness::perf {

/// One sample line: `name{label="value",...} value [timestamp_ms]`.
struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;  ///< Unescaped values.
  double value = 0;                           ///< NaN and ±Inf as in the text.
  std::optional<std::int64_t> timestamp_ms;
};

/// A parsed exposition: `# TYPE` and `# HELP` by metric name, and every sample in order.
struct PromExposition {
  std::map<std::string, std::string> types;  ///< counter, gauge, histogram, summary, untyped.
  std::map<std::string, std::string> help;   ///< Unescaped docstrings.
  std::vector<PromSample> samples;
};

/// A line that is not valid exposition text.
class PromParseError : public std::runtime_error {
 public:
  PromParseError(std::size_t line, const std::string& message);
  [[nodiscard]] std::size_t line() const { return line_; }

 private:
  std::size_t line_;
};

/// Parses the text format (https://prometheus.io/docs/instrumenting/exposition_formats/): `#`
/// lines are HELP, TYPE or comments; a sample is a metric name, optional labels whose values
/// escape `\\`, `\"` and `\n`, a Go-style float (`NaN`, `+Inf`, `-Inf` included) and an optional
/// integer timestamp in milliseconds. Blank lines and CRLF line ends are accepted. Throws
/// PromParseError naming the 1-based line of the first malformed line (as Prometheus refuses
/// the whole scrape).
PromExposition parse_prometheus_text(std::string_view text);

/// The level's server figures from a scrape before and one after (see PerfServerMetrics). What a
/// sample is comes from the TYPE lines: a counter's value (`x` typed counter, or OpenMetrics-style
/// `x_total` of family `x`), a gauge's (untyped samples count as gauges), a histogram's or
/// summary's `_sum` / `_count`, or something not recorded (`_bucket`, quantiles, `_created`
/// timestamps, which prometheus_client also exposes as gauges named `x_created`).
reports::PerfServerMetrics prometheus_delta(const PromExposition& before,
                                            const PromExposition& after);

/// GETs `url` (Accept: the text format) with libcurl and returns the body; throws
/// std::runtime_error with curl's message or the HTTP status. Built with LMMBENCH_WITH_HTTP.
std::string scrape_prometheus(const std::string& url, std::chrono::milliseconds timeout);

/// Scrapes `fetch` just before and just after each level and records the difference in the
/// level's server_metrics. A failed scrape or a malformed exposition becomes a note there; it
/// never fails the run. Harness thread only.
class PrometheusObserver : public LevelObserver {
 public:
  PrometheusObserver(std::string url, std::function<std::string()> fetch);
  void before_level(std::size_t index) override;
  void after_level(std::size_t index, reports::PerfLevel& level) override;

 private:
  std::optional<PromExposition> scrape(std::string& error);

  std::string url_;
  std::function<std::string()> fetch_;
  std::optional<PromExposition> before_;
  std::string before_error_;
};

}  // namespace lmmbench::harness::perf
