// The training-cost section as a self-describing Section (reports/views.hpp). docs/gpu.md,
// "Training cost", defines every figure.

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/text.hpp"
#include "reports/views.hpp"

namespace lmmbench::reports {

namespace {

std::string hours_text(double hours) {
  return fmt::format("{:.1f} h", hours);
}

Table stages_table(const TrainCostSection& s) {
  Table t;
  t.title = "Stages";
  t.note = fmt::format(
      "Model FLOPs count forward and backward (what MFU measures); hardware FLOPs add the "
      "recompute of gradient checkpointing (HFU). Time at {:.1f} % MFU on {} × {}.",
      100 * s.mfu, s.gpus, s.gpu);
  t.columns = {text_column("stage"),
               text_column("trains"),
               number_column("samples", Unit::count),
               number_column("tokens/sample", Unit::count),
               number_column("steps", Unit::count),
               number_column("model FLOPs", Unit::flops),
               number_column("hardware FLOPs", Unit::flops),
               number_column("time", Unit::hours, Better::lower),
               number_column("HFU", Unit::percent),
               number_column("$", Unit::usd, Better::lower),
               number_column("published time", Unit::hours),
               number_column("MFU for published time", Unit::percent)};
  for (const auto& st : s.stages) {
    t.rows.push_back(
        {Value::words(st.name), Value::words(join(st.trainable, " + ")),
         Value::of(static_cast<double>(st.samples) * st.epochs),
         Value::of(static_cast<double>(st.sequence)), Value::of(static_cast<double>(st.steps)),
         Value::of(st.model_flops), Value::of(st.hardware_flops), Value::of(st.hours),
         Value::of(100 * st.hfu), Value::of(st.usd),
         Value{st.published_hours, st.published_gpu.empty() ? "" : "on " + st.published_gpu,
               std::nullopt, Mark::none},
         Value::of(pct(st.mfu_for_published))});
  }
  t.rows.push_back({Value::words("total"), Value::words(""), Value::of(std::nullopt),
                    Value::of(std::nullopt), Value::of(std::nullopt), Value::of(s.model_flops),
                    Value::of(s.hardware_flops), Value::of(s.hours), Value::of(100 * s.hfu),
                    Value::of(s.usd), Value::of(s.published_hours),
                    Value::of(pct(s.mfu_for_published))});
  t.charts.push_back(chart_of(Chart::Kind::bars, 0, {5, 6}, "FLOPs per stage"));
  return t;
}

Table flops_table(const TrainCostSection& s) {
  Table t;
  t.title = "FLOPs per sample";
  t.note =
      "One training sample through each module: forward, gradients of inputs (dX, attention's "
      "dQ dK dV), gradients of weights (dW, trainable modules only), recompute (checkpointing).";
  t.columns = {text_column("stage · module"),
               text_column("trainable"),
               number_column("forward", Unit::flops),
               number_column("backward dX", Unit::flops),
               number_column("backward dW", Unit::flops),
               number_column("recompute", Unit::flops)};
  for (const auto& st : s.stages) {
    for (const auto& m : st.modules) {
      t.rows.push_back({Value::words(st.name + " · " + m.module),
                        Value::words(m.trainable ? "yes" : "no"), Value::of(m.forward),
                        Value::of(m.backward_activations), Value::of(m.backward_weights),
                        Value::of(m.recompute)});
    }
  }
  return t;
}

Table memory_table(const TrainCostSection& s) {
  Table t;
  t.title = "Memory per GPU";
  t.note = fmt::format(
      "Per GPU of {} at the stage's micro batch; ZeRO shards optimizer states (stage ≥ 1), "
      "gradients (≥ 2) and weights (3) over the {} GPUs.",
      s.gpu, s.gpus);
  t.columns = {text_column("stage"),
               text_column("ZeRO · checkpointing"),
               number_column("weights", Unit::bytes),
               number_column("gradients", Unit::bytes),
               number_column("optimizer", Unit::bytes),
               number_column("activations", Unit::bytes),
               number_column("logits", Unit::bytes),
               number_column("total", Unit::bytes, Better::lower),
               number_column("capacity", Unit::bytes),
               text_column("fits"),
               number_column("activations without checkpointing", Unit::bytes),
               number_column("activations with checkpointing", Unit::bytes)};
  for (const auto& st : s.stages) {
    const auto& m = st.memory;
    t.rows.push_back(
        {Value::words(st.name),
         Value::words(fmt::format("ZeRO-{} · {} · micro batch {}", st.zero_stage,
                                  st.gradient_checkpointing ? "checkpointing" : "no checkpointing",
                                  st.micro_batch)),
         Value::of(m.weights), Value::of(m.gradients), Value::of(m.optimizer),
         Value::of(m.activations), Value::of(m.logits), Value::of(m.total), Value::of(m.capacity),
         Value::words(m.fits ? "yes" : "no", m.fits ? Mark::none : Mark::bad),
         Value::of(m.activations_without_checkpointing),
         Value::of(m.activations_with_checkpointing)});
  }
  return t;
}

Table sensitivity_table(const TrainCostSection& s) {
  Table t;
  t.title = "Sensitivity";
  t.note =
      "Every stage's text tokens per sample scaled; total time at each MFU, dollars at the "
      "estimate's MFU, and the MFU the published time then implies.";
  t.columns = {text_column("text tokens per sample"), number_column("model FLOPs", Unit::flops)};
  for (const double mfu : s.sensitivity_mfus)
    t.columns.push_back(
        number_column(fmt::format("time at {:g} % MFU", 100 * mfu), Unit::hours, Better::lower));
  t.columns.push_back(number_column(fmt::format("$ at {:g} % MFU", 100 * s.mfu), Unit::usd));
  t.columns.push_back(number_column("MFU for published time", Unit::percent));
  for (const auto& r : s.sensitivity) {
    std::vector<std::string> tokens;
    for (const auto n : r.text_tokens)
      tokens.push_back(std::to_string(n));
    std::vector<Value> row = {
        Value::words(fmt::format("×{:g} ({})", r.text_tokens_scale, join(tokens, " / "))),
        Value::of(r.model_flops)};
    for (const double h : r.hours)
      row.push_back(Value::of(h));
    row.push_back(Value::of(r.usd));
    row.push_back(Value::of(pct(r.mfu_for_published)));
    t.rows.push_back(std::move(row));
  }
  return t;
}

Table assumptions_table(const TrainCostSection& s) {
  Table t;
  t.title = "Assumptions";
  t.note = "What the estimate rests on; change the recipe or the options to change them.";
  t.columns = {text_column("assumption"), text_column("value"), text_column("source")};
  for (const auto& a : s.assumptions)
    t.rows.push_back({Value::words(a.name), Value::words(a.value), Value::words(a.source)});
  return t;
}

}  // namespace

Section train_cost_view(const TrainCostSection& s) {
  Section out;
  out.key = "train_cost";
  out.title = "Training cost";
  out.summary =
      fmt::format("{}: {} stage{} on {} × {} · {} at {:.1f} % MFU{}{}", s.recipe, s.stages.size(),
                  s.stages.size() == 1 ? "" : "s", s.gpus,
                  s.gpu_description.empty() ? s.gpu : s.gpu_description, hours_text(s.hours),
                  100 * s.mfu, s.usd ? fmt::format(" · ${:.0f}", *s.usd) : "",
                  s.published_hours && s.mfu_for_published
                      ? fmt::format(" · published {} ⇒ {:.1f} % MFU",
                                    hours_text(*s.published_hours), 100 * *s.mfu_for_published)
                      : "");
  out.facts = {{"recipe", s.recipe_file},
               {"model", fmt::format("{} ({})", s.model, s.model_source)},
               {"GPUs", fmt::format("{} × {} ({}) · {:g} TFLOP/s dense {} · {:g} GB", s.gpus,
                                    s.gpu_description, s.gpu, s.peak_tflops, s.dtype, s.memory_gb)},
               {"MFU", fmt::format("{:.1f} % ({})", 100 * s.mfu, s.mfu_source)},
               {"GPU table", s.gpu_table}};
  if (s.price) {
    out.facts.emplace_back("price", price_text(*s.price));
  }
  if (s.published_hours && s.mfu_for_published && s.hfu_for_published) {
    out.facts.emplace_back(
        "published time",
        fmt::format("{} ⇒ {:.1f} % MFU, {:.1f} % HFU reproduce it", hours_text(*s.published_hours),
                    100 * *s.mfu_for_published, 100 * *s.hfu_for_published));
  }
  for (const auto& source : s.sources)
    out.facts.emplace_back("source", source);
  for (const auto& st : s.stages) {
    const bool fits = st.memory.fits;
    out.checks.push_back({st.name + ": fits in GPU memory", fits,
                          fits ? ""
                               : fmt::format("needs {:.1f} GB per GPU, the GPU has {:.1f} GB",
                                             st.memory.total / 1e9, st.memory.capacity / 1e9)});
    if (!fits) {
      out.notes.push_back(fmt::format("{} does not fit: {:.1f} GB per GPU of {:.1f} GB", st.name,
                                      st.memory.total / 1e9, st.memory.capacity / 1e9));
    }
    add_objective(out, st.name + ": time", st.hours, Unit::hours, false);
  }
  out.tables.push_back(stages_table(s));
  out.tables.push_back(memory_table(s));
  out.tables.push_back(flops_table(s));
  out.tables.push_back(sensitivity_table(s));
  out.tables.push_back(assumptions_table(s));
  add_objective(out, "total time", s.hours, Unit::hours, false);
  add_objective(out, "total $", s.usd, Unit::usd, false);
  return out;
}

}  // namespace lmmbench::reports
