#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/gpu_section.hpp"

namespace lmmbench::reports {

// The training-cost section of a run record (run.json "train_cost", written by `lmmbench
// train-cost --out`; `--json` prints the same object). Analytic: FLOPs from the model's shapes,
// memory per GPU, time at an MFU, dollars at a dated price (docs/gpu.md, "Training cost").
// Units are in the key: flops (a multiply and an add count 2), bytes, hours, usd; mfu and hfu are
// fractions (0..1) of the dense tensor peak. Per-sample figures are for one training sample.

/// One module's FLOPs for one sample.
struct TrainModuleFlops {
  std::string module;  ///< "vision", "projector", "lm"
  bool trainable = false;
  double forward = 0;
  double backward_activations = 0;  ///< dX (and attention's dQ, dK, dV).
  double backward_weights = 0;      ///< dW.
  double recompute = 0;             ///< Gradient checkpointing's second forward.
};

/// Bytes one GPU holds during a stage.
struct TrainMemory {
  double weights = 0;
  double gradients = 0;
  double optimizer = 0;
  double activations = 0;  ///< As configured (with or without checkpointing).
  double activations_without_checkpointing = 0;
  double activations_with_checkpointing = 0;
  double logits = 0;
  double total = 0;     ///< weights + gradients + optimizer + activations + logits
  double capacity = 0;  ///< The GPU's datasheet memory.
  bool fits = false;    ///< total <= capacity
};

struct TrainStageResult {
  std::string name;
  std::string description;
  std::string source;
  std::vector<std::string> trainable;
  std::int64_t samples = 0;
  double epochs = 1;
  std::int64_t images_per_sample = 0;
  std::int64_t image_tokens = 0;  ///< Per sample.
  std::int64_t text_tokens = 0;   ///< Per sample (mean; an assumption).
  std::string text_tokens_source;
  std::int64_t sequence = 0;  ///< image + text tokens
  std::int64_t global_batch = 0;
  std::int64_t micro_batch = 0;
  std::int64_t gradient_accumulation = 1;  ///< global batch / (micro batch x GPUs)
  std::int64_t steps = 0;
  int zero_stage = 0;
  bool gradient_checkpointing = false;
  bool flash_attention = false;
  double parameters_trainable = 0;
  double parameters_frozen = 0;
  std::vector<TrainModuleFlops> modules;
  double model_flops_per_sample = 0;
  double hardware_flops_per_sample = 0;
  double model_flops = 0;
  double hardware_flops = 0;
  double hours = 0;  ///< At the section's MFU.
  double hfu = 0;    ///< hardware FLOPs / (GPUs x peak x time)
  std::optional<double> usd;
  TrainMemory memory;
  std::optional<double> published_hours;
  std::string published_gpu;  ///< When the published time is on another GPU kind.
  std::string published_source;
  std::optional<double> mfu_for_published;  ///< The MFU that reproduces the published time.
  std::optional<double> hfu_for_published;
};

/// One text-token assumption: every stage's text tokens scaled.
struct TrainSensitivityRow {
  double text_tokens_scale = 1;
  std::vector<std::int64_t> text_tokens;  ///< Per stage.
  double model_flops = 0;
  std::vector<double> hours;  ///< One per TrainCostSection::sensitivity_mfus.
  std::optional<double> usd;  ///< At the section's MFU.
  std::optional<double> mfu_for_published;
};

/// One assumption of the estimate, printed with it.
struct TrainAssumption {
  std::string name;
  std::string value;
  std::string source;
};

struct TrainCostSection {
  std::string recipe;
  std::string recipe_file;
  std::string description;
  std::string model;
  std::string model_source;
  std::string gpu;
  std::string gpu_description;
  std::string gpu_table;
  std::int64_t gpus = 1;
  std::string dtype;
  double peak_tflops = 0;
  double memory_gb = 0;
  double mfu = 0;
  std::string mfu_source;  ///< "--mfu", "default", or the measured run it was taken from.
  std::optional<GpuPrice> price;
  std::vector<TrainStageResult> stages;
  double model_flops = 0;
  double hardware_flops = 0;
  double hours = 0;
  double hfu = 0;
  std::optional<double> usd;
  bool fits = false;                      ///< Every stage fits in memory.
  std::optional<double> published_hours;  ///< Sum over stages, when every stage has one.
  std::optional<double> mfu_for_published;
  std::optional<double> hfu_for_published;
  std::vector<double> sensitivity_mfus;
  std::vector<TrainSensitivityRow> sensitivity;
  std::vector<TrainAssumption> assumptions;
  std::vector<std::string> sources;
};

void to_json(nlohmann::json& j, const TrainCostSection& s);
/// Reads what to_json writes; absent optional fields read as null.
void from_json(const nlohmann::json& j, TrainCostSection& s);

}  // namespace lmmbench::reports
