#include "metrics/pope.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/statistics.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

constexpr const char* kLlavaReference =
    "haotian-liu/LLaVA@c121f04 llava/eval/eval_pope.py eval_pope";
constexpr const char* kLmmsReference =
    "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/pope/utils.py pope_process_results + "
    "pope_aggregate_{accuracy,precision,recall,f1_score,yes_ratio}";
constexpr std::string_view kAll = "all";

enum class Said : std::uint8_t { no, yes, other };

/// The label as each reference reads it: LLaVA compares it with 'no' as is, lmms-eval lower-cases
/// and strips it first; both accept only yes/no here (the input contract).
bool gold_is_yes(const ScoringItem& item, Pope::Variant variant) {
  if (item.answers.empty()) throw InputError(fmt::format("item '{}': POPE needs a label", item.id));
  const std::string& label = item.answers.front();
  const std::string read =
      variant == Pope::Variant::llava ? label : pystr::lower(pystr::strip(label));
  if (read == "yes") return true;
  if (read == "no") return false;
  throw InputError(
      fmt::format("item '{}': POPE label must be \"yes\" or \"no\", got '{}'", item.id, label));
}

/// Confusion counts of one split (or of all items).
struct Counts {
  std::size_t n = 0;
  std::size_t tp = 0, fp = 0, tn = 0, fn = 0;
  std::size_t said_yes = 0;
  std::size_t gold_yes = 0;

  void add(Said said, bool gold_yes_item) {
    ++n;
    if (gold_yes_item) ++gold_yes;
    if (said == Said::yes) {
      ++said_yes;
      ++(gold_yes_item ? tp : fp);
    } else if (said == Said::no) {
      ++(gold_yes_item ? fn : tn);
    }
  }
};

/// The five rates as ratios, computed as the variant's reference computes them.
struct Rates {
  double accuracy = 0.0;
  double precision = 0.0;
  double recall = 0.0;
  double f1 = 0.0;
  double yes_ratio = 0.0;
};

double ratio(std::size_t num, std::size_t den) {
  return static_cast<double>(num) / static_cast<double>(den);
}

Rates rates(const Counts& c, Pope::Variant variant) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Rates r;
  r.accuracy = c.n == 0 ? nan : ratio(c.tp + c.tn, c.n);
  if (variant == Pope::Variant::llava) {
    // eval_pope: float(TP) / float(TP + FP) etc.; a zero denominator raises there, NaN here.
    r.precision = c.tp + c.fp == 0 ? nan : ratio(c.tp, c.tp + c.fp);
    r.recall = c.tp + c.fn == 0 ? nan : ratio(c.tp, c.tp + c.fn);
    const double sum = r.precision + r.recall;
    r.f1 = std::isnan(sum) || sum == 0.0 ? nan : 2 * r.precision * r.recall / sum;
    r.yes_ratio = c.n == 0 ? nan : ratio(c.said_yes, c.n);
  } else {
    // pope_aggregate_*: zero denominators give 0; the yes-ratio is that of the gold labels.
    r.precision = c.tp + c.fp > 0 ? ratio(c.tp, c.tp + c.fp) : 0.0;
    r.recall = c.tp + c.fn > 0 ? ratio(c.tp, c.tp + c.fn) : 0.0;
    const double sum = r.precision + r.recall;
    r.f1 = sum > 0 ? 2 * (r.precision * r.recall) / sum : 0.0;
    r.yes_ratio = c.n == 0 ? 0.0 : ratio(c.gold_yes, c.n);
  }
  return r;
}

class PopeAggregator final : public Aggregator {
 public:
  PopeAggregator(const MetricInfo& info, Pope::Variant variant) : info_(info), variant_(variant) {}

  void add(const ScoringItem& item, const SampleScore& score) override {
    if (item.category == kAll) {
      throw InputError(fmt::format(
          "item '{}': POPE split name 'all' is reserved for the pooled metrics", item.id));
    }
    Record record;
    record.gold_yes = gold_is_yes(item, variant_);
    record.said = score.extracted == "yes"  ? Said::yes
                  : score.extracted == "no" ? Said::no
                                            : Said::other;
    if (!item.category.empty()) {
      const auto [it, inserted] = split_index_.try_emplace(item.category, splits_.size());
      if (inserted) splits_.push_back(Split{item.category, {}, 0, 0});
      record.split = static_cast<std::uint32_t>(it->second);
      Split& split = splits_[it->second];
      split.counts.add(record.said, record.gold_yes);
      if (score.status == ParseStatus::missing) ++split.n_missing;
      if (score.status == ParseStatus::unparsed) ++split.n_unparsed;
    }
    all_.add(record.said, record.gold_yes);
    if (score.status == ParseStatus::missing) ++n_missing_;
    if (score.status == ParseStatus::unparsed) ++n_unparsed_;
    records_.push_back(record);
  }

  MetricResult finish() override {
    MetricResult r = result_of(info_, Unit::percent);
    r.n = all_.n;
    r.n_missing = n_missing_;
    r.n_unparsed = n_unparsed_;

    // Splits in name order; `score` sums their F1 in that order, as the fixture runner does.
    std::vector<std::size_t> order(splits_.size());
    for (std::size_t i = 0; i < order.size(); ++i)
      order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return splits_[a].name < splits_[b].name; });
    auto emit = [&](const std::string& name, const Counts& counts) {
      const Rates rr = rates(counts, variant_);
      for (const auto& [key, value] : {std::pair{"accuracy", rr.accuracy},
                                       {"precision", rr.precision},
                                       {"recall", rr.recall},
                                       {"f1", rr.f1},
                                       {"yes_ratio", rr.yes_ratio}}) {
        r.metrics.push_back(MetricValue{name + "." + key, 100.0 * value, Unit::percent, true});
      }
      return 100.0 * rr.f1;
    };
    double f1_sum = 0.0;
    for (const std::size_t i : order) {
      const Split& split = splits_[i];
      f1_sum += emit(split.name, split.counts);
      r.breakdown["split"][split.name] = BreakdownCell{
          split.counts.n,
          {MetricValue{"n_missing", static_cast<double>(split.n_missing), Unit::count, false},
           MetricValue{"n_unparsed", static_cast<double>(split.n_unparsed), Unit::count, false}}};
    }
    const double all_f1 = emit(std::string(kAll), all_);
    r.score = splits_.empty() ? all_f1 : f1_sum / static_cast<double>(splits_.size());

    const BootstrapEstimate e =
        bootstrap(records_.size(),
                  [&](std::span<const std::size_t> indices) { return resampled_score(indices); });
    r.standard_error = e.standard_error;
    r.ci95 = e.ci95;
    r.interval_method = e.method();
    return r;
  }

 private:
  struct Record {
    std::uint32_t split = std::numeric_limits<std::uint32_t>::max();
    Said said = Said::other;
    bool gold_yes = false;
  };
  struct Split {
    std::string name;
    Counts counts;
    std::size_t n_missing = 0;
    std::size_t n_unparsed = 0;
  };

  /// `score` recomputed on a resample of items (NaN when a split's F1 is undefined there).
  double resampled_score(std::span<const std::size_t> indices) const {
    std::vector<Counts> counts(splits_.size());
    Counts all;
    for (const std::size_t i : indices) {
      const Record& u = records_[i];
      if (u.split < counts.size()) counts[u.split].add(u.said, u.gold_yes);
      all.add(u.said, u.gold_yes);
    }
    if (counts.empty()) return 100.0 * rates(all, variant_).f1;
    double sum = 0.0;
    for (const Counts& c : counts)
      sum += 100.0 * rates(c, variant_).f1;
    return sum / static_cast<double>(counts.size());
  }

  MetricInfo info_;
  Pope::Variant variant_;
  std::vector<Record> records_;
  std::vector<Split> splits_;
  std::map<std::string, std::size_t, std::less<>> split_index_;
  Counts all_;
  std::size_t n_missing_ = 0;
  std::size_t n_unparsed_ = 0;
};

}  // namespace

Pope::Pope(Variant variant)
    : variant_(variant),
      info_{"pope",
            variant == Variant::llava ? "llava" : "lmms-eval",
            variant == Variant::llava ? kLlavaReference : kLmmsReference,
            variant == Variant::llava
                ? "POPE yes/no: 'no' iff a token of the first sentence is No/no/not, else 'yes'; "
                  "accuracy, precision, recall, F1, predicted yes-ratio per split and pooled; "
                  "score = mean F1 of the splits"
                : "POPE yes/no: the stripped, lower-cased answer must be yes/no; accuracy, "
                  "precision, recall, F1, gold yes-ratio per split and pooled; score = mean F1 "
                  "of the splits",
            {"label"}} {}

Pope::LlavaAnswer Pope::read_llava(std::string_view text) {
  // eval_pope: text.split('.')[0], .replace(',', ''), .split(' '), then a token test. All three
  // separators are ASCII, so byte-wise work on UTF-8 is exact.
  if (const auto dot = text.find('.'); dot != std::string_view::npos) text = text.substr(0, dot);
  LlavaAnswer answer;
  bool said_yes = false;
  std::string token;
  auto close = [&] {
    if (token == "No" || token == "no" || token == "not") answer.yes = false;
    if (token == "Yes" || token == "yes") said_yes = true;
    token.clear();
  };
  for (const char c : text) {
    if (c == ',') continue;
    if (c == ' ') {
      close();
    } else {
      token.push_back(c);
    }
  }
  close();
  answer.explicit_answer = !answer.yes || said_yes;
  return answer;
}

std::string Pope::read_lmms_eval(std::string_view text) {
  return std::string(pystr::strip(pystr::lower(pystr::strip(text))));
}

SampleScore Pope::score(const ScoringItem& item) const {
  const bool gold_yes = gold_is_yes(item, variant_);
  const std::string_view text = item.prediction ? std::string_view(*item.prediction) : "";
  SampleScore s;
  std::optional<bool> said_yes;
  if (variant_ == Variant::llava) {
    const LlavaAnswer answer = read_llava(text);
    said_yes = answer.yes;
    s.extracted = answer.yes ? "yes" : "no";
    s.status = answer.explicit_answer ? ParseStatus::parsed : ParseStatus::unparsed;
  } else {
    s.extracted = read_lmms_eval(text);
    if (s.extracted == "yes" || s.extracted == "no") said_yes = s.extracted == "yes";
    s.status = said_yes ? ParseStatus::parsed : ParseStatus::unparsed;
  }
  s.score = said_yes && *said_yes == gold_yes ? 1.0 : 0.0;
  if (!item.prediction) s.status = ParseStatus::missing;
  return s;
}

std::unique_ptr<Metric> Pope::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  return std::make_unique<Pope>(select_variant("pope", variant, variants()) == "lmms-eval"
                                    ? Variant::lmms_eval
                                    : Variant::llava);
}

std::unique_ptr<Aggregator> Pope::aggregator() const {
  return std::make_unique<PopeAggregator>(info_, variant_);
}

}  // namespace lmmbench::metrics
