#pragma once

#include <span>
#include <string>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// Reads one input record of `lmmbench score` (one JSONL line) into a ScoringItem:
///
///  - "id": string or integer (required); "prediction": string, null or absent (= missing);
///  - "category": optional breakdown key;
///  - gold data, into `answers`: "answers" (a list of strings, or VQA annotation objects with an
///    "answer" field), or "answer" (one string), or "label" (one string);
///  - "options": list of option texts, A first;
///  - "image": a string (MME image name) or a boolean (ScienceQA image question), kept in
///    fields["image"] as the name or "true"/"false";
///  - "subtask", "group", "question_type", "answer_type": strings (an integer group is accepted
///    and kept as its decimal form), kept in `fields`.
///
/// `required_fields` (from MetricInfo) names what this metric needs; "answers", "answer" and
/// "label" each demand their own key. Unknown keys are ignored (score files often carry extra
/// columns). Any violation throws InputError naming the file, line and field.
ScoringItem parse_scoring_item(const ConfigNode& record,
                               std::span<const std::string> required_fields);

}  // namespace lmmbench::metrics
