#include "models/gpu/training.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "models/gpu/plan.hpp"

namespace lmmbench::gpu {

namespace {

double d(std::int64_t v) {
  return static_cast<double>(v);
}

// Bounds that keep every product below in the range of a double's exact integers and of
// int64 (1e12 samples x 1e3 epochs / 1 is a step count int64 holds).
constexpr std::int64_t kMaxSamples = 1'000'000'000'000;
constexpr std::int64_t kMaxBatch = 1'000'000'000;
constexpr std::int64_t kMaxGpus = 1'000'000;
constexpr std::int64_t kMaxImages = 1'000;
constexpr std::int64_t kMaxTokens = 100'000'000;

PublishedTime read_published(const ConfigNode& node) {
  ObjectReader r = node.object();
  PublishedTime p;
  const auto hours = r.required("hours");
  p.hours = hours.as_number();
  if (!(p.hours > 0) || p.hours > 1e6) hours.fail("hours must be in (0, 1e6]");
  if (auto gpu = r.find("gpu")) {
    p.gpu = gpu->as_string();
    p.gpu_location = gpu->location();
  }
  p.source = r.required_string("source");
  r.finish();
  return p;
}

TrainStage read_stage(const ConfigNode& node) {
  ObjectReader r = node.object();
  TrainStage s;
  s.name = r.required_string("name");
  s.description = r.get_string("description", "");
  s.source = r.get_string("source", "");
  const auto trainable = r.required("trainable");
  for (const auto& module : trainable.elements()) {
    const std::string name = module.as_string();
    if (name == "vision") {
      s.vision_trainable = true;
    } else if (name == "projector") {
      s.projector_trainable = true;
    } else if (name == "lm") {
      s.lm_trainable = true;
    } else {
      module.fail(fmt::format("unknown module '{}' (known: vision, projector, lm)", name));
    }
  }
  if (!s.vision_trainable && !s.projector_trainable && !s.lm_trainable) {
    trainable.fail("a stage trains at least one module (vision, projector, lm)");
  }
  s.samples = r.required("samples").as_int(1, kMaxSamples);
  s.images_per_sample = r.get_int("images_per_sample", 1, 0, kMaxImages);
  if (auto size = r.find("image_size")) {
    const auto sides = size->elements();
    if (sides.size() != 2) size->fail("expected [height, width] in pixels");
    s.image_height = sides[0].as_int(1, kMaxTokens);
    s.image_width = sides[1].as_int(1, kMaxTokens);
  }
  s.location = node.location();
  const auto text_tokens = r.required("text_tokens");
  s.text_tokens = text_tokens.as_int(0, kMaxTokens);
  s.text_tokens_location = text_tokens.location();
  s.text_tokens_source = r.required_string("text_tokens_source");
  const auto epochs = r.find("epochs");
  if (epochs) {
    s.epochs = epochs->as_number();
    if (!(s.epochs > 0) || s.epochs > 1000) epochs->fail("epochs must be in (0, 1000]");
  }
  s.global_batch = r.required("global_batch").as_int(1, kMaxBatch);
  const auto micro = r.required("micro_batch");
  s.micro_batch = micro.as_int(1, kMaxBatch);
  if (s.micro_batch > s.global_batch) micro.fail("micro_batch exceeds global_batch");
  s.zero_stage = static_cast<int>(r.get_int("zero_stage", 0, 0, 3));
  s.gradient_checkpointing = r.get_bool("gradient_checkpointing", false);
  s.flash_attention = r.get_bool("flash_attention", false);
  if (auto published = r.find("published")) s.published = read_published(*published);
  r.finish();
  return s;
}

/// A transformer stack's activations per Korthikanti et al. 2022, "Reducing Activation
/// Recomputation in Large Transformer Models" (arXiv 2205.05198), section 4.1: s b h (34 + 5 a s
/// / h) bytes per layer with 16-bit activations and no parallelism; the 5 a s^2 b term holds the
/// attention scores, softmax and its dropout mask, which FlashAttention never stores. Full
/// recomputation keeps each layer's 2 s b h-byte input, plus one layer's activations while it
/// is recomputed.
struct StackActivations {
  double without_checkpointing = 0;
  double with_checkpointing = 0;
};

StackActivations stack_activations(std::int64_t layers, std::int64_t sequence,
                                   std::int64_t micro_batch, std::int64_t hidden,
                                   std::int64_t heads, bool flash_attention) {
  const double sbh = d(sequence) * d(micro_batch) * d(hidden);
  const double scores =
      flash_attention ? 0.0 : 5.0 * d(heads) * d(sequence) * d(sequence) * d(micro_batch);
  const double layer = 34.0 * sbh + scores;
  return {d(layers) * layer, d(layers) * 2.0 * sbh + layer};
}

double gemm_flops(const Stage* stage) {
  double total = 0;
  if (stage == nullptr) return total;
  for (const auto& g : stage->gemms)
    total += d(g.count) * g.flops();
  return total;
}

double attention_flops(const Stage* stage) {
  double total = 0;
  if (stage == nullptr) return total;
  for (const auto& a : stage->attention)
    total += d(a.count) * a.flops();
  return total;
}

double named_gemm_flops(const Stage* stage, std::string_view name) {
  if (stage == nullptr) return 0;
  for (const auto& g : stage->gemms) {
    if (g.name == name) return d(g.count) * g.flops();
  }
  return 0;
}

StageEstimate estimate_stage(const TrainStage& st, const ModelSpec& spec, const GpuKind& gpu,
                             std::int64_t gpus, DType dtype) {
  StageEstimate e;
  e.name = st.name;
  RequestShape request;
  request.images = st.images_per_sample;
  request.image_height = st.image_height;
  request.image_width = st.image_width;
  if (st.image_height == 0) {
    if (st.images_per_sample > 0 && !spec.vision.image_size) {
      throw InputError(st.location,
                       fmt::format("stage '{}': the model's vision tower has no fixed image size; "
                                   "give the stage's image_size [height, width]",
                                   st.name));
    }
    request.image_height = request.image_width = spec.vision.image_size.value_or(1);
  }
  request.prompt_tokens = st.text_tokens;
  request.output_tokens = 1;  // A training sample is all "prompt": one forward over it.
  const std::int64_t image_tokens =
      st.images_per_sample > 0
          ? image_geometry(spec, request.image_height, request.image_width).tokens
          : 0;
  e.image_tokens = st.images_per_sample * image_tokens;
  e.sequence = e.image_tokens + st.text_tokens;
  if (e.sequence < 1 || e.sequence + 1 > spec.lm.max_positions) {
    throw InputError(
        st.text_tokens_location,
        fmt::format("stage '{}': {} tokens per sample ({} image + {} text) do not fit "
                    "the model's {} positions",
                    st.name, e.sequence, e.image_tokens, st.text_tokens, spec.lm.max_positions));
  }
  const Plan plan = build_plan(spec, request, 1, dtype);

  const Stage* patch = plan.find(kPatchEmbed);
  const Stage* vision = plan.find(kVisionLayers);
  const Stage* projector = plan.find(kProjector);
  const Stage* lm = plan.find(kPrefill);
  // Training computes logits at every position (the plan's serving head does only the last).
  const double head = Gemm{"lm_head", e.sequence, spec.lm.vocab, spec.lm.hidden, 1, 1}.flops();
  const bool any = st.vision_trainable || st.projector_trainable || st.lm_trainable;
  const bool ckpt = st.gradient_checkpointing;

  // A GEMM's backward computes dX when anything upstream of its input trains, and dW when its
  // own weights train; attention (no weights) computes dQ, dK, dV: twice its forward. The vision
  // tower runs under no_grad when frozen (nothing upstream of it trains): no backward at all.
  ModuleFlops v{"vision", st.vision_trainable};
  const double v_gemm = gemm_flops(vision);
  const double v_attn = attention_flops(vision);
  v.forward = gemm_flops(patch) + v_gemm + v_attn;
  if (st.vision_trainable) {
    v.backward_activations = v_gemm + 2 * v_attn;  // Pixels need no gradient: not the patch GEMM.
    v.backward_weights = gemm_flops(patch) + v_gemm;
    if (ckpt) v.recompute = v_gemm + v_attn;
  }
  ModuleFlops p{"projector", st.projector_trainable};
  const double p1 = named_gemm_flops(projector, "linear_1");
  const double p2 = named_gemm_flops(projector, "linear_2");
  p.forward = p1 + p2;
  p.backward_activations =
      (st.vision_trainable ? p1 : 0.0) + (st.vision_trainable || st.projector_trainable ? p2 : 0.0);
  if (st.projector_trainable) p.backward_weights = p1 + p2;
  ModuleFlops l{"lm", st.lm_trainable};
  const double l_gemm = gemm_flops(lm);
  const double l_attn = attention_flops(lm);
  l.forward = l_gemm + l_attn + head;
  if (any) l.backward_activations = l_gemm + head + 2 * l_attn;
  if (st.lm_trainable) l.backward_weights = l_gemm + head;
  if (ckpt && any) l.recompute = l_gemm + l_attn;  // Decoder layers only, not the head.
  e.modules = {v, p, l};
  for (const auto& m : e.modules) {
    e.model_flops_per_sample += m.forward + m.backward_activations + m.backward_weights;
    e.hardware_flops_per_sample +=
        m.forward + m.backward_activations + m.backward_weights + m.recompute;
  }
  e.samples_seen = d(st.samples) * st.epochs;
  e.steps = static_cast<std::int64_t>(std::ceil(e.samples_seen / d(st.global_batch)));
  e.model_flops = e.model_flops_per_sample * e.samples_seen;
  e.hardware_flops = e.hardware_flops_per_sample * e.samples_seen;

  const ParameterCounts params = parameter_counts(spec);
  e.parameters_trainable = (st.vision_trainable ? params.vision : 0.0) +
                           (st.projector_trainable ? params.projector : 0.0) +
                           (st.lm_trainable ? params.lm : 0.0);
  e.parameters_frozen = params.total() - e.parameters_trainable;

  // ZeRO (Rajbhandari et al. 2020, arXiv 1910.02054, section 5): stage 1 partitions the
  // optimizer states, 2 also the gradients, 3 also the weights, over the data-parallel GPUs.
  MemoryPerGpu& mem = e.memory;
  const double bytes = d(element_bytes(dtype));
  const double n = d(gpus);
  mem.weights = bytes * params.total() / (st.zero_stage >= 3 ? n : 1.0);
  mem.gradients = bytes * e.parameters_trainable / (st.zero_stage >= 2 ? n : 1.0);
  mem.optimizer = 12.0 * e.parameters_trainable / (st.zero_stage >= 1 ? n : 1.0);
  const auto lm_act = stack_activations(spec.lm.layers, e.sequence, st.micro_batch, spec.lm.hidden,
                                        spec.lm.heads, st.flash_attention);
  mem.activations_without_checkpointing = lm_act.without_checkpointing;
  mem.activations_with_checkpointing = lm_act.with_checkpointing;
  if (st.vision_trainable && st.images_per_sample > 0) {
    const auto geometry = image_geometry(spec, request.image_height, request.image_width);
    // The vision tower's attention is eager (its scores are stored).
    const auto v_act = stack_activations(spec.vision.layers_run, geometry.vision_seq,
                                         st.micro_batch * st.images_per_sample, spec.vision.hidden,
                                         spec.vision.heads, false);
    mem.activations_without_checkpointing += v_act.without_checkpointing;
    mem.activations_with_checkpointing += v_act.with_checkpointing;
  }
  mem.activations =
      ckpt ? mem.activations_with_checkpointing : mem.activations_without_checkpointing;
  mem.logits = d(e.sequence) * d(st.micro_batch) * d(spec.lm.vocab) * (bytes + 4.0);
  mem.capacity = gpu.memory_bytes();
  return e;
}

}  // namespace

TrainRecipe read_train_recipe(const ConfigNode& root) {
  ObjectReader r = root.object();
  TrainRecipe recipe;
  recipe.file = root.source().name();
  recipe.name = r.required_string("name");
  recipe.description = r.get_string("description", "");
  recipe.model = r.required_string("model");
  const auto gpu = r.required("gpu");
  recipe.gpu = gpu.as_string();
  recipe.gpu_location = gpu.location();
  const auto gpus = r.required("gpus");
  recipe.gpus = gpus.as_int(1, kMaxGpus);
  const auto precision = r.required("precision");
  const auto dtype = parse_dtype(precision.as_string());
  if (!dtype) precision.fail("must be bf16 or fp16");
  recipe.dtype = *dtype;
  recipe.sources = r.get_string_list("sources", {});
  const auto stages = r.required("stages");
  for (const auto& stage : stages.elements()) {
    recipe.stages.push_back(read_stage(stage));
    const auto& s = recipe.stages.back();
    if (s.global_batch % (s.micro_batch * recipe.gpus) != 0) {
      stage.object()
          .required("global_batch")
          .fail(fmt::format("global_batch {} is not a multiple of micro_batch {} x gpus {}",
                            s.global_batch, s.micro_batch, recipe.gpus));
    }
  }
  if (recipe.stages.empty()) stages.fail("a recipe has at least one stage");
  r.finish();
  return recipe;
}

TrainRecipe load_train_recipe(const std::filesystem::path& path) {
  return read_train_recipe(ConfigNode(JsonSource::from_file(path)));
}

std::vector<StageEstimate> estimate_training(const TrainRecipe& recipe, const ModelSpec& spec,
                                             const GpuKind& gpu, std::int64_t gpus) {
  if (gpus < 1 || gpus > kMaxGpus) {
    throw InputError(Location{"--gpus", 0, ""}, fmt::format("must be 1 to {}", kMaxGpus));
  }
  std::vector<StageEstimate> out;
  for (const auto& stage : recipe.stages) {
    if (stage.global_batch % (stage.micro_batch * gpus) != 0) {
      throw InputError(Location{"--gpus", 0, ""},
                       fmt::format("stage '{}': global batch {} is not a multiple of micro batch "
                                   "{} x {} GPUs (the global batch is kept; give a GPU count "
                                   "that divides it)",
                                   stage.name, stage.global_batch, stage.micro_batch, gpus));
    }
    out.push_back(estimate_stage(stage, spec, gpu, gpus, recipe.dtype));
  }
  return out;
}

double training_seconds(double flops, std::int64_t gpus, double peak_flops, double mfu) {
  return flops / (d(gpus) * peak_flops * mfu);
}

double mfu_for_seconds(double flops, std::int64_t gpus, double peak_flops, double seconds) {
  return flops / (d(gpus) * peak_flops * seconds);
}

}  // namespace lmmbench::gpu
