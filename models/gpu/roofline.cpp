#include "models/gpu/roofline.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/cost.hpp"
#include "core/error.hpp"

namespace lmmbench::gpu {

double StageBound::seconds() const {
  return std::max(compute_seconds, memory_seconds);
}

std::optional<Throughput> throughput(
    const Plan& plan, const std::function<std::optional<double>(const Stage&)>& stage_seconds) {
  Throughput t;
  for (const auto& stage : plan.stages) {
    const auto s = stage_seconds(stage);
    if (!s) return std::nullopt;
    if (stage.phase != Phase::decode) t.prefill_seconds += *s;
    if (stage.phase != Phase::prefill) t.decode_step_seconds += *s;
  }
  const auto batch = static_cast<double>(plan.batch);
  t.request_batch_seconds =
      t.prefill_seconds + static_cast<double>(plan.decode_steps()) * t.decode_step_seconds;
  if (!(t.request_batch_seconds > 0) || !(t.decode_step_seconds > 0)) return std::nullopt;
  t.tokens_per_second =
      batch * static_cast<double>(plan.request.output_tokens) / t.request_batch_seconds;
  t.decode_tokens_per_second = batch / t.decode_step_seconds;
  t.requests_per_second = batch / t.request_batch_seconds;
  t.images_per_second = batch * static_cast<double>(plan.request.images) / t.request_batch_seconds;
  return t;
}

Roofline roofline(const Plan& plan, const GpuKind& gpu) {
  const auto peak = gpu.peak_flops(plan.dtype);
  if (!peak) {
    throw InputError(Location{"--gpu", 0, ""},
                     fmt::format("the GPU table has no dense {} tensor peak for {} ({}); pick "
                                 "another --dtype or GPU kind",
                                 to_string(plan.dtype), gpu.name, gpu.description));
  }
  const double bandwidth = gpu.bandwidth_bytes_per_s();
  Roofline r;
  for (const auto& stage : plan.stages) {
    StageBound b;
    b.name = stage.name;
    b.phase = stage.phase;
    b.flops = stage.flops();
    b.bytes = stage.bytes(plan.dtype);
    b.compute_seconds = b.flops / *peak;
    b.memory_seconds = b.bytes / bandwidth;
    r.stages.push_back(std::move(b));
  }
  const auto totals = throughput(plan, [&](const Stage& stage) -> std::optional<double> {
    for (const auto& b : r.stages) {
      if (b.name == stage.name) return b.seconds();
    }
    return std::nullopt;
  });
  // Every stage has a bound and every bound is positive, so the totals always exist.
  r.totals = *totals;

  double prefill_flops = 0;
  double prefill_bytes = 0;
  double step_flops = 0;
  double step_bytes = 0;
  for (const auto& b : r.stages) {
    if (b.phase != Phase::decode) {
      prefill_flops += b.flops;
      prefill_bytes += b.bytes;
    }
    if (b.phase != Phase::prefill) {
      step_flops += b.flops;
      step_bytes += b.bytes;
    }
  }
  const auto steps = static_cast<double>(plan.decode_steps());
  const auto overlapped = [&](double flops, double bytes) {
    return std::max(flops / *peak, bytes / bandwidth);
  };
  Throughput& o = r.overlap;
  o.prefill_seconds = overlapped(prefill_flops, prefill_bytes);
  o.decode_step_seconds = overlapped(step_flops, step_bytes);
  o.request_batch_seconds =
      overlapped(prefill_flops + steps * step_flops, prefill_bytes + steps * step_bytes);
  const auto batch = static_cast<double>(plan.batch);
  o.tokens_per_second =
      batch * static_cast<double>(plan.request.output_tokens) / o.request_batch_seconds;
  o.decode_tokens_per_second = batch / o.decode_step_seconds;
  o.requests_per_second = batch / o.request_batch_seconds;
  o.images_per_second = batch * static_cast<double>(plan.request.images) / o.request_batch_seconds;
  return r;
}

std::int64_t max_batch_kv_fit(const Plan& plan, const GpuKind& gpu, double memory_fraction) {
  const double free_bytes = memory_fraction * gpu.memory_bytes() - plan.resident_weight_bytes();
  if (free_bytes <= 0) return 0;
  const double per_sequence =
      static_cast<double>(plan.kv_tokens_per_sequence()) * plan.kv_bytes_per_token();
  return static_cast<std::int64_t>(std::floor(free_bytes / per_sequence));
}

Cost cost(double usd_per_gpu_hour, std::int64_t gpu_count, const Throughput& per_gpu,
          std::int64_t images_per_request) {
  Cost c;
  const auto gpus = static_cast<double>(gpu_count);
  c.usd_per_day = cost::usd_per_day(usd_per_gpu_hour, gpus);
  c.usd_per_1m_output_tokens =
      cost::usd_per_1m_output_tokens(c.usd_per_day, gpus * per_gpu.tokens_per_second);
  if (images_per_request > 0) {
    c.usd_per_1k_images = cost::usd_per_1k_images(c.usd_per_day, gpus * per_gpu.images_per_second);
  }
  return c;
}

}  // namespace lmmbench::gpu
