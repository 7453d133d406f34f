// `lmmbench perf --prometheus`: the text-format parser on tricky input, the before/after
// difference, and the observer's notes when a scrape fails (no network: the fetch is a lambda).
#include <cmath>
#include <stdexcept>

#include <gtest/gtest.h>

#include "harness/perf/prometheus.hpp"

namespace lmmbench::harness::perf {
namespace {

const PromSample& find(const PromExposition& e, const std::string& name) {
  for (const auto& s : e.samples) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no sample " + name);
}

TEST(PerfPrometheus, ParsesTheTextFormat) {
  const auto e = parse_prometheus_text(
      "# A plain comment\n"
      "#\n"
      "# HELP http_requests_total The total number of HTTP requests, \\\\ and a\\nnewline.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\"}    3   1395066363000\r\n"
      "\n"
      "  # TYPE msdos_file_access_time_seconds gauge\n"
      "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
      "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n"
      "metric_without_timestamp_and_labels 12.47\n"
      "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
      "not_a_number NaN\n"
      "minus_inf{a=\"1\",} -Inf\n"
      "vllm:gpu_cache_usage_perc{model_name=\"llava-hf/llava-1.5-7b-hf\"} 0.25\n"
      "\tspaced_labels{ a = \"x\" , b=\"y\" } 2\n");
  EXPECT_EQ(e.types.at("http_requests_total"), "counter");
  EXPECT_EQ(e.types.at("msdos_file_access_time_seconds"), "gauge");
  EXPECT_EQ(e.help.at("http_requests_total"),
            "The total number of HTTP requests, \\ and a\nnewline.");
  EXPECT_FALSE(e.help.contains("msdos_file_access_time_seconds"));  // no HELP is fine
  ASSERT_EQ(e.samples.size(), 9u);
  EXPECT_EQ(e.samples[0].labels.at("code"), "200");
  EXPECT_EQ(e.samples[0].value, 1027);
  EXPECT_EQ(e.samples[0].timestamp_ms, 1395066363000);
  EXPECT_EQ(e.samples[1].value, 3);  // blanks between tokens, a CRLF line end
  const auto& msdos = find(e, "msdos_file_access_time_seconds");
  EXPECT_EQ(msdos.labels.at("path"), "C:\\DIR\\FILE.TXT");
  EXPECT_EQ(msdos.labels.at("error"), "Cannot find file:\n\"FILE.TXT\"");
  EXPECT_EQ(msdos.value, 1.458255915e9);
  EXPECT_FALSE(msdos.timestamp_ms);
  EXPECT_TRUE(find(e, "metric_without_timestamp_and_labels").labels.empty());
  const auto& weird = find(e, "something_weird");
  EXPECT_TRUE(std::isinf(weird.value) && weird.value > 0);
  EXPECT_EQ(weird.timestamp_ms, -3982045);
  EXPECT_TRUE(std::isnan(find(e, "not_a_number").value));
  const auto& minus = find(e, "minus_inf");
  EXPECT_TRUE(std::isinf(minus.value) && minus.value < 0);
  EXPECT_EQ(minus.labels.at("a"), "1");  // a trailing comma is allowed
  EXPECT_EQ(find(e, "vllm:gpu_cache_usage_perc").labels.at("model_name"),
            "llava-hf/llava-1.5-7b-hf");
  EXPECT_EQ(find(e, "spaced_labels").labels.at("b"), "y");
}

TEST(PerfPrometheus, RefusesMalformedLinesNamingTheLine) {
  struct Bad {
    const char* text;
    const char* why;
    std::size_t line;
  };
  const Bad bad[] = {
      {"ok 1\nx{a=\"1} 2\n", "not closed", 2},
      {"ok 1\n\nx{a=\"\\t\"} 2\n", "escape", 3},
      {"x{a=1} 2\n", "quoted", 1},
      {"x{a=\"1\" b=\"2\"} 2\n", "','", 1},
      {"x{a=\"1\",a=\"2\"} 2\n", "twice", 1},
      {"x\n", "value is missing", 1},
      {"x one\n", "not a number", 1},
      {"x 1 2 3\n", "after the timestamp", 1},
      {"x 1 12.5\n", "timestamp", 1},
      {"9x 1\n", "cannot start", 1},
      {"# TYPE x countr\n", "not a type", 1},
      {"# TYPE x counter\n# TYPE x gauge\n", "second TYPE", 2},
  };
  for (const auto& [text, why, line] : bad) {
    SCOPED_TRACE(text);
    try {
      (void)parse_prometheus_text(text);
      ADD_FAILURE() << "accepted";
    } catch (const PromParseError& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
      EXPECT_EQ(e.line(), line);
    }
  }
}

// What vLLM's prometheus_client exposition looks like, before and after a level of 3 requests.
constexpr const char* kBefore = R"(# HELP vllm:num_requests_running Number of requests running.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 2.0
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="m"} 1000.0
# HELP vllm:prompt_tokens_created Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_created gauge
vllm:prompt_tokens_created{engine="0",model_name="m"} 1.7e9
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} 10.0
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.1",model_name="m"} 10.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="m"} 10.0
vllm:time_to_first_token_seconds_count{engine="0",model_name="m"} 10.0
vllm:time_to_first_token_seconds_sum{engine="0",model_name="m"} 0.5
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
# TYPE process_restarts counter
process_restarts_total 5
)";

constexpr const char* kAfter = R"(# HELP vllm:num_requests_running Number of requests running.
# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{engine="0",model_name="m"} 0.0
# HELP vllm:prompt_tokens_total Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_total counter
vllm:prompt_tokens_total{engine="0",model_name="m"} 1300.0
# HELP vllm:prompt_tokens_created Number of prefill tokens processed.
# TYPE vllm:prompt_tokens_created gauge
vllm:prompt_tokens_created{engine="0",model_name="m"} 1.7e9
# TYPE vllm:request_success_total counter
vllm:request_success_total{engine="0",finished_reason="stop",model_name="m"} 12.0
vllm:request_success_total{engine="0",finished_reason="length",model_name="m"} 1.0
# TYPE vllm:time_to_first_token_seconds histogram
vllm:time_to_first_token_seconds_bucket{engine="0",le="0.1",model_name="m"} 13.0
vllm:time_to_first_token_seconds_bucket{engine="0",le="+Inf",model_name="m"} 13.0
vllm:time_to_first_token_seconds_count{engine="0",model_name="m"} 13.0
vllm:time_to_first_token_seconds_sum{engine="0",model_name="m"} 0.65
vllm:time_to_first_token_seconds_created{engine="0",model_name="m"} 1.7e9
# TYPE vllm:spec_decode_efficiency gauge
vllm:spec_decode_efficiency NaN
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.5"} 4800
rpc_duration_seconds_sum 1.7560573e+07
rpc_duration_seconds_count 2703
# TYPE process_restarts counter
process_restarts_total 1
untyped_thing 7
)";

TEST(PerfPrometheus, DeltaOfCountersHistogramsAndGauges) {
  const auto m = prometheus_delta(parse_prometheus_text(kBefore), parse_prometheus_text(kAfter));
  const auto counter = [&](const std::string& name,
                           const std::map<std::string, std::string>& labels) {
    for (const auto& s : m.counters) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    throw std::runtime_error("no counter " + name);
  };
  ASSERT_EQ(m.counters.size(), 4u);
  EXPECT_EQ(counter("vllm:prompt_tokens_total", {{"engine", "0"}, {"model_name", "m"}}), 300);
  EXPECT_EQ(counter("vllm:request_success_total",
                    {{"engine", "0"}, {"finished_reason", "stop"}, {"model_name", "m"}}),
            2);
  // A series first seen after the level counts from 0.
  EXPECT_EQ(counter("vllm:request_success_total",
                    {{"engine", "0"}, {"finished_reason", "length"}, {"model_name", "m"}}),
            1);
  // A counter that went down was reset: its after-value, and a note.
  EXPECT_EQ(counter("process_restarts_total", {}), 1);
  ASSERT_EQ(m.notes.size(), 1u);
  EXPECT_NE(m.notes[0].find("process_restarts_total"), std::string::npos);

  ASSERT_EQ(m.histograms.size(), 2u);
  const auto& ttft = m.histograms[0];
  EXPECT_EQ(ttft.name, "vllm:time_to_first_token_seconds");
  EXPECT_EQ(ttft.labels,
            (std::map<std::string, std::string>{{"engine", "0"}, {"model_name", "m"}}));
  EXPECT_DOUBLE_EQ(*ttft.count, 3);
  EXPECT_NEAR(*ttft.sum, 0.15, 1e-12);
  EXPECT_NEAR(*ttft.mean, 0.05, 1e-12);  // the server's mean TTFT over the level
  const auto& rpc = m.histograms[1];     // a summary: _sum and _count, quantiles not recorded
  EXPECT_EQ(rpc.name, "rpc_duration_seconds");
  EXPECT_DOUBLE_EQ(*rpc.count, 10);
  EXPECT_NEAR(*rpc.mean, 10, 1e-6);

  // Gauges: after-values; NaN is null; _created timestamps are left out; untyped is a gauge.
  ASSERT_EQ(m.gauges.size(), 3u);
  EXPECT_EQ(m.gauges[0].name, "vllm:num_requests_running");
  EXPECT_EQ(m.gauges[0].value, 0);
  EXPECT_EQ(m.gauges[1].name, "vllm:spec_decode_efficiency");
  EXPECT_FALSE(m.gauges[1].value);
  EXPECT_EQ(m.gauges[2].name, "untyped_thing");
  EXPECT_EQ(m.gauges[2].value, 7);

  // The record keeps all of it.
  reports::PerfLevel level;
  level.server_metrics = m;
  const nlohmann::json j = level;
  EXPECT_EQ(j["server_metrics"]["histograms"][0]["mean"], *ttft.mean);
  EXPECT_EQ(j["server_metrics"]["gauges"][1]["value"], nullptr);
  EXPECT_EQ(nlohmann::json(j.get<reports::PerfLevel>()), j);
}

TEST(PerfPrometheus, AFailedScrapeIsANoteNotAnError) {
  int calls = 0;
  PrometheusObserver observer("http://server/metrics", [&]() -> std::string {
    if (++calls == 2) throw std::runtime_error("Connection refused");
    return calls == 3 ? "x{ 1\n" : kBefore;
  });
  reports::PerfLevel first;
  observer.before_level(0);        // ok
  observer.after_level(0, first);  // refused
  ASSERT_TRUE(first.server_metrics);
  EXPECT_FALSE(first.server_metrics->scraped);
  EXPECT_EQ(first.server_metrics->url, "http://server/metrics");
  ASSERT_EQ(first.server_metrics->notes.size(), 1u);
  EXPECT_NE(first.server_metrics->notes[0].find("after the level failed"), std::string::npos);
  EXPECT_NE(first.server_metrics->notes[0].find("Connection refused"), std::string::npos);
  reports::PerfLevel second;
  observer.before_level(1);         // not Prometheus text
  observer.after_level(1, second);  // ok
  ASSERT_EQ(second.server_metrics->notes.size(), 1u);
  EXPECT_NE(second.server_metrics->notes[0].find("not Prometheus text: line 1"), std::string::npos);
  reports::PerfLevel third;
  observer.before_level(2);
  observer.after_level(2, third);
  EXPECT_TRUE(third.server_metrics->scraped);
  EXPECT_TRUE(third.server_metrics->notes.empty());
  EXPECT_EQ(third.server_metrics->counters.size(), 3u);
  EXPECT_EQ(third.server_metrics->counters[0].value, 0);
}

}  // namespace
}  // namespace lmmbench::harness::perf
