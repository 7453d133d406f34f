#include "metrics/mmvet.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/statistics.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

constexpr const char* kReference =
    "yuweihao/MM-Vet@acde843 mm-vet_evaluator.py runs (grade parsing) + export_result";

using Capabilities = std::map<std::string, std::string, std::less<>>;

std::shared_ptr<const Capabilities> read_question_capabilities(const std::filesystem::path& path) {
  auto capabilities = std::make_shared<Capabilities>();
  const ConfigNode root(JsonSource::from_file(path));
  ObjectReader questions = root.object();
  for (const auto& [id, value] : root.json().items()) {
    ObjectReader question = questions.required(id).object();
    (*capabilities)[id] = join(question.required("capability").as_string_list(), ",");
  }
  return capabilities;
}

/// The capability set of an item as a bit mask over MmVet::kCapabilities (duplicates collapse, as
/// the reference's set() does).
unsigned capability_mask(std::string_view list, std::string_view item_id) {
  unsigned mask = 0;
  for (const auto& name : split(list, ',')) {
    const auto* it = std::find(MmVet::kCapabilities.begin(), MmVet::kCapabilities.end(), name);
    if (it == MmVet::kCapabilities.end()) {
      const std::vector<std::string> names(MmVet::kCapabilities.begin(),
                                           MmVet::kCapabilities.end());
      throw InputError(fmt::format("item '{}': unknown MM-Vet capability '{}'{}; capabilities: {}",
                                   item_id, name, did_you_mean(name, names), join(names, ", ")));
    }
    mask |= 1u << static_cast<unsigned>(it - MmVet::kCapabilities.begin());
  }
  if (mask == 0) throw InputError(fmt::format("item '{}': no MM-Vet capability", item_id));
  return mask;
}

std::string integration_name(unsigned mask) {
  std::string name;
  for (std::size_t c = 0; c < MmVet::kCapabilities.size(); ++c) {
    if ((mask & (1u << c)) == 0) continue;
    if (!name.empty()) name += '_';
    name += MmVet::kCapabilities[c];
  }
  return name;
}

bool same_grade(double a, double b) {
  return a == b || (std::isnan(a) && std::isnan(b));
}

/// Per-run sums and counts of one group of items (a capability, an integration, or all).
struct RunSums {
  std::vector<double> sum;
  std::vector<std::size_t> count;

  void add(const MmVet::Grades& g, bool skip_unparsed) {
    if (sum.empty()) {
      sum.assign(g.grades.size(), 0.0);
      count.assign(g.grades.size(), 0);
    }
    for (std::size_t r = 0; r < g.grades.size(); ++r) {
      if (skip_unparsed && g.unparsed[r]) continue;
      sum[r] += g.grades[r];
      ++count[r];
    }
  }
  /// 100 x sum / count per run, as `np.array(v) / counter[k] * 100` computes it.
  [[nodiscard]] std::vector<double> per_run() const {
    std::vector<double> out(sum.size());
    for (std::size_t r = 0; r < sum.size(); ++r)
      out[r] = count[r] == 0 ? std::numeric_limits<double>::quiet_NaN()
                             : sum[r] / static_cast<double>(count[r]) * 100;
    return out;
  }
  /// The items counted (the same in every run unless parsed-only skipped some).
  [[nodiscard]] std::size_t items() const {
    return count.empty() ? 0 : *std::max_element(count.begin(), count.end());
  }
};

double numpy_mean(std::span<const double> values) {
  return numpy_sum(values) / static_cast<double>(values.size());
}

/// numpy's std (ddof 0): sqrt(sum((x - mean)^2) / n), each sum numpy's.
double numpy_std(std::span<const double> values) {
  const double mean = numpy_mean(values);
  std::vector<double> squares(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    squares[i] = (values[i] - mean) * (values[i] - mean);
  return std::sqrt(numpy_sum(squares) / static_cast<double>(values.size()));
}

class MmVetAggregator final : public Aggregator {
 public:
  MmVetAggregator(const MetricInfo& info, MmVet::Variant variant,
                  std::shared_ptr<const Capabilities> question_capabilities)
      : info_(info), variant_(variant), question_capabilities_(std::move(question_capabilities)) {}

  void add(const ScoringItem& item, const SampleScore& score) override {
    MmVet::Grades grades = MmVet::read_grades(item);
    if (runs_ == 0) runs_ = grades.grades.size();
    if (grades.grades.size() != runs_) {
      throw InputError(fmt::format(
          "item '{}': {} judge run(s), but earlier items have {}; every item needs the same runs",
          item.id, grades.grades.size(), runs_));
    }
    const unsigned mask = capability_mask(capabilities(item), item.id);
    const bool skip = variant_ == MmVet::Variant::parsed_only;
    total_.add(grades, skip);
    for (std::size_t c = 0; c < MmVet::kCapabilities.size(); ++c) {
      if ((mask & (1u << c)) != 0) by_capability_[c].add(grades, skip);
    }
    by_integration_[integration_name(mask)].add(grades, skip);
    ++n_;
    const auto unparsed =
        static_cast<std::size_t>(std::count(grades.unparsed.begin(), grades.unparsed.end(), true));
    unparsed_grades_ += unparsed;
    if (score.status == ParseStatus::unparsed) ++n_unparsed_;
    // The total is the mean over items of each item's mean grade (x 100): its interval is theirs.
    if (std::isfinite(score.score)) item_means_.push_back(100 * score.score);
  }

  MetricResult finish() override {
    MetricResult r = result_of(info_, Unit::percent);
    r.n = n_;
    r.n_unparsed = n_unparsed_;
    const std::vector<double> totals = total_.per_run();
    r.score = totals.empty() ? std::nan("") : numpy_mean(totals);
    for (std::size_t c = 0; c < MmVet::kCapabilities.size(); ++c) {
      const RunSums& sums = by_capability_[c];
      if (sums.items() == 0) continue;
      const double value = numpy_mean(sums.per_run());
      const std::string name(MmVet::kCapabilities[c]);
      r.metrics.push_back(MetricValue{name, value, Unit::percent, true});
      r.breakdown["capability"][name] =
          BreakdownCell{sums.items(), {MetricValue{"score", value, Unit::percent, true}}};
    }
    r.metrics.push_back(MetricValue{"std", totals.empty() ? std::nan("") : numpy_std(totals),
                                    Unit::percent, false});
    r.metrics.push_back(MetricValue{"n_runs", static_cast<double>(runs_), Unit::count, true});
    r.metrics.push_back(
        MetricValue{"unparsed_grades", static_cast<double>(unparsed_grades_), Unit::count, false});
    for (std::size_t run = 0; run < totals.size(); ++run)
      r.metrics.push_back(
          MetricValue{fmt::format("runs.{}", run + 1), totals[run], Unit::percent, true});
    for (const auto& [name, sums] : by_integration_) {
      r.breakdown["capability_integration"][name] = BreakdownCell{
          sums.items(), {MetricValue{"score", numpy_mean(sums.per_run()), Unit::percent, true}}};
    }
    const MeanEstimate estimate = estimate_mean(item_means_);
    r.standard_error = estimate.standard_error;
    r.ci95 = estimate.ci95;
    r.interval_method = "normal";
    return r;
  }

 private:
  [[nodiscard]] std::string_view capabilities(const ScoringItem& item) const {
    if (item.fields.contains("capability")) return item.field("capability");
    if (question_capabilities_) {
      const auto it = question_capabilities_->find(item.id);
      if (it != question_capabilities_->end()) return it->second;
      throw InputError(fmt::format("item '{}' is not in the MM-Vet question file", item.id));
    }
    throw InputError(fmt::format(
        "item '{}': no capability (give \"capability\", or mm-vet.json as the question file)",
        item.id));
  }

  MetricInfo info_;
  MmVet::Variant variant_;
  std::shared_ptr<const Capabilities> question_capabilities_;
  std::size_t runs_ = 0;
  std::size_t n_ = 0;
  std::size_t n_unparsed_ = 0;
  std::size_t unparsed_grades_ = 0;
  RunSums total_;
  std::array<RunSums, MmVet::kCapabilities.size()> by_capability_;
  std::map<std::string, RunSums> by_integration_;
  std::vector<double> item_means_;
};

}  // namespace

double numpy_sum(std::span<const double> a) {
  // numpy/_core/src/umath/loops_utils.h.src pairwise_sum, started from add's identity 0.0.
  constexpr std::size_t kBlock = 128;
  const std::size_t n = a.size();
  if (n < 8) {
    double sum = 0.0;
    for (const double x : a)
      sum += x;
    return sum;
  }
  if (n <= kBlock) {
    std::array<double, 8> r{};
    std::copy_n(a.begin(), 8, r.begin());
    std::size_t i = 8;
    for (; i < n - n % 8; i += 8) {
      for (std::size_t j = 0; j < 8; ++j)
        r[j] += a[i + j];
    }
    double sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i)
      sum += a[i];
    return sum;
  }
  std::size_t half = n / 2;
  half -= half % 8;
  return numpy_sum(a.first(half)) + numpy_sum(a.subspan(half));
}

MmVet::MmVet(Variant variant, std::optional<std::filesystem::path> questions)
    : variant_(variant),
      info_{"mmvet",
            variant == Variant::official ? "official" : "parsed-only",
            kReference,
            "MM-Vet: judge grades 0-1 averaged x 100, per capability and integration, over runs",
            {"judge"},
            true} {
  if (questions) question_capabilities_ = read_question_capabilities(*questions);
}

std::unique_ptr<Metric> MmVet::create(std::string_view variant, ObjectReader& options) {
  const std::string name = select_variant("mmvet", variant, variants());
  std::optional<std::filesystem::path> questions;
  if (const auto path = options.find("questions")) questions = path->as_path();
  options.finish();
  return std::make_unique<MmVet>(name == "official" ? Variant::official : Variant::parsed_only,
                                 std::move(questions));
}

std::optional<double> MmVet::parse_grade(std::string_view reply) {
  // content.split(" ")[0].strip(); float(); `assert False` outside [0.0, 1.0] (NaN passes both
  // comparisons, as in the reference).
  const auto space = reply.find(' ');
  const auto grade = pystr::to_float(pystr::strip(reply.substr(0, space)));
  if (!grade || *grade > 1.0 || *grade < 0.0) return std::nullopt;
  return grade;
}

MmVet::Grades MmVet::read_grades(const ScoringItem& item) {
  const auto& scores = item.judge_scores;
  const auto& replies = item.judge_replies;
  if (scores.empty() && replies.empty())
    throw InputError(fmt::format("item '{}': no MM-Vet grade (score or content)", item.id));
  if (!scores.empty() && !replies.empty() && scores.size() != replies.size()) {
    throw InputError(fmt::format("item '{}': {} score(s) but {} content(s); one of each per run",
                                 item.id, scores.size(), replies.size()));
  }
  Grades g;
  const std::size_t runs = std::max(scores.size(), replies.size());
  for (std::size_t r = 0; r < runs; ++r) {
    bool readable = false;
    double parsed = 0.0;  // the reference's value after its re-asks when unreadable
    if (!replies.empty()) {
      if (const auto grade = parse_grade(replies[r])) {
        readable = true;
        parsed = *grade;
      }
    }
    if (scores.empty()) {
      g.grades.push_back(parsed);
      g.unparsed.push_back(!readable);
      continue;
    }
    const double score = scores[r];
    if (!(score >= 0.0 && score <= 1.0)) {
      throw InputError(
          fmt::format("item '{}': grade {} of run {} is outside 0.0-1.0", item.id, score, r + 1));
    }
    g.grades.push_back(score);
    // The grade file records the fallback 0.0 with the last reply, which does not give it.
    g.unparsed.push_back(!replies.empty() && !(readable && same_grade(parsed, score)));
  }
  return g;
}

SampleScore MmVet::score(const ScoringItem& item) const {
  const Grades g = read_grades(item);
  SampleScore s;
  double sum = 0.0;
  std::size_t counted = 0;
  for (std::size_t r = 0; r < g.grades.size(); ++r) {
    if (!s.extracted.empty()) s.extracted += ' ';
    if (g.unparsed[r]) {
      s.status = ParseStatus::unparsed;
      s.extracted += '?';
      if (variant_ == Variant::parsed_only) continue;
    } else {
      s.extracted += fmt::format("{}", g.grades[r]);
    }
    sum += g.grades[r];
    ++counted;
  }
  s.score = counted == 0 ? std::nan("") : sum / static_cast<double>(counted);
  return s;
}

std::unique_ptr<Aggregator> MmVet::aggregator() const {
  return std::make_unique<MmVetAggregator>(info_, variant_, question_capabilities_);
}

}  // namespace lmmbench::metrics
