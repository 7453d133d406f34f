#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "models/gpu/dtype.hpp"
#include "models/gpu/gpu_table.hpp"
#include "models/gpu/model_spec.hpp"

namespace lmmbench {
class ConfigNode;
}

namespace lmmbench::gpu {

// What training a multimodal model costs, from its shapes (model_spec.hpp) and a recipe
// (configs/train/*.json): FLOPs per stage, memory per GPU, time at an MFU and dollars. The
// formulas and their sources are in docs/gpu.md, "Training cost". Everything is analytic; no
// weights and no GPU are needed.

/// A published wall time to hold an estimate against.
struct PublishedTime {
  double hours = 0;
  std::string gpu;  ///< The GPU kind it was measured on, when it is not the recipe's.
  Location gpu_location;
  std::string source;  ///< Where it is published (a URL with a commit, a paper section).
};

/// One stage of a recipe (LLaVA-1.5: "pretrain" = feature alignment, "finetune" = visual
/// instruction tuning).
struct TrainStage {
  std::string name;
  std::string description;
  std::string source;  ///< The script the settings are read from.
  bool vision_trainable = false;
  bool projector_trainable = false;
  bool lm_trainable = false;
  std::int64_t samples = 0;            ///< Training samples per epoch.
  std::int64_t images_per_sample = 1;  ///< Each adds the spec's tokens per image.
  std::int64_t image_height = 0;       ///< Pixels before the processor (0: the tower's size).
  std::int64_t image_width = 0;
  std::int64_t text_tokens = 0;  ///< Mean text tokens per sample (an assumption; see source).
  std::string text_tokens_source;
  double epochs = 1;
  std::int64_t global_batch = 0;  ///< Samples per optimizer step over all GPUs.
  std::int64_t micro_batch = 0;   ///< Samples per GPU per forward pass.
  int zero_stage = 0;  ///< DeepSpeed ZeRO: 0 none, 1 optimizer, 2 + gradients, 3 + weights.
  bool gradient_checkpointing = false;  ///< Every decoder layer's forward runs again in backward.
  /// Attention scores are never stored (FlashAttention): the 5as/h activation term is absent.
  bool flash_attention = false;
  std::optional<PublishedTime> published;
  Location location;              ///< Of the stage in the recipe (errors found when estimating).
  Location text_tokens_location;  ///< Of its text_tokens field.
};

struct TrainRecipe {
  std::string name;
  std::string file;  ///< The recipe file read.
  std::string description;
  std::string model;  ///< A shipped model spec name or a config.json path.
  std::string gpu;    ///< GPU kind of the table (configs/gpus.json).
  Location gpu_location;
  std::int64_t gpus = 1;  ///< Data-parallel GPUs.
  DType dtype = DType::bf16;
  std::vector<std::string> sources;  ///< Where the recipe's settings come from.
  std::vector<TrainStage> stages;
};

/// Reads a recipe (JSON with comments; docs/gpu.md lists the fields). Throws InputError naming
/// the file, line and field of a missing, unknown or out-of-range field: counts must be >= 1 (a
/// sample count up to 1e12, text tokens >= 0), epochs in (0, 1000], the global batch a multiple
/// of micro batch x GPUs, the ZeRO stage 0 to 3, at least one stage and one trainable module.
TrainRecipe read_train_recipe(const ConfigNode& root);
TrainRecipe load_train_recipe(const std::filesystem::path& path);

/// FLOPs of one module for one sample (a multiply and an add count 2).
struct ModuleFlops {
  std::string module;  ///< "vision", "projector", "lm"
  bool trainable = false;
  double forward = 0;               ///< GEMMs and attention of the forward pass.
  double backward_activations = 0;  ///< Gradients of inputs (dX), attention's backward included.
  double backward_weights = 0;      ///< Gradients of weights (dW): trainable modules only.
  double recompute = 0;             ///< Forward of the checkpointed layers run again in backward.
};

/// Bytes one GPU holds during a stage.
struct MemoryPerGpu {
  double weights = 0;      ///< 16-bit weights of every module (/ GPUs under ZeRO-3).
  double gradients = 0;    ///< 16-bit gradients of trainable weights (/ GPUs under ZeRO >= 2).
  double optimizer = 0;    ///< Adam in mixed precision: fp32 master, m and v, 12 bytes per
                           ///< trainable weight (/ GPUs under ZeRO >= 1).
  double activations = 0;  ///< LM layers at the micro batch, as configured (checkpointing or not).
  double activations_without_checkpointing = 0;  ///< Every layer's activations kept.
  double activations_with_checkpointing = 0;     ///< Layer inputs + one layer's activations.
  double logits = 0;    ///< 16-bit logits and their fp32 copy for the loss, every position.
  double capacity = 0;  ///< The GPU's memory (datasheet).
  [[nodiscard]] double total() const {
    return weights + gradients + optimizer + activations + logits;
  }
  [[nodiscard]] bool fits() const { return total() <= capacity; }
};

struct StageEstimate {
  std::string name;
  std::int64_t sequence = 0;      ///< Tokens per sample: images x image tokens + text tokens.
  std::int64_t image_tokens = 0;  ///< Per sample.
  double parameters_trainable = 0;
  double parameters_frozen = 0;
  std::vector<ModuleFlops> modules;      ///< vision, projector, lm (per sample)
  double model_flops_per_sample = 0;     ///< forward + backward (what MFU counts).
  double hardware_flops_per_sample = 0;  ///< + recompute (what HFU counts).
  double samples_seen = 0;               ///< samples x epochs
  std::int64_t steps = 0;                ///< ceil(samples seen / global batch)
  double model_flops = 0;                ///< Whole stage.
  double hardware_flops = 0;
  MemoryPerGpu memory;
};

/// FLOPs and memory of every stage of `recipe` for `spec` on `gpu`, with `gpus` GPUs (the
/// recipe's count unless overridden). Throws InputError when a stage's sequence exceeds the
/// model's positions.
std::vector<StageEstimate> estimate_training(const TrainRecipe& recipe, const ModelSpec& spec,
                                             const GpuKind& gpu, std::int64_t gpus);

/// Seconds `flops` take on `gpus` GPUs of `peak_flops` FLOP/s each at model FLOPs utilization
/// `mfu` (0 < mfu <= 1).
double training_seconds(double flops, std::int64_t gpus, double peak_flops, double mfu);

/// The MFU at which `flops` take `seconds` on `gpus` GPUs of `peak_flops` FLOP/s each.
double mfu_for_seconds(double flops, std::int64_t gpus, double peak_flops, double seconds);

}  // namespace lmmbench::gpu
