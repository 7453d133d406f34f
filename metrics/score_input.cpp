#include "metrics/score_input.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "core/json_cursor.hpp"
#include "core/jsonl.hpp"

namespace lmmbench::metrics {

namespace {

std::string id_text(const ConfigNode& node) {
  if (node.json().is_number_integer()) return node.json().dump();
  if (!node.is_string()) node.fail("expected a string or an integer id");
  return node.as_string();
}

bool needs(std::span<const std::string> required, std::string_view field) {
  return std::find(required.begin(), required.end(), field) != required.end();
}

/// The judge output of a record for a judge-scored metric (required field "judge"): a LLaVA
/// review line or an MM-Vet grade line (docs/metrics.md).
void read_judge_fields(ObjectReader& in, ScoringItem& item) {
  if (const auto question_id = in.find("question_id"))
    item.fields["question_id"] = id_text(*question_id);
  // LLaVA's summarize_gpt_review.py reads "tuple" where a review has one, else "score".
  auto scores = in.find("tuple");
  if (!scores) scores = in.find("score");
  if (scores) {
    for (const auto& score : scores->elements())
      item.judge_scores.push_back(score.as_number());
  }
  if (const auto content = in.find("content")) {
    if (content->is_string()) {
      item.judge_replies.push_back(content->as_string());
    } else {
      item.judge_replies = content->as_string_list();
    }
  }
  if (const auto capability = in.find("capability")) {
    std::string joined;
    for (const auto& name : capability->as_string_list())
      joined += (joined.empty() ? "" : ",") + name;
    item.fields["capability"] = joined;
  }
  if (!scores && item.judge_replies.empty()) in.required("score");  // neither: name the usual one
}

}  // namespace

ScoringItem parse_scoring_item(const ConfigNode& record, std::span<const std::string> required) {
  ObjectReader in(record);
  ScoringItem item;
  const bool judged = needs(required, "judge");
  auto id = in.find("id");
  if (!id && judged) id = in.find("question_id");  // LLaVA review files key on question_id
  item.id = id_text(id ? *id : in.required("id"));
  if (const auto prediction = in.find("prediction")) item.prediction = prediction->as_string();
  item.category = in.get_string("category", "");

  if (const auto answers = in.find("answers")) {
    for (const auto& answer : answers->elements()) {
      if (answer.is_object()) {
        item.answers.push_back(answer.object().required("answer").as_string());
      } else {
        item.answers.push_back(answer.as_string());
      }
    }
    if (item.answers.empty() && needs(required, "answers"))
      answers->fail("expected at least one answer");
  } else if (needs(required, "answers")) {
    in.required("answers");
  }
  for (const char* single : {"answer", "label"}) {
    if (const auto value = in.find(single)) {
      item.answers.push_back(value->as_string());
    } else if (needs(required, single)) {
      in.required(single);
    }
  }
  if (const auto options = in.find("options")) {
    item.options = options->as_string_list();
  } else if (needs(required, "options")) {
    in.required("options");
  }
  if (const auto image = in.find("image")) {
    if (image->json().is_boolean()) {
      item.fields["image"] = image->as_bool() ? "true" : "false";
    } else {
      item.fields["image"] = image->as_string();
    }
  } else if (needs(required, "image")) {
    in.required("image");
  }
  for (const char* name : {"subtask", "group", "question_type", "answer_type", "l2_category"}) {
    if (const auto value = in.find(name)) {
      item.fields[name] =
          value->json().is_number_integer() ? value->json().dump() : value->as_string();
    } else if (needs(required, name)) {
      in.required(name);
    }
  }
  if (const auto fields = in.find("fields")) {
    // Metric-specific extras (HallusionBench's set/figure/question ids, MathVista's precision):
    // each a string or an integer, kept under its own name.
    if (!fields->is_object()) fields->fail("expected an object of strings or integers");
    for (const auto& [name, value] : fields->json().items()) {
      if (value.is_string()) {
        item.fields[name] = value.get<std::string>();
      } else if (value.is_number_integer()) {
        item.fields[name] = value.dump();
      } else if (!value.is_null()) {
        fields->fail(fmt::format("field '{}': expected a string or an integer", name));
      }
    }
  }
  if (judged) read_judge_fields(in, item);
  return item;
}

// ---------------------------------------------------------------------------------------------
// Fast path. It mirrors parse_scoring_item rule by rule; wherever that function would throw, this
// one returns false and the caller runs parse_scoring_item to get the message.

namespace {

/// The keys parse_scoring_item reads, in one order that indexes bit masks and kKeyNames.
enum class Key : unsigned {
  id,
  prediction,
  category,
  answers,
  answer,
  label,
  options,
  image,
  subtask,
  group,
  question_type,
  answer_type,
  l2_category,
  fields,
  other,
};

constexpr std::array<std::string_view, 14> kKeyNames = {
    "id",    "prediction", "category", "answers",       "answer",      "label",       "options",
    "image", "subtask",    "group",    "question_type", "answer_type", "l2_category", "fields"};

/// The keys kept in ScoringItem::fields, under their own names.
constexpr std::array<Key, 6> kFieldKeys = {Key::image,         Key::subtask,     Key::group,
                                           Key::question_type, Key::answer_type, Key::l2_category};

constexpr unsigned bit(Key key) {
  return 1u << static_cast<unsigned>(key);
}

Key classify(std::string_view key) {
  if (key.size() < 2 || key.size() > 13) return Key::other;  // the names' lengths
  for (std::size_t i = 0; i < kKeyNames.size(); ++i) {
    if (kKeyNames[i] == key) return static_cast<Key>(i);
  }
  return Key::other;
}

/// The keys among `required` that parse_scoring_item enforces (it ignores others, e.g. "id").
unsigned required_mask(std::span<const std::string> required) {
  unsigned mask = 0;
  for (const auto& name : required) {
    if (const Key key = classify(name);
        key != Key::other && key != Key::id && key != Key::prediction && key != Key::category) {
      mask |= bit(key);
    }
  }
  return mask;
}

/// Per-thread buffers reused across lines.
struct Scratch {
  std::string key;
  std::string answer;
  std::string label;
  std::vector<std::pair<std::string, std::string>> extras;  ///< "fields" members, in order
  std::size_t n_extras = 0;
};

/// Slot `n` of `list`, reused when it exists (keeping its capacity), appended otherwise.
std::string& slot(std::vector<std::string>& list, std::size_t n) {
  return n < list.size() ? list[n] : list.emplace_back();
}

/// A list of strings (parse_scoring_item: elements() + as_string) into list[0, n).
bool read_string_list(JsonCursor& in, std::vector<std::string>& list, std::size_t& n) {
  if (!in.consume('[')) return false;
  for (bool first = true, done = false;; first = false) {
    if (!in.next(']', first, done)) return false;
    if (done) return true;
    if (in.peek() != '"' || !in.read_string(slot(list, n++))) return false;
  }
}

/// An "answers" list whose elements are strings or annotation objects {"answer": "...", ...}.
bool read_answers(JsonCursor& in, std::vector<std::string>& list, std::size_t& n,
                  std::string& key) {
  if (!in.consume('[')) return false;
  for (bool first = true, done = false;; first = false) {
    if (!in.next(']', first, done)) return false;
    if (done) return true;
    std::string& answer = slot(list, n++);
    const char c = in.peek();
    if (c == '"') {
      if (!in.read_string(answer)) return false;
      continue;
    }
    if (c != '{' || !in.consume('{')) return false;
    bool found = false;
    for (bool member_first = true, closed = false;; member_first = false) {
      if (!in.next('}', member_first, closed)) return false;
      if (closed) break;
      std::string_view name;
      if (!in.read_string_view(name, key) || !in.consume(':')) return false;
      if (name != "answer") {
        if (!in.skip_value()) return false;
        continue;
      }
      // A repeated "answer" (nlohmann keeps the last), null or a non-string: the full parser.
      if (found || in.peek() != '"' || !in.read_string(answer)) return false;
      found = true;
    }
    if (!found) return false;
  }
}

/// A "subtask"/"group"/"question_type"/"answer_type"/"l2_category" value: a string, or an integer
/// kept as the decimal form nlohmann's dump() writes.
bool read_string_or_integer(JsonCursor& in, std::string& out) {
  if (in.peek() == '"') return in.read_string(out);
  std::string_view digits;
  if (!in.read_canonical_integer(digits)) return false;
  out.assign(digits);
  return true;
}

/// A "fields" object: members whose values are strings or canonical integers (null ones are
/// skipped), appended to `extras` in order.
bool read_extras(JsonCursor& in, Scratch& scratch) {
  if (!in.consume('{')) return false;
  for (bool first = true, done = false;; first = false) {
    if (!in.next('}', first, done)) return false;
    if (done) return true;
    std::string_view name;
    if (!in.read_string_view(name, scratch.key) || !in.consume(':')) return false;
    if (in.peek() == 'n') {
      if (!in.read_null()) return false;
      continue;
    }
    if (scratch.n_extras == scratch.extras.size()) scratch.extras.emplace_back();
    auto& [extra_name, value] = scratch.extras[scratch.n_extras++];
    extra_name.assign(name);
    if (!read_string_or_integer(in, value)) return false;
  }
}

}  // namespace

bool try_parse_scoring_line(std::string_view line, std::span<const std::string> required_fields,
                            ScoringItem& item) {
  // Judge outputs (small files: tens to hundreds of lines) take the located parser alone.
  if (needs(required_fields, "judge")) return false;
  thread_local Scratch scratch;
  scratch.n_extras = 0;
  JsonCursor in(line);
  if (!in.consume('{')) return false;
  unsigned seen = 0;     // keys met, null or not
  unsigned present = 0;  // keys with a non-null value
  std::size_t n_answers = 0;
  std::size_t n_options = 0;
  for (bool first = true, done = false;; first = false) {
    if (!in.next('}', first, done)) return false;
    if (done) break;
    std::string_view key_text;
    if (!in.read_string_view(key_text, scratch.key) || !in.consume(':')) return false;
    const Key key = classify(key_text);
    if (key == Key::other) {
      if (!in.skip_value()) return false;
      continue;
    }
    if ((seen & bit(key)) != 0) return false;  // nlohmann keeps the last one; leave it to it
    seen |= bit(key);
    if (in.peek() == 'n') {  // null counts as absent
      if (!in.read_null()) return false;
      continue;
    }
    present |= bit(key);
    bool ok = false;
    switch (key) {
      case Key::id:
        ok = read_string_or_integer(in, item.id);
        break;
      case Key::prediction:
        if (!item.prediction) item.prediction.emplace();
        ok = in.peek() == '"' && in.read_string(*item.prediction);
        break;
      case Key::category:
        ok = in.peek() == '"' && in.read_string(item.category);
        break;
      case Key::answers:
        ok = read_answers(in, item.answers, n_answers, scratch.key);
        break;
      case Key::answer:
        ok = in.peek() == '"' && in.read_string(scratch.answer);
        break;
      case Key::label:
        ok = in.peek() == '"' && in.read_string(scratch.label);
        break;
      case Key::options:
        ok = read_string_list(in, item.options, n_options);
        break;
      case Key::image:
      case Key::subtask:
      case Key::group:
      case Key::question_type:
      case Key::answer_type:
      case Key::l2_category: {
        const auto name = kKeyNames[static_cast<std::size_t>(key)];
        auto it = item.fields.find(name);
        if (it == item.fields.end()) it = item.fields.emplace(std::string(name), "").first;
        if (key != Key::image) {
          ok = read_string_or_integer(in, it->second);
        } else if (in.peek() == '"') {
          ok = in.read_string(it->second);
        } else {
          bool value = false;
          ok = in.read_bool(value);
          it->second = value ? "true" : "false";
        }
        break;
      }
      case Key::fields:
        ok = read_extras(in, scratch);
        break;
      case Key::other:
        break;
    }
    if (!ok) return false;
  }
  if (!in.at_end()) return false;

  const unsigned required = required_mask(required_fields);
  if ((present & bit(Key::id)) == 0) return false;
  if ((present & bit(Key::prediction)) == 0) item.prediction.reset();
  if ((present & bit(Key::category)) == 0) item.category.clear();
  if ((required & bit(Key::answers)) != 0 &&
      ((present & bit(Key::answers)) == 0 || n_answers == 0)) {
    return false;
  }
  for (const auto& [key, text] :
       {std::pair{Key::answer, &scratch.answer}, std::pair{Key::label, &scratch.label}}) {
    if ((present & bit(key)) != 0) {
      slot(item.answers, n_answers++) = *text;
    } else if ((required & bit(key)) != 0) {
      return false;
    }
  }
  item.answers.resize(n_answers);
  if ((present & bit(Key::options)) == 0 && (required & bit(Key::options)) != 0) return false;
  item.options.resize(n_options);
  unsigned field_mask = 0;
  for (const Key key : kFieldKeys) {
    if ((present & bit(key)) == 0 && (required & bit(key)) != 0) return false;
    field_mask |= bit(key);
  }
  // Drop the fields of earlier lines that this line lacks (usually none: files keep one schema).
  // An earlier line's "fields" extras classify as `other` and are dropped here too.
  if (scratch.n_extras > 0 ||
      item.fields.size() != static_cast<std::size_t>(std::popcount(present & field_mask))) {
    std::erase_if(item.fields, [&](const auto& entry) {
      return (present & field_mask & bit(classify(entry.first))) == 0;
    });
  }
  // As parse_scoring_item: the extras come last, so one named like a known key replaces it.
  for (std::size_t k = 0; k < scratch.n_extras; ++k)
    item.fields[scratch.extras[k].first] = scratch.extras[k].second;
  return true;
}

ScoringLineReader::ScoringLineReader(std::string file_name,
                                     std::vector<std::string> required_fields)
    : file_name_(std::move(file_name)), required_fields_(std::move(required_fields)) {}

bool ScoringLineReader::read(std::size_t line_number, std::string_view line, ScoringItem& item) {
  if (try_parse_scoring_line(line, required_fields_, item)) return true;
  const auto record = parse_jsonl_line(line, file_name_, line_number);
  if (!record) return false;  // blank
  item = parse_scoring_item(*record, required_fields_);
  return true;
}

namespace {

/// Reads the lines of one `lmmbench score` input: each record through ScoringLineReader, then a
/// check that its id is new, then `on_item`, whose InputErrors (a metric refusing a value, e.g. a
/// POPE label "maybe") are given this line's location when they carry none.
class ScoreInputLines {
 public:
  ScoreInputLines(std::string name, std::span<const std::string> required_fields,
                  const std::function<void(const ScoringItem&)>& on_item)
      : name_(std::move(name)),
        reader_(name_, {required_fields.begin(), required_fields.end()}),
        on_item_(on_item) {}

  void operator()(std::size_t line_number, std::string_view line) {
    if (!reader_.read(line_number, line, item_)) return;
    const auto [first, inserted] = line_of_id_.try_emplace(item_.id, line_number);
    if (!inserted) {
      throw InputError(Location{name_, line_number, "/id"},
                       fmt::format("id '{}' appears twice (lines {} and {}); each record must "
                                   "have its own id",
                                   item_.id, first->second, line_number));
    }
    try {
      on_item_(item_);
    } catch (const InputError& e) {
      if (!e.where().file.empty()) throw;
      throw InputError(Location{name_, line_number, e.where().field}, e.detail());
    }
  }

  /// Throws when no line held a record: an empty input has no score, and a null one would read as
  /// a result.
  void finish() const {
    if (line_of_id_.empty()) {
      throw InputError(Location{name_, 0, ""}, "no records (the input is empty or blank)");
    }
  }

 private:
  std::string name_;
  ScoringLineReader reader_;
  const std::function<void(const ScoringItem&)>& on_item_;
  ScoringItem item_;
  /// Every id seen and its line: the one per-record cost beyond the aggregator's scores.
  std::unordered_map<std::string, std::size_t> line_of_id_;
};

}  // namespace

void for_each_scoring_item(const std::string& input, std::span<const std::string> required_fields,
                           const std::function<void(const ScoringItem&)>& on_item) {
  const bool from_stdin = input == "-";
  ScoreInputLines lines(from_stdin ? "<stdin>" : input, required_fields, on_item);
  const LineHandler on_line = [&](std::size_t line_number, std::string_view line) {
    lines(line_number, line);
  };
  if (from_stdin) {
    for_each_line(stdin, "<stdin>", on_line);
  } else {
    for_each_line(std::filesystem::path(input), on_line);
  }
  lines.finish();
}

void for_each_scoring_item(std::string_view text, const std::string& name,
                           std::span<const std::string> required_fields,
                           const std::function<void(const ScoringItem&)>& on_item) {
  ScoreInputLines lines(name, required_fields, on_item);
  for_each_line_in_memory(
      text, [&](std::size_t line_number, std::string_view line) { lines(line_number, line); });
  lines.finish();
}

}  // namespace lmmbench::metrics
