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
    "salaniz/pycocoevalcap@ad63453 (v1.2 = PyPI pycocoevalcap 1.2) tokenizer/ptbtokenizer.py, "
    "bleu/bleu_scorer.py (closest), rouge/rouge.py, cider/cider_scorer.py";
constexpr std::string_view kMeteorReference =
    "salaniz/pycocoevalcap@ad63453 (v1.2 = PyPI pycocoevalcap 1.2) tokenizer/ptbtokenizer.py, "
    "bleu/bleu_scorer.py (closest), meteor/meteor.py (meteor-1.5.jar), rouge/rouge.py, "
    "cider/cider_scorer.py";

constexpr std::string_view kVlmEvalKitReference =
    "open-compass/VLMEvalKit@0507265 vlmeval/dataset/image_caption.py ImageCaptionDataset."
    "evaluate, COCO_Caption_Scorer (pycocoevalcap Bleu(4), Rouge(), Cider(), untokenised)";

constexpr int kMaxOrder = 4;
/// Captions with at most this many grams of one order dedupe them by scanning.
constexpr std::size_t kLinearScan = 48;
/// cider.py: sigma = 6.0; the penalty is e ** (-(delta ** 2) / (2 * sigma ** 2)).
constexpr double kCiderSigma = 6.0;
/// np.e, the base cider_scorer.py raises (Python float pow, not exp()).
constexpr double kE = 2.718281828459045;
/// The headline is 100 x CIDEr-D.
constexpr double kHeadlineScale = 100.0;
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

/// An open-addressing map from a 64-bit n-gram key to its id (linear probing, power-of-two
/// capacity, at most half full): the n-gram tables are the hottest lookups of the aggregation,
/// and a node-based map spends them on cache misses.
class GramTable {
 public:
  GramTable() { slots_.assign(1024, Slot{kEmpty, 0}); }

  /// The id of `key`, interning it as the next id when new.
  std::uint32_t intern(std::uint64_t key) {
    std::size_t i = slot(key);
    while (slots_[i].key != kEmpty) {
      if (slots_[i].key == key) return slots_[i].id;
      i = (i + 1) & (slots_.size() - 1);
    }
    slots_[i] = Slot{key, size_};
    if (++size_ * 2 > slots_.size()) grow();
    return size_ - 1;
  }
  [[nodiscard]] std::size_t size() const { return size_; }

 private:
  struct Slot {
    std::uint64_t key;
    std::uint32_t id;
  };
  // Never a key: ids are 32-bit, so the high word of a real key is below 2^32 - 1.
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};

  std::size_t slot(std::uint64_t key) const {
    key ^= key >> 31;
    key *= 0x7fb5d329728ea185ULL;
    key ^= key >> 27;
    key *= 0x81dadef4bc2dd44dULL;
    key ^= key >> 33;
    return static_cast<std::size_t>(key) & (slots_.size() - 1);
  }

  void grow() {
    std::vector<Slot> old(slots_.size() * 2, Slot{kEmpty, 0});
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.key == kEmpty) continue;
      std::size_t i = slot(s.key);
      while (slots_[i].key != kEmpty)
        i = (i + 1) & (slots_.size() - 1);
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;
  std::uint32_t size_ = 0;
};

/// The references of the item this thread scored last, raw and tokenised: the aggregator's add()
/// follows score() on the same item, and tokenising every reference twice was a fifth of the
/// work. Reused only when the raw references are equal, so it can never give another item's.
struct TokenisedReferences {
  std::vector<std::string> raw;
  std::vector<std::string> tokenised;
  bool untokenised = false;  ///< `tokenised` holds the raw captions (the vlmevalkit variant).

  const std::vector<std::string>& of(const std::vector<std::string>& references, bool as_is) {
    if (raw != references || untokenised != as_is) {
      raw = references;
      untokenised = as_is;
      tokenised.resize(references.size());
      for (std::size_t i = 0; i < references.size(); ++i) {
        if (as_is) {
          tokenised[i] = references[i];
        } else {
          ptb_tokenize(references[i], tokenised[i]);
        }
      }
    }
    return tokenised;
  }
};

TokenisedReferences& last_references() {
  thread_local TokenisedReferences memo;
  return memo;
}

/// Lets the vocabulary be searched with a string_view (no std::string per word looked up).
struct WordHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

struct Image {
  std::uint32_t candidate = 0;         ///< Index in captions_.
  std::uint32_t references_begin = 0;  ///< Index in captions_.
  std::uint32_t references_end = 0;
};

class CaptionAggregator final : public Aggregator {
 public:
  CaptionAggregator(const MetricInfo& info, const std::optional<MeteorSetup>& meteor, bool as_is)
      : info_(info), meteor_(meteor), as_is_(as_is) {}

  void add(const ScoringItem& item, const SampleScore& score) override {
    ++n_;
    if (score.status == ParseStatus::missing) ++n_missing_;
    rouge_.push_back(score.score);
    Image image;
    image.candidate = add_caption(score.extracted);
    image.references_begin = static_cast<std::uint32_t>(captions_.size());
    const auto& references = last_references().of(item.answers, as_is_);
    for (const auto& tokenised : references)
      add_caption(tokenised);
    image.references_end = static_cast<std::uint32_t>(captions_.size());
    add_bleu(image);
    images_.push_back(image);
    if (meteor_) {
      meteor_hypotheses_.push_back(score.extracted);
      meteor_references_.push_back(references);
    }
  }

  MetricResult finish() override {
    MetricResult r = result_of(info_, Unit::points);
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
    // The headline in the scale papers print CIDEr in (110.2, not 1.102), so that `compare`'s
    // --min-drop of 1 point means one CIDEr point; `metrics` keep pycocoevalcap's own values.
    r.score = kHeadlineScale * cider_mean;
    const MeanEstimate e = estimate_mean(cider);
    r.standard_error = kHeadlineScale * e.standard_error;
    r.ci95 = {kHeadlineScale * e.ci95[0], kHeadlineScale * e.ci95[1]};
    // Not "normal": that names a headline that is the mean of the per-sample scores, which
    // `lmmbench compare` would then recompute from them (here they are ROUGE-L).
    r.interval_method = "normal, over the per-image CIDEr-D with the set's document frequencies";
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
      auto it = vocabulary_.find(words[i]);
      if (it == vocabulary_.end()) {
        it = vocabulary_
                 .emplace(std::string(words[i]), static_cast<std::uint32_t>(vocabulary_.size()))
                 .first;
      }
      ids[i] = it->second;
    }
    // grams of order k from those of order k - 1: id(k) = intern(id(k-1) at i, word i + k).
    thread_local std::vector<std::uint32_t> previous;
    thread_local std::unordered_map<std::uint32_t, std::size_t> positions;
    previous = ids;
    for (int k = 0; k < kMaxOrder && static_cast<std::size_t>(k) < words.size(); ++k) {
      const std::size_t first = grams_.size();
      const std::size_t count = words.size() - k;
      for (std::size_t i = 0; i < count; ++i) {
        std::uint32_t id = previous[i];
        if (k > 0) {
          const std::uint64_t key = (static_cast<std::uint64_t>(previous[i]) << 32) | ids[i + k];
          id = ngrams_[k - 1].intern(key);
          previous[i] = id;
        }
        // Counted in first-occurrence order (the reference's dict order); a long caption (a
        // model's paragraph) looks its grams up in a map instead of scanning them.
        if (count <= kLinearScan) {
          bool seen = false;
          for (std::size_t g = first; g < grams_.size(); ++g) {
            if (grams_[g].id == id) {
              ++grams_[g].count;
              seen = true;
              break;
            }
          }
          if (!seen) grams_.push_back(Gram{id, 1, static_cast<std::uint8_t>(k)});
        } else {
          if (i == 0) positions.clear();
          const auto [it, inserted] = positions.try_emplace(id, grams_.size());
          if (inserted) {
            grams_.push_back(Gram{id, 1, static_cast<std::uint8_t>(k)});
          } else {
            ++grams_[it->second].count;
          }
        }
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

  /// bleu_scorer.py cook_refs + cook_test: one image's clipped matches, guesses and lengths.
  void add_bleu(const Image& image) {
    // The largest count of each gram in any reference, in dense per-order arrays stamped with
    // the image they belong to (ids are dense, so no map and no sort).
    const auto stamp = static_cast<std::uint32_t>(images_.size() + 1);
    for (int k = 0; k < kMaxOrder; ++k) {
      const std::size_t size = k == 0 ? vocabulary_.size() : ngrams_[k - 1].size();
      if (bleu_stamp_[k].size() < size) {
        bleu_stamp_[k].resize(size, 0);
        bleu_max_[k].resize(size, 0);
      }
    }
    for (std::uint32_t r = image.references_begin; r < image.references_end; ++r) {
      for (const Gram& g : grams(r)) {
        if (bleu_stamp_[g.order][g.id] != stamp) {
          bleu_stamp_[g.order][g.id] = stamp;
          bleu_max_[g.order][g.id] = g.count;
        } else {
          bleu_max_[g.order][g.id] = std::max(bleu_max_[g.order][g.id], g.count);
        }
      }
    }
    const std::uint32_t test_length = captions_[image.candidate].words;
    for (const Gram& g : grams(image.candidate)) {
      if (bleu_stamp_[g.order][g.id] == stamp)
        bleu_correct_[g.order] += std::min(bleu_max_[g.order][g.id], g.count);
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
    // Document frequencies: each gram once per image whose references hold it (a stamp per gram
    // instead of a set per image).
    std::array<std::vector<std::uint32_t>, kMaxOrder> df;
    std::array<std::vector<std::uint32_t>, kMaxOrder> stamp;
    for (int k = 0; k < kMaxOrder; ++k) {
      const std::size_t size = k == 0 ? vocabulary_.size() : ngrams_[k - 1].size();
      df[k].assign(size, 0);
      stamp[k].assign(size, 0);
    }
    for (std::uint32_t i = 0; i < images_.size(); ++i) {
      for (std::uint32_t r = images_[i].references_begin; r < images_[i].references_end; ++r) {
        for (const Gram& g : grams(r)) {
          if (stamp[g.order][g.id] != i + 1) {
            stamp[g.order][g.id] = i + 1;
            ++df[g.order][g.id];
          }
        }
      }
    }
    // ref_len - log(max(1, df)) of every gram: the idf factor counts2vec multiplies by.
    const double ref_len = std::log(static_cast<double>(images_.size()));
    std::array<std::vector<double>, kMaxOrder> idf;
    for (int k = 0; k < kMaxOrder; ++k) {
      idf[k].resize(df[k].size());
      for (std::size_t id = 0; id < df[k].size(); ++id)
        idf[k][id] = ref_len - std::log(std::max(1.0, static_cast<double>(df[k][id])));
    }

    struct Vector {
      std::vector<double> values;  // in the caption's gram order
      std::array<double, kMaxOrder> norm{};
      double length = 0;
    };
    const auto to_vector = [&](std::uint32_t caption, Vector& v) {
      v.values.clear();
      v.norm.fill(0.0);
      for (const Gram& g : grams(caption)) {
        const double value = static_cast<double>(g.count) * idf[g.order][g.id];
        v.values.push_back(value);
        v.norm[g.order] += value * value;
      }
      for (auto& n : v.norm)
        n = std::sqrt(n);
      v.length = captions_[caption].bigrams;
    };
    // A reference's values by gram, for the candidate's lookups: dense arrays stamped with the
    // reference (its caption index + 1).
    std::array<std::vector<double>, kMaxOrder> reference_value;
    for (int k = 0; k < kMaxOrder; ++k) {
      reference_value[k].assign(df[k].size(), 0.0);
      stamp[k].assign(df[k].size(), 0);
    }

    std::vector<double> scores;
    scores.reserve(images_.size());
    Vector candidate;
    Vector reference;
    for (const Image& image : images_) {
      to_vector(image.candidate, candidate);
      const std::span<const Gram> candidate_grams = grams(image.candidate);
      std::array<double, kMaxOrder> total{};
      for (std::uint32_t r = image.references_begin; r < image.references_end; ++r) {
        to_vector(r, reference);
        const std::span<const Gram> reference_grams = grams(r);
        for (std::size_t j = 0; j < reference_grams.size(); ++j) {
          const Gram& g = reference_grams[j];
          stamp[g.order][g.id] = r + 1;
          reference_value[g.order][g.id] = reference.values[j];
        }
        const double delta = candidate.length - reference.length;
        std::array<double, kMaxOrder> value{};
        for (std::size_t j = 0; j < candidate_grams.size(); ++j) {
          const Gram& g = candidate_grams[j];
          const double ref = stamp[g.order][g.id] == r + 1 ? reference_value[g.order][g.id] : 0.0;
          value[g.order] += std::min(candidate.values[j], ref) * ref;
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
  bool as_is_ = false;  ///< Captions are scored untokenised (vlmevalkit).
  std::size_t n_ = 0;
  std::size_t n_missing_ = 0;
  std::vector<double> rouge_;
  std::unordered_map<std::string, std::uint32_t, WordHash, std::equal_to<>> vocabulary_;
  std::array<GramTable, kMaxOrder - 1> ngrams_;
  std::vector<Gram> grams_;
  std::vector<Caption> captions_;
  std::vector<Image> images_;
  std::array<std::vector<std::uint32_t>, kMaxOrder> bleu_stamp_;
  std::array<std::vector<std::uint32_t>, kMaxOrder> bleu_max_;
  std::array<std::uint64_t, kMaxOrder> bleu_correct_{};
  std::array<std::uint64_t, kMaxOrder> bleu_guess_{};
  std::uint64_t bleu_test_length_ = 0;
  std::uint64_t bleu_reference_length_ = 0;
  std::vector<std::string> meteor_hypotheses_;
  std::vector<std::vector<std::string>> meteor_references_;
};

}  // namespace

CaptionMetric::CaptionMetric(Variant variant, std::optional<MeteorSetup> meteor)
    : variant_(variant), meteor_(std::move(meteor)) {
  switch (variant_) {
    case Variant::pycocoevalcap:
      info_ = MetricInfo{"caption",
                         "pycocoevalcap",
                         std::string(kReference),
                         "COCO caption metrics on PTB-tokenised captions: BLEU-1..4, ROUGE-L, "
                         "CIDEr-D (headline)",
                         {"answers"}};
      break;
    case Variant::with_meteor:
      if (!meteor_) throw Error("caption/pycocoevalcap-meteor needs a METEOR setup");
      info_ = MetricInfo{"caption",
                         "pycocoevalcap-meteor",
                         std::string(kMeteorReference),
                         "COCO caption metrics on PTB-tokenised captions: BLEU-1..4, METEOR 1.5 "
                         "(Java), ROUGE-L, CIDEr-D (headline)",
                         {"answers"}};
      break;
    case Variant::vlmevalkit:
      info_ = MetricInfo{"caption",
                         "vlmevalkit",
                         std::string(kVlmEvalKitReference),
                         "COCO caption metrics as VLMEvalKit computes them: pycocoevalcap's "
                         "BLEU-1..4, ROUGE-L, CIDEr-D on untokenised captions",
                         {"answers"}};
      break;
  }
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
  const bool as_is = variant_ == Variant::vlmevalkit;
  if (as_is) {
    // VLMEvalKit reads the predictions back with pandas: an empty or missing cell is NaN, and
    // str(NaN) is the caption "nan".
    s.extracted = item.prediction && !item.prediction->empty() ? *item.prediction : "nan";
  } else {
    ptb_tokenize(item.prediction ? std::string_view(*item.prediction) : "", s.extracted);
  }
  s.score = rouge_l(s.extracted, last_references().of(item.answers, as_is));
  return s;
}

std::unique_ptr<Aggregator> CaptionMetric::aggregator() const {
  return std::make_unique<CaptionAggregator>(info_, meteor_, variant_ == Variant::vlmevalkit);
}

std::unique_ptr<Metric> CaptionMetric::create(std::string_view variant, ObjectReader& options) {
  const std::string chosen = select_variant("caption", variant, variants());
  if (chosen != "pycocoevalcap-meteor") {
    options.finish();
    return std::make_unique<CaptionMetric>(chosen == "vlmevalkit" ? Variant::vlmevalkit
                                                                  : Variant::pycocoevalcap);
  }
  std::optional<std::string> java;
  std::optional<std::string> jar;
  if (auto node = options.find("java")) java = node->as_string();
  if (auto node = options.find("meteor_jar")) jar = node->as_string();
  options.finish();
  return std::make_unique<CaptionMetric>(Variant::with_meteor, find_meteor(java, jar));
}

}  // namespace lmmbench::metrics
