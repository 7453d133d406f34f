#include "metrics/seedbench.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

constexpr const char* kLlavaReference =
    "haotian-liu/LLaVA@c121f04 scripts/convert_seed_for_submission.py eval_single";
constexpr const char* kLmmsReference =
    "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/seedbench/utils.py seed_process_result + "
    "seed_aggregation_result";

/// The index of `text` among the option letters (`lower`: the lower-case letters), or -1.
int option_letter(std::string_view text, std::size_t options, bool lower) {
  if (text.size() != 1) return -1;
  const char first = lower ? 'a' : 'A';
  const int index = text[0] - first;
  return index >= 0 && static_cast<std::size_t>(index) < options ? index : -1;
}

const std::string& gold_letter(const ScoringItem& item) {
  if (item.answers.empty() || option_letter(item.answers.front(), item.options.size(), false) < 0) {
    throw InputError(fmt::format(
        "item '{}': SEED-Bench gold answer must be the letter of one of its {} options, got '{}'",
        item.id, item.options.size(), item.answers.empty() ? std::string() : item.answers.front()));
  }
  return item.answers.front();
}

}  // namespace

SeedBench::SeedBench(Variant variant)
    : variant_(variant),
      info_{"seedbench",
            variant == Variant::llava ? "llava" : "lmms-eval",
            variant == Variant::llava ? kLlavaReference : kLmmsReference,
            variant == Variant::llava
                ? "SEED-Bench: right iff the prediction equals the gold letter exactly"
                : "SEED-Bench: the first character of the stripped prediction, compared with the "
                  "gold letter case-insensitively",
            {"options", "answer"}} {}

std::string SeedBench::read_lmms_eval(std::string_view prediction) {
  // api/task.py strips, then seed_process_result strips again and keeps pred[0] if len(pred) > 1.
  const std::string_view p = pystr::strip(pystr::strip(prediction));
  std::size_t end = 0;
  if (!p.empty()) pystr::next_code_point(p, end);
  return std::string(p.substr(0, end));
}

SampleScore SeedBench::score(const ScoringItem& item) const {
  const std::string& gold = gold_letter(item);
  SampleScore s;
  if (variant_ == Variant::llava) {
    const std::string_view text = item.prediction ? std::string_view(*item.prediction) : "";
    const bool letter = option_letter(text, item.options.size(), false) >= 0;
    s.extracted = letter ? std::string(text) : "";
    s.status = letter ? ParseStatus::parsed : ParseStatus::unparsed;
    s.score = item.prediction && *item.prediction == gold ? 1.0 : 0.0;
  } else {
    s.extracted = read_lmms_eval(item.prediction ? std::string_view(*item.prediction) : "");
    // seed_aggregation_result: pred.lower().strip() == answer.lower().strip().
    const std::string read(pystr::strip(pystr::lower(s.extracted)));
    s.status = option_letter(read, item.options.size(), true) >= 0 ? ParseStatus::parsed
                                                                   : ParseStatus::unparsed;
    s.score = read == pystr::strip(pystr::lower(gold)) ? 1.0 : 0.0;
  }
  if (!item.prediction) s.status = ParseStatus::missing;
  return s;
}

std::unique_ptr<Metric> SeedBench::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  return std::make_unique<SeedBench>(select_variant("seedbench", variant, variants()) == "lmms-eval"
                                         ? Variant::lmms_eval
                                         : Variant::llava);
}

std::unique_ptr<Aggregator> SeedBench::aggregator() const {
  return std::make_unique<MeanAggregator>(info_, std::vector<std::string>{"question_type"});
}

}  // namespace lmmbench::metrics
