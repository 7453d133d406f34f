#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace lmmbench::metrics {

/// A sample mean with its analytic standard error (sample standard deviation with n - 1, over
/// sqrt(n)) and a normal 95 % interval (mean +- 1.959964 * se). For n < 2 the standard error is
/// NaN and the interval collapses to the mean.
struct MeanEstimate {
  std::size_t n = 0;
  double mean = 0.0;
  double standard_error = 0.0;
  std::array<double, 2> ci95{0.0, 0.0};
};

MeanEstimate estimate_mean(std::span<const double> values);

/// z for a two-sided 95 % normal interval.
inline constexpr double kZ95 = 1.959963984540054;

/// Default number of bootstrap resamples (documented in docs/metrics.md).
inline constexpr std::size_t kBootstrapResamples = 1000;

/// A deterministic 64-bit generator (SplitMix64) with an unbiased bounded draw, so seeded
/// resampling gives the same indices on every platform and standard library.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  /// Uniform in [0, bound), bound > 0 (Lemire's multiply-shift with rejection).
  std::uint64_t below(std::uint64_t bound);

 private:
  std::uint64_t state_;
};

/// The spread of a statistic that is not a plain mean (F1, MME's sum of per-image scores, circular
/// accuracy), by the nonparametric bootstrap over independent resampling units (items, images,
/// circular groups): `statistic` is evaluated on `resamples` index multisets drawn with
/// replacement from [0, n_units). standard_error is the sample standard deviation (n - 1) of the
/// replicates; ci95 the 2.5th and 97.5th percentiles (linear interpolation between order
/// statistics, numpy's default). Replicates where the statistic is NaN (undefined, e.g. F1 with no
/// positive predictions) are dropped and counted in `dropped`.
struct BootstrapEstimate {
  double standard_error = 0.0;
  std::array<double, 2> ci95{0.0, 0.0};
  std::size_t resamples = 0;
  std::size_t dropped = 0;
  std::uint64_t seed = 0;

  /// "bootstrap (1000 resamples, seed 0)" — for MetricResult::interval_method.
  [[nodiscard]] std::string method() const;
};

BootstrapEstimate bootstrap(
    std::size_t n_units,
    const std::function<double(std::span<const std::size_t> indices)>& statistic,
    std::size_t resamples = kBootstrapResamples, std::uint64_t seed = 0);

/// The p-th percentile (0 <= p <= 100) of `sorted` (ascending, non-empty) by linear interpolation
/// between closest ranks: rank r = (n - 1) p / 100, value = x[floor r] + (r - floor r)
/// (x[floor r + 1] - x[floor r]). This is NumPy's default (`np.percentile`, method "linear"),
/// Hyndman & Fan's type 7, as vLLM's `bench serve` and AIPerf report; MLPerf LoadGen instead takes
/// x[floor(n p / 100)], which is never lower. The one percentile of lmmbench: bootstrap
/// intervals, perf latency summaries and the reports all use it. Throws std::invalid_argument for
/// an empty span or p outside [0, 100].
double percentile(std::span<const double> sorted, double p);

}  // namespace lmmbench::metrics
