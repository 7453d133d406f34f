#include "metrics/mme.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/mme_subtasks.hpp"
#include "core/text.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/statistics.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

constexpr const char* kOfficialReference =
    "BradyFU/Awesome-Multimodal-Large-Language-Models@Evaluation(dd29509) tools/eval_tool.zip "
    "calculation.py calculate_metrics.process_result";
constexpr const char* kLmmsReference =
    "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/mme/utils.py mme_process_results + "
    "mme_aggregate_results";

// The official tool's eval_type_dict order (core/mme_subtasks.hpp).
const auto& kSubtasks = kMmeSubtasks;
constexpr std::size_t kPerceptionCount = kMmePerceptionCount;

std::size_t subtask_index(const ScoringItem& item) {
  const std::string_view name = item.field("subtask");
  for (std::size_t i = 0; i < kSubtasks.size(); ++i) {
    if (kSubtasks[i] == name) return i;
  }
  // Names are case-sensitive ("OCR"); suggest the spelling that differs only in case first.
  std::string hint = did_you_mean(name, kSubtasks);
  for (const auto& subtask : kSubtasks) {
    if (ascii_lower(subtask) == ascii_lower(name))
      hint = fmt::format(" (did you mean '{}'?)", subtask);
  }
  throw InputError(fmt::format("item '{}': unknown MME subtask '{}'{}; subtasks: {}", item.id, name,
                               hint, join(kSubtasks, ", ")));
}

/// "yes" when the first four code points of `text` hold "yes", else "no" when they hold "no",
/// else "other" (the prefix test both references share).
std::string_view search_first_four(std::string_view text) {
  std::size_t end = 0;
  for (int k = 0; k < 4 && end < text.size(); ++k)
    pystr::next_code_point(text, end);
  const std::string_view prefix = text.substr(0, end);
  if (prefix.find("yes") != std::string_view::npos) return "yes";
  if (prefix.find("no") != std::string_view::npos) return "no";
  return "other";
}

/// The gold label as the variant's reference reads it: "yes" -> true, "no" -> false.
bool gold_is_yes(const ScoringItem& item, Mme::Variant variant) {
  if (item.answers.empty()) throw InputError(fmt::format("item '{}': MME needs a label", item.id));
  const std::string& label = item.answers.front();
  std::string read = pystr::lower(label);
  if (variant == Mme::Variant::lmms_eval) {
    read = std::string(pystr::strip(read));
    std::erase(read, '.');
  }
  if (read == "yes") return true;
  if (read == "no") return false;
  throw InputError(
      fmt::format("item '{}': MME label must be \"Yes\" or \"No\", got '{}'", item.id, label));
}

/// One subtask's score from its counts, as the variant's reference computes it.
double subtask_score(Mme::Variant variant, std::size_t images, std::size_t correct,
                     std::size_t both) {
  if (images == 0) return std::numeric_limits<double>::quiet_NaN();
  const auto n = static_cast<double>(images);
  if (variant == Mme::Variant::official) {
    // sklearn accuracy_score (mean of 0/1) and acc_plus_correct_num / img_num, each x 100.
    const double acc = static_cast<double>(correct) / (2 * n);
    const double acc_plus = static_cast<double>(both) / n;
    return acc * 100 + acc_plus * 100;
  }
  // mme_aggregate_results: the mean over images of acc_plus + acc (multiples of 50: exact sums).
  const double total = 50.0 * static_cast<double>(correct) + 100.0 * static_cast<double>(both);
  return total / n;
}

class MmeAggregator final : public Aggregator {
 public:
  MmeAggregator(const MetricInfo& info, Mme::Variant variant) : info_(info), variant_(variant) {}

  void add(const ScoringItem& item, const SampleScore& score) override {
    const std::size_t subtask = subtask_index(item);
    const auto key = std::pair{subtask, std::string(item.field("image"))};
    auto [it, inserted] = image_index_.try_emplace(key, images_.size());
    if (inserted) images_.push_back(Image{static_cast<std::uint8_t>(subtask), 0, 0});
    Image& image = images_[it->second];
    if (image.questions < 255) ++image.questions;
    if (score.score > 0.0) ++image.correct;
    ++n_;
    if (score.status == ParseStatus::missing) ++n_missing_;
    if (score.status == ParseStatus::unparsed) ++n_unparsed_;
  }

  MetricResult finish() override {
    for (const auto& [key, index] : image_index_) {
      if (images_[index].questions != 2) {
        throw InputError(fmt::format(
            "MME subtask '{}', image '{}': {} question(s); MME scores the two questions of an "
            "image together (both references assert two per image)",
            kSubtasks[key.first], key.second, images_[index].questions));
      }
    }
    MetricResult r = result_of(info_, Unit::points);
    r.n = n_;
    r.n_missing = n_missing_;
    r.n_unparsed = n_unparsed_;

    const std::array<Tally, kSubtasks.size()> tallies = tally(nullptr);
    double perception = 0.0;
    double cognition = 0.0;
    bool any_perception = false;
    bool any_cognition = false;
    for (std::size_t s = 0; s < kSubtasks.size(); ++s) {
      const Tally& t = tallies[s];
      if (t.images == 0) continue;
      const double score = subtask_score(variant_, t.images, t.correct, t.both);
      const auto images = static_cast<double>(t.images);
      r.breakdown["subtask"][kSubtasks[s]] =
          BreakdownCell{2 * t.images,
                        {MetricValue{"acc", 100.0 * (static_cast<double>(t.correct) / (2 * images)),
                                     Unit::percent, true},
                         MetricValue{"acc_plus", 100.0 * (static_cast<double>(t.both) / images),
                                     Unit::percent, true},
                         MetricValue{"score", score, Unit::points, true}}};
      if (s < kPerceptionCount) {
        perception += score;
        any_perception = true;
      } else {
        cognition += score;
        any_cognition = true;
      }
    }
    if (any_perception)
      r.metrics.push_back(MetricValue{"perception", perception, Unit::points, true});
    if (any_cognition) r.metrics.push_back(MetricValue{"cognition", cognition, Unit::points, true});
    r.score = any_perception ? perception : std::numeric_limits<double>::quiet_NaN();

    const BootstrapEstimate e =
        bootstrap(images_.size(), [&](std::span<const std::size_t> indices) {
          const std::array<Tally, kSubtasks.size()> t = tally(&indices);
          double sum = 0.0;
          for (std::size_t s = 0; s < kPerceptionCount; ++s) {
            if (tallies[s].images > 0)
              sum += subtask_score(variant_, t[s].images, t[s].correct, t[s].both);
          }
          return any_perception ? sum : std::numeric_limits<double>::quiet_NaN();
        });
    r.standard_error = e.standard_error;
    r.ci95 = e.ci95;
    r.interval_method = e.method();
    return r;
  }

 private:
  struct Image {
    std::uint8_t subtask = 0;
    std::uint8_t questions = 0;
    std::uint8_t correct = 0;
  };
  struct Tally {
    std::size_t images = 0;
    std::size_t correct = 0;
    std::size_t both = 0;
  };

  /// Per-subtask counts over all images, or over a resample of them.
  std::array<Tally, kSubtasks.size()> tally(const std::span<const std::size_t>* indices) const {
    std::array<Tally, kSubtasks.size()> t{};
    auto count = [&](const Image& image) {
      Tally& s = t[image.subtask];
      ++s.images;
      s.correct += image.correct;
      if (image.correct == 2) ++s.both;
    };
    if (indices == nullptr) {
      for (const Image& image : images_)
        count(image);
    } else {
      for (const std::size_t i : *indices)
        count(images_[i]);
    }
    return t;
  }

  MetricInfo info_;
  Mme::Variant variant_;
  std::vector<Image> images_;
  std::map<std::pair<std::size_t, std::string>, std::size_t> image_index_;
  std::size_t n_ = 0;
  std::size_t n_missing_ = 0;
  std::size_t n_unparsed_ = 0;
};

}  // namespace

Mme::Mme(Variant variant)
    : variant_(variant),
      info_{"mme",
            variant == Variant::official ? "official" : "lmms-eval",
            variant == Variant::official ? kOfficialReference : kLmmsReference,
            variant == Variant::official
                ? "MME: yes/no searched in the first 4 characters of the lower-cased prediction "
                  "(line break kept); per subtask 100*acc + 100*acc+; score = perception total"
                : "MME (lmms-eval parse_pred_ans: strip, lower, drop '.', exact yes/no, y/n, "
                  "then the first 4 characters); per subtask 100*acc + 100*acc+; score = "
                  "perception total",
            {"label", "subtask", "image"}} {}

std::span<const std::string> Mme::subtasks() {
  return kSubtasks;
}

bool Mme::is_perception(std::string_view subtask) {
  for (std::size_t i = 0; i < kPerceptionCount; ++i) {
    if (kSubtasks[i] == subtask) return true;
  }
  return false;
}

std::string_view Mme::read_official(std::string_view prediction) {
  // The field as calculation.py reads it: the one-line response and the line's '\n'.
  std::string line;
  line.reserve(prediction.size() + 1);
  for (const char c : prediction) {
    if (c != '\n' && c != '\r' && c != '\t') line.push_back(c);
  }
  line.push_back('\n');
  return search_first_four(pystr::lower(line));
}

std::string_view Mme::read_lmms_eval(std::string_view prediction) {
  std::string p(pystr::strip(pystr::lower(pystr::strip(prediction))));
  std::erase(p, '.');
  if (p == "yes") return "yes";
  if (p == "no") return "no";
  if (pystr::length(p) == 1) return p == "y" ? "yes" : p == "n" ? "no" : "other";
  return search_first_four(p);
}

SampleScore Mme::score(const ScoringItem& item) const {
  subtask_index(item);
  const bool gold_yes = gold_is_yes(item, variant_);
  const std::string_view text = item.prediction ? std::string_view(*item.prediction) : "";
  SampleScore s;
  s.extracted =
      std::string(variant_ == Variant::official ? read_official(text) : read_lmms_eval(text));
  s.score = s.extracted == (gold_yes ? "yes" : "no") ? 1.0 : 0.0;
  s.status = !item.prediction         ? ParseStatus::missing
             : s.extracted == "other" ? ParseStatus::unparsed
                                      : ParseStatus::parsed;
  return s;
}

std::unique_ptr<Metric> Mme::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  return std::make_unique<Mme>(select_variant("mme", variant, variants()) == "lmms-eval"
                                   ? Variant::lmms_eval
                                   : Variant::official);
}

std::unique_ptr<Aggregator> Mme::aggregator() const {
  return std::make_unique<MmeAggregator>(info_, variant_);
}

}  // namespace lmmbench::metrics
