#include <gtest/gtest.h>

#include "harness/registry.hpp"
#include "harness/runner.hpp"

namespace lmmbench::harness {
namespace {

TEST(Shard, ParsesIOverN) {
  EXPECT_EQ(parse_shard("0/1"), (std::pair<std::size_t, std::size_t>{0, 1}));
  EXPECT_EQ(parse_shard("3/4"), (std::pair<std::size_t, std::size_t>{3, 4}));
  for (const char* bad : {"4/4", "1", "-1/4", "a/b", "1/0", "1/4x", "", "/4"}) {
    EXPECT_THROW(parse_shard(bad), InputError) << bad;
  }
}

TEST(Registry, EveryEntryHasANameADescriptionAndAFactory) {
  const auto& r = Registry::builtin();
  EXPECT_GE(r.backends().size(), 5u);
  for (const auto& b : r.backends()) {
    EXPECT_FALSE(b.name.empty());
    EXPECT_FALSE(b.description.empty());
    EXPECT_NE(b.create, nullptr);
  }
  for (const auto& m : r.metrics()) {
    EXPECT_FALSE(m.variants.empty()) << m.name;
    EXPECT_NE(r.create_metric(m.name, ""), nullptr) << m.name;
    for (const auto& v : m.variants) {
      std::unique_ptr<metrics::Metric> metric;
      try {
        metric = r.create_metric(m.name, v);
      } catch (const InputError& e) {
        // Only a variant that runs an external tool (caption/pycocoevalcap-meteor: Java and the
        // METEOR jar) may refuse, and then it names what this machine lacks.
        EXPECT_NE(std::string(e.what()).find(" needs: "), std::string::npos)
            << m.name << "/" << v << ": " << e.what();
        continue;
      }
      EXPECT_EQ(metric->info().variant, v) << m.name;
    }
  }
  EXPECT_THROW((void)r.create_metric("exact_mach", ""), InputError);
}

}  // namespace
}  // namespace lmmbench::harness
