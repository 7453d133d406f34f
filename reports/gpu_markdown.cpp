#include "reports/gpu_markdown.hpp"

#include <fmt/format.h>

namespace lmmbench::reports {

namespace {

constexpr const char* kMissing = "—";

std::string fixed(const std::optional<double>& v, int decimals) {
  return v ? fmt::format("{:.{}f}", *v, decimals) : std::string(kMissing);
}

std::string percent(const std::optional<double>& fraction) {
  return fraction ? fmt::format("{:.1f}%", *fraction * 100.0) : std::string(kMissing);
}

std::string money(const std::optional<double>& usd) {
  if (!usd) return kMissing;
  return *usd >= 100 ? fmt::format("${:.0f}", *usd) : fmt::format("${:.4g}", *usd);
}

void render_batch(const GpuBatchResult& b, std::ostream& out) {
  out << fmt::format(
      "\n#### Batch {}{}\n\n", b.batch,
      b.fits_in_memory ? "" : fmt::format(" (exceeds the KV-cache fit of {})", b.max_batch_kv_fit));
  out << "| stage | GFLOP | GB | bound ms | bound by | measured ms | TFLOP/s | MFU | MBU |\n"
         "|---|---:|---:|---:|---|---:|---:|---:|---:|\n";
  for (const auto& s : b.stages) {
    out << fmt::format("| {} | {:.2f} | {:.3f} | {:.3f} | {} | {} | {} | {} | {} |\n", s.name,
                       s.flops / 1e9, s.bytes / 1e9, s.bound_ms, s.bound_by,
                       s.error.empty() ? fixed(s.measured_ms, 3) : "failed",
                       fixed(s.achieved_tflops, 1), percent(s.mfu), percent(s.mbu));
  }
  out << "\n| per GPU | bound | measured |\n|---|---:|---:|\n";
  out << fmt::format("| prefill ms (batch) | {:.3f} | {} |\n", b.bound_prefill_ms,
                     fixed(b.measured_prefill_ms, 3));
  out << fmt::format("| decode step ms (batch) | {:.3f} | {} |\n", b.bound_decode_step_ms,
                     fixed(b.measured_decode_step_ms, 3));
  out << fmt::format("| output tokens/s | {:.1f} | {} |\n", b.bound_tokens_per_s,
                     fixed(b.measured_tokens_per_s, 1));
  out << fmt::format("| decode tokens/s | {:.1f} | {} |\n", b.bound_decode_tokens_per_s,
                     fixed(b.measured_decode_tokens_per_s, 1));
  out << fmt::format("| requests/s | {:.3f} | {} |\n", b.bound_requests_per_s,
                     fixed(b.measured_requests_per_s, 3));
  out << fmt::format("| images/s | {:.3f} | {} |\n", b.bound_images_per_s,
                     fixed(b.measured_images_per_s, 3));
  out << fmt::format("| $/1M output tokens | {} | {} |\n", money(b.usd_per_1m_output_tokens),
                     money(b.measured_usd_per_1m_output_tokens));
  out << fmt::format("| $/1k images | {} | {} |\n", money(b.usd_per_1k_images),
                     money(b.measured_usd_per_1k_images));
  if (b.usd_per_day) out << fmt::format("\nAll GPUs cost {} per day.\n", money(b.usd_per_day));
}

}  // namespace

void render_gpu_markdown(const GpuSection& s, std::ostream& out) {
  out << fmt::format("## GPU workload: {} x {} ({}, {})\n\n", s.gpu_count, s.gpu, s.gpu_description,
                     s.gpu_source);
  out << fmt::format(
      "Roofline from {}: {:g} TFLOPS dense {}, {:g} GB/s, {:g} GB; weights + KV cache may use "
      "{:g}% of memory.\n",
      s.gpu_table, s.peak_tflops, s.dtype, s.bandwidth_gb_per_s, s.memory_gb,
      s.memory_fraction * 100.0);
  if (s.price) {
    out << fmt::format("Price: ${:g} per GPU-hour ({}{}{}).\n", s.price->usd_per_gpu_hour,
                       s.price->provider, s.price->date.empty() ? "" : ", " + s.price->date,
                       s.price->source.empty() ? "" : ", " + s.price->source);
  } else {
    out << "Price: none given (--price) and none in the GPU table: costs are not computed.\n";
  }
  out << fmt::format("{}: {}\n", s.measured ? "Measured" : "Not measured", s.measurement);
  if (s.device) {
    out << fmt::format(
        "Device: {} (compute capability {}, {} SMs, {:.1f} GiB, {} MHz SM / {} MHz memory), driver "
        "CUDA {}, "
        "runtime {}, cuBLASLt {}\n",
        s.device->name, s.device->compute_capability, s.device->sm_count,
        static_cast<double>(s.device->memory_bytes) / (1ULL << 30), s.device->sm_clock_mhz,
        s.device->memory_clock_mhz, s.device->driver_version, s.device->cuda_runtime_version,
        s.device->cublaslt_version);
  }
  for (const auto& m : s.models) {
    out << fmt::format("\n### {} ({})\n\n", m.model, m.spec_source);
    out << fmt::format("Vision: {}. Projector: {}. Language model: {}.\n", m.vision, m.projector,
                       m.language);
    out << fmt::format(
        "Request: {} image(s) of {}x{} -> {} tokens each; {} text + {} image = {} prompt tokens; "
        "{} output tokens (decode stage at context {}).\n",
        m.images_per_request, m.image_width, m.image_height, m.image_tokens, m.text_tokens,
        m.prompt_tokens - m.text_tokens, m.prompt_tokens, m.output_tokens, m.decode_context);
    out << fmt::format("Weights {:.2f} GB; KV cache {:.3f} MB per token.\n", m.weight_bytes / 1e9,
                       m.kv_bytes_per_token / 1e6);
    for (const auto& b : m.batches)
      render_batch(b, out);
  }
}

}  // namespace lmmbench::reports
