#include "harness/train_cost.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/cost.hpp"
#include "core/error.hpp"
#include "core/resource_paths.hpp"
#include "harness/gpu_benchmark.hpp"
#include "models/gpu/gpu_table.hpp"
#include "models/gpu/model_spec.hpp"
#include "models/gpu/training.hpp"
#include "reports/loaded_run.hpp"

namespace lmmbench::harness {

namespace {

using reports::TrainAssumption;
using reports::TrainCostSection;
using reports::TrainStageResult;

/// Scales of every stage's text tokens in the sensitivity table.
constexpr double kTextTokenScales[] = {0.5, 1.0, 1.5, 2.0};
/// MFUs of the sensitivity table (the estimate's own is added).
constexpr double kSensitivityMfus[] = {0.2, 0.3, 0.4, 0.5};

std::vector<std::string> trainable_list(const gpu::TrainStage& s) {
  std::vector<std::string> out;
  if (s.vision_trainable) out.emplace_back("vision");
  if (s.projector_trainable) out.emplace_back("projector");
  if (s.lm_trainable) out.emplace_back("lm");
  return out;
}

/// The GPU kind `name` of `table`; an unknown name is an InputError at `where` (the recipe's
/// field) with the table's list of names.
const gpu::GpuKind& find_kind(const gpu::GpuTable& table, const std::string& name,
                              const Location& where) {
  try {
    return table.find(name);
  } catch (const InputError& e) {
    if (where.file.empty()) throw;
    throw InputError(where, e.detail());
  }
}

/// Peak FLOP/s of the GPU kind a published time was measured on: its own `gpu`, else the
/// recipe's (never --gpu: the published time is of the recipe's hardware).
double published_peak(const gpu::GpuTable& table, const gpu::PublishedTime& p,
                      const gpu::TrainRecipe& recipe) {
  const bool own = !p.gpu.empty();
  const std::string& name = own ? p.gpu : recipe.gpu;
  const Location& where = own ? p.gpu_location : recipe.gpu_location;
  const auto peak = find_kind(table, name, where).peak_flops(recipe.dtype);
  if (!peak) {
    throw InputError(where, fmt::format("{} lists no dense {} peak for {}", table.source(),
                                        gpu::to_string(recipe.dtype), name));
  }
  return *peak;
}

struct Totals {
  double model_flops = 0;
  double hardware_flops = 0;
  std::optional<double> published_capacity;  ///< Sum of GPUs x peak x published seconds.
};

Totals totals(const std::vector<gpu::StageEstimate>& stages, const gpu::TrainRecipe& recipe,
              const gpu::GpuTable& table) {
  Totals t;
  double capacity = 0;
  bool all_published = true;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    t.model_flops += stages[i].model_flops;
    t.hardware_flops += stages[i].hardware_flops;
    const auto& published = recipe.stages[i].published;
    if (!published) {
      all_published = false;
      continue;
    }
    capacity += static_cast<double>(recipe.gpus) * published_peak(table, *published, recipe) *
                published->hours * 3600;
  }
  if (all_published) t.published_capacity = capacity;
  return t;
}

}  // namespace

std::filesystem::path find_recipe(const std::string& name_or_path,
                                  const std::filesystem::path& config_dir) {
  const std::filesystem::path as_path(name_or_path);
  std::error_code ec;
  if (as_path.extension() == ".json" || std::filesystem::exists(as_path, ec)) return as_path;
  return find_config(std::filesystem::path("train") / (name_or_path + ".json"), config_dir);
}

double measured_mfu(const std::filesystem::path& path, const std::string& gpu) {
  const reports::LoadedRun run = reports::load_run(path);
  const std::string file = (run.dir / "run.json").string();
  if (!run.record.gpu) {
    throw InputError(Location{file, 0, "gpu"},
                     "not a run of `lmmbench gpu` (it has no gpu section)");
  }
  const auto& section = *run.record.gpu;
  if (section.gpu != gpu) {
    throw InputError(Location{file, 0, "gpu/gpu"},
                     fmt::format("measured on {}, not on {}: an MFU is a fraction of one GPU's "
                                 "peak",
                                 section.gpu, gpu));
  }
  double flops = 0;
  double seconds = 0;
  for (const auto& model : section.models) {
    for (const auto& batch : model.batches) {
      for (const auto& stage : batch.stages) {
        if (stage.bound_by != "compute" || !stage.measured_ms || !(*stage.measured_ms > 0))
          continue;
        flops += stage.flops;
        seconds += *stage.measured_ms / 1e3;
      }
    }
  }
  if (!(seconds > 0) || !(section.peak_tflops > 0)) {
    throw InputError(
        Location{file, 0, "gpu/models"},
        section.measured
            ? "no compute-bound stage has a measured time"
            : "nothing was measured (a roofline-only run: " + section.measurement + ")");
  }
  const double mfu = flops / seconds / (section.peak_tflops * 1e12);
  if (!(mfu > 0) || mfu > 1) {
    throw InputError(Location{file, 0, "gpu/models"},
                     fmt::format("the measured stages give an MFU of {:g}, outside (0, 1]", mfu));
  }
  return mfu;
}

TrainCostSection estimate_train_cost(const TrainCostOptions& options) {
  if (options.mfu && !options.mfu_from.empty()) {
    throw InputError(Location{"--mfu", 0, ""}, "give --mfu or --mfu-from, not both");
  }
  if (options.mfu && (!(*options.mfu > 0) || *options.mfu > 1)) {
    throw InputError(
        Location{"--mfu", 0, ""},
        fmt::format("must be in (0, 1] (a fraction of the peak), not {:g}", *options.mfu));
  }
  if (options.usd_per_gpu_hour &&
      (!(*options.usd_per_gpu_hour > 0) || !std::isfinite(*options.usd_per_gpu_hour))) {
    throw InputError(Location{"--price", 0, ""}, "the price must be > 0 dollars per GPU-hour");
  }
  const auto recipe_file = find_recipe(options.recipe, options.config_dir);
  const gpu::TrainRecipe recipe = gpu::load_train_recipe(recipe_file);
  const gpu::ModelSpec spec =
      gpu::load_model_spec(recipe.model, spec_dir(recipe.model, options.config_dir));
  const gpu::GpuTable table = gpu::GpuTable::load(
      options.gpu_table.empty() ? find_config("gpus.json", options.config_dir) : options.gpu_table);
  const gpu::GpuKind& kind = options.gpu.empty()
                                 ? find_kind(table, recipe.gpu, recipe.gpu_location)
                                 : find_kind(table, options.gpu, Location{"--gpu", 0, ""});
  const auto peak = kind.peak_flops(recipe.dtype);
  if (!peak) {
    throw InputError(Location{recipe.file, 0, "precision"},
                     fmt::format("{} lists no dense {} peak for {}", table.source(),
                                 gpu::to_string(recipe.dtype), kind.name));
  }
  const std::int64_t gpus = options.gpus.value_or(recipe.gpus);

  TrainCostSection s;
  s.recipe = recipe.name;
  s.recipe_file = recipe.file;
  s.description = recipe.description;
  s.model = recipe.model;
  s.model_source = spec.source;
  s.gpu = kind.name;
  s.gpu_description = kind.description;
  s.gpu_table = table.source();
  s.gpus = gpus;
  s.dtype = std::string(gpu::to_string(recipe.dtype));
  s.peak_tflops = *peak / 1e12;
  s.memory_gb = kind.memory_gb;
  s.sources = recipe.sources;
  if (options.mfu) {
    s.mfu = *options.mfu;
    s.mfu_source = "--mfu";
  } else if (!options.mfu_from.empty()) {
    s.mfu = measured_mfu(options.mfu_from, kind.name);
    s.mfu_source = fmt::format(
        "measured by lmmbench gpu in {}: the GEMMs and attention alone, a ceiling for training",
        options.mfu_from);
  } else {
    s.mfu = kDefaultMfu;
    s.mfu_source = "default assumption; give --mfu or --mfu-from";
  }
  if (options.usd_per_gpu_hour) {
    s.price = reports::GpuPrice{*options.usd_per_gpu_hour, "--price", "", ""};
  } else if (!kind.prices.empty()) {
    const auto& q = kind.prices.front();
    s.price = reports::GpuPrice{q.usd_per_gpu_hour, q.provider, q.date, q.source};
  } else {
    throw InputError(Location{"--price", 0, ""},
                     fmt::format("{} has no price for {}: give --price USD_PER_GPU_HOUR",
                                 table.source(), kind.name));
  }

  const auto stages = gpu::estimate_training(recipe, spec, kind, gpus);
  const Totals sum = totals(stages, recipe, table);
  const auto hours_at = [&](double flops, double mfu) {
    return gpu::training_seconds(flops, gpus, *peak, mfu) / 3600;
  };
  const auto usd_for = [&](double hours) {
    return cost::usd_for_gpu_hours(s.price->usd_per_gpu_hour, static_cast<double>(gpus), hours);
  };
  s.fits = true;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const auto& e = stages[i];
    const auto& st = recipe.stages[i];
    TrainStageResult r;
    r.name = st.name;
    r.description = st.description;
    r.source = st.source;
    r.trainable = trainable_list(st);
    r.samples = st.samples;
    r.epochs = st.epochs;
    r.images_per_sample = st.images_per_sample;
    r.image_tokens = e.image_tokens;
    r.text_tokens = st.text_tokens;
    r.text_tokens_source = st.text_tokens_source;
    r.sequence = e.sequence;
    r.global_batch = st.global_batch;
    r.micro_batch = st.micro_batch;
    r.gradient_accumulation = st.global_batch / (st.micro_batch * gpus);
    r.steps = e.steps;
    r.zero_stage = st.zero_stage;
    r.gradient_checkpointing = st.gradient_checkpointing;
    r.flash_attention = st.flash_attention;
    r.parameters_trainable = e.parameters_trainable;
    r.parameters_frozen = e.parameters_frozen;
    for (const auto& m : e.modules) {
      r.modules.push_back({m.module, m.trainable, m.forward, m.backward_activations,
                           m.backward_weights, m.recompute});
    }
    r.model_flops_per_sample = e.model_flops_per_sample;
    r.hardware_flops_per_sample = e.hardware_flops_per_sample;
    r.model_flops = e.model_flops;
    r.hardware_flops = e.hardware_flops;
    r.hours = hours_at(e.model_flops, s.mfu);
    r.hfu = gpu::mfu_for_seconds(e.hardware_flops, gpus, *peak, r.hours * 3600);
    r.usd = usd_for(r.hours);
    const auto& m = e.memory;
    r.memory = {m.weights,
                m.gradients,
                m.optimizer,
                m.activations,
                m.activations_without_checkpointing,
                m.activations_with_checkpointing,
                m.logits,
                m.total(),
                m.capacity,
                m.fits()};
    s.fits = s.fits && m.fits();
    if (st.published) {
      const double p_peak = published_peak(table, *st.published, recipe);
      r.published_hours = st.published->hours;
      r.published_gpu = st.published->gpu;
      r.published_source = st.published->source;
      r.mfu_for_published =
          gpu::mfu_for_seconds(e.model_flops, recipe.gpus, p_peak, st.published->hours * 3600);
      r.hfu_for_published =
          gpu::mfu_for_seconds(e.hardware_flops, recipe.gpus, p_peak, st.published->hours * 3600);
    }
    s.stages.push_back(std::move(r));
  }
  s.model_flops = sum.model_flops;
  s.hardware_flops = sum.hardware_flops;
  s.hours = hours_at(s.model_flops, s.mfu);
  s.hfu = gpu::mfu_for_seconds(s.hardware_flops, gpus, *peak, s.hours * 3600);
  s.usd = usd_for(s.hours);
  if (sum.published_capacity) {
    double hours = 0;
    for (const auto& st : recipe.stages)
      hours += st.published->hours;
    s.published_hours = hours;
    s.mfu_for_published = s.model_flops / *sum.published_capacity;
    s.hfu_for_published = s.hardware_flops / *sum.published_capacity;
  }

  s.sensitivity_mfus.assign(std::begin(kSensitivityMfus), std::end(kSensitivityMfus));
  if (std::find(s.sensitivity_mfus.begin(), s.sensitivity_mfus.end(), s.mfu) ==
      s.sensitivity_mfus.end()) {
    s.sensitivity_mfus.push_back(s.mfu);
    std::sort(s.sensitivity_mfus.begin(), s.sensitivity_mfus.end());
  }
  for (const double scale : kTextTokenScales) {
    gpu::TrainRecipe scaled = recipe;
    reports::TrainSensitivityRow row;
    row.text_tokens_scale = scale;
    for (auto& st : scaled.stages) {
      st.text_tokens =
          static_cast<std::int64_t>(std::llround(static_cast<double>(st.text_tokens) * scale));
      row.text_tokens.push_back(st.text_tokens);
    }
    std::vector<gpu::StageEstimate> estimate;
    try {
      estimate = gpu::estimate_training(scaled, spec, kind, gpus);
    } catch (const InputError&) {
      continue;  // Beyond the model's positions: no row.
    }
    const Totals t = totals(estimate, scaled, table);
    row.model_flops = t.model_flops;
    for (const double mfu : s.sensitivity_mfus)
      row.hours.push_back(hours_at(t.model_flops, mfu));
    row.usd = usd_for(hours_at(t.model_flops, s.mfu));
    if (t.published_capacity) row.mfu_for_published = t.model_flops / *t.published_capacity;
    s.sensitivity.push_back(std::move(row));
  }

  auto& a = s.assumptions;
  for (const auto& st : s.stages) {
    a.push_back({st.name + ": tokens per sample",
                 fmt::format("{} image ({} per image) + {} text = {}", st.image_tokens,
                             st.images_per_sample > 0 ? st.image_tokens / st.images_per_sample : 0,
                             st.text_tokens, st.sequence),
                 st.text_tokens_source});
    a.push_back(
        {st.name + ": settings",
         fmt::format("{} samples × {:g} epochs, global batch {} (micro batch {} × {} GPUs "
                     "× {} accumulation), ZeRO-{}, {}checkpointing, {} attention, trains "
                     "{}",
                     st.samples, st.epochs, st.global_batch, st.micro_batch, gpus,
                     st.gradient_accumulation, st.zero_stage,
                     st.gradient_checkpointing ? "" : "no ", st.flash_attention ? "flash" : "eager",
                     [&] {
                       std::string t;
                       for (const auto& m : st.trainable)
                         t += (t.empty() ? "" : " + ") + m;
                       return t;
                     }()),
         st.source});
    if (st.published_hours) {
      a.push_back({st.name + ": published time",
                   fmt::format("{:g} h on {} × {}", *st.published_hours, recipe.gpus,
                               st.published_gpu.empty() ? recipe.gpu : st.published_gpu),
                   st.published_source});
    }
  }
  a.push_back({"FLOPs",
               "GEMMs and attention of the model's shapes (norms, activations, softmax, loss and "
               "the optimizer step are not counted); logits at every position; every token of a "
               "sample costs compute (padding to the batch's longest sample is not counted)",
               "docs/gpu.md, Training cost"});
  a.push_back({"backward",
               "dX through everything a gradient must pass (a frozen LM still back-propagates to "
               "the image tokens: 4N per token), dW for trainable weights only (6N), attention "
               "backward twice its forward; the frozen vision tower runs under no_grad (2N)",
               "docs/gpu.md, Training cost"});
  a.push_back({"memory",
               "16-bit weights and gradients, Adam's fp32 master, m and v (12 bytes per trainable "
               "weight), sharded by ZeRO stage; LM activations s·b·h·(34 + 5·a·s/h) bytes per "
               "layer (no 5as/h term with flash attention), layer inputs 2·s·b·h with "
               "checkpointing; logits 6 bytes each; not counted: ZeRO-3 gathered weights, "
               "communication buckets, CUDA context, fragmentation",
               "Rajbhandari et al. 2020 (ZeRO, arXiv 1910.02054); Korthikanti et al. 2022 (arXiv "
               "2205.05198) section 4.1"});
  a.push_back({"MFU", fmt::format("{:.1f} %", 100 * s.mfu), s.mfu_source});
  a.push_back(
      {"price", fmt::format("${:g} per GPU-hour", s.price->usd_per_gpu_hour),
       fmt::format("{}{}{}", s.price->provider, s.price->date.empty() ? "" : " · " + s.price->date,
                   s.price->source.empty() ? "" : " · " + s.price->source)});
  return s;
}

}  // namespace lmmbench::harness
