// The HTTP client (openai backend: transport + dialect) against a local server with an instant
// reply: requests/s and CPU per request at a fixed number of requests in flight. Every request
// carries a real image as a base64 data URL, so the figures include building the multimodal JSON
// body and parsing the reply. The requests go through `lmmbench perf`'s load generator (a closed
// loop), so the figures are those of perf's sending path. benchmarks/http_client_vs_wrk.py starts
// the server, runs wrk on the same endpoint and compares; run this program directly with
// LMMBENCH_BENCH_URL set to http://127.0.0.1:PORT/v1 of a running bench_http_server (any path is
// answered).
#include <cstdlib>
#include <vector>

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include "core/file_io.hpp"
#include "core/json_source.hpp"
#include "harness/perf/load_generator.hpp"
#include "models/http/http_backend.hpp"

namespace {

using namespace lmmbench;

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void BM_openai_client(benchmark::State& state) {
  const char* url = std::getenv("LMMBENCH_BENCH_URL");
  if (url == nullptr) {
    state.SkipWithError("set LMMBENCH_BENCH_URL (see benchmarks/http_client_vs_wrk.py)");
    return;
  }
  const auto in_flight = static_cast<std::size_t>(state.range(0));
  const std::size_t requests = std::max<std::size_t>(2000, in_flight * 40);
  static const Clock clock;
  ObjectReader options{ConfigNode(JsonSource::from_value(
      nlohmann::json{{"base_url", url}, {"model", "bench"}, {"max_images", 1}}, "bench.json", 1))};
  auto backend = models::http::create_openai(options, models::BackendContext{clock, 0});
  // LMMBENCH_BENCH_IMAGE: the PNG (or .jpg/.jpeg JPEG) sent with every request (default: a tiny
  // fixture PNG).
  const char* image = std::getenv("LMMBENCH_BENCH_IMAGE");
  auto png = std::make_shared<const std::string>(read_file_bytes(
      image != nullptr
          ? std::filesystem::path(image)
          : std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests/fixtures/tiny_vqa/images/red.png"));
  const std::string digest(64, '0');
  const std::string mime = image != nullptr && (std::string_view(image).ends_with(".jpg") ||
                                                std::string_view(image).ends_with(".jpeg"))
                               ? "image/jpeg"
                               : "image/png";

  // Built before timing; generate_load copies each one as it sends it, as `lmmbench perf` does.
  std::vector<models::Request> batch(requests);
  for (std::size_t i = 0; i < requests; ++i) {
    models::Request& request = batch[i];
    request.sample_id = std::to_string(i);
    request.content.emplace_back(models::ImagePart{png, mime, digest, "image"});
    request.content.emplace_back(models::TextPart{
        "What color is the square? Answer the question using a single word or phrase."});
    request.params.max_tokens = 16;
  }
  // A closed loop of `in_flight` requests through `lmmbench perf`'s load generator: the
  // completion that frees a slot sends the next request from the transport thread
  // (Capabilities::submit_from_callback), as wrk does.
  harness::perf::LoadPlan plan;
  plan.max_in_flight = in_flight;
  std::size_t failed = 0;
  double cpu = 0;
  harness::perf::LoadCounters counters;
  for (auto _ : state) {
    const double cpu_start = cpu_seconds();
    const auto records =
        harness::perf::generate_load(*backend, clock, batch, plan, nullptr, &counters);
    cpu += cpu_seconds() - cpu_start;
    for (const auto& r : records)
      if (!r.completion.ok() || r.completion.text != "yes") ++failed;
  }
  if (failed > 0) state.SkipWithError("some requests failed");
  const double total = static_cast<double>(requests * state.iterations());
  state.counters["requests_per_s"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.counters["cpu_us_per_request"] = cpu / total * 1e6;
  // Of the last iteration: requests sent by the completion that freed their slot.
  state.counters["sent_from_callbacks"] =
      static_cast<double>(counters.sent_from_callbacks) / static_cast<double>(requests);
  state.counters["body_bytes"] = static_cast<double>(
      dynamic_cast<models::http::HttpBackend&>(*backend)
          .build_call([&] {
            models::Request r;
            r.content.emplace_back(models::ImagePart{png, mime, digest, "image"});
            r.content.emplace_back(models::TextPart{
                "What color is the square? Answer the question using a single word or phrase."});
            return r;
          }())
          .body.size());
}
BENCHMARK(BM_openai_client)
    ->Arg(1)
    ->Arg(16)
    ->Arg(256)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
