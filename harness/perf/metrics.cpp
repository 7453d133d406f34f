#include "harness/perf/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

#include "core/cost.hpp"
#include "harness/perf/stats.hpp"
#include "metrics/statistics.hpp"

namespace lmmbench::harness::perf {

namespace {

double ms(Nanos n) {
  return std::chrono::duration<double, std::milli>(n).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return lmmbench::metrics::percentile(v, 50);
}

}  // namespace

RequestMetrics request_metrics(const RequestRecord& r, const reports::PerfSlos& slos) {
  RequestMetrics m;
  const auto& c = r.completion;
  const auto& t = c.timings;
  m.ok = c.ok();
  m.send_delay_ms = ms(r.sent - r.scheduled);
  m.prompt_tokens = c.usage.prompt_tokens.value_or(0);
  if (c.usage.completion_tokens) {
    m.output_tokens = *c.usage.completion_tokens;
    m.tokens_from_usage = true;
  } else {
    m.output_tokens = static_cast<std::int64_t>(t.token_events.size());
  }
  if (!m.ok) return m;
  if (t.first_token) m.ttft_ms = ms(*t.first_token - r.sent);
  m.e2e_ms = ms((t.token_events.empty() ? r.end : t.token_events.back()) - r.sent);
  if (m.ttft_ms && m.output_tokens > 1) {
    m.tpot_ms = (*m.e2e_ms - *m.ttft_ms) / static_cast<double>(m.output_tokens - 1);
  }
  for (std::size_t i = 1; i < t.token_events.size(); ++i)
    m.itl_ms.push_back(ms(t.token_events[i] - t.token_events[i - 1]));
  // A reply of one token has no TPOT and passes a TPOT objective, as in vLLM's goodput.
  m.meets_slos = (!slos.ttft_ms || (m.ttft_ms && *m.ttft_ms <= *slos.ttft_ms)) &&
                 (!slos.tpot_ms || !m.tpot_ms || *m.tpot_ms <= *slos.tpot_ms) &&
                 (!slos.e2e_ms || *m.e2e_ms <= *slos.e2e_ms);
  return m;
}

std::string describe_failures(std::span<const RequestRecord> records) {
  std::map<std::string, std::size_t> by_kind;
  const models::Completion* first = nullptr;
  for (const auto& r : records) {
    if (r.completion.ok()) continue;
    ++by_kind[std::string(models::to_string(r.completion.error))];
    if (first == nullptr) first = &r.completion;
  }
  if (first == nullptr) return "";
  std::vector<std::string> kinds;
  for (const auto& [kind, n] : by_kind)
    kinds.push_back(fmt::format("{} {}", n, kind));
  std::string message = first->error_message.empty() ? "(no message)" : first->error_message;
  constexpr std::size_t kMaxMessage = 300;
  if (message.size() > kMaxMessage) {
    std::size_t cut = kMaxMessage;
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xC0) == 0x80)
      --cut;  // not inside a UTF-8 sequence
    message = message.substr(0, cut) + "…";
  }
  return fmt::format("{}; first: {}", fmt::join(kinds, ", "), message);
}

std::vector<RequestMetrics> level_metrics(std::span<const RequestRecord> records,
                                          const reports::PerfSlos& slos) {
  std::vector<RequestMetrics> metrics;
  metrics.reserve(records.size());
  for (const auto& r : records)
    metrics.push_back(request_metrics(r, slos));
  return metrics;
}

void add_request_figures(reports::PerfLevel& L, std::span<const RequestRecord> records,
                         std::span<const RequestMetrics> metrics, const reports::PerfSlos& slos) {
  L.requests = records.size();
  std::vector<double> ttft, tpot, itl, e2e, delay;
  std::size_t good = 0;
  std::size_t from_usage = 0;
  std::int64_t good_output_tokens = 0;
  std::size_t good_images = 0;
  Nanos last_end{0};
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    const auto& m = metrics[i];
    last_end = std::max(last_end, r.end);
    delay.push_back(m.send_delay_ms);
    if (m.ok) {
      ++L.completed;
      L.prompt_tokens += m.prompt_tokens;
      L.output_tokens += m.output_tokens;
      L.images += r.images;
      if (m.tokens_from_usage) ++from_usage;
      if (m.ttft_ms) ttft.push_back(*m.ttft_ms);
      if (m.tpot_ms) tpot.push_back(*m.tpot_ms);
      if (m.e2e_ms) e2e.push_back(*m.e2e_ms);
      itl.insert(itl.end(), m.itl_ms.begin(), m.itl_ms.end());
      if (m.meets_slos) {
        ++good;
        good_output_tokens += m.output_tokens;
        good_images += r.images;
      }
    } else {
      ++L.failed;
      ++L.failures_by_kind[std::string(models::to_string(r.completion.error))];
    }
  }
  L.token_source = from_usage == L.completed ? "usage" : from_usage == 0 ? "token_events" : "mixed";
  L.duration_s = to_seconds(last_end);
  if (L.duration_s > 0) {
    const double d = L.duration_s;
    L.request_throughput = static_cast<double>(L.completed) / d;
    L.image_throughput = static_cast<double>(L.images) / d;
    L.output_throughput = static_cast<double>(L.output_tokens) / d;
    L.total_token_throughput = static_cast<double>(L.prompt_tokens + L.output_tokens) / d;
    L.goodput = static_cast<double>(good) / d;
    L.good_output_throughput = static_cast<double>(good_output_tokens) / d;
    L.good_image_throughput = static_cast<double>(good_images) / d;
  }
  const bool any_slo = slos.ttft_ms || slos.tpot_ms || slos.e2e_ms;
  if (any_slo && L.requests > 0) {
    L.slo_attainment = static_cast<double>(good) / static_cast<double>(L.requests);
    L.meets_slos = *L.slo_attainment >= slos.attainment;
  }
  L.ttft_ms = summarize(std::move(ttft));
  L.tpot_ms = summarize(std::move(tpot));
  L.itl_ms = summarize(std::move(itl));
  L.e2e_ms = summarize(std::move(e2e));
  L.send_delay_ms = summarize(std::move(delay));
}

void check_size_and_failures(reports::PerfLevel& L, std::span<const RequestRecord> records,
                             const reports::PerfValidity& validity) {
  auto& why = L.invalid_reasons;
  if (L.duration_s < validity.min_duration_s) {
    why.push_back(fmt::format("ran {:.3g} s, less than the minimum duration {:g} s", L.duration_s,
                              validity.min_duration_s));
  }
  if (L.requests < validity.min_requests) {
    why.push_back(
        fmt::format("{} requests, fewer than the minimum {}", L.requests, validity.min_requests));
  }
  if (L.requests > 0 && static_cast<double>(L.failed) >
                            validity.max_failed_fraction * static_cast<double>(L.requests)) {
    why.push_back(fmt::format("{} of {} requests failed (at most {:g}% allowed): {}", L.failed,
                              L.requests, 100 * validity.max_failed_fraction,
                              describe_failures(records)));
  }
  if (L.completed == 0) why.push_back("no request completed");
}

void check_arrival_rate(reports::PerfLevel& L, const LevelSpec& spec,
                        std::span<const RequestRecord> records,
                        const reports::PerfValidity& validity) {
  if (spec.scenario != "rate" || records.size() < 2) return;
  Nanos first_sent = Nanos::max();
  Nanos last_sent{0};
  for (const auto& r : records) {
    first_sent = std::min(first_sent, r.sent);
    last_sent = std::max(last_sent, r.sent);
  }
  const double span = to_seconds(last_sent - first_sent);
  if (!(span > 0)) return;
  L.achieved_rate = static_cast<double>(records.size() - 1) / span;
  if (!spec.request_rate) return;
  const double err = std::abs(*L.achieved_rate - *spec.request_rate) / *spec.request_rate;
  if (err > validity.max_rate_error) {
    L.invalid_reasons.push_back(fmt::format(
        "achieved arrival rate {:.4g}/s is {:.1f}% off the target {:.4g}/s (at most {:g}%)",
        *L.achieved_rate, 100 * err, *spec.request_rate, 100 * validity.max_rate_error));
  }
}

void check_steady_state(reports::PerfLevel& L, const LevelSpec& spec,
                        std::span<const RequestRecord> records,
                        std::span<const RequestMetrics> metrics,
                        const reports::PerfValidity& validity) {
  if (spec.scenario == "offline" || validity.windows <= 1 || records.empty()) return;
  auto& why = L.invalid_reasons;
  Nanos last_sent{0};
  Nanos first_end = Nanos::max();
  for (const auto& r : records) {
    last_sent = std::max(last_sent, r.sent);
    first_end = std::min(first_end, r.end);
  }
  const Nanos a = first_end;
  const Nanos b = last_sent;
  if (b <= a) {
    why.push_back(
        "the load period is shorter than one request's latency: steady state cannot be checked");
    return;
  }
  const auto k = static_cast<std::int64_t>(validity.windows);
  const Nanos width = (b - a) / k;
  std::vector<std::vector<double>> e2e_by_window(validity.windows);
  L.windows.resize(validity.windows);
  for (std::size_t w = 0; w < validity.windows; ++w) {
    L.windows[w].start_s = to_seconds(a + width * static_cast<std::int64_t>(w));
    L.windows[w].end_s = to_seconds(a + width * static_cast<std::int64_t>(w + 1));
  }
  auto window_of = [&](Nanos t) -> std::optional<std::size_t> {
    if (t < a || t > b) return std::nullopt;
    return std::min<std::size_t>(validity.windows - 1, static_cast<std::size_t>((t - a) / width));
  };
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (const auto w = window_of(records[i].sent)) {
      ++L.windows[*w].sent;
      if (metrics[i].e2e_ms) e2e_by_window[*w].push_back(*metrics[i].e2e_ms);
    }
    if (metrics[i].ok) {
      if (const auto w = window_of(records[i].end)) ++L.windows[*w].completed;
    }
  }
  std::vector<double> medians, rates;
  bool judged = true;
  for (std::size_t w = 0; w < validity.windows; ++w) {
    auto& win = L.windows[w];
    win.request_throughput = static_cast<double>(win.completed) / (win.end_s - win.start_s);
    rates.push_back(win.request_throughput);
    if (e2e_by_window[w].empty()) {
      judged = false;
    } else {
      win.median_e2e_ms = median(e2e_by_window[w]);
      medians.push_back(*win.median_e2e_ms);
    }
  }
  if (!judged) {
    why.push_back("a steady-state window holds no completed request; run longer");
    return;
  }
  const double dev = max_relative_deviation(medians);
  if (dev > validity.stability) {
    why.push_back(fmt::format(
        "not steady: the median E2E of a window is {:.0f}% off the windows' mean (at most {:g}%)",
        100 * dev, 100 * validity.stability));
  }
  if (spec.scenario == "concurrency") {
    const double rdev = max_relative_deviation(rates);
    if (rdev > validity.stability) {
      why.push_back(fmt::format(
          "not steady: the throughput of a window is {:.0f}% off the windows' mean (at most {:g}%)",
          100 * rdev, 100 * validity.stability));
    }
  }
}

reports::PerfLevel compute_level(const LevelSpec& spec, std::span<const RequestRecord> records,
                                 const reports::PerfSlos& slos,
                                 const reports::PerfValidity& validity) {
  reports::PerfLevel L;
  L.scenario = spec.scenario;
  L.request_rate = spec.request_rate;
  L.concurrency = spec.concurrency;
  const auto metrics = level_metrics(records, slos);
  add_request_figures(L, records, metrics, slos);
  // Validity: MLPerf LoadGen's minimum duration and query count, plus failures, the arrival rate
  // the generator achieved, and a steady-state check across windows; every reason is kept.
  check_size_and_failures(L, records, validity);
  check_arrival_rate(L, spec, records, validity);
  check_steady_state(L, spec, records, metrics, validity);
  L.valid = L.invalid_reasons.empty();
  return L;
}

std::optional<std::array<double, 2>> quantile_interval(std::span<const double> sorted, double p) {
  const std::size_t n = sorted.size();
  if (n < 2) return std::nullopt;
  const double q = p / 100.0;
  // B, the number of values below the quantile, is Binomial(n, q); [x(r), x(s)] covers the
  // quantile with probability P(r <= B <= s - 1). r: the largest rank with P(B <= r - 1) <= 2.5 %,
  // s: the smallest with P(B <= s - 1) >= 97.5 %; ranks past the sample are clamped to it.
  std::size_t r = 0;
  std::optional<std::size_t> s;
  double cdf = 0.0;
  const double log_q = std::log(q);
  const double log_not_q = std::log1p(-q);
  const double log_n_factorial = std::lgamma(static_cast<double>(n) + 1.0);
  for (std::size_t i = 0; i <= n && !s; ++i) {
    const auto k = static_cast<double>(i);
    cdf += std::exp(log_n_factorial - std::lgamma(k + 1.0) -
                    std::lgamma(static_cast<double>(n) - k + 1.0) + k * log_q +
                    (static_cast<double>(n) - k) * log_not_q);  // now P(B <= i)
    if (cdf <= 0.025) r = i + 1;
    if (cdf >= 0.975) s = i + 1;
  }
  const auto at = [&](std::size_t rank) { return sorted[std::clamp<std::size_t>(rank, 1, n) - 1]; };
  return std::array<double, 2>{at(r), at(s.value_or(n))};
}

void add_objectives(reports::PerfLevel& L, const std::string& label,
                    std::span<const RequestRecord> records) {
  L.objectives.clear();
  // The same latencies compute_level summarised, sorted, for the percentiles' intervals.
  std::vector<double> ttft, tpot, e2e;
  for (const auto& r : records) {
    const auto m = request_metrics(r, reports::PerfSlos{});
    if (!m.ok) continue;
    if (m.ttft_ms) ttft.push_back(*m.ttft_ms);
    if (m.tpot_ms) tpot.push_back(*m.tpot_ms);
    if (m.e2e_ms) e2e.push_back(*m.e2e_ms);
  }
  for (auto* v : {&ttft, &tpot, &e2e})
    std::sort(v->begin(), v->end());
  const auto seconds = [](std::optional<std::array<double, 2>> ms) {
    if (ms) *ms = {(*ms)[0] / 1e3, (*ms)[1] / 1e3};
    return ms;
  };
  const std::tuple<const char*, const reports::LatencyStats*, const std::vector<double>*>
      latencies[] = {
          {"ttft", &L.ttft_ms, &ttft}, {"tpot", &L.tpot_ms, &tpot}, {"e2e", &L.e2e_ms, &e2e}};
  for (const auto& [name, st, values] : latencies) {
    if (st->p50) {
      L.objectives.push_back({fmt::format("{}: {} p50", label, name), *st->p50 / 1e3, Unit::seconds,
                              false, seconds(quantile_interval(*values, 50))});
    }
    if (st->p99) {
      L.objectives.push_back({fmt::format("{}: {} p99", label, name), *st->p99 / 1e3, Unit::seconds,
                              false, seconds(quantile_interval(*values, 99))});
    }
  }
  // Throughput noise: the relative standard error of the windows' mean request rate, applied to
  // every rate of the level (its tokens and good requests arrive with its requests).
  std::optional<double> relative_half_width;
  if (L.windows.size() >= 2) {
    double sum = 0;
    for (const auto& w : L.windows)
      sum += w.request_throughput;
    const auto k = static_cast<double>(L.windows.size());
    const double mean = sum / k;
    double squares = 0;
    for (const auto& w : L.windows)
      squares += (w.request_throughput - mean) * (w.request_throughput - mean);
    if (mean > 0) relative_half_width = 1.96 * std::sqrt(squares / (k - 1)) / std::sqrt(k) / mean;
  }
  const auto rate = [&](const std::string& what, double value) {
    MetricValue v{fmt::format("{}: {}", label, what), value, Unit::items_per_second, true};
    if (relative_half_width) {
      v.ci95 = std::array<double, 2>{value * (1 - *relative_half_width),
                                     value * (1 + *relative_half_width)};
    }
    L.objectives.push_back(std::move(v));
  };
  rate("request throughput", L.request_throughput);
  rate("output token throughput", L.output_throughput);
  rate("goodput", L.goodput);
}

reports::PerfCost compute_cost(const reports::PerfLevel& level, const CostInputs& in) {
  reports::PerfCost c;
  c.gpu = in.gpu;
  c.gpu_count = in.gpu_count;
  c.usd_per_gpu_hour = in.usd_per_gpu_hour;
  c.price_source = in.price_source;
  c.usd_per_day = cost::usd_per_day(in.usd_per_gpu_hour, static_cast<double>(in.gpu_count));
  c.usd_per_1m_output_tokens =
      cost::usd_per_1m_output_tokens(c.usd_per_day, level.output_throughput);
  c.usd_per_1k_images = cost::usd_per_1k_images(c.usd_per_day, level.image_throughput);
  c.usd_per_1k_requests = cost::usd_per_1k_requests(c.usd_per_day, level.request_throughput);
  c.usd_per_1m_good_output_tokens =
      cost::usd_per_1m_output_tokens(c.usd_per_day, level.good_output_throughput);
  c.usd_per_1k_good_images = cost::usd_per_1k_images(c.usd_per_day, level.good_image_throughput);
  c.usd_per_1k_good_requests = cost::usd_per_1k_requests(c.usd_per_day, level.goodput);
  c.power_w = in.power_w;
  c.power_source = in.power_source;
  // Measured power (--nvml) replaces --power-w and the TDP: the mean over the GPUs NVML saw.
  if (level.gpu_telemetry && level.gpu_telemetry->available) {
    double sum = 0;
    std::size_t n = 0;
    for (const auto& g : level.gpu_telemetry->gpus) {
      if (!g.power_w_mean) continue;
      sum += *g.power_w_mean;
      ++n;
    }
    if (n > 0) {
      c.power_w = sum / static_cast<double>(n);
      c.power_source = fmt::format("nvml (measured: mean over the level of {} GPU(s))", n);
    }
  }
  if (c.power_w) c.kwh_per_day = *c.power_w * static_cast<double>(in.gpu_count) * 24.0 / 1000.0;
  return c;
}

reports::PerfTokenCost compute_token_cost(const reports::PerfLevel& level,
                                          const TokenPrices& prices) {
  reports::PerfTokenCost c;
  c.price_model = prices.price_model;
  c.prices_as_of = prices.as_of;
  c.usd_per_1m_input_tokens = prices.usd_per_1m_input_tokens;
  c.usd_per_1m_output_tokens_rate = prices.usd_per_1m_output_tokens;
  c.usd = cost::token_price_usd(prices.usd_per_1m_input_tokens, prices.usd_per_1m_output_tokens,
                                level.prompt_tokens, level.output_tokens);
  c.usd_per_1m_output_tokens = cost::usd_per(c.usd, static_cast<double>(level.output_tokens), 1e6);
  c.usd_per_1k_images = cost::usd_per(c.usd, static_cast<double>(level.images), 1e3);
  c.usd_per_1k_requests = cost::usd_per(c.usd, static_cast<double>(level.completed), 1e3);
  // Good requests from the goodput rate: the level keeps rates, not the count.
  c.usd_per_1k_good_requests =
      cost::usd_per(c.usd, std::round(level.goodput * level.duration_s), 1e3);
  if (level.duration_s > 0 && level.completed > 0) {
    c.usd_per_day = c.usd / level.duration_s * cost::kSecondsPerDay;
  }
  if (level.completed > 0 && level.token_source != "usage") {
    c.note = level.token_source == "mixed"
                 ? "some replies had no usage: their prompt tokens are missing and output tokens "
                   "are counted from token events"
                 : "the server reported no usage: prompt tokens are missing and output tokens are "
                   "counted from token events";
  }
  return c;
}

nlohmann::json request_json(const RequestRecord& r, const RequestMetrics& m, std::size_t level,
                            bool warmup) {
  const auto& t = r.completion.timings;
  std::vector<double> tokens;
  tokens.reserve(t.token_events.size());
  for (const auto e : t.token_events)
    tokens.push_back(ms(e));
  auto opt = [](const std::optional<double>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {
      {"level", level},
      {"phase", warmup ? "warmup" : "measure"},
      {"index", r.index},
      {"scheduled_ms", ms(r.scheduled)},
      {"sent_ms", ms(r.sent)},
      {"first_token_ms", t.first_token ? nlohmann::json(ms(*t.first_token)) : nullptr},
      {"token_ms", tokens},
      {"end_ms", ms(r.end)},
      {"ttft_ms", opt(m.ttft_ms)},
      {"tpot_ms", opt(m.tpot_ms)},
      {"e2e_ms", opt(m.e2e_ms)},
      {"send_delay_ms", m.send_delay_ms},
      {"prompt_tokens", m.prompt_tokens},
      {"output_tokens", m.output_tokens},
      {"tokens_from_usage", m.tokens_from_usage},
      {"images", r.images},
      {"meets_slos", m.meets_slos},
      {"outcome", r.completion.ok() ? "ok" : std::string(models::to_string(r.completion.error))},
      {"error", r.completion.error_message}};
}

}  // namespace lmmbench::harness::perf
