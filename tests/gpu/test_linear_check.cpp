// The comparison behind the CUDA executor's correctness check (models/gpu/linear_check.hpp) on
// synthetic host data: it passes a right batched product, covers every product of the batch, and
// fails a wrong one, naming the product.
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include <gtest/gtest.h>

#include "models/gpu/linear_check.hpp"

namespace lmmbench::gpu {
namespace {

/// A batch of Y = alpha X W^T, every product its own operands, Y rounded like the output type
/// (to 10 fraction bits, FP16's precision, so the check sees realistic rounding).
struct Batched {
  std::int64_t batch, m, n, k;
  float alpha = 1.0f;
  std::vector<float> x, w, y;

  Batched(std::int64_t b, std::int64_t m_, std::int64_t n_, std::int64_t k_)
      : batch(b), m(m_), n(n_), k(k_) {
    x.resize(static_cast<std::size_t>(b * m * k));
    w.resize(static_cast<std::size_t>(b * n * k));
    y.resize(static_cast<std::size_t>(b * m * n));
    std::uint32_t state = 12345;
    const auto next = [&state] {
      state = state * 1664525u + 1013904223u;
      return static_cast<float>(state >> 8) / static_cast<float>(1u << 24) * 2.0f - 1.0f;
    };
    for (auto& v : x)
      v = next();
    for (auto& v : w)
      v = next() / std::sqrt(static_cast<float>(k));
    for (std::int64_t p = 0; p < b; ++p) {
      for (std::int64_t i = 0; i < m; ++i) {
        for (std::int64_t j = 0; j < n; ++j) {
          double sum = 0;
          for (std::int64_t t = 0; t < k; ++t)
            sum += static_cast<double>(x[idx(p * m * k + i * k + t)]) *
                   static_cast<double>(w[idx(p * n * k + j * k + t)]);
          int exponent = 0;
          const double fraction = std::frexp(alpha * sum, &exponent);
          y[idx(p * m * n + i * n + j)] =
              static_cast<float>(std::ldexp(std::round(std::ldexp(fraction, 11)), exponent - 11));
        }
      }
    }
  }

  static std::size_t idx(std::int64_t i) { return static_cast<std::size_t>(i); }

  /// Product p's slice of `rows` x `cols`, as the GPU side copies it.
  LinearSlice slice(std::int64_t p, std::int64_t rows, std::int64_t cols) const {
    LinearSlice s;
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t t = 0; t < k; ++t)
        s.x.push_back(x[idx(p * m * k + i * k + t)]);
    for (std::int64_t j = 0; j < cols; ++j)
      for (std::int64_t t = 0; t < k; ++t)
        s.w.push_back(w[idx(p * n * k + j * k + t)]);
    for (std::int64_t i = 0; i < rows; ++i)
      for (std::int64_t j = 0; j < cols; ++j)
        s.y.push_back(y[idx(p * m * n + i * n + j)]);
    return s;
  }

  CheckResult check(std::vector<std::int64_t>* fetched = nullptr) const {
    return check_batched_linear(batch, m, n, k, false, alpha, DType::f16, [&](std::int64_t p) {
      if (fetched != nullptr) fetched->push_back(p);
      return slice(p, m, n);
    });
  }
};

TEST(LinearCheck, ARightBatchedProductPassesAndEveryProductIsChecked) {
  const Batched b(6, 5, 7, 64);
  std::vector<std::int64_t> fetched;
  const CheckResult r = b.check(&fetched);
  EXPECT_TRUE(r.passed()) << r.max_error << " > " << r.tolerance;
  EXPECT_EQ(r.failed_product, -1);
  EXPECT_DOUBLE_EQ(r.tolerance, 4.0 * std::ldexp(1.0, -11));
  EXPECT_EQ(fetched, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5}));
  // Rounding to FP16 leaves an error, and it is under half a unit roundoff per element.
  EXPECT_GT(r.max_error, 0);
}

TEST(LinearCheck, AWrongElementInALaterProductFailsAndIsNamed) {
  Batched b(6, 5, 7, 64);
  // Product 4, row 2, column 3 off by 0.05 (the sum of |x w| is about 2): 0.025 relative, far
  // beyond 4 unit roundoffs of FP16 (0.002).
  auto& v = b.y[Batched::idx(4 * 5 * 7 + 2 * 7 + 3)];
  v += 0.05f;
  const CheckResult r = b.check();
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.failed_product, 4);
}

TEST(LinearCheck, ANaNOrAStaleProductFails) {
  Batched nan(3, 4, 4, 32);
  nan.y[Batched::idx(2 * 16 + 5)] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_FALSE(nan.check().passed());
  EXPECT_EQ(nan.check().failed_product, 2);

  // A kernel that computed only the first product and copied it to the others: the first-product
  // check this replaced would have passed it.
  Batched stale(3, 4, 4, 32);
  for (std::size_t i = 16; i < stale.y.size(); ++i)
    stale.y[i] = stale.y[i % 16];
  const CheckResult r = stale.check();
  EXPECT_FALSE(r.passed());
  EXPECT_EQ(r.failed_product, 1);
}

TEST(LinearCheck, WeightsStoredKByNReadTheSameProduct) {
  const Batched b(2, 3, 5, 16);
  const CheckResult r =
      check_batched_linear(b.batch, b.m, b.n, b.k, true, b.alpha, DType::f16, [&](std::int64_t p) {
        LinearSlice s = b.slice(p, b.m, b.n);
        std::vector<float> transposed(s.w.size());
        for (std::int64_t j = 0; j < b.n; ++j)
          for (std::int64_t t = 0; t < b.k; ++t)
            transposed[Batched::idx(t * b.n + j)] = s.w[Batched::idx(j * b.k + t)];
        s.w = transposed;
        return s;
      });
  EXPECT_TRUE(r.passed()) << r.max_error;
}

TEST(LinearCheck, LargeBatchesShrinkTheSliceButKeepEveryProduct) {
  EXPECT_EQ(batched_slice(64, 1, 4096), 64);         // one 64 x 64 slice of K = 4096: 16.8 M MACs
  EXPECT_EQ(batched_slice(64, 1024, 128), 22);       // 1024 heads x 22 x 22 x 128 = 63 M MACs
  EXPECT_EQ(batched_slice(64, 1'000'000, 4096), 1);  // never 0: each product keeps one element
  EXPECT_EQ(batched_slice(8, 2, 16), 8);
}

TEST(LinearCheck, BFloat16HasTheWiderTolerance) {
  EXPECT_DOUBLE_EQ(linear_tolerance(DType::bf16), 4.0 / 256.0);
  EXPECT_DOUBLE_EQ(linear_tolerance(DType::f16), 4.0 / 2048.0);
}

}  // namespace
}  // namespace lmmbench::gpu
