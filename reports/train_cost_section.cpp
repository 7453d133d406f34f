#include "reports/train_cost_section.hpp"

#include "core/json_fields.hpp"

namespace lmmbench::reports {

// Each record type lists its fields once, in visit() (core/json_fields.hpp); not in an unnamed
// namespace: json_fields::write and read find them by argument-dependent lookup.

using json_fields::Record;

template <class S, class F>
requires Record<S, TrainModuleFlops>
void visit(S& m, F&& f) {
  f("module", m.module);
  f("trainable", m.trainable);
  f("forward_flops", m.forward);
  f("backward_activation_flops", m.backward_activations);
  f("backward_weight_flops", m.backward_weights);
  f("recompute_flops", m.recompute);
}

template <class S, class F>
requires Record<S, TrainMemory>
void visit(S& m, F&& f) {
  f("weights_bytes", m.weights);
  f("gradients_bytes", m.gradients);
  f("optimizer_bytes", m.optimizer);
  f("activations_bytes", m.activations);
  f("activations_without_checkpointing_bytes", m.activations_without_checkpointing);
  f("activations_with_checkpointing_bytes", m.activations_with_checkpointing);
  f("logits_bytes", m.logits);
  f("total_bytes", m.total);
  f("capacity_bytes", m.capacity);
  f("fits", m.fits);
}

template <class S, class F>
requires Record<S, TrainStageResult>
void visit(S& s, F&& f) {
  f("name", s.name);
  f("description", s.description);
  f("source", s.source);
  f("trainable", s.trainable);
  f("samples", s.samples);
  f("epochs", s.epochs);
  f("images_per_sample", s.images_per_sample);
  f("image_tokens", s.image_tokens);
  f("text_tokens", s.text_tokens);
  f("text_tokens_source", s.text_tokens_source);
  f("sequence", s.sequence);
  f("global_batch", s.global_batch);
  f("micro_batch", s.micro_batch);
  f("gradient_accumulation", s.gradient_accumulation);
  f("steps", s.steps);
  f("zero_stage", s.zero_stage);
  f("gradient_checkpointing", s.gradient_checkpointing);
  f("flash_attention", s.flash_attention);
  f("parameters_trainable", s.parameters_trainable);
  f("parameters_frozen", s.parameters_frozen);
  f("modules", s.modules);
  f("model_flops_per_sample", s.model_flops_per_sample);
  f("hardware_flops_per_sample", s.hardware_flops_per_sample);
  f("model_flops", s.model_flops);
  f("hardware_flops", s.hardware_flops);
  f("hours", s.hours);
  f("hfu", s.hfu);
  f("usd", s.usd);
  f("memory", s.memory);
  f("published_hours", s.published_hours);
  f("published_gpu", s.published_gpu, json_fields::omit_empty);
  f("published_source", s.published_source);
  f("mfu_for_published", s.mfu_for_published);
  f("hfu_for_published", s.hfu_for_published);
}

template <class S, class F>
requires Record<S, TrainSensitivityRow>
void visit(S& r, F&& f) {
  f("text_tokens_scale", r.text_tokens_scale);
  f("text_tokens", r.text_tokens);
  f("model_flops", r.model_flops);
  f("hours", r.hours);
  f("usd", r.usd);
  f("mfu_for_published", r.mfu_for_published);
}

template <class S, class F>
requires Record<S, TrainAssumption>
void visit(S& a, F&& f) {
  f("name", a.name);
  f("value", a.value);
  f("source", a.source);
}

template <class S, class F>
requires Record<S, TrainCostSection>
void visit(S& s, F&& f) {
  f("recipe", s.recipe);
  f("recipe_file", s.recipe_file);
  f("description", s.description);
  f("model", s.model);
  f("model_source", s.model_source);
  f("gpu", s.gpu);
  f("gpu_description", s.gpu_description);
  f("gpu_table", s.gpu_table);
  f("gpus", s.gpus);
  f("dtype", s.dtype);
  f("peak_tflops", s.peak_tflops);
  f("memory_gb", s.memory_gb);
  f("mfu", s.mfu);
  f("mfu_source", s.mfu_source);
  f("price", s.price);
  f("stages", s.stages);
  f("model_flops", s.model_flops);
  f("hardware_flops", s.hardware_flops);
  f("hours", s.hours);
  f("hfu", s.hfu);
  f("usd", s.usd);
  f("fits", s.fits);
  f("published_hours", s.published_hours);
  f("mfu_for_published", s.mfu_for_published);
  f("hfu_for_published", s.hfu_for_published);
  f("sensitivity_mfus", s.sensitivity_mfus);
  f("sensitivity", s.sensitivity);
  f("assumptions", s.assumptions);
  f("sources", s.sources);
}

LMMBENCH_JSON_FIELDS(TrainModuleFlops)
LMMBENCH_JSON_FIELDS(TrainMemory)
LMMBENCH_JSON_FIELDS(TrainStageResult)
LMMBENCH_JSON_FIELDS(TrainSensitivityRow)
LMMBENCH_JSON_FIELDS(TrainAssumption)
LMMBENCH_JSON_FIELDS(TrainCostSection)

}  // namespace lmmbench::reports
