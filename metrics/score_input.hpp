#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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
///    and kept as its decimal form), kept in `fields`;
///  - "fields": an object of metric-specific extras (HallusionBench's ids, MathVista's
///    precision), each a string or an integer (kept as its decimal form), into `fields` by name.
///
///  - for a judge-scored metric (`required_fields` holds "judge"): "tuple" or else "score" (a list
///    of numbers) into judge_scores, "content" (a string or a list of strings) into judge_replies,
///    at least one of the two; "question_id" (string or integer) into fields["question_id"] and,
///    when "id" is absent, the id; "capability" (a list of strings) into fields["capability"],
///    joined with ",". Other metrics ignore these keys.
///
/// `required_fields` (from MetricInfo) names what this metric needs; "answers", "answer" and
/// "label" each demand their own key. Unknown keys are ignored (score files often carry extra
/// columns). A JSON null counts as absent. Any violation throws InputError naming the file, line
/// and field.
ScoringItem parse_scoring_item(const ConfigNode& record,
                               std::span<const std::string> required_fields);

/// The fast path of the above for one raw JSONL line, without a DOM or a JsonSource: fills `item`
/// (every member overwritten; its strings and vectors keep their capacity, so a caller reusing one
/// item allocates almost nothing per line) and returns true for an ordinary valid record.
/// Returns false, leaving `item` unspecified, for anything else — a blank line, invalid JSON, a
/// violation of the rules above, or a form it leaves to the full parser (duplicate keys,
/// non-canonical integer ids, deep nesting, a byte-order mark). Contract: when it returns true,
/// `item` equals parse_scoring_item of the same line parsed by parse_jsonl_line. Thread-safe.
[[nodiscard]] bool try_parse_scoring_line(std::string_view line,
                                          std::span<const std::string> required_fields,
                                          ScoringItem& item);

/// Turns the lines of one `lmmbench score` input into ScoringItems: the fast path first, and the
/// located parse (parse_jsonl_line + parse_scoring_item) only for the lines it declines, so every
/// accepted line gives the item, and every bad line the exact error message ("file:line: field
/// /answers: ..."), that the located parse alone would. Keeps no per-line state beyond the item's
/// reused buffers. Thread-safe for distinct items.
class ScoringLineReader {
 public:
  ScoringLineReader(std::string file_name, std::vector<std::string> required_fields);

  /// Reads line `line_number` into `item` (overwritten). False for a blank line; throws
  /// InputError for a bad one.
  bool read(std::size_t line_number, std::string_view line, ScoringItem& item);

 private:
  std::string file_name_;
  std::vector<std::string> required_fields_;
};

/// Calls `on_item` for every record of the `lmmbench score` input `input` — a JSONL file, or "-"
/// for standard input — in file order, streaming: memory holds one block of the file and one item,
/// never the whole input. The item passed is reused for the next line: copy what must outlive the
/// call. Throws InputError naming the file, line and field of the first bad record, including a
/// value `on_item` refuses (an InputError without a location gets the line's), an id that appears
/// twice (naming both lines; the ids seen are kept for this), and an input without any record.
void for_each_scoring_item(const std::string& input, std::span<const std::string> required_fields,
                           const std::function<void(const ScoringItem&)>& on_item);
/// As above for JSONL text already in memory; `name` stands for the file in messages.
void for_each_scoring_item(std::string_view text, const std::string& name,
                           std::span<const std::string> required_fields,
                           const std::function<void(const ScoringItem&)>& on_item);

}  // namespace lmmbench::metrics
