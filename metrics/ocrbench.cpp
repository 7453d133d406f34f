#include "metrics/ocrbench.hpp"

#include <array>
#include <map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/statistics.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

constexpr const char* kOfficialReference =
    "Yuliang-Liu/MultimodalOCR@794c36d OCRBench/example.py (scoring block of __main__)";
constexpr const char* kLmmsReference =
    "EvolvingLMMs-Lab/lmms-eval@75571cf lmms_eval/tasks/ocrbench/utils.py "
    "ocrbench_process_results + ocrbench_aggregate_accuracy";

/// The six question types the official script sums as "Text Recognition(Total 300)".
constexpr std::array<std::string_view, 6> kRecognitionTypes{
    "Regular Text Recognition", "Irregular Text Recognition", "Artistic Text Recognition",
    "Handwriting Recognition",  "Digit String Recognition",   "Non-Semantic Text Recognition"};

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    if (s.compare(i, from.size(), from) == 0) {
      out += to;
      i += from.size();
    } else {
      out += s[i++];
    }
  }
  s = std::move(out);
}

/// lmms-eval's _fold_fullwidth_ascii.
std::string fold_fullwidth(std::string_view text) {
  if (pystr::is_ascii(text)) return std::string(text);
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    char32_t c = pystr::next_code_point(text, i);
    if (c >= 0xFF01 && c <= 0xFF5E) {
      c -= 0xFEE0;
    } else if (c == 0x3000) {
      c = U' ';
    }
    pystr::append_utf8(out, c);
  }
  return out;
}

class OcrBenchAggregator final : public Aggregator {
 public:
  explicit OcrBenchAggregator(MetricInfo info) : info_(std::move(info)) {}

  void add(const ScoringItem& item, const SampleScore& score) override {
    scores_.push_back(score.score);
    if (score.status == ParseStatus::missing) ++n_missing_;
    if (score.status == ParseStatus::unparsed) ++n_unparsed_;
    if (!item.category.empty()) count(by_type_[item.category], score.score);
    if (const auto dataset = item.field("subtask"); !dataset.empty())
      count(by_dataset_[std::string(dataset)], score.score);
  }

  MetricResult finish() override {
    MetricResult r = result_of(info_, Unit::points);
    const MeanEstimate e = estimate_mean(scores_);
    const auto n = static_cast<double>(e.n);
    r.n = e.n;
    r.n_missing = n_missing_;
    r.n_unparsed = n_unparsed_;
    // The official total is the number of points; its interval is n times the mean's.
    r.score = n * e.mean;
    r.standard_error = n * e.standard_error;
    r.ci95 = {n * e.ci95[0], n * e.ci95[1]};
    r.interval_method = "normal";
    r.metrics.push_back(MetricValue{"accuracy", 100.0 * e.mean, Unit::percent, true});
    double recognition = 0.0;
    for (const auto type : kRecognitionTypes) {
      if (const auto it = by_type_.find(type); it != by_type_.end())
        recognition += it->second.points;
    }
    r.metrics.push_back(MetricValue{"text_recognition", recognition, Unit::points, true});
    for (const auto& [key, groups] :
         {std::pair{"category", &by_type_}, {"subtask", &by_dataset_}}) {
      for (const auto& [value, g] : *groups) {
        r.breakdown[key][value] =
            BreakdownCell{g.n,
                          {MetricValue{"points", g.points, Unit::points, true},
                           MetricValue{"accuracy", 100.0 * g.points / static_cast<double>(g.n),
                                       Unit::percent, true}}};
      }
    }
    return r;
  }

 private:
  struct Group {
    std::size_t n = 0;
    double points = 0.0;
  };
  static void count(Group& g, double score) {
    ++g.n;
    g.points += score;
  }

  MetricInfo info_;
  std::vector<double> scores_;
  std::size_t n_missing_ = 0;
  std::size_t n_unparsed_ = 0;
  std::map<std::string, Group, std::less<>> by_type_;
  std::map<std::string, Group, std::less<>> by_dataset_;
};

}  // namespace

OcrBench::OcrBench(Variant variant)
    : variant_(variant),
      info_{"ocrbench",
            variant == Variant::official ? "official" : "lmms-eval",
            variant == Variant::official ? kOfficialReference : kLmmsReference,
            "OCRBench: a point when a normalised gold answer is inside the normalised prediction "
            "(HME100k formulas without spaces), summed to the 1,000-point total",
            {"answers", "subtask"}} {}

std::string OcrBench::normalize(std::string_view text, std::string_view dataset, Variant variant) {
  std::string s;
  if (dataset == "HME100k") {
    s = std::string(pystr::strip(text));
    replace_all(s, "\n", " ");
    replace_all(s, " ", "");
    return s;
  }
  s = variant == Variant::lmms_eval ? fold_fullwidth(text) : std::string(text);
  s = std::string(pystr::strip(pystr::lower(s)));
  replace_all(s, "\n", " ");
  return s;
}

SampleScore OcrBench::score(const ScoringItem& item) const {
  if (item.answers.empty()) {
    throw InputError(fmt::format("item '{}': OCRBench needs at least one gold answer", item.id));
  }
  const std::string_view dataset = item.field("subtask");
  SampleScore s;
  std::string_view prediction = item.prediction ? std::string_view(*item.prediction) : "";
  if (variant_ == Variant::lmms_eval) prediction = pystr::strip(prediction);
  s.extracted = normalize(prediction, dataset, variant_);
  for (const auto& answer : item.answers) {
    if (s.extracted.find(normalize(answer, dataset, variant_)) != std::string::npos) s.score = 1.0;
  }
  if (pystr::strip(prediction).empty()) s.status = ParseStatus::unparsed;
  if (!item.prediction) {
    s.status = ParseStatus::missing;
    s.score = 0.0;
  }
  return s;
}

std::unique_ptr<Metric> OcrBench::create(std::string_view variant, ObjectReader& options) {
  options.finish();
  return std::make_unique<OcrBench>(select_variant("ocrbench", variant, variants()) == "lmms-eval"
                                        ? Variant::lmms_eval
                                        : Variant::official);
}

std::unique_ptr<Aggregator> OcrBench::aggregator() const {
  return std::make_unique<OcrBenchAggregator>(info_);
}

}  // namespace lmmbench::metrics
