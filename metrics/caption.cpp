#include "metrics/caption.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <unordered_map>

#include <fmt/format.h>

#include "core/error.hpp"
#include "metrics/answer_processing_unicode.hpp"
#include "metrics/ptb_tokenizer.hpp"
#include "metrics/statistics.hpp"
#include "metrics/variants.hpp"

namespace lmmbench::metrics {

namespace {

constexpr std::string_view kReference =
    "pycocoevalcap 1.2 (PyPI; salaniz/pycocoevalcap) tokenizer/ptbtokenizer.py, "
    "bleu/bleu_scorer.py (closest), rouge/rouge.py, cider/cider_scorer.py";
constexpr std::string_view kMeteorReference =
    "pycocoevalcap 1.2 (PyPI; salaniz/pycocoevalcap) tokenizer/ptbtokenizer.py, "
    "bleu/bleu_scorer.py (closest), meteor/meteor.py (meteor-1.5.jar), rouge/rouge.py, "
    "cider/cider_scorer.py";

constexpr int kMaxOrder = 4;
/// cider.py: sigma = 6.0; the penalty is e ** (-(delta ** 2) / (2 * sigma ** 2)).
constexpr double kCiderSigma = 6.0;
/// np.e, the base cider_scorer.py raises (Python float pow, not exp()).
constexpr double kE = 2.718281828459045;
/// rouge.py: beta = 1.2.
constexpr double kRougeBeta = 1.2;
/// bleu_scorer.py compute_score: small = 1e-9, tiny = 1e-15.
constexpr double kBleuSmall = 1e-9;
constexpr double kBleuTiny = 1e-15;

std::size_t lcs_length(std::span<const std::string_view> a, std::span<const std::string_view> b,
                       std::vector<std::uint32_t>& row) {
  const auto& shorter = a.size() <= b.size() ? a : b;
  const auto& longer = a.size() <= b.size() ? b : a;
  row.assign(shorter.size() + 1, 0);
  for (const auto& word : longer) {
    std::uint32_t diagonal = 0;
    for (std::size_t i = 0; i < shorter.size(); ++i) {
      const std::uint32_t above = row[i + 1];
      row[i + 1] = word == shorter[i] ? diagonal + 1 : std::max(above, row[i]);
      diagonal = above;
    }
  }
  return row[shorter.size()];
}

/// str.split(" ").
void split_on_space(std::string_view s, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t start = 0;
  while (true) {
    const std::size_t space = s.find(' ', start);
    if (space == std::string_view::npos) {
      out.push_back(s.substr(start));
      return;
    }
    out.push_back(s.substr(start, space - start));
    start = space + 1;
  }
}

/// One n-gram of a caption and its count; `order` is n - 1.
struct Gram {
  std::uint32_t id;
  std::uint32_t count;
  std::uint8_t order;
};

/// A caption's n-grams (n = 1..4), in the order of first occurrence within each n (the order of
/// the Python dict the reference iterates), in Aggregator::grams_.
struct Caption {
  std::uint32_t begin = 0;
  std::uint32_t end = 0;
  std::uint32_t words = 0;
  std::uint32_t bigrams = 0;  ///< cider_scorer.py's "length": the count of 2-grams.
};

struct Image {
  std::uint32_t candidate = 0;         ///< Index in captions_.
  std::uint32_t references_begin = 0;  ///< Index in captions_.
  std::uint32_t references_end = 0;
};

class CaptionAggregator final : public Aggregator {
 public:
  CaptionAggregator(const MetricInfo& info, const std::optional<MeteorSetup>& meteor)
      : info_(info), meteor_(meteor) {}

  void add(const ScoringItem& item, const SampleScore& score) override {
    ++n_;
    if (score.status == ParseStatus::missing) ++n_missing_;
    rouge_.push_back(score.score);
    Image image;
    image.candidate = add_caption(score.extracted);
    image.references_begin = static_cast<std::uint32_t>(captions_.size());
    thread_local std::string tokenised;
    std::vector<std::string> meteor_references;
    for (const auto& reference : item.answers) {
      ptb_tokenize(reference, tokenised);
      add_caption(tokenised);
      if (meteor_) meteor_references.push_back(tokenised);
    }
    image.references_end = static_cast<std::uint32_t>(captions_.size());
    add_bleu(image);
    images_.push_back(image);
    if (meteor_) {
      meteor_hypotheses_.push_back(score.extracted);
      meteor_references_.push_back(std::move(meteor_references));
    }
  }

  MetricResult finish() override {
    MetricResult r;
    r.metric = info_.name;
    r.variant = info_.variant;
    r.reference = info_.reference;
    r.unit = Unit::points;
    r.n = n_;
    r.n_missing = n_missing_;

    const std::array<double, kMaxOrder> bleu = bleu_scores();
    for (int k = 0; k < kMaxOrder; ++k)
      r.metrics.push_back(MetricValue{fmt::format("bleu_{}", k + 1), bleu[k], Unit::ratio, true});
    if (meteor_) {
      r.metrics.push_back(
          MetricValue{"meteor", meteor_score(*meteor_, meteor_hypotheses_, meteor_references_),
                      Unit::ratio, true});
    }
    const double n = static_cast<double>(images_.size());
    r.metrics.push_back(
        MetricValue{"rouge_l", CaptionMetric::pairwise_sum(rouge_) / n, Unit::ratio, true});
    const std::vector<double> cider = cider_scores();
    const double cider_mean = CaptionMetric::pairwise_sum(cider) / n;
    r.metrics.push_back(MetricValue{"cider", cider_mean, Unit::points, true});
    r.score = cider_mean;
    const MeanEstimate e = estimate_mean(cider);
    r.standard_error = e.standard_error;
    r.ci95 = e.ci95;
    r.interval_method = "normal";
    return r;
  }

 private:
  /// Interns the n-grams of a tokenised caption; returns its index in captions_.
  std::uint32_t add_caption(std::string_view tokenised) {
    thread_local std::vector<std::string_view> words;
    thread_local std::vector<std::uint32_t> ids;
    words.clear();
    pystr::split(tokenised, words);
    Caption c;
    c.begin = static_cast<std::uint32_t>(grams_.size());
    c.words = static_cast<std::uint32_t>(words.size());
    c.bigrams = words.size() > 1 ? c.words - 1 : 0;
    ids.resize(words.size());
    for (std::size_t i = 0; i < words.size(); ++i) {
      auto [it, inserted] = vocabulary_.try_emplace(std::string(words[i]),
                                                    static_cast<std::uint32_t>(vocabulary_.size()));
      ids[i] = it->second;
    }
    // grams of order k from those of order k - 1: id(k) = intern(id(k-1) at i, word i + k).
    thread_local std::vector<std::uint32_t> previous;
    previous = ids;
    for (int k = 0; k < kMaxOrder && static_cast<std::size_t>(k) < words.size(); ++k) {
      const std::size_t first = grams_.size();
      const std::size_t count = words.size() - k;
      for (std::size_t i = 0; i < count; ++i) {
        std::uint32_t id = previous[i];
        if (k > 0) {
          const std::uint64_t key = (static_cast<std::uint64_t>(previous[i]) << 32) | ids[i + k];
          auto [it, inserted] = ngrams_[k - 1].try_emplace(
              key, static_cast<std::uint32_t>(ngrams_[k - 1].size() + 0));
          id = it->second;
          previous[i] = id;
        }
        bool seen = false;
        for (std::size_t g = first; g < grams_.size(); ++g) {
          if (grams_[g].id == id) {
            ++grams_[g].count;
            seen = true;
            break;
          }
        }
        if (!seen) grams_.push_back(Gram{id, 1, static_cast<std::uint8_t>(k)});
      }
    }
    c.end = static_cast<std::uint32_t>(grams_.size());
    captions_.push_back(c);
    return static_cast<std::uint32_t>(captions_.size() - 1);
  }

  std::span<const Gram> grams(std::uint32_t caption) const {
    const Caption& c = captions_[caption];
    return std::span<const Gram>(grams_).subspan(c.begin, c.end - c.begin);
  }

  static std::uint64_t key(const Gram& g) {
    return (static_cast<std::uint64_t>(g.order) << 32) | g.id;
  }

  /// bleu_scorer.py cook_refs + cook_test: one image's clipped matches, guesses and lengths.
  void add_bleu(const Image& image) {
    thread_local std::vector<std::pair<std::uint64_t, std::uint32_t>> max_counts;
    max_counts.clear();
    for (std::uint32_t r = image.references_begin; r < image.references_end; ++r) {
      for (const Gram& g : grams(r))
        max_counts.emplace_back(key(g), g.count);
    }
    std::sort(max_counts.begin(), max_counts.end(), [](const auto& a, const auto& b) {
      return a.first < b.first || (a.first == b.first && a.second > b.second);
    });
    const std::uint32_t test_length = captions_[image.candidate].words;
    for (const Gram& g : grams(image.candidate)) {
      const auto it =
          std::lower_bound(max_counts.begin(), max_counts.end(), key(g),
                           [](const auto& entry, std::uint64_t k) { return entry.first < k; });
      if (it != max_counts.end() && it->first == key(g))
        bleu_correct_[g.order] += std::min(it->second, g.count);
    }
    for (int k = 0; k < kMaxOrder; ++k)
      bleu_guess_[k] += test_length > static_cast<std::uint32_t>(k) ? test_length - k : 0;
    // "closest": min((abs(l - testlen), l) for l in reflen)[1].
    std::int64_t best_distance = -1;
    std::int64_t best_length = 0;
    for (std::uint32_t r = image.references_begin; r < image.references_end; ++r) {
      const auto length = static_cast<std::int64_t>(captions_[r].words);
      const std::int64_t distance = std::llabs(length - test_length);
      if (best_distance < 0 || distance < best_distance ||
          (distance == best_distance && length < best_length)) {
        best_distance = distance;
        best_length = length;
      }
    }
    bleu_test_length_ += test_length;
    bleu_reference_length_ += best_length;
  }

  /// bleu_scorer.py compute_score over the corpus.
  std::array<double, kMaxOrder> bleu_scores() const {
    std::array<double, kMaxOrder> bleus{};
    double bleu = 1.0;
    for (int k = 0; k < kMaxOrder; ++k) {
      bleu *= (static_cast<double>(bleu_correct_[k]) + kBleuTiny) /
              (static_cast<double>(bleu_guess_[k]) + kBleuSmall);
      bleus[k] = std::pow(bleu, 1.0 / (k + 1));
    }
    const double ratio = (static_cast<double>(bleu_test_length_) + kBleuTiny) /
                         (static_cast<double>(bleu_reference_length_) + kBleuSmall);
    if (ratio < 1) {
      for (auto& b : bleus)
        b *= std::exp(1 - 1 / ratio);
    }
    return bleus;
  }

  /// cider_scorer.py compute_doc_freq + compute_cider: the per-image CIDEr-D scores.
  std::vector<double> cider_scores() const {
    std::array<std::vector<std::uint32_t>, kMaxOrder> df;
    df[0].assign(vocabulary_.size(), 0);
    for (int k = 1; k < kMaxOrder; ++k)
      df[k].assign(ngrams_[k - 1].size(), 0);
    std::vector<std::uint64_t> seen;
    for (const Image& image : images_) {
      seen.clear();
      for (std::uint32_t r = image.references_begin; r < image.references_end; ++r) {
        for (const Gram& g : grams(r))
          seen.push_back(key(g));
      }
      std::sort(seen.begin(), seen.end());
      seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
      for (const std::uint64_t k : seen)
        ++df[k >> 32][k & 0xffffffffU];
    }
    const double ref_len = std::log(static_cast<double>(images_.size()));

    struct Vector {
      std::vector<std::pair<std::uint64_t, double>> values;  // in the caption's gram order
      std::vector<std::pair<std::uint64_t, double>> sorted;
      std::array<double, kMaxOrder> norm{};
      double length = 0;
    };
    const auto to_vector = [&](std::uint32_t caption, Vector& v, bool sort) {
      v.values.clear();
      v.norm.fill(0.0);
      for (const Gram& g : grams(caption)) {
        const double d = std::log(std::max(1.0, static_cast<double>(df[g.order][g.id])));
        const double value = static_cast<double>(g.count) * (ref_len - d);
        v.values.emplace_back(key(g), value);
        v.norm[g.order] += value * value;
      }
      for (auto& n : v.norm)
        n = std::sqrt(n);
      v.length = captions_[caption].bigrams;
      if (sort) {
        v.sorted = v.values;
        std::sort(v.sorted.begin(), v.sorted.end());
      }
    };

    std::vector<double> scores;
    scores.reserve(images_.size());
    Vector candidate;
    Vector reference;
    for (const Image& image : images_) {
      to_vector(image.candidate, candidate, false);
      std::array<double, kMaxOrder> total{};
      for (std::uint32_t r = image.references_begin; r < image.references_end; ++r) {
        to_vector(r, reference, true);
        const double delta = candidate.length - reference.length;
        std::array<double, kMaxOrder> value{};
        for (const auto& [k, hyp] : candidate.values) {
          const auto it = std::lower_bound(
              reference.sorted.begin(), reference.sorted.end(), k,
              [](const auto& entry, std::uint64_t key) { return entry.first < key; });
          const double ref = it != reference.sorted.end() && it->first == k ? it->second : 0.0;
          value[k >> 32] += std::min(hyp, ref) * ref;
        }
        for (int n = 0; n < kMaxOrder; ++n) {
          if (candidate.norm[n] != 0 && reference.norm[n] != 0)
            value[n] /= candidate.norm[n] * reference.norm[n];
          value[n] *= std::pow(kE, -(delta * delta) / (2 * kCiderSigma * kCiderSigma));
          total[n] += value[n];
        }
      }
      double average = (((total[0] + total[1]) + total[2]) + total[3]) / kMaxOrder;
      average /= static_cast<double>(image.references_end - image.references_begin);
      average *= 10.0;
      scores.push_back(average);
    }
    return scores;
  }

  MetricInfo info_;
  std::optional<MeteorSetup> meteor_;
  std::size_t n_ = 0;
  std::size_t n_missing_ = 0;
  std::vector<double> rouge_;
  std::unordered_map<std::string, std::uint32_t> vocabulary_;
  std::array<std::unordered_map<std::uint64_t, std::uint32_t>, kMaxOrder - 1> ngrams_;
  std::vector<Gram> grams_;
  std::vector<Caption> captions_;
  std::vector<Image> images_;
  std::array<std::uint64_t, kMaxOrder> bleu_correct_{};
  std::array<std::uint64_t, kMaxOrder> bleu_guess_{};
  std::uint64_t bleu_test_length_ = 0;
  std::uint64_t bleu_reference_length_ = 0;
  std::vector<std::string> meteor_hypotheses_;
  std::vector<std::vector<std::string>> meteor_references_;
};

}  // namespace

CaptionMetric::CaptionMetric(Variant variant, std::optional<MeteorSetup> meteor)
    : variant_(variant),
      meteor_(std::move(meteor)),
      info_{"caption",
            variant == Variant::with_meteor ? "pycocoevalcap-meteor" : "pycocoevalcap",
            std::string(variant == Variant::with_meteor ? kMeteorReference : kReference),
            variant == Variant::with_meteor
                ? "COCO caption metrics on PTB-tokenised captions: BLEU-1..4, METEOR 1.5 (Java), "
                  "ROUGE-L, CIDEr-D (headline)"
                : "COCO caption metrics on PTB-tokenised captions: BLEU-1..4, ROUGE-L, CIDEr-D "
                  "(headline)",
            {"answers"}} {
  if (variant_ == Variant::with_meteor && !meteor_)
    throw Error("caption/pycocoevalcap-meteor needs a METEOR setup");
}

double CaptionMetric::pairwise_sum(std::span<const double> a) {
  // numpy/_core/src/umath/loops_utils.h.src pairwise_sum, PW_BLOCKSIZE 128.
  const std::size_t n = a.size();
  if (n < 8) {
    double res = 0.0;
    for (const double x : a)
      res += x;
    return res;
  }
  if (n <= 128) {
    std::array<double, 8> r{};
    for (std::size_t j = 0; j < 8; ++j)
      r[j] = a[j];
    std::size_t i = 8;
    for (; i < n - (n % 8); i += 8) {
      for (std::size_t j = 0; j < 8; ++j)
        r[j] += a[i + j];
    }
    double res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i)
      res += a[i];
    return res;
  }
  std::size_t n2 = n / 2;
  n2 -= n2 % 8;
  return pairwise_sum(a.subspan(0, n2)) + pairwise_sum(a.subspan(n2));
}

double CaptionMetric::rouge_l(std::string_view candidate, std::span<const std::string> references) {
  thread_local std::vector<std::string_view> candidate_words;
  thread_local std::vector<std::string_view> reference_words;
  thread_local std::vector<std::uint32_t> row;
  split_on_space(candidate, candidate_words);
  double best_precision = 0.0;
  double best_recall = 0.0;
  bool first = true;
  for (const auto& reference : references) {
    split_on_space(reference, reference_words);
    const auto lcs = static_cast<double>(lcs_length(reference_words, candidate_words, row));
    const double precision = lcs / static_cast<double>(candidate_words.size());
    const double recall = lcs / static_cast<double>(reference_words.size());
    best_precision = first ? precision : std::max(best_precision, precision);
    best_recall = first ? recall : std::max(best_recall, recall);
    first = false;
  }
  if (best_precision == 0 || best_recall == 0) return 0.0;
  const double beta2 = kRougeBeta * kRougeBeta;
  return ((1 + beta2) * best_precision * best_recall) / (best_recall + beta2 * best_precision);
}

SampleScore CaptionMetric::score(const ScoringItem& item) const {
  if (item.answers.empty())
    throw InputError(fmt::format("caption: item '{}' has no reference caption", item.id));
  SampleScore s{0.0, item.prediction ? ParseStatus::parsed : ParseStatus::missing, {}};
  ptb_tokenize(item.prediction ? std::string_view(*item.prediction) : "", s.extracted);
  thread_local std::vector<std::string> references;
  references.resize(item.answers.size());
  for (std::size_t i = 0; i < item.answers.size(); ++i)
    ptb_tokenize(item.answers[i], references[i]);
  s.score = rouge_l(s.extracted, references);
  return s;
}

std::unique_ptr<Aggregator> CaptionMetric::aggregator() const {
  return std::make_unique<CaptionAggregator>(info_, meteor_);
}

std::unique_ptr<Metric> CaptionMetric::create(std::string_view variant, ObjectReader& options) {
  const std::string chosen = select_variant("caption", variant, variants());
  if (chosen != "pycocoevalcap-meteor") {
    options.finish();
    return std::make_unique<CaptionMetric>(Variant::pycocoevalcap);
  }
  std::optional<std::string> java;
  std::optional<std::string> jar;
  if (auto node = options.find("java")) java = node->as_string();
  if (auto node = options.find("meteor_jar")) jar = node->as_string();
  options.finish();
  return std::make_unique<CaptionMetric>(Variant::with_meteor, find_meteor(java, jar));
}

}  // namespace lmmbench::metrics
