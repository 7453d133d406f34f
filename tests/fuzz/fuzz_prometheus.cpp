// Prometheus text exposition as a server's /metrics answers it: the parser may only throw
// PromParseError, and what it accepts must go through the before/after difference.

#include "fuzz_support.hpp"
#include "harness/perf/prometheus.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lmmbench::harness::perf;
  try {
    const PromExposition exposition = parse_prometheus_text(lmmbench::fuzz::text_of(data, size));
    (void)prometheus_delta(exposition, exposition);
    (void)prometheus_delta(PromExposition{}, exposition);
  } catch (const PromParseError&) {
  }
  return 0;
}
