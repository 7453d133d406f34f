// The reference-fixture comparison shared by the metric fixture tests (fixture_check.hpp).

#include "tests/metrics/fixture_check.hpp"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/jsonl.hpp"
#include "metrics/score_input.hpp"

namespace lmmbench::metrics::fixture_check {
namespace {

constexpr double kTolerance = 1e-9;
const std::string kFixtures = std::string(LMMBENCH_SOURCE_DIR) + "/tests/metrics/fixtures/";

std::unique_ptr<Metric> make(const Factory& factory, std::string_view variant) {
  ObjectReader options(ConfigNode(JsonSource::from_text("{}", "options")));
  return factory(variant, options);
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return nlohmann::json::parse(in);
}

/// Every number, null and string of `expected` must be at the same place in `actual` (numbers to
/// kTolerance); `actual` may hold more.
void compare(const nlohmann::json& expected, const nlohmann::json& actual, const std::string& path,
             std::vector<std::string>& errors) {
  if (expected.is_object()) {
    for (const auto& [key, value] : expected.items()) {
      if (!actual.is_object() || !actual.contains(key)) {
        errors.push_back(fmt::format("{}/{}: missing", path, key));
        continue;
      }
      compare(value, actual.at(key), path + "/" + key, errors);
    }
  } else if (expected.is_number()) {
    const double e = expected.get<double>();
    if (!actual.is_number() || std::fabs(actual.get<double>() - e) > kTolerance) {
      errors.push_back(fmt::format("{}: expected {}, got {}", path, e, actual.dump()));
    }
  } else if (expected != actual) {
    errors.push_back(fmt::format("{}: expected {}, got {}", path, expected.dump(), actual.dump()));
  }
}

/// Scores <input> with the metric and checks it against <expected>; aggregate.subsets.<prefix>
/// is checked against the aggregate of the items whose id starts with <prefix>.
}  // namespace

void check_reference_fixture(const std::string& input, const std::string& expected_name,
                             const Factory& factory, std::string_view variant) {
  const nlohmann::json expected = read_json(kFixtures + expected_name);
  const auto metric = make(factory, variant);
  EXPECT_EQ(metric->info().reference, expected.at("reference").get<std::string>());

  std::vector<ScoringItem> items;
  for_each_jsonl_record(kFixtures + input, [&](const ConfigNode& record) {
    items.push_back(parse_scoring_item(record, metric->info().required_fields));
  });
  const auto& per_sample = expected.at("per_sample");
  ASSERT_EQ(items.size(), per_sample.size());

  std::vector<std::string> errors;
  auto aggregator = metric->aggregator();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& want = per_sample[i];
    ASSERT_EQ(items[i].id, want.at("id").get<std::string>());
    const SampleScore s = metric->score(items[i]);
    if (std::fabs(s.score - want.at("score").get<double>()) > kTolerance) {
      errors.push_back(fmt::format("{}: score {}, expected {}", items[i].id, s.score,
                                   want.at("score").get<double>()));
    }
    if (want.contains("extracted") && s.extracted != want.at("extracted").get<std::string>()) {
      errors.push_back(fmt::format("{}: extracted '{}', expected '{}'", items[i].id, s.extracted,
                                   want.at("extracted").get<std::string>()));
    }
    aggregator->add(items[i], s);
  }
  nlohmann::json actual = aggregator->finish();
  nlohmann::json want = expected.at("aggregate");
  const nlohmann::json subsets = want.value("subsets", nlohmann::json::object());
  want.erase("subsets");
  compare(want, actual, "aggregate", errors);

  for (const auto& [prefix, subset_expected] : subsets.items()) {
    auto subset = metric->aggregator();
    for (const auto& item : items) {
      if (item.id.starts_with(prefix)) subset->add(item, metric->score(item));
    }
    compare(subset_expected, nlohmann::json(subset->finish()), "subsets/" + prefix, errors);
  }

  for (std::size_t i = 0; i < errors.size() && i < 30; ++i)
    ADD_FAILURE() << errors[i];
  EXPECT_TRUE(errors.empty()) << errors.size() << " mismatches in " << expected_name;
}

}  // namespace lmmbench::metrics::fixture_check
