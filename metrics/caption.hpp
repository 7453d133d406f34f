#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

/// Where the METEOR 1.5 jar and the Java runtime are, for the `pycocoevalcap-meteor` variant.
struct MeteorSetup {
  std::string java;           ///< The java executable (a path, or a name looked up on PATH).
  std::filesystem::path jar;  ///< meteor-1.5.jar; its folder must hold data/paraphrase-en.gz.
};

/// Finds Java and meteor-1.5.jar: the metric's options `java` / `meteor_jar`, else the environment
/// (`LMMBENCH_JAVA`, `LMMBENCH_METEOR_JAR`), else `java` on PATH and the jar of an installed
/// pycocoevalcap (site-packages of $VIRTUAL_ENV, ~/.local, /usr/local, /usr). Throws InputError
/// naming what is missing and how to provide it.
MeteorSetup find_meteor(std::optional<std::string> java, std::optional<std::string> jar);

/// METEOR 1.5 as pycocoevalcap's meteor/meteor.py computes it: one `java -jar -Xmx2G
/// meteor-1.5.jar - - -stdio -l en -norm` process, a `SCORE ||| ref ||| ... ||| hyp` line per
/// image (the hypothesis with '|||' deleted and double spaces replaced, as meteor.py does), then
/// one `EVAL ||| stats ||| ...` line. Returns the corpus METEOR (the jar's aggregate over all
/// segments' statistics, not the mean of the per-image scores). Inputs are PTB-tokenised
/// captions. Throws Error when the process fails.
double meteor_score(const MeteorSetup& setup, std::span<const std::string> hypotheses,
                    std::span<const std::vector<std::string>> references);

/// The COCO caption metrics of pycocoevalcap 1.2 (PyPI; its files are those of
/// github.com/salaniz/pycocoevalcap at ad63453, tag v1.2, which
/// COCOEvalCap, lmms-eval's coco_cap/nocaps/flickr30k tasks and most LMM papers use): every
/// caption is PTB-tokenised (ptb_tokenizer.hpp), then over the whole evaluated set
///  - BLEU-1..4 (bleu/bleu_scorer.py, option "closest"): corpus BLEU, clipped n-gram counts
///    against the maximum count in any reference, the reference length closest to each
///    candidate's (the shorter one on a tie), summed, one brevity penalty exp(1 - r/c) for the
///    corpus, with the scorer's 1e-15 / 1e-9 smoothing constants;
///  - ROUGE-L (rouge/rouge.py): per image, LCS with each reference, the best precision and best
///    recall, F with beta = 1.2; the mean over images;
///  - CIDEr-D (cider/cider_scorer.py): tf-idf n-gram vectors (n = 1..4), document frequencies
///    from the references of the evaluated images (idf = log(#images) - log(max(1, df))),
///    clipped cosine similarity with a Gaussian length penalty (sigma 6, length counted in
///    bigrams as the scorer does), averaged over n and references, times 10; the mean over
///    images;
///  - METEOR 1.5 (variant `pycocoevalcap-meteor` only): the Java jar itself (meteor_score).
/// The headline `score` is 100 x CIDEr-D (unit points: 110.2, the scale papers print); `metrics`
/// hold pycocoevalcap's own values (bleu_1..4, rouge_l, meteor in 0..1, cider unscaled). Per-sample
/// score: the image's ROUGE-L (the one of these metrics pycocoevalcap defines per image without the
/// rest of the set; `extracted` is the tokenised prediction). Interval: the normal interval of the
/// mean of the per-image CIDEr-D scores with the set's document frequencies held fixed.
///
/// A missing prediction is scored as "" (lmms-eval's coco_cap process_results) and counted in
/// n_missing; items need at least one reference in `answers`. Sums are numpy's pairwise
/// summation, as np.mean computes them.
class CaptionMetric final : public Metric {
 public:
  enum class Variant { pycocoevalcap, with_meteor, vlmevalkit };

  explicit CaptionMetric(Variant variant = Variant::pycocoevalcap,
                         std::optional<MeteorSetup> meteor = std::nullopt);
  /// Registry factory; variants "pycocoevalcap" (default: BLEU, ROUGE-L, CIDEr-D),
  /// "pycocoevalcap-meteor" (adds METEOR; options `java`, `meteor_jar`) and "vlmevalkit" (the same
  /// scorers on untokenised captions, as VLMEvalKit's COCO_Caption_Scorer calls them: no PTB
  /// tokenisation, case and punctuation kept, an empty or missing prediction read as "nan").
  /// Throws InputError when the METEOR variant cannot find Java or the jar.
  static std::unique_ptr<Metric> create(std::string_view variant, ObjectReader& options);
  static std::vector<std::string> variants() {
    return {"pycocoevalcap", "pycocoevalcap-meteor", "vlmevalkit"};
  }
  [[nodiscard]] const MetricInfo& info() const override { return info_; }
  [[nodiscard]] SampleScore score(const ScoringItem& item) const override;
  [[nodiscard]] std::unique_ptr<Aggregator> aggregator() const override;

  /// pycocoevalcap's ROUGE-L of one tokenised candidate against tokenised references.
  static double rouge_l(std::string_view candidate, std::span<const std::string> references);
  /// numpy's pairwise sum (np.add.reduce of a contiguous float64 array), which np.mean uses.
  static double pairwise_sum(std::span<const double> values);

 private:
  Variant variant_;
  std::optional<MeteorSetup> meteor_;
  MetricInfo info_;
};

}  // namespace lmmbench::metrics
