// The pure parts of `lmmbench perf`: percentiles, summaries, arrival schedules, per-level figures,
// validity and cost.
#include <cmath>
#include <fstream>
#include <map>
#include <numeric>
#include <span>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "harness/perf/metrics.hpp"
#include "harness/perf/schedule.hpp"
#include "harness/perf/stats.hpp"

namespace lmmbench::harness::perf {
namespace {

using std::chrono::milliseconds;

TEST(PerfStats, SummaryHasMomentsPercentilesAndHistogram) {
  std::vector<double> v;
  for (int i = 1000; i >= 1; --i)
    v.push_back(i);  // unsorted input
  const auto s = summarize(v, 10);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_DOUBLE_EQ(*s.mean, 500.5);
  EXPECT_NEAR(*s.std, std::sqrt((1000.0 * 1000.0 - 1) / 12), 1e-9);  // population std of 1..n
  EXPECT_DOUBLE_EQ(*s.p50, 500.5);
  EXPECT_DOUBLE_EQ(*s.p99, 990.01);
  EXPECT_DOUBLE_EQ(*s.p999, 999.001);
  EXPECT_DOUBLE_EQ(*s.min, 1);
  EXPECT_DOUBLE_EQ(*s.max, 1000);
  ASSERT_EQ(s.histogram.size(), 10u);
  EXPECT_EQ(std::accumulate(s.histogram.begin(), s.histogram.end(), std::size_t{0}), 1000u);
  const auto empty = summarize({});
  EXPECT_EQ(empty.count, 0u);
  EXPECT_FALSE(empty.mean.has_value());
  EXPECT_FALSE(empty.p99.has_value());
}

TEST(PerfSchedule, PoissonIsSeededScaledAndExponential) {
  ArrivalOptions o;
  o.rate = 50;
  o.seed = 7;
  const auto a = arrival_times(o, 5001);
  EXPECT_EQ(a, arrival_times(o, 5001));  // same seed, same schedule
  o.seed = 8;
  EXPECT_NE(a, arrival_times(o, 5001));
  EXPECT_EQ(a.front(), Nanos{0});
  // Scaled so that the realised rate is the target: (n - 1) / rate seconds in all.
  EXPECT_NEAR(to_seconds(a.back()), 100.0, 1e-6);
  std::vector<double> gaps;
  for (std::size_t i = 1; i < a.size(); ++i) {
    ASSERT_GE(a[i], a[i - 1]);
    gaps.push_back(to_seconds(a[i] - a[i - 1]));
  }
  const auto s = summarize(gaps);
  EXPECT_NEAR(*s.std / *s.mean, 1.0, 0.05);  // exponential gaps: coefficient of variation 1
  EXPECT_NEAR(*s.p50 / *s.mean, std::log(2.0), 0.05);
}

TEST(PerfSchedule, GammaBurstinessSetsTheCoefficientOfVariation) {
  for (const double k : {0.25, 4.0}) {
    ArrivalOptions o;
    o.process = ArrivalProcess::gamma;
    o.rate = 10;
    o.burstiness = k;
    o.seed = 3;
    const auto a = arrival_times(o, 20001);
    std::vector<double> gaps;
    for (std::size_t i = 1; i < a.size(); ++i)
      gaps.push_back(to_seconds(a[i] - a[i - 1]));
    const auto s = summarize(gaps);
    EXPECT_NEAR(*s.mean, 0.1, 1e-6) << k;
    EXPECT_NEAR(*s.std / *s.mean, 1 / std::sqrt(k), 0.06 / std::sqrt(k)) << k;
  }
}

TEST(PerfSchedule, ConstantAndTrace) {
  ArrivalOptions o;
  o.process = ArrivalProcess::constant;
  o.rate = 4;
  const auto c = arrival_times(o, 3);
  EXPECT_EQ(c, (std::vector<Nanos>{Nanos{0}, milliseconds(250), milliseconds(500)}));

  const auto path = std::filesystem::temp_directory_path() / "lmmbench-perf-trace.txt";
  std::ofstream(path) << "# replay\n100.5\n100.75  # second\n\n101.5\n";
  o.process = ArrivalProcess::trace;
  o.trace_s = read_trace(path);
  EXPECT_EQ(arrival_times(o, 3),
            (std::vector<Nanos>{Nanos{0}, milliseconds(250), milliseconds(1000)}));
  EXPECT_THROW((void)arrival_times(o, 4), InputError);
  std::ofstream(path) << "1\n0.5\n";
  try {
    (void)read_trace(path);
    FAIL() << "a decreasing trace was accepted";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().line, 2u);
    EXPECT_NE(std::string(e.what()).find("earlier"), std::string::npos) << e.what();
  }
  std::ofstream(path) << "1\nsoon\n";
  EXPECT_THROW((void)read_trace(path), InputError);
  std::filesystem::remove(path);
}

/// A streamed request: sent at `sent_ms`, first token after `ttft_ms`, then `tokens - 1` more
/// every `itl_ms`; usage reports `tokens`.
RequestRecord streamed(double scheduled_ms, double sent_ms, double ttft_ms, double itl_ms,
                       int tokens) {
  auto at = [](double ms) {
    return std::chrono::duration_cast<Nanos>(std::chrono::duration<double, std::milli>(ms));
  };
  RequestRecord r;
  r.scheduled = at(scheduled_ms);
  r.sent = at(sent_ms);
  r.images = 1;
  auto& t = r.completion.timings;
  for (int i = 0; i < tokens; ++i)
    t.token_events.push_back(at(sent_ms + ttft_ms + i * itl_ms));
  t.first_token = t.token_events.front();
  r.end = t.token_events.back() + at(0.1);
  t.submitted = r.sent;
  t.finished = r.end;
  r.completion.usage.prompt_tokens = 600;
  r.completion.usage.completion_tokens = tokens;
  return r;
}

TEST(PerfMetrics, PerRequestDefinitions) {
  reports::PerfSlos slos;
  slos.ttft_ms = 60;
  slos.tpot_ms = 12;
  const auto m = request_metrics(streamed(100, 101, 50, 10, 11), slos);
  ASSERT_TRUE(m.ok);
  EXPECT_NEAR(*m.ttft_ms, 50, 1e-6);
  EXPECT_NEAR(*m.e2e_ms, 150, 1e-6);  // the last token event, not the end of the body
  EXPECT_NEAR(*m.tpot_ms, 10, 1e-6);
  EXPECT_NEAR(m.send_delay_ms, 1, 1e-6);
  ASSERT_EQ(m.itl_ms.size(), 10u);
  EXPECT_NEAR(m.itl_ms[3], 10, 1e-6);
  EXPECT_TRUE(m.meets_slos);
  EXPECT_TRUE(m.tokens_from_usage);
  slos.tpot_ms = 9;
  EXPECT_FALSE(request_metrics(streamed(0, 0, 50, 10, 11), slos).meets_slos);
  // One token: no TPOT, and a TPOT objective does not fail it.
  const auto one = request_metrics(streamed(0, 0, 50, 10, 1), slos);
  EXPECT_FALSE(one.tpot_ms.has_value());
  EXPECT_TRUE(one.meets_slos);
  // No usage: output tokens are the token events.
  auto no_usage = streamed(0, 0, 50, 10, 5);
  no_usage.completion.usage = {};
  const auto counted = request_metrics(no_usage, {});
  EXPECT_EQ(counted.output_tokens, 5);
  EXPECT_FALSE(counted.tokens_from_usage);
}

TEST(PerfMetrics, LevelThroughputGoodputAndValidity) {
  // 100 requests sent every 20 ms (50/s); every 10th breaks the TTFT objective; one fails.
  std::vector<RequestRecord> records;
  for (int i = 0; i < 100; ++i) {
    const double t = 20.0 * i;
    records.push_back(streamed(t, t + 0.2, i % 10 == 0 ? 300 : 40, 5, 9));
    records.back().index = static_cast<std::size_t>(i);
  }
  records[51].completion = models::Completion::failure(models::ErrorKind::timeout, "timeout");
  records[51].completion.timings.submitted = records[51].sent;
  records[51].end = records[51].sent;
  reports::PerfSlos slos;
  slos.ttft_ms = 100;
  reports::PerfValidity validity;
  validity.min_requests = 50;
  validity.max_failed_fraction = 0.05;
  validity.stability = 0.5;
  const auto L = compute_level({"rate", 50.0, std::nullopt}, records, slos, validity);
  EXPECT_EQ(L.requests, 100u);
  EXPECT_EQ(L.completed, 99u);
  EXPECT_EQ(L.failed, 1u);
  EXPECT_EQ(L.failures_by_kind.at("timeout"), 1u);
  // Duration: from the level's start to the last end (slow request 90, sent at 1800.2 ms).
  const double d = (1800 + 0.2 + 300 + 8 * 5 + 0.1) / 1000;
  EXPECT_NEAR(L.duration_s, d, 1e-8);  // stamps are whole nanoseconds
  EXPECT_NEAR(L.request_throughput, 99 / d, 1e-6);
  EXPECT_NEAR(L.output_throughput, 99 * 9 / d, 1e-5);
  EXPECT_NEAR(L.total_token_throughput, 99 * (600 + 9) / d, 1e-3);
  EXPECT_NEAR(L.image_throughput, 99 / d, 1e-6);
  EXPECT_NEAR(L.goodput, 89 / d, 1e-6);  // 10 slow first tokens, 1 failure
  EXPECT_NEAR(*L.slo_attainment, 0.89, 1e-12);
  EXPECT_FALSE(L.meets_slos);  // below the default 90 % attainment
  EXPECT_NEAR(*L.achieved_rate, 50, 1e-6);
  EXPECT_EQ(L.token_source, "usage");
  EXPECT_EQ(L.ttft_ms.count, 99u);
  EXPECT_NEAR(*L.tpot_ms.p50, 5, 1e-6);
  EXPECT_EQ(L.itl_ms.count, 99u * 8);
  EXPECT_NEAR(*L.send_delay_ms.p99, 0.2, 1e-6);
  EXPECT_EQ(L.windows.size(), 3u);
  EXPECT_TRUE(L.valid) << (L.invalid_reasons.empty() ? "" : L.invalid_reasons.front());

  // The same level judged by stricter rules: every reason is given.
  validity.min_duration_s = 10;
  validity.min_requests = 1000;
  validity.max_failed_fraction = 0;
  validity.max_rate_error = 0.01;
  const auto strict = compute_level({"rate", 40.0, std::nullopt}, records, slos, validity);
  EXPECT_FALSE(strict.valid);
  ASSERT_EQ(strict.invalid_reasons.size(), 4u);
  EXPECT_NE(strict.invalid_reasons[0].find("minimum duration"), std::string::npos);
  EXPECT_NE(strict.invalid_reasons[1].find("fewer than the minimum 1000"), std::string::npos);
  EXPECT_NE(strict.invalid_reasons[2].find("1 of 100 requests failed"), std::string::npos);
  EXPECT_NE(strict.invalid_reasons[3].find("achieved arrival rate"), std::string::npos);
}

TEST(PerfMetrics, GrowingLatencyIsNotSteady) {
  // An overloaded server: every request waits longer than the one before.
  std::vector<RequestRecord> records;
  for (int i = 0; i < 90; ++i)
    records.push_back(streamed(10.0 * i, 10.0 * i, 20 + 5.0 * i, 1, 2));
  reports::PerfValidity validity;
  const auto L = compute_level({"rate", 100.0, std::nullopt}, records, {}, validity);
  EXPECT_FALSE(L.valid);
  bool found = false;
  for (const auto& why : L.invalid_reasons)
    found = found || why.find("not steady") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST(PerfCost, DailyAndUnitCosts) {
  reports::PerfLevel L;
  L.request_throughput = 10;
  L.image_throughput = 10;
  L.output_throughput = 1000;
  L.goodput = 5;
  L.good_output_throughput = 500;
  L.good_image_throughput = 5;
  CostInputs in;
  in.gpu = "a100-80gb";
  in.gpu_count = 2;
  in.usd_per_gpu_hour = 1.5;
  in.power_w = 400;
  const auto c = compute_cost(L, in);
  EXPECT_DOUBLE_EQ(c.usd_per_day, 72);
  EXPECT_NEAR(*c.usd_per_1m_output_tokens, 72 / (1000 * 86400.0) * 1e6, 1e-12);  // $0.8333
  EXPECT_NEAR(*c.usd_per_1k_images, 72 / (10 * 86400.0) * 1e3, 1e-12);
  EXPECT_NEAR(*c.usd_per_1m_good_output_tokens, 2 * *c.usd_per_1m_output_tokens, 1e-12);
  EXPECT_NEAR(*c.usd_per_1k_good_requests, 2 * *c.usd_per_1k_requests, 1e-12);
  EXPECT_DOUBLE_EQ(*c.kwh_per_day, 19.2);
  L.image_throughput = 0;
  EXPECT_FALSE(compute_cost(L, in).usd_per_1k_images.has_value());
}

TEST(PerfCost, TokenPricesPriceTheMeasuredTokens) {
  reports::PerfLevel L;
  L.completed = 100;
  L.prompt_tokens = 100 * 600;  // an image and a prompt
  L.output_tokens = 100 * 128;
  L.images = 100;
  L.duration_s = 50;
  L.goodput = 1.6;  // 80 of the 100 met the SLOs
  L.token_source = "usage";
  const TokenPrices gpt4o{"gpt-4o", "2025-06-01", 2.5, 10};
  const auto c = compute_token_cost(L, gpt4o);
  const double usd = 60000 * 2.5 / 1e6 + 12800 * 10 / 1e6;  // $0.15 + $0.128
  EXPECT_DOUBLE_EQ(c.usd, usd);
  EXPECT_EQ(c.price_model, "gpt-4o");
  EXPECT_EQ(c.prices_as_of, "2025-06-01");
  EXPECT_DOUBLE_EQ(c.usd_per_1m_input_tokens, 2.5);
  EXPECT_DOUBLE_EQ(c.usd_per_1m_output_tokens_rate, 10);
  EXPECT_NEAR(*c.usd_per_1m_output_tokens, usd / 12800 * 1e6, 1e-9);  // $21.72: input included
  EXPECT_NEAR(*c.usd_per_1k_requests, usd * 10, 1e-12);
  EXPECT_NEAR(*c.usd_per_1k_images, usd * 10, 1e-12);
  EXPECT_NEAR(*c.usd_per_1k_good_requests, usd / 80 * 1e3, 1e-12);
  EXPECT_NEAR(*c.usd_per_day, usd / 50 * 86400, 1e-9);
  EXPECT_TRUE(c.note.empty());
  // Nothing served: null, never $0; tokens counted from token events are flagged.
  reports::PerfLevel none;
  const auto z = compute_token_cost(none, gpt4o);
  EXPECT_EQ(z.usd, 0);
  EXPECT_FALSE(z.usd_per_1m_output_tokens || z.usd_per_1k_requests || z.usd_per_1k_images ||
               z.usd_per_1k_good_requests || z.usd_per_day);
  L.token_source = "token_events";
  EXPECT_NE(compute_token_cost(L, gpt4o).note.find("no usage"), std::string::npos);
  // The record keeps it.
  L.token_cost = compute_token_cost(L, gpt4o);
  const nlohmann::json j = L;
  EXPECT_DOUBLE_EQ(j["token_cost"]["usd"].get<double>(), usd);
  EXPECT_EQ(nlohmann::json(j.get<reports::PerfLevel>()), j);
}

TEST(PerfSection, RoundTripsThroughJson) {
  reports::PerfSection s;
  s.scenario = "sweep";
  reports::PerfLevel L;
  L.scenario = "rate";
  L.request_rate = 4;
  L.ttft_ms = summarize({1, 2, 3});
  add_objectives(L, "rate 4/s");
  s.levels.push_back(L);
  s.best_level = 0;
  const nlohmann::json j = s;
  EXPECT_EQ(j["levels"][0]["ttft_ms"]["p99.9"], 2.998);
  EXPECT_EQ(j["levels"][0]["tpot_ms"]["p50"], nullptr);
  const auto back = j.get<reports::PerfSection>();
  EXPECT_EQ(nlohmann::json(back), j);
  const auto summary = reports::perf_level_summary(L);
  for (const char* key : {"scenario", "requests", "failed", "duration_s", "request_throughput",
                          "output_throughput", "goodput", "valid"})
    EXPECT_TRUE(summary.contains(key)) << key;
  EXPECT_FALSE(summary["ttft_ms"].contains("histogram"));
  EXPECT_EQ(summary["objectives"][1]["name"], "rate 4/s: ttft p99");
}

TEST(PerfObjectives, QuantileIntervalIsTheDistributionFreeOrderStatisticInterval) {
  std::vector<double> sorted(100);
  for (std::size_t i = 0; i < sorted.size(); ++i)
    sorted[i] = static_cast<double>(i + 1);  // x(r) = r
  // Median of 100: Binomial(100, 0.5) has P(B <= 39) = 0.018 <= 2.5 % < P(B <= 40) and
  // P(B <= 59) < 97.5 % <= P(B <= 60) = 0.982: ranks 40 and 61 (Conover's table A3 agrees).
  EXPECT_EQ(quantile_interval(sorted, 50), (std::array<double, 2>{40, 61}));
  // p99: P(B <= 96) = 0.018, P(B <= 97) = 0.079: rank 97; P(B <= 99) = 1 - 0.99^100 = 0.63:
  // no upper bound inside the sample, so its largest value.
  EXPECT_EQ(quantile_interval(sorted, 99), (std::array<double, 2>{97, 100}));
  EXPECT_FALSE(quantile_interval(std::vector<double>{1.0}, 50).has_value());
}

TEST(PerfObjectives, CarryTheirNoiseWhereItCanBeEstimated) {
  std::vector<RequestRecord> records;
  for (int i = 0; i < 100; ++i)
    records.push_back(streamed(10.0 * i, 10.0 * i, 40 + i % 10, 5, 9));
  reports::PerfValidity validity;
  validity.min_requests = 1;
  auto L = compute_level({"rate", 100.0, std::nullopt}, records, {}, validity);
  ASSERT_GE(L.windows.size(), 2u);
  add_objectives(L, "rate 100/s", records);
  std::map<std::string, MetricValue> by_name;
  for (const auto& o : L.objectives)
    by_name[o.name] = o;
  const auto& ttft = by_name.at("rate 100/s: ttft p99");
  ASSERT_TRUE(ttft.ci95.has_value());
  EXPECT_LE((*ttft.ci95)[0], ttft.value);
  EXPECT_GE((*ttft.ci95)[1], ttft.value);
  EXPECT_NEAR((*ttft.ci95)[1], 0.049, 1e-6);  // the largest TTFT, 49 ms, in seconds
  const auto& rate = by_name.at("rate 100/s: request throughput");
  ASSERT_TRUE(rate.ci95.has_value());
  EXPECT_LT((*rate.ci95)[0], rate.value);
  EXPECT_GT((*rate.ci95)[1], rate.value);
  // It is written with the objective, so `compare` finds it.
  EXPECT_EQ(nlohmann::json(ttft)["ci95"].size(), 2u);
  // Without the records the percentiles carry none.
  add_objectives(L, "rate 100/s");
  EXPECT_FALSE(L.objectives.front().ci95.has_value());
}

TEST(PerfFailures, SayTheKindsAndTheFirstMessage) {
  std::vector<RequestRecord> records(4);
  EXPECT_EQ(describe_failures(records), "");
  records[1].completion = models::Completion::failure(models::ErrorKind::http, "HTTP 500: boom");
  records[2].completion = models::Completion::failure(models::ErrorKind::connection, "refused");
  records[3].completion = models::Completion::failure(models::ErrorKind::http, "HTTP 503");
  EXPECT_EQ(describe_failures(records), "1 connection, 2 http; first: HTTP 500: boom");
  records[1].completion.error_message = std::string(400, 'x');
  EXPECT_EQ(describe_failures(records).size(),
            std::string("1 connection, 2 http; first: ").size() + 300 + std::string("…").size());
}

// compute_level's steps, each alone on synthetic records.

TEST(PerfLevelSteps, RequestFiguresCountTokensFromUsageOrTokenEvents) {
  std::vector<RequestRecord> records;
  for (int i = 0; i < 4; ++i)
    records.push_back(streamed(100.0 * i, 100.0 * i, 30, 10, 5));
  records[1].completion.usage = {};  // no usage: its 5 token events are counted
  records[3].completion = models::Completion::failure(models::ErrorKind::http, "HTTP 500");
  reports::PerfLevel L;
  add_request_figures(L, records, level_metrics(records, {}), {});
  EXPECT_EQ(L.requests, 4u);
  EXPECT_EQ(L.completed, 3u);
  EXPECT_EQ(L.failed, 1u);
  EXPECT_EQ(L.failures_by_kind, (std::map<std::string, std::size_t>{{"http", 1}}));
  EXPECT_EQ(L.token_source, "mixed");
  EXPECT_EQ(L.prompt_tokens, 2 * 600);  // the reply without usage has no prompt count
  EXPECT_EQ(L.output_tokens, 3 * 5);
  EXPECT_EQ(L.images, 3u);
  EXPECT_FALSE(L.slo_attainment.has_value());  // no SLO given
  EXPECT_NEAR(L.duration_s, records[3].end.count() / 1e9, 1e-12);
  EXPECT_NEAR(L.request_throughput, 3 / L.duration_s, 1e-9);
  EXPECT_DOUBLE_EQ(L.goodput, L.request_throughput);  // without SLOs every answer is good
  EXPECT_EQ(L.e2e_ms.count, 3u);
  EXPECT_EQ(L.send_delay_ms.count, 4u);    // failed requests were sent too
  EXPECT_TRUE(L.invalid_reasons.empty());  // figures only: no verdict
}

TEST(PerfLevelSteps, SizeAndFailureReasonsComeInOrder) {
  reports::PerfLevel L;
  L.duration_s = 2;
  L.requests = 10;
  L.failed = 10;
  std::vector<RequestRecord> records(10);
  for (auto& r : records)
    r.completion = models::Completion::failure(models::ErrorKind::timeout, "slow");
  reports::PerfValidity validity;
  validity.min_duration_s = 10;
  validity.min_requests = 100;
  validity.max_failed_fraction = 0;
  check_size_and_failures(L, records, validity);
  ASSERT_EQ(L.invalid_reasons.size(), 4u);
  EXPECT_EQ(L.invalid_reasons[0], "ran 2 s, less than the minimum duration 10 s");
  EXPECT_EQ(L.invalid_reasons[1], "10 requests, fewer than the minimum 100");
  EXPECT_EQ(L.invalid_reasons[2],
            "10 of 10 requests failed (at most 0% allowed): 10 timeout; first: slow");
  EXPECT_EQ(L.invalid_reasons[3], "no request completed");
}

TEST(PerfLevelSteps, ArrivalRateIsJudgedOnlyInTheRateScenario) {
  std::vector<RequestRecord> records;
  for (int i = 0; i < 11; ++i)
    records.push_back(streamed(100.0 * i, 100.0 * i, 30, 10, 2));  // 10/s
  reports::PerfValidity validity;
  reports::PerfLevel offline;
  check_arrival_rate(offline, {"offline", std::nullopt, std::nullopt}, records, validity);
  EXPECT_FALSE(offline.achieved_rate.has_value());
  reports::PerfLevel on_target;
  check_arrival_rate(on_target, {"rate", 10.0, std::nullopt}, records, validity);
  EXPECT_NEAR(*on_target.achieved_rate, 10, 1e-9);
  EXPECT_TRUE(on_target.invalid_reasons.empty());
  reports::PerfLevel off_target;
  check_arrival_rate(off_target, {"rate", 12.0, std::nullopt}, records, validity);
  ASSERT_EQ(off_target.invalid_reasons.size(), 1u);
  EXPECT_EQ(off_target.invalid_reasons[0],
            "achieved arrival rate 10/s is 16.7% off the target 12/s (at most 2%)");
  reports::PerfLevel one;
  check_arrival_rate(one, {"rate", 10.0, std::nullopt}, std::span(records).first(1), validity);
  EXPECT_FALSE(one.achieved_rate.has_value());  // a rate needs two sends
}

TEST(PerfLevelSteps, SteadyStateWindowsSpanFirstCompletionToLastSend) {
  // Closed loop at a steady pace: a request every 100 ms, each taking 50 ms.
  std::vector<RequestRecord> records;
  for (int i = 0; i < 31; ++i)
    records.push_back(streamed(100.0 * i, 100.0 * i, 40, 10, 2));
  const auto metrics = level_metrics(records, {});
  reports::PerfValidity validity;
  reports::PerfLevel L;
  check_steady_state(L, {"concurrency", std::nullopt, 1}, records, metrics, validity);
  EXPECT_TRUE(L.invalid_reasons.empty()) << L.invalid_reasons.front();
  ASSERT_EQ(L.windows.size(), 3u);
  const double first_end = records[0].end.count() / 1e9;  // 50.1 ms
  EXPECT_NEAR(L.windows[0].start_s, first_end, 1e-9);
  EXPECT_NEAR(L.windows[2].end_s, 3.0, 1e-8);  // the last send
  std::size_t sent = 0;
  for (const auto& w : L.windows) {
    sent += w.sent;
    EXPECT_NEAR(*w.median_e2e_ms, 50, 1e-6);
  }
  EXPECT_EQ(sent, 30u);  // the first request was sent before the period began

  // The same latencies, but the last ten requests come twice as fast: the rate is not steady.
  auto bursty = records;
  for (int i = 21; i < 31; ++i) {
    const double at = 2100 + 50.0 * (i - 21);
    bursty[static_cast<std::size_t>(i)] = streamed(at, at, 40, 10, 2);
  }
  reports::PerfLevel uneven;
  check_steady_state(uneven, {"concurrency", std::nullopt, 1}, bursty, level_metrics(bursty, {}),
                     validity);
  ASSERT_FALSE(uneven.invalid_reasons.empty());
  EXPECT_NE(uneven.invalid_reasons.back().find("not steady: the throughput of a window"),
            std::string::npos)
      << uneven.invalid_reasons.back();

  // Offline has no steady state; one request cannot fill a period.
  reports::PerfLevel offline;
  check_steady_state(offline, {"offline", std::nullopt, std::nullopt}, records, metrics, validity);
  EXPECT_TRUE(offline.windows.empty());
  reports::PerfLevel single;
  check_steady_state(single, {"rate", 10.0, std::nullopt}, std::span(records).first(1),
                     std::span(metrics).first(1), validity);
  ASSERT_EQ(single.invalid_reasons.size(), 1u);
  EXPECT_NE(single.invalid_reasons[0].find("shorter than one request's latency"),
            std::string::npos);
}

}  // namespace
}  // namespace lmmbench::harness::perf
