// `lmmbench perf`'s load generator against a timed streaming server over real sockets
// (tests/http/perf_server.hpp): the server writes token events at injected times, and what the
// harness measures must match them. Each test also prints by how much the server itself missed
// its deadlines, so that a miss can be put on the right side.
// LMMBENCH_PERF_RATE_SECONDS sets the length of the arrival-rate test, LMMBENCH_PERF_P50_MS and
// LMMBENCH_PERF_P99_MS the allowed excess of the measured latencies (and of the send delay) at
// p50 and p99. The `slow` build (test_perf_slow) holds the targets: 30 s, 1 ms at p50 and
// 2 ms at p99, on a quiet 2-core machine. The default build allows 3 ms and 10 ms, because CI
// runs it on a shared machine where the scheduler's tail is the machine's, not the generator's.
#include <algorithm>
#include <chrono>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "core/json_source.hpp"
#include "harness/config.hpp"
#include "harness/perf/benchmark.hpp"
#include "harness/perf/load_generator.hpp"
#include "harness/perf/stats.hpp"
#include "harness/perf/workload.hpp"
#include "harness/registry.hpp"
#include "perf_server.hpp"

#ifndef LMMBENCH_PERF_RATE_SECONDS
#define LMMBENCH_PERF_RATE_SECONDS 6
#endif
#ifndef LMMBENCH_PERF_P50_MS
#define LMMBENCH_PERF_P50_MS 3.0
#endif
#ifndef LMMBENCH_PERF_P99_MS
#define LMMBENCH_PERF_P99_MS 10.0
#endif
// The two builds' tests need distinct CTest names.
#ifndef LMMBENCH_PERF_SUITE
#define LMMBENCH_PERF_SUITE PerfAccuracy
#endif

namespace lmmbench::harness::perf {
namespace {

using testing::PerfServer;

/// An openai backend whose replies stream with the given injected timing.
std::unique_ptr<models::Backend> backend_for(const PerfServer& server, const std::string& spec,
                                             const Clock& clock, bool usage = true) {
  const nlohmann::json doc = {{"name", "perf-test"},
                              {"backend", "openai"},
                              {"options",
                               {{"base_url", server.url() + "/perf/" + spec + "/v1"},
                                {"model", "m"},
                                {"stream", true},
                                {"stream_usage", usage}}}};
  const auto model =
      load_model_config(ConfigNode(JsonSource::from_text(doc.dump(), "perf-test.json")));
  return Registry::builtin().create_backend(model, models::BackendContext{clock, 0});
}

RequestSource text_requests() {
  return [](std::size_t n, std::uint64_t seed) {
    SyntheticWorkload w;
    w.images = 0;
    w.prompt_tokens = 16;
    w.output_tokens = 64;
    w.seed = seed;
    return synthetic_requests(w, n);
  };
}

PerfOptions rate_options(double rate, std::size_t requests) {
  PerfOptions o;
  o.scenario = "rate";
  o.request_rate = rate;
  o.requests = requests;
  o.warmup = 2;
  o.seed = 11;
  o.validity.min_requests = 1;
  return o;
}

/// How late the test server itself wrote: the median and p99 over `late_ms`, or zeros.
struct ServerLateness {
  double p50_ms = 0;
  double p99_ms = 0;
};

void expect_matches(const char* name, const reports::LatencyStats& s, double injected_ms,
                    ServerLateness server = {}) {
  ASSERT_GT(s.count, 0u) << name;
  // Never earlier than injected (the server cannot write before its deadline); at most
  // LMMBENCH_PERF_P50_MS later at the median and LMMBENCH_PERF_P99_MS at p99, beyond what the
  // server itself was late where the caller measured that (a loaded machine delays the server's
  // writes; the client cannot see them earlier than they happen).
  EXPECT_GE(*s.p50, injected_ms - 0.05) << name;
  EXPECT_LE(*s.p50, injected_ms + server.p50_ms + LMMBENCH_PERF_P50_MS) << name;
  EXPECT_LE(*s.p99, injected_ms + server.p99_ms + LMMBENCH_PERF_P99_MS) << name;
  std::cerr << fmt::format(
      "{}: injected {:.3f} ms, measured p50 {:.3f} (+{:.3f}), p99 {:.3f} "
      "(+{:.3f})\n",
      name, injected_ms, *s.p50, *s.p50 - injected_ms, *s.p99, *s.p99 - injected_ms);
}

/// How late the server wrote the last event of each measured stream (write time − deadline):
/// what it adds to every E2E latency, whatever the client does.
ServerLateness last_event_lateness(const PerfServer& server, std::size_t measured) {
  using Ms = std::chrono::duration<double, std::milli>;
  auto streams = server.streams();
  std::vector<double> late;
  for (std::size_t i = streams.size() > measured ? streams.size() - measured : 0;
       i < streams.size(); ++i) {
    if (!streams[i].written.empty())
      late.push_back(Ms(streams[i].written.back() - streams[i].due.back()).count());
  }
  if (late.empty()) return {};
  const auto l = summarize(std::move(late));
  return {std::max(0.0, *l.p50), std::max(0.0, *l.p99)};
}

/// Prints where the excess over the injected latencies arose: how late the server wrote its token
/// events (write time − deadline; the server's part) and, per request, the client's TTFT and E2E
/// minus the server's own (first and last write − the moment the request had been read), which
/// is the client's part plus the loopback trips. Requests and server streams are paired in send
/// order, so this is for loads where requests arrive in the order they are sent.
void print_breakdown(const char* test, const PerfServer& server, const PerfOutcome& out) {
  using Ms = std::chrono::duration<double, std::milli>;
  auto streams = server.streams();
  std::vector<const nlohmann::json*> measured;
  for (const auto& line : out.request_lines) {
    if (line["phase"] != "warmup") measured.push_back(&line);
  }
  if (streams.size() < measured.size() || measured.empty()) return;
  streams.erase(streams.begin(),
                streams.begin() + static_cast<std::ptrdiff_t>(streams.size() - measured.size()));
  std::stable_sort(measured.begin(), measured.end(),
                   [](const nlohmann::json* a, const nlohmann::json* b) {
                     return (*a)["sent_ms"].get<double>() < (*b)["sent_ms"].get<double>();
                   });
  std::vector<double> late, ttft_client_part, e2e_client_part;
  for (std::size_t i = 0; i < measured.size(); ++i) {
    const auto& s = streams[i];
    const auto& r = *measured[i];
    for (std::size_t k = 0; k < s.written.size(); ++k)
      late.push_back(Ms(s.written[k] - s.due[k]).count() * 1e3);
    if (s.written.empty() || !r["ttft_ms"].is_number()) continue;
    ttft_client_part.push_back(
        (r["ttft_ms"].get<double>() - Ms(s.written.front() - s.received).count()) * 1e3);
    e2e_client_part.push_back(
        (r["e2e_ms"].get<double>() - Ms(s.written.back() - s.received).count()) * 1e3);
  }
  if (late.empty() || ttft_client_part.empty()) return;
  const auto l = summarize(std::move(late));
  const auto t = summarize(std::move(ttft_client_part));
  const auto e = summarize(std::move(e2e_client_part));
  std::cerr << fmt::format(
      "{}: server late by p50 {:.0f} us, p99 {:.0f} us ({} events); client + loopback: TTFT "
      "p50 {:.0f} us, p99 {:.0f} us; E2E p50 {:.0f} us, p99 {:.0f} us\n",
      test, *l.p50, *l.p99, l.count, *t.p50, *t.p99, *e.p50, *e.p99);
}

TEST(LMMBENCH_PERF_SUITE, MeasuredLatenciesMatchInjectedDelays) {
  PerfServer server;
  const Clock clock;
  // 50 ms to the first token, then 15 more every 10 ms: TTFT 50, TPOT 10, E2E 200. Like vLLM and
  // llama.cpp, the server also sends a role-only delta (here at once, before any token) and an
  // empty delta with the finish reason: neither is a token.
  auto backend = backend_for(server, "ttft=0.05;itl=0.01;tokens=16;role=1;finish=1", clock);
  std::ostringstream log;
  const auto out = run_perf(rate_options(20, 100), *backend, clock, text_requests(), log);
  ASSERT_EQ(out.section.levels.size(), 1u) << log.str();
  const auto& L = out.section.levels.front();
  EXPECT_EQ(L.completed, 100u) << log.str();
  EXPECT_EQ(L.token_source, "usage");
  EXPECT_EQ(L.output_tokens, 1600);
  EXPECT_EQ(L.itl_ms.count, 1500u);
  expect_matches("TTFT", L.ttft_ms, 50);
  expect_matches("TPOT", L.tpot_ms, 10);
  expect_matches("E2E", L.e2e_ms, 200);
  print_breakdown("open loop", server, out);
  EXPECT_NEAR(*L.itl_ms.p50, 10, 1.0);
  // Warm-up requests are recorded in the JSONL but not measured.
  const auto warm = std::count_if(out.request_lines.begin(), out.request_lines.end(),
                                  [](const auto& j) { return j["phase"] == "warmup"; });
  EXPECT_EQ(warm, 2);
  EXPECT_EQ(out.request_lines.size(), 102u);
}

TEST(LMMBENCH_PERF_SUITE, RequestLinesAreBuiltOnlyWhenAsked) {
  PerfServer server;
  const Clock clock;
  auto backend = backend_for(server, "ttft=0;itl=0;tokens=2", clock);
  std::ostringstream log;
  auto options = rate_options(200, 5);
  options.request_lines = false;
  const auto out = run_perf(options, *backend, clock, text_requests(), log);
  ASSERT_EQ(out.section.levels.size(), 1u) << log.str();
  EXPECT_EQ(out.section.levels.front().completed, 5u) << log.str();
  EXPECT_TRUE(out.request_lines.empty());
  options.request_lines = true;
  EXPECT_EQ(run_perf(options, *backend, clock, text_requests(), log).request_lines.size(), 7u);
}

TEST(LMMBENCH_PERF_SUITE, WithoutUsageTheTokensAreTheOutputChunks) {
  PerfServer server;
  const Clock clock;
  auto backend =
      backend_for(server, "ttft=0.02;itl=0.005;tokens=8;role=1;finish=1", clock, /*usage=*/false);
  auto options = rate_options(20, 20);
  options.warmup = 0;
  std::ostringstream log;
  const auto out = run_perf(options, *backend, clock, text_requests(), log);
  const auto& L = out.section.levels.front();
  ASSERT_EQ(L.completed, 20u) << log.str();
  EXPECT_EQ(L.token_source, "token_events");
  EXPECT_EQ(L.output_tokens, 160);  // not 180 or 200: the role and finish chunks carry no token
  EXPECT_EQ(L.itl_ms.count, 140u);
  for (const auto& line : out.request_lines) {
    EXPECT_EQ(line["token_ms"].size(), 8u);
    EXPECT_FALSE(line["tokens_from_usage"].get<bool>());
  }
  EXPECT_GE(*L.ttft_ms.p50, 20.0 - 0.05);  // the role chunk came at once; the first token did not
  EXPECT_NEAR(*L.tpot_ms.p50, 5.0, 0.5);
}

TEST(LMMBENCH_PERF_SUITE, AchievedArrivalRateMatchesTheTarget) {
  PerfServer server;
  const Clock clock;
  auto backend = backend_for(server, "ttft=0.005;itl=0.002;tokens=4", clock);
  const double rate = 50;
  const double seconds = LMMBENCH_PERF_RATE_SECONDS;
  std::ostringstream log;
  const auto out = run_perf(rate_options(rate, static_cast<std::size_t>(rate * seconds) + 1),
                            *backend, clock, text_requests(), log);
  const auto& L = out.section.levels.front();
  ASSERT_TRUE(L.achieved_rate.has_value()) << log.str();
  EXPECT_NEAR(*L.achieved_rate, rate, 0.02 * rate);
  // Every request left on time: the open loop never waits for replies.
  EXPECT_LT(*L.send_delay_ms.p99, LMMBENCH_PERF_P99_MS);
  EXPECT_LT(*L.send_delay_ms.max, 5 * LMMBENCH_PERF_P99_MS);
  EXPECT_EQ(L.failed, 0u);
  EXPECT_TRUE(L.valid) << (L.invalid_reasons.empty() ? "" : L.invalid_reasons.front());
  std::cerr << fmt::format(
      "arrival rate: target {:g}/s, achieved {:.4f}/s over {:g} s; send "
      "delay p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms\n",
      rate, *L.achieved_rate, seconds, *L.send_delay_ms.p50, *L.send_delay_ms.p99,
      *L.send_delay_ms.max);
}

TEST(LMMBENCH_PERF_SUITE, AStallingServerShowsUpInLatency) {
  PerfServer server;
  const Clock clock;
  // The server holds every token event due in [T, T + 0.6 s), T one second after the start.
  const double pause = 0.6;
  const double t0 =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  const double pause_at = t0 + 1.0;
  auto backend = backend_for(
      server,
      fmt::format("ttft=0.01;itl=0.002;tokens=4;pause_at={:.6f};pause_for={}", pause_at, pause),
      clock);
  const double rate = 40;
  auto options = rate_options(rate, 121);  // 3 s
  options.warmup = 0;
  std::ostringstream log;
  const auto out = run_perf(options, *backend, clock, text_requests(), log);
  const auto& L = out.section.levels.front();
  ASSERT_EQ(L.completed, 121u) << log.str();
  // The generator kept sending through the stall (no coordinated omission) ...
  std::size_t sent_in_stall = 0;
  std::size_t stalled = 0;
  for (const auto& line : out.request_lines) {
    const double sent_s = t0 + line["sent_ms"].get<double>() / 1e3;
    if (sent_s >= pause_at && sent_s < pause_at + pause) ++sent_in_stall;
    if (line["ttft_ms"].get<double>() > 100) ++stalled;
  }
  EXPECT_GE(sent_in_stall, static_cast<std::size_t>(0.7 * rate * pause));
  EXPECT_LT(*L.send_delay_ms.p99, LMMBENCH_PERF_P99_MS + 3.0);
  // ... so every one of those requests carries the stall in its latency.
  EXPECT_GE(stalled, static_cast<std::size_t>(0.7 * rate * (pause - 0.1)));
  EXPECT_GT(*L.ttft_ms.max, 0.9 * pause * 1e3);
  EXPECT_GT(*L.ttft_ms.p90, 100.0);
  std::cerr << fmt::format(
      "stall {:g} s: {} requests sent during it, {} with TTFT > 100 ms; "
      "TTFT p50 {:.1f} ms, p90 {:.1f} ms, max {:.1f} ms\n",
      pause, sent_in_stall, stalled, *L.ttft_ms.p50, *L.ttft_ms.p90, *L.ttft_ms.max);
}

TEST(LMMBENCH_PERF_SUITE, ClosedLoopKeepsConcurrencyInFlight) {
  PerfServer server;
  const Clock clock;
  auto backend = backend_for(server, "ttft=0.02;itl=0.005;tokens=5", clock);  // E2E 40 ms
  PerfOptions o;
  o.scenario = "concurrency";
  o.concurrency = 4;
  o.requests = 60;
  o.warmup = 0;
  o.validity.min_requests = 1;
  std::ostringstream log;
  const auto out = run_perf(o, *backend, clock, text_requests(), log);
  const auto& L = out.section.levels.front();
  ASSERT_EQ(L.completed, 60u) << log.str();
  // 4 in flight, 40 ms each: 100 requests/s, 15 rounds of 40 ms — when the server is on time.
  // What the client owns is that 4 stay in flight: throughput × mean E2E = 4 (Little's law),
  // however late a loaded machine makes the server.
  EXPECT_NEAR(L.request_throughput * *L.e2e_ms.mean / 1e3, 4.0, 0.32);
  EXPECT_NEAR(L.duration_s, 15 * *L.e2e_ms.mean / 1e3, 0.05);
  EXPECT_LT(*L.send_delay_ms.p99, LMMBENCH_PERF_P99_MS);  // a freed slot is refilled at once
  expect_matches("E2E (closed loop)", L.e2e_ms, 40, last_event_lateness(server, 60));
  print_breakdown("closed loop", server, out);
}

TEST(LMMBENCH_PERF_SUITE, ClosedLoopSendsFromTheTransportThread) {
  // The openai backend takes submit() from its completion callback: in a closed loop the
  // completion that frees a slot sends the next request on the transport thread, and the
  // harness thread is not woken for each request.
  PerfServer server;
  const Clock clock;
  auto backend = backend_for(server, "ttft=0.002;itl=0.001;tokens=2", clock);
  ASSERT_TRUE(backend->capabilities().submit_from_callback);
  const auto requests = text_requests()(200, 5);
  LoadPlan plan;
  plan.max_in_flight = 8;
  LoadCounters counters;
  const auto records = generate_load(*backend, clock, requests, plan, nullptr, &counters);
  ASSERT_EQ(records.size(), requests.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].index, i);
    EXPECT_TRUE(records[i].completion.ok()) << records[i].completion.error_message;
    EXPECT_LE(records[i].scheduled, records[i].sent);
    EXPECT_LT(records[i].sent, records[i].end);
  }
  EXPECT_EQ(counters.sent_by_harness + counters.sent_from_callbacks, requests.size());
  EXPECT_GT(counters.sent_from_callbacks, requests.size() / 2);
  EXPECT_LT(counters.harness_wakeups, requests.size() / 2);
}

TEST(LMMBENCH_PERF_SUITE, SweepFindsTheHighestLoadWithinTheSlo) {
  PerfServer server;
  const Clock clock;
  auto backend = backend_for(server, "ttft=0.01;itl=0.002;tokens=4", clock);
  PerfOptions o;
  o.scenario = "sweep";
  o.sweep_concurrencies = {1, 2, 4};
  o.requests = 20;
  o.warmup = 0;
  o.validity.min_requests = 1;
  o.validity.windows = 1;
  o.slos.e2e_ms = 100;
  std::ostringstream log;
  const auto out = run_perf(o, *backend, clock, text_requests(), log);
  ASSERT_EQ(out.section.levels.size(), 3u) << log.str();
  ASSERT_TRUE(out.section.best_level.has_value()) << log.str();
  EXPECT_EQ(*out.section.best_level, 2u);  // a server that does not slow down: all pass
  // Throughput grows with concurrency against a server with fixed latency.
  EXPECT_GT(out.section.levels[2].request_throughput,
            2.5 * out.section.levels[0].request_throughput);
}

}  // namespace
}  // namespace lmmbench::harness::perf
