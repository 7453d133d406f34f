#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// MME: yes/no questions, two per image (gold "Yes" and "No"), in 14 subtasks. Per subtask
/// acc = share of questions right, acc+ = share of images with both questions right, and
/// score = 100·acc + 100·acc+ (0..200 points); Perception = sum of the 10 perception subtask
/// scores (0..2000), Cognition = sum of the 4 cognition ones (0..800). The headline `score` is
/// Perception, as the LLaVA-1.5 paper reports it. Input: `subtask` (one of the 14 names, exactly as
/// MME spells them), `image`, `label` ("Yes"/"No").
///
/// Variants (the answer read is SampleScore::extracted: "yes", "no" or "other"):
///  - "official" (default): calculation.py of tools/eval_tool.zip, branch Evaluation of
///    BradyFU/Awesome-Multimodal-Large-Language-Models, calculate_metrics.process_result. The tool
///    reads the prediction from a `image\tquestion\tgold\tprediction\n` line, so it sees the
///    prediction with its line's trailing newline; as its readme requires one line per response,
///    line breaks and tabs are deleted from the prediction first. The text is lower-cased (Python
///    str.lower) and "yes", else "no", is searched in its first 4 characters (code points): "y" ->
///    other, "  yes" -> other, "none" -> no, "yesterday" -> yes.
///  - "lmms-eval": EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/mme/utils.py parse_pred_ans:
///    the prediction is stripped, lower-cased, stripped and its '.' deleted; "yes"/"no" exactly, a
///    lone "y"/"n", else "yes"/"no" in the first 4 characters, else other.
///
/// "other" is wrong and counted unparsed. A missing prediction is read as "" (other). Totals are
/// over the subtasks present (a full MME run has all 14); `score` is NaN without any perception
/// subtask. Its interval is a seeded bootstrap over images (all subtasks pooled; a resample that
/// leaves a present perception subtask without images is dropped).
class Mme final : public Metric {
 public:
  enum class Variant { official, lmms_eval };

  explicit Mme(Variant variant = Variant::official);
  /// Registry factory; variants "official" (default) and "lmms-eval"; no options.
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"official", "lmms-eval"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  /// Throws InputError for an unknown subtask or a label other than yes/no.
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  /// The aggregator throws InputError (at finish) when an image of a subtask does not have
  /// exactly two questions, as both references assert.
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// The official tool's reading of a prediction: "yes", "no" or "other".
  [[nodiscard]] static std::string_view read_official(std::string_view prediction);
  /// lmms-eval's parse_pred_ans of the prediction (after api/task.py's strip).
  [[nodiscard]] static std::string_view read_lmms_eval(std::string_view prediction);

  /// The 10 perception subtasks, then the 4 cognition ones, in the official tool's order.
  [[nodiscard]] static std::span<const std::string> subtasks();
  [[nodiscard]] static bool is_perception(std::string_view subtask);

 private:
  Variant variant_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
