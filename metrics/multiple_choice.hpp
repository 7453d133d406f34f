#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// Plain multiple-choice accuracy: the option letter is extracted from the prediction and compared
/// with the gold letter (answers[0]). Extraction, on the trimmed prediction, accepts in order:
///   1. the bare letter, optionally as "(B)", "B.", "B)" or "B:";
///   2. a leading "B. ", "B) ", "(B) " or "B: " followed by text;
///   3. a prediction equal (ASCII case-insensitive, one trailing '.' dropped) to exactly one option
///      text.
/// Only letters of existing options count. Anything else is unparsed and scores 0 — never a guess.
class MultipleChoice final : public Metric {
 public:
  MultipleChoice();
  /// Registry factory; one variant, "default".
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() { return {"default"}; }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// The extracted letter ("A"...), or nullopt when the prediction names no option.
  static std::optional<std::string> extract_letter(std::string_view prediction,
                                                   const std::vector<std::string>& options);

 private:
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
