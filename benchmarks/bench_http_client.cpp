// The HTTP client (openai backend: transport + dialect) against a local server with an instant
// reply: requests/s and CPU per request at a fixed number of requests in flight. Every request
// carries a real image as a base64 data URL, so the figures include building the multimodal JSON
// body and parsing the reply. benchmarks/http_client_vs_wrk.py starts the server, runs wrk on the
// same endpoint and compares; run this program directly with LMMBENCH_BENCH_URL set to
// http://127.0.0.1:PORT/v1 of a running bench_http_server (any path is answered).
#include <condition_variable>
#include <cstdlib>
#include <mutex>

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include "core/file_io.hpp"
#include "core/json_source.hpp"
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

  std::size_t failed = 0;
  double cpu = 0;
  for (auto _ : state) {
    std::mutex mutex;
    std::condition_variable cv;
    std::size_t running = 0;
    std::size_t finished = 0;
    const double cpu_start = cpu_seconds();
    for (std::size_t sent = 0; sent < requests; ++sent) {
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return running < in_flight; });
        ++running;
      }
      models::Request request;
      request.sample_id = std::to_string(sent);
      request.content.emplace_back(models::ImagePart{png, mime, digest, "image"});
      request.content.emplace_back(models::TextPart{
          "What color is the square? Answer the question using a single word or phrase."});
      request.params.max_tokens = 16;
      backend->submit(std::move(request), [&](models::Completion c) {
        std::lock_guard lock(mutex);
        if (!c.ok() || c.text != "yes") ++failed;
        --running;
        ++finished;
        cv.notify_all();
      });
    }
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return finished == requests; });
    cpu += cpu_seconds() - cpu_start;
  }
  if (failed > 0) state.SkipWithError("some requests failed");
  const double total = static_cast<double>(requests * state.iterations());
  state.counters["requests_per_s"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  state.counters["cpu_us_per_request"] = cpu / total * 1e6;
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
