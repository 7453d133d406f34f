// `lmmbench perf`'s flags turned into validated options (harness/perf/options.hpp): defaults, and
// every refusal naming its flag.
#include <filesystem>
#include <fstream>
#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/error.hpp"
#include "harness/perf/options.hpp"

namespace lmmbench::harness::perf {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kGpuTable =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "configs" / "gpus.json";

/// The InputError `f` throws, as "FLAG: message"; "" when it throws none.
std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

std::string refusal_of(const PerfCliOptions& cli) {
  return refusal([&] { (void)benchmark_options(cli); });
}

TEST(PerfOptions, DefaultsAreTheOfflineScenarioWithTheDocumentedValidity) {
  const PerfOptions o = benchmark_options(PerfCliOptions{});
  const PerfOptions defaults;
  EXPECT_EQ(o.scenario, "offline");
  EXPECT_EQ(o.requests, 200u);
  EXPECT_EQ(o.warmup, 2u);
  EXPECT_EQ(o.seed, 0u);
  EXPECT_FALSE(o.concurrency.has_value());
  EXPECT_FALSE(o.request_rate.has_value());
  EXPECT_EQ(o.arrival.process, ArrivalProcess::poisson);
  EXPECT_DOUBLE_EQ(o.arrival.burstiness, 1.0);
  EXPECT_TRUE(o.sweep_rates.empty());
  EXPECT_TRUE(o.sweep_concurrencies.empty());
  EXPECT_FALSE(o.slos.ttft_ms || o.slos.tpot_ms || o.slos.e2e_ms);
  EXPECT_DOUBLE_EQ(o.slos.attainment, 0.9);
  EXPECT_DOUBLE_EQ(o.validity.min_duration_s, 10);
  EXPECT_EQ(o.validity.min_requests, 100u);
  EXPECT_DOUBLE_EQ(o.validity.max_failed_fraction, 0);
  EXPECT_EQ(o.validity.windows, 3u);
  EXPECT_DOUBLE_EQ(o.validity.stability, 0.2);
  EXPECT_DOUBLE_EQ(o.validity.max_rate_error, 0.02);
  EXPECT_FALSE(o.cost.has_value());
  EXPECT_FALSE(o.token_prices.has_value());
  EXPECT_TRUE(o.observers.empty());
}

TEST(PerfOptions, DurationSetsTheRequestCountOfTheRateScenario) {
  PerfCliOptions cli;
  cli.scenario = "rate";
  cli.request_rate = 4;
  cli.duration_s = 30;
  EXPECT_EQ(benchmark_options(cli).requests, 121u);  // rate x duration + 1
  cli.duration_s = 0;
  EXPECT_EQ(refusal_of(cli), "--duration: must be > 0");
  cli.duration_s = 3;
  cli.request_rate.reset();
  EXPECT_THAT(refusal_of(cli), HasSubstr("--duration: --duration sets the request count"));
  cli.scenario = "offline";
  cli.request_rate = 4;
  EXPECT_THAT(refusal_of(cli), HasSubstr("--duration: "));
}

TEST(PerfOptions, ArrivalsAndTraces) {
  PerfCliOptions cli;
  cli.scenario = "rate";
  cli.request_rate = 2;
  cli.arrival = "gamma";
  cli.burstiness = 0.5;
  const auto gamma = benchmark_options(cli);
  EXPECT_EQ(gamma.arrival.process, ArrivalProcess::gamma);
  EXPECT_DOUBLE_EQ(gamma.arrival.burstiness, 0.5);
  cli.arrival = "uniform";
  EXPECT_EQ(refusal_of(cli), "--arrival: 'uniform' is not poisson, gamma, constant or trace");
  cli.arrival = "trace";
  EXPECT_EQ(refusal_of(cli), "--arrival: --arrival trace needs --trace FILE");

  const auto trace = std::filesystem::temp_directory_path() /
                     ("lmmbench-perf-options-trace-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(trace) << "0\n0.5\n1.25\n";
  cli.trace = trace.string();
  cli.arrival = "poisson";  // the default: --trace alone replays the trace
  cli.requests = 200;
  const auto replay = benchmark_options(cli);
  EXPECT_EQ(replay.arrival.process, ArrivalProcess::trace);
  EXPECT_EQ(replay.arrival.trace_s, (std::vector<double>{0, 0.5, 1.25}));
  EXPECT_EQ(replay.requests, 3u);  // no more requests than the trace has times
  cli.arrival = "gamma";
  EXPECT_EQ(refusal_of(cli), "--trace: --trace replays a trace: leave --arrival out");
  cli.arrival = "trace";
  cli.duration_s = 10;
  EXPECT_EQ(refusal_of(cli), "--duration: a trace sets its own duration");
  std::filesystem::remove(trace);
}

TEST(PerfOptions, SweepLevelsArePositiveNumbersAndConcurrenciesWhole) {
  PerfCliOptions cli;
  cli.scenario = "sweep";
  cli.rates = "1, 2.5,8";
  cli.concurrencies = "1,4";
  const auto o = benchmark_options(cli);
  EXPECT_EQ(o.sweep_rates, (std::vector<double>{1, 2.5, 8}));
  EXPECT_EQ(o.sweep_concurrencies, (std::vector<std::int64_t>{1, 4}));
  cli.rates = "1,x";
  EXPECT_EQ(refusal_of(cli), "--rates: 'x' is not a positive number");
  for (const char* bad : {"0", "-2", "inf", "nan", "3s"}) {
    EXPECT_THAT(refusal([&] { (void)parse_positive_numbers(bad, "--rates"); }),
                HasSubstr("is not a positive number"))
        << bad;
  }
  cli.rates.clear();
  cli.concurrencies = "1,2.5";
  EXPECT_EQ(refusal_of(cli), "--concurrencies: concurrencies are whole numbers");
}

TEST(PerfOptions, SlosAndValidityPassThrough) {
  PerfCliOptions cli;
  cli.slo_ttft_ms = 200;
  cli.slo_tpot_ms = 40;
  cli.slo_e2e_ms = 5000;
  cli.slo_attainment = 0.95;
  cli.min_duration_s = 60;
  cli.min_requests = 500;
  cli.max_failed = 0.01;
  cli.windows = 5;
  cli.stability = 0.1;
  cli.max_rate_error = 0.05;
  const auto o = benchmark_options(cli);
  EXPECT_EQ(o.slos.ttft_ms, 200);
  EXPECT_EQ(o.slos.tpot_ms, 40);
  EXPECT_EQ(o.slos.e2e_ms, 5000);
  EXPECT_DOUBLE_EQ(o.slos.attainment, 0.95);
  EXPECT_DOUBLE_EQ(o.validity.min_duration_s, 60);
  EXPECT_EQ(o.validity.min_requests, 500u);
  EXPECT_DOUBLE_EQ(o.validity.max_failed_fraction, 0.01);
  EXPECT_EQ(o.validity.windows, 5u);
  EXPECT_DOUBLE_EQ(o.validity.stability, 0.1);
  EXPECT_DOUBLE_EQ(o.validity.max_rate_error, 0.05);
}

TEST(PerfOptions, CostFromTheGpuTableOrThePrice) {
  PerfCliOptions cli;
  cli.gpu = "h100-sxm";
  cli.gpu_table = kGpuTable.string();
  cli.gpu_count = 2;
  const auto table = benchmark_options(cli);
  ASSERT_TRUE(table.cost.has_value());
  EXPECT_EQ(table.cost->gpu, "h100-sxm");
  EXPECT_EQ(table.cost->gpu_count, 2);
  EXPECT_GT(table.cost->usd_per_gpu_hour, 0);
  EXPECT_THAT(table.cost->price_source, HasSubstr(", "));  // provider, date (source)
  EXPECT_EQ(table.cost->power_source, "tdp (upper bound)");
  ASSERT_TRUE(table.cost->power_w.has_value());

  cli.price = 2.5;
  cli.power_w = 550;
  const auto given = benchmark_options(cli);
  EXPECT_DOUBLE_EQ(given.cost->usd_per_gpu_hour, 2.5);
  EXPECT_EQ(given.cost->price_source, "--price");
  EXPECT_EQ(given.cost->power_w, 550);
  EXPECT_EQ(given.cost->power_source, "--power-w");

  PerfCliOptions price_only;
  price_only.price = 1.0;
  const auto alone = benchmark_options(price_only);
  ASSERT_TRUE(alone.cost.has_value());
  EXPECT_TRUE(alone.cost->gpu.empty());
  EXPECT_FALSE(alone.cost->power_w.has_value());
}

TEST(PerfOptions, CostRefusals) {
  PerfCliOptions cli;
  cli.price = -1;
  EXPECT_EQ(refusal_of(cli), "--price: must be > 0");
  cli.price = 1;
  cli.gpu_count = 0;
  EXPECT_EQ(refusal_of(cli), "--gpu-count: must be >= 1");
  PerfCliOptions power;
  power.power_w = 300;
  EXPECT_EQ(refusal_of(power), "--power-w: the energy figure needs --gpu or --price");
  PerfCliOptions unknown;
  unknown.gpu = "h1000";
  unknown.gpu_table = kGpuTable.string();
  EXPECT_THAT(refusal_of(unknown), HasSubstr("h1000"));
}

TEST(PerfOptions, ImageSizeIsASideOrWidthByHeight) {
  EXPECT_EQ(parse_image_size("336"), std::make_pair(336, 336));
  EXPECT_EQ(parse_image_size("640x480"), std::make_pair(640, 480));
  EXPECT_EQ(parse_image_size("640X480"), std::make_pair(640, 480));
  for (const char* bad : {"64x", "64,64", "1x2x3", "64.5", "x64"}) {
    EXPECT_THAT(refusal([&] { (void)parse_image_size(bad); }), HasSubstr("--image-size: ")) << bad;
  }
  PerfCliOptions cli;
  cli.images = 2;
  cli.image_size = "448x224";
  cli.image_format = "png";
  cli.prompt_tokens = 32;
  cli.output_tokens = 16;
  cli.seed = 9;
  const auto w = synthetic_workload(cli);
  EXPECT_EQ(w.images, 2u);
  EXPECT_EQ(w.image_width, 448);
  EXPECT_EQ(w.image_height, 224);
  EXPECT_EQ(w.image_format, "png");
  EXPECT_EQ(w.prompt_tokens, 32);
  EXPECT_EQ(w.output_tokens, 16);
  EXPECT_EQ(w.seed, 9u);
}

TEST(PerfOptions, ServerSideFlags) {
  EXPECT_EQ(refusal([] { check_prometheus_url("http://127.0.0.1:9090/metrics"); }), "");
  EXPECT_EQ(refusal([] { check_prometheus_url("127.0.0.1:9090/metrics"); }), "");
  EXPECT_THAT(refusal([] { check_prometheus_url("http://user:secret@127.0.0.1:9/metrics"); }),
              HasSubstr("--prometheus: the URL must not contain credentials"));
  EXPECT_THAT(refusal([] { check_prometheus_url("http://127.0.0.1:9/metrics?token=secret"); }),
              HasSubstr("--prometheus: "));
  PerfCliOptions cli;
  EXPECT_EQ(refusal([&] { check_nvml_interval(cli); }), "");
  cli.nvml_interval_ms = 50;
  EXPECT_EQ(refusal([&] { check_nvml_interval(cli); }),
            "--nvml-interval-ms: samples GPU telemetry: add --nvml");
  cli.nvml = true;
  EXPECT_EQ(refusal([&] { check_nvml_interval(cli); }), "");
  cli.nvml_interval_ms = 0;
  EXPECT_EQ(refusal([&] { check_nvml_interval(cli); }), "--nvml-interval-ms: must be >= 1");
}

class PerfModelConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = std::filesystem::temp_directory_path() /
            ("lmmbench-perf-model-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json");
  }
  void TearDown() override { std::filesystem::remove(file_); }
  PerfCliOptions with_model(const std::string& json) {
    std::ofstream(file_) << json;
    PerfCliOptions cli;
    cli.model = file_.string();
    return cli;
  }
  std::filesystem::path file_;
};

TEST_F(PerfModelConfig, HttpModelsAreAskedToStreamAndIgnoreEosGoesToTheOpenAiBody) {
  auto cli = with_model(R"({"name": "m", "backend": "openai",
                            "options": {"base_url": "http://127.0.0.1:9/v1", "model": "m"}})");
  bool patched = false;
  auto model = perf_model_config(cli, patched);
  EXPECT_TRUE(patched);
  EXPECT_EQ(model.options->json().at("stream"), true);
  EXPECT_FALSE(model.options->json().contains("extra_body"));
  cli.ignore_eos = true;
  model = perf_model_config(cli, patched);
  EXPECT_TRUE(patched);
  EXPECT_EQ(model.options->json().at("extra_body").at("ignore_eos"), true);
}

TEST_F(PerfModelConfig, AStreamingModelIsLeftAsWrittenAndBaselinesRefuseIgnoreEos) {
  auto cli = with_model(R"({"name": "m", "backend": "openai",
                            "options": {"base_url": "http://127.0.0.1:9/v1", "model": "m",
                                        "stream": true}})");
  bool patched = true;
  (void)perf_model_config(cli, patched);
  EXPECT_FALSE(patched);
  auto baseline = with_model(R"({"name": "o", "backend": "oracle"})");
  (void)perf_model_config(baseline, patched);
  EXPECT_FALSE(patched);
  baseline.ignore_eos = true;
  EXPECT_THAT(refusal([&] { (void)perf_model_config(baseline, patched); }),
              HasSubstr("--ignore-eos: ignore_eos is an OpenAI-compatible server option; model "
                        "'o' uses the oracle backend"));
}

}  // namespace
}  // namespace lmmbench::harness::perf
