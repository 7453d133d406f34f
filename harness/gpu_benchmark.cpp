#include "harness/gpu_benchmark.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/resource_paths.hpp"
#include "core/text.hpp"
#include "models/gpu/gpu_table.hpp"
#include "models/gpu/model_spec.hpp"
#include "models/gpu/roofline.hpp"

namespace lmmbench::harness {

std::filesystem::path spec_dir(const std::string& model, const std::filesystem::path& config_dir) {
  if (const auto dir =
          config_dir_holding(std::filesystem::path("models/gpu") / (model + ".json"), config_dir)) {
    return *dir;
  }
  return config_dir_holding("models/gpu", config_dir).value_or(config_dir);
}

namespace {

using reports::GpuBatchResult;
using reports::GpuModelResult;
using reports::GpuOpResult;
using reports::GpuStageResult;

constexpr double kMs = 1e3;

std::string vision_summary(const gpu::ModelSpec& spec) {
  const gpu::VisionSpec& v = spec.vision;
  std::string size = v.image_size ? fmt::format("{} px", *v.image_size)
                                  : fmt::format("dynamic resolution, {}x{} patches merged",
                                                v.spatial_merge, v.spatial_merge);
  return fmt::format("{}: {} layers ({} run), hidden {}, {} heads, MLP {}, patch {}{}, {}",
                     v.model_type, v.layers, v.layers_run, v.hidden, v.heads, v.intermediate,
                     v.patch,
                     v.temporal_patch > 1 ? fmt::format("x{} frames", v.temporal_patch) : "", size);
}

std::string projector_summary(const gpu::ModelSpec& spec) {
  const gpu::ProjectorSpec& p = spec.projector;
  return fmt::format("{}: {} -> {} ({}) -> {}", p.name, p.input, p.hidden, p.activation, p.output);
}

std::string language_summary(const gpu::ModelSpec& spec) {
  const gpu::LanguageSpec& lm = spec.lm;
  return fmt::format(
      "{}: {} layers, hidden {}, {} heads / {} KV heads (head dim {}), MLP {}, vocab {}{}{}",
      lm.model_type, lm.layers, lm.hidden, lm.heads, lm.kv_heads, lm.head_dim, lm.intermediate,
      lm.vocab, lm.sliding_window ? fmt::format(", sliding window {}", *lm.sliding_window) : "",
      lm.tie_word_embeddings ? ", tied embeddings" : "");
}

std::string gemm_shape(const gpu::Gemm& g) {
  return fmt::format("M={} N={} K={}{}", g.m, g.n, g.k,
                     g.batch > 1 ? fmt::format(" x{}", g.batch) : "");
}

std::string attention_shape(const gpu::Attention& a) {
  return fmt::format("{} seq x {} heads ({} KV) x {} queries x {} keys, head dim {}{}{}",
                     a.sequences, a.heads, a.kv_heads, a.q_len, a.kv_len, a.head_dim,
                     a.causal ? ", causal" : "",
                     a.window ? fmt::format(", window {}", *a.window) : "");
}

double bound_seconds(double flops, double bytes, double peak, double bandwidth) {
  return std::max(flops / peak, bytes / bandwidth);
}

/// The stage's roofline and plan ops, with the measurement when there is one.
GpuStageResult stage_result(const gpu::Stage& stage, const gpu::StageBound& bound, gpu::DType dtype,
                            double peak, double bandwidth, const gpu::StageMeasurement* measured,
                            const std::string& error) {
  GpuStageResult s;
  s.name = stage.name;
  s.phase = std::string(gpu::to_string(stage.phase));
  s.description = stage.description;
  s.flops = bound.flops;
  s.bytes = bound.bytes;
  s.bound_ms = bound.seconds() * kMs;
  s.bound_by = bound.memory_bound() ? "memory" : "compute";
  s.error = error;
  std::size_t index = 0;
  auto add_op = [&](GpuOpResult op) {
    op.bound_ms = bound_seconds(op.flops, op.bytes, peak, bandwidth) * kMs;
    if (measured != nullptr && index < measured->ops.size()) {
      const gpu::OpMeasurement& m = measured->ops[index];
      op.measured_ms = m.seconds * kMs;
      op.achieved_tflops = op.flops / m.seconds / 1e12;
      op.mfu = op.flops / m.seconds / peak;
      op.mbu = op.bytes / m.seconds / bandwidth;
      op.relative_spread = m.relative_spread;
      op.runs = m.runs;
      op.converged = m.converged;
      op.max_error = m.max_error;
      op.tolerance = m.tolerance;
    }
    ++index;
    s.ops.push_back(std::move(op));
  };
  auto op = [](std::string name, std::string kind, std::string shape, std::int64_t count,
               double flops, double bytes) {
    GpuOpResult o;
    o.name = std::move(name);
    o.kind = std::move(kind);
    o.shape = std::move(shape);
    o.count = count;
    o.flops = flops;
    o.bytes = bytes;
    return o;
  };
  for (const auto& g : stage.gemms)
    add_op(op(g.name, "gemm", gemm_shape(g), g.count, g.flops(), g.bytes(dtype)));
  for (const auto& a : stage.attention)
    add_op(op(a.name, "attention", attention_shape(a), a.count, a.flops(), a.bytes(dtype)));
  if (measured != nullptr) {
    s.measured_ms = measured->seconds * kMs;
    s.achieved_tflops = s.flops / measured->seconds / 1e12;
    s.mfu = s.flops / measured->seconds / peak;
    s.mbu = s.bytes / measured->seconds / bandwidth;
  }
  return s;
}

reports::GpuDevice device_record(const gpu::DeviceInfo& d) {
  reports::GpuDevice r;
  r.name = d.name;
  r.compute_capability =
      fmt::format("{}.{}", d.compute_capability_major, d.compute_capability_minor);
  r.sm_count = d.sm_count;
  r.memory_bytes = d.memory_bytes;
  r.l2_bytes = d.l2_bytes;
  r.sm_clock_mhz = d.sm_clock_mhz;
  r.memory_clock_mhz = d.memory_clock_mhz;
  r.memory_bus_bits = d.memory_bus_bits;
  r.driver_version = d.driver_version;
  r.cuda_runtime_version = d.cuda_runtime_version;
  r.cublaslt_version = d.cublaslt_version;
  return r;
}

std::vector<std::string> kind_names(const gpu::GpuTable& table) {
  std::vector<std::string> names;
  for (const auto& k : table.kinds())
    names.push_back(k.name);
  return names;
}

/// How the section's numbers were obtained: measured on `executor` (with its timing options), or
/// why they are roofline bounds only.
void describe_measurement(reports::GpuSection& section, const gpu::Executor* executor,
                          const GpuBenchmarkOptions& options, const std::string& unavailable) {
  if (executor != nullptr) {
    section.measured = true;
    section.measurement = fmt::format(
        "stage times are medians of CUDA-event timings of cuBLASLt GEMMs and attention on {}{}",
        executor->device().name, options.timing.flush_l2 ? " with L2 flushed before each run" : "");
    const gpu::MeasureOptions& t = executor->options();
    reports::GpuTiming timing;
    timing.warmup_runs = t.warmup_runs;
    timing.min_runs = t.min_runs;
    timing.max_runs = t.max_runs;
    timing.max_relative_spread = t.max_relative_spread;
    timing.cold_l2 = t.flush_l2;
    timing.algorithms = t.algorithms;
    timing.workspace_bytes = static_cast<std::int64_t>(t.workspace_bytes);
    section.timing = timing;
  } else if (!options.measure) {
    section.measurement = "not measured (--no-measure): every number is a roofline bound";
  } else {
    section.measurement =
        fmt::format("measurement needs a GPU: {}; every number is a roofline bound", unavailable);
  }
}

}  // namespace

void validate_gpu_benchmark(const GpuBenchmarkOptions& options) {
  if (options.models.empty()) throw InputError(Location{"--model", 0, ""}, "no model given");
  if (options.batches.empty()) throw InputError(Location{"--batch", 0, ""}, "no batch size");
  if (options.gpu_count < 1) {
    throw InputError(Location{"--gpu-count", 0, ""}, "the GPU count must be >= 1");
  }
  if (!(options.memory_fraction > 0 && options.memory_fraction <= 1)) {
    throw InputError(Location{"--memory-fraction", 0, ""}, "must be in (0, 1]");
  }
  if (options.usd_per_gpu_hour && !(*options.usd_per_gpu_hour > 0)) {
    throw InputError(Location{"--price", 0, ""}, "the price must be > 0 dollars per GPU-hour");
  }
}

GpuTarget gpu_target(const gpu::GpuTable& table, const GpuBenchmarkOptions& options,
                     const gpu::Executor* device, const std::string& unavailable,
                     std::ostream& log) {
  // The device: opened to measure, and to identify the GPU for --gpu auto.
  const bool automatic = ascii_lower(options.gpu) == "auto";
  const gpu::GpuKind* kind = nullptr;
  std::string gpu_source = "named";
  if (automatic) {
    if (device == nullptr) {
      throw InputError(Location{"--gpu", 0, ""},
                       fmt::format("--gpu auto found no GPU ({}). For the roofline alone, name a "
                                   "GPU kind: {}",
                                   unavailable, join(kind_names(table), ", ")));
    }
    const std::string& name = device->device().name;
    kind = table.match_device(name);
    if (kind == nullptr) {
      throw InputError(Location{"--gpu", 0, ""},
                       fmt::format("the device '{}' is not among the device_names of {}; name its "
                                   "kind with --gpu ({}) or add it to the table",
                                   name, table.source(), join(kind_names(table), ", ")));
    }
    gpu_source = "detected";
  } else {
    kind = &table.find(options.gpu);
    if (device != nullptr && table.match_device(device->device().name) != kind) {
      log << fmt::format("note: the device is '{}' but --gpu names {}; bounds use {}'s datasheet\n",
                         device->device().name, kind->name, kind->name);
    }
  }
  const auto peak = kind->peak_flops(options.dtype);
  if (!peak) {
    throw InputError(Location{"--dtype", 0, ""},
                     fmt::format("{} lists no dense {} peak for {}", table.source(),
                                 gpu::to_string(options.dtype), kind->name));
  }
  GpuTarget target{*kind, gpu_source, *peak, kind->bandwidth_bytes_per_s(), std::nullopt};
  if (options.usd_per_gpu_hour) {
    reports::GpuPrice price;
    price.usd_per_gpu_hour = *options.usd_per_gpu_hour;
    price.provider = "--price";
    target.price = price;
  } else if (!kind->prices.empty()) {
    const gpu::PriceQuote& q = kind->prices.front();
    reports::GpuPrice price;
    price.usd_per_gpu_hour = q.usd_per_gpu_hour;
    price.provider = q.provider;
    price.date = q.date;
    price.source = q.source;
    target.price = price;
  }
  return target;
}

reports::GpuBatchResult gpu_batch_result(const gpu::ModelSpec& spec, const gpu::Plan& plan,
                                         const GpuTarget& target,
                                         const GpuBenchmarkOptions& options,
                                         gpu::Executor* executor,
                                         std::vector<std::string>& failures, std::ostream& log) {
  const std::int64_t batch = plan.batch;
  const gpu::Roofline bound = gpu::roofline(plan, target.kind);
  GpuBatchResult b;
  b.batch = batch;
  b.max_batch_kv_fit = gpu::max_batch_kv_fit(plan, target.kind, options.memory_fraction);
  b.fits_in_memory = batch <= b.max_batch_kv_fit;
  b.prefill_flops = plan.prefill_flops();
  b.prefill_flops_per_request = b.prefill_flops / static_cast<double>(batch);
  b.decode_bytes_per_step = plan.decode_bytes_per_step();
  b.decode_weight_bytes_per_step = plan.decode_weight_bytes_per_step();

  std::map<std::string, double> measured_seconds;
  for (std::size_t i = 0; i < plan.stages.size(); ++i) {
    const gpu::Stage& stage = plan.stages[i];
    std::optional<gpu::StageMeasurement> m;
    std::string error;
    if (executor != nullptr) {
      log << fmt::format("measuring {} batch {}: {}\n", spec.name, batch, stage.name);
      try {
        m = executor->measure(stage, options.dtype);
        measured_seconds[stage.name] = m->seconds;
      } catch (const std::exception& e) {
        error = e.what();
        failures.push_back(fmt::format("{} batch {} {}: {}", spec.name, batch, stage.name, error));
        log << "error: " << failures.back() << '\n';
      }
    }
    b.stages.push_back(stage_result(stage, bound.stages[i], options.dtype, target.peak_flops,
                                    target.bandwidth, m ? &*m : nullptr, error));
  }

  b.bound_prefill_ms = bound.totals.prefill_seconds * kMs;
  b.bound_decode_step_ms = bound.totals.decode_step_seconds * kMs;
  b.bound_tokens_per_s = bound.totals.tokens_per_second;
  b.bound_decode_tokens_per_s = bound.totals.decode_tokens_per_second;
  b.bound_requests_per_s = bound.totals.requests_per_second;
  b.bound_images_per_s = bound.totals.images_per_second;
  const auto measured = gpu::throughput(plan, [&](const gpu::Stage& s) -> std::optional<double> {
    const auto it = measured_seconds.find(s.name);
    if (it == measured_seconds.end()) return std::nullopt;
    return it->second;
  });
  if (measured) {
    b.measured_prefill_ms = measured->prefill_seconds * kMs;
    b.measured_decode_step_ms = measured->decode_step_seconds * kMs;
    b.measured_tokens_per_s = measured->tokens_per_second;
    b.measured_decode_tokens_per_s = measured->decode_tokens_per_second;
    b.measured_requests_per_s = measured->requests_per_second;
    b.measured_images_per_s = measured->images_per_second;
  }
  if (target.price) {
    const double price = target.price->usd_per_gpu_hour;
    const gpu::Cost at_bound =
        gpu::cost(price, options.gpu_count, bound.totals, plan.request.images);
    b.usd_per_day = at_bound.usd_per_day;
    b.usd_per_1m_output_tokens = at_bound.usd_per_1m_output_tokens;
    b.usd_per_1k_images = at_bound.usd_per_1k_images;
    if (measured) {
      const gpu::Cost at_measured =
          gpu::cost(price, options.gpu_count, *measured, plan.request.images);
      b.measured_usd_per_1m_output_tokens = at_measured.usd_per_1m_output_tokens;
      b.measured_usd_per_1k_images = at_measured.usd_per_1k_images;
    }
  }
  return b;
}

reports::GpuModelResult gpu_model_result(const gpu::ModelSpec& spec, const GpuTarget& target,
                                         const GpuBenchmarkOptions& options,
                                         gpu::Executor* executor,
                                         std::vector<std::string>& failures, std::ostream& log) {
  GpuModelResult model;
  model.model = spec.name;
  model.spec_source = spec.source;
  model.model_type = spec.model_type;
  model.vision = vision_summary(spec);
  model.projector = projector_summary(spec);
  model.language = language_summary(spec);
  for (const std::int64_t batch : options.batches) {
    const gpu::Plan plan = gpu::build_plan(spec, options.request, batch, options.dtype);
    if (model.batches.empty()) {
      model.images_per_request = plan.request.images;
      model.image_height = plan.request.image_height;
      model.image_width = plan.request.image_width;
      model.image_tokens = plan.image.tokens;
      model.text_tokens = plan.request.prompt_tokens;
      model.prompt_tokens = plan.prompt_len;
      model.output_tokens = plan.request.output_tokens;
      model.decode_context = plan.decode_context;
      model.weight_bytes = plan.resident_weight_bytes();
      model.kv_bytes_per_token = plan.kv_bytes_per_token();
    }
    model.batches.push_back(gpu_batch_result(spec, plan, target, options, executor, failures, log));
  }
  return model;
}

GpuBenchmarkResult run_gpu_benchmark(const GpuBenchmarkOptions& options, std::ostream& log) {
  validate_gpu_benchmark(options);
  const auto table_path =
      options.gpu_table.empty() ? find_config("gpus.json", options.config_dir) : options.gpu_table;
  const gpu::GpuTable table = gpu::GpuTable::load(table_path);
  std::vector<gpu::ModelSpec> specs;
  for (const auto& m : options.models)
    specs.push_back(gpu::load_model_spec(m, spec_dir(m, options.config_dir)));

  gpu::ExecutorProbe probe;
  if (options.measure || ascii_lower(options.gpu) == "auto") {
    probe = gpu::open_executor(options.device, options.timing);
  }
  const GpuTarget target = gpu_target(table, options, probe.executor.get(), probe.unavailable, log);
  gpu::Executor* executor = options.measure ? probe.executor.get() : nullptr;

  GpuBenchmarkResult result;
  reports::GpuSection& section = result.section;
  section.gpu = target.kind.name;
  section.gpu_description = target.kind.description;
  section.gpu_source = target.source;
  section.gpu_table = table.source();
  section.gpu_count = options.gpu_count;
  section.dtype = std::string(gpu::to_string(options.dtype));
  section.peak_tflops = target.peak_flops / 1e12;
  section.bandwidth_gb_per_s = target.kind.bandwidth_gb_per_s;
  section.memory_gb = target.kind.memory_gb;
  section.memory_fraction = options.memory_fraction;
  section.price = target.price;
  if (probe.executor) section.device = device_record(probe.executor->device());
  describe_measurement(section, executor, options, probe.unavailable);
  for (const auto& spec : specs)
    section.models.push_back(
        gpu_model_result(spec, target, options, executor, result.failures, log));
  return result;
}

}  // namespace lmmbench::harness
