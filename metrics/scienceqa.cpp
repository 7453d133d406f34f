#include "metrics/scienceqa.hpp"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/mean_aggregator.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

constexpr const char* kReference = "haotian-liu/LLaVA@c121f04 llava/eval/eval_science_qa.py";
/// eval_science_qa.py's --options default: the letters it can map to an option index.
constexpr std::size_t kScriptLetters = 5;

bool letter_a_to_e(char c) {
  return c >= 'A' && c <= 'E';
}

/// The gold option index; the script indexes its A..E list with it.
std::size_t gold_index(const ScoringItem& item) {
  if (item.answers.empty() || item.answers.front().size() != 1 ||
      !letter_a_to_e(item.answers.front()[0])) {
    throw InputError(fmt::format(
        "item '{}': ScienceQA gold answer must be one letter A-E (eval_science_qa.py knows options "
        "A-E), got '{}'",
        item.id, item.answers.empty() ? std::string() : item.answers.front()));
  }
  return static_cast<std::size_t>(item.answers.front()[0] - 'A');
}

/// MeanAggregator plus the script's IMG-Accuracy.
class ScienceQaAggregator final : public Aggregator {
 public:
  explicit ScienceQaAggregator(const MetricInfo& info) : inner_(info, {"image"}) {}

  void add(const ScoringItem& item, const SampleScore& score) override {
    inner_.add(item, score);
    const std::string_view image = item.field("image");
    if (!image.empty()) any_image_field_ = true;
    // is_multimodal comes from the prediction's prompt, which a missing prediction lacks.
    if (image == "true" && item.prediction) {
      ++img_total_;
      if (score.score > 0.0) ++img_correct_;
    }
  }

  MetricResult finish() override {
    MetricResult r = inner_.finish();
    if (any_image_field_) {
      const double img = img_total_ == 0 ? std::numeric_limits<double>::quiet_NaN()
                                         : static_cast<double>(img_correct_) /
                                               static_cast<double>(img_total_) * 100;
      r.metrics.push_back(MetricValue{"img_accuracy", img, Unit::percent, true});
    }
    return r;
  }

 private:
  MeanAggregator inner_;
  bool any_image_field_ = false;
  std::size_t img_total_ = 0;
  std::size_t img_correct_ = 0;
};

}  // namespace

ScienceQa::ScienceQa()
    : info_{"scienceqa",
            "llava",
            kReference,
            "ScienceQA option letter as LLaVA reads it: exact letter, 'X. ' prefix, or one match "
            "of 'The answer is ([A-Z]).'; letters beyond the options and missing predictions are "
            "wrong; IMG-accuracy for image questions",
            {"options", "answer"}} {}

std::optional<char> ScienceQa::read_llava(std::string_view p) {
  if (p.size() == 1 && letter_a_to_e(p[0])) return p[0];
  if (p.size() >= 3 && letter_a_to_e(p[0]) && p[1] == '.' && p[2] == ' ') return p[0];
  // re.findall(r'The answer is ([A-Z]).', p): left to right, a failed position advances by one
  // character, a match resumes after its last character ('.' = any code point but '\n').
  constexpr std::string_view kPhrase = "The answer is ";
  std::size_t matches = 0;
  char letter = 0;
  std::size_t pos = 0;
  while ((pos = p.find(kPhrase, pos)) != std::string_view::npos) {
    const std::size_t at = pos + kPhrase.size();
    if (at + 1 < p.size() && p[at] >= 'A' && p[at] <= 'Z' && p[at + 1] != '\n') {
      ++matches;
      letter = p[at];
      std::size_t next = at + 1;
      pystr::next_code_point(p, next);
      pos = next;
    } else {
      ++pos;
    }
  }
  if (matches == 1) return letter;
  return std::nullopt;
}

SampleScore ScienceQa::score(const ScoringItem& item) const {
  const std::size_t gold = gold_index(item);
  if (!item.prediction) return SampleScore{0.0, ParseStatus::missing, ""};
  const std::optional<char> letter = read_llava(*item.prediction);
  const std::size_t valid = std::min(item.options.size(), kScriptLetters);
  if (!letter || static_cast<std::size_t>(*letter - 'A') >= valid) {
    return SampleScore{0.0, ParseStatus::unparsed, ""};
  }
  const auto index = static_cast<std::size_t>(*letter - 'A');
  return SampleScore{index == gold ? 1.0 : 0.0, ParseStatus::parsed, std::string(1, *letter)};
}

std::unique_ptr<Metric> ScienceQa::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  select_variant("scienceqa", variant, variants());
  return std::make_unique<ScienceQa>();
}

std::unique_ptr<Aggregator> ScienceQa::aggregator() const {
  return std::make_unique<ScienceQaAggregator>(info_);
}

}  // namespace lmmbench::metrics
