// `lmmbench score` input: the fast line reader against the located parse it stands in for (when
// the fast path accepts a line, the located parse must give the same item), then every metric
// over the whole input. Only InputError may escape a reader or a metric.

#include <array>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/jsonl.hpp"
#include "fuzz_support.hpp"
#include "harness/registry.hpp"
#include "metrics/score_input.hpp"

namespace {

using lmmbench::InputError;
using lmmbench::metrics::ScoringItem;

bool same(const ScoringItem& a, const ScoringItem& b) {
  return a.id == b.id && a.prediction == b.prediction && a.answers == b.answers &&
         a.options == b.options && a.category == b.category && a.fields == b.fields;
}

const std::vector<std::vector<std::string>>& required_sets() {
  static const std::vector<std::vector<std::string>> sets = {{},
                                                             {"answers"},
                                                             {"answer"},
                                                             {"label"},
                                                             {"options", "answer"},
                                                             {"subtask", "image", "label"},
                                                             {"options", "answer", "group"}};
  return sets;
}

void check_fast_path(std::size_t line_number, std::string_view line) {
  for (const auto& required : required_sets()) {
    ScoringItem fast;
    if (!lmmbench::metrics::try_parse_scoring_line(line, required, fast)) continue;
    ScoringItem located;
    try {
      const auto record = lmmbench::parse_jsonl_line(line, "fuzz.jsonl", line_number);
      if (!record) std::abort();  // the fast path accepted a blank line
      located = lmmbench::metrics::parse_scoring_item(*record, required);
    } catch (const InputError&) {
      std::abort();  // the fast path accepted what the located parse refuses
    }
    if (!same(fast, located)) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = lmmbench::fuzz::text_of(data, size);
  lmmbench::for_each_line_in_memory(text, check_fast_path);
  const auto& registry = lmmbench::harness::Registry::builtin();
  for (const auto& entry : registry.metrics()) {
    const auto metric = registry.create_metric(entry.name, "");
    auto aggregator = metric->aggregator();
    try {
      lmmbench::metrics::for_each_scoring_item(
          text, "fuzz.jsonl", metric->info().required_fields,
          [&](const ScoringItem& item) { aggregator->add(item, metric->score(item)); });
      (void)aggregator->finish();
    } catch (const InputError&) {
    }
  }
  return 0;
}
