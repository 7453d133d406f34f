// Golden tests of the VQA-family scorers against numbers produced by running the reference code
// itself (tests/metrics/reference/run_*.py, see the README there): every per-sample score and
// every aggregate must agree to 1e-9.

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/json_source.hpp"
#include "core/jsonl.hpp"
#include "metrics/anls.hpp"
#include "metrics/gqa.hpp"
#include "metrics/relaxed_accuracy.hpp"
#include "metrics/score_input.hpp"
#include "metrics/textvqa.hpp"
#include "metrics/vqa.hpp"

namespace lmmbench::metrics {
namespace {

constexpr double kTolerance = 1e-9;

const std::filesystem::path kFixtures =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests" / "metrics" / "fixtures";

using Factory = std::function<std::unique_ptr<Metric>(std::string_view, ObjectReader&)>;

struct Fixture {
  std::string expected_file;
  Factory create;
  std::string variant;
};

std::unique_ptr<Metric> make(const Fixture& f) {
  const auto options = JsonSource::from_text("{}", "options");
  ObjectReader reader{ConfigNode(options)};
  return f.create(f.variant, reader);
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

struct Scored {
  MetricResult result;
  std::vector<std::pair<ScoringItem, SampleScore>> samples;
};

Scored score_file(const Metric& metric, const std::filesystem::path& input) {
  Scored out;
  auto aggregator = metric.aggregator();
  for_each_jsonl_record(input, [&](const ConfigNode& record) {
    ScoringItem item = parse_scoring_item(record, metric.info().required_fields);
    SampleScore s = metric.score(item);
    aggregator->add(item, s);
    out.samples.emplace_back(std::move(item), std::move(s));
  });
  out.result = aggregator->finish();
  return out;
}

double breakdown_value(const MetricResult& r, const std::string& key, const std::string& value) {
  const auto& cell = r.breakdown.at(key).at(value);
  return cell.values.at(0).value;
}

class VqaFamilyFixture : public ::testing::TestWithParam<Fixture> {};

TEST_P(VqaFamilyFixture, MatchesReferencePerSampleAndAggregate) {
  const Fixture& f = GetParam();
  const nlohmann::json expected = read_json(kFixtures / f.expected_file);
  const auto metric = make(f);
  const Scored scored = score_file(*metric, kFixtures / expected.at("input").get<std::string>());

  const auto& per_sample = expected.at("per_sample");
  ASSERT_EQ(per_sample.size(), scored.samples.size());
  std::size_t missing = 0;
  for (std::size_t i = 0; i < per_sample.size(); ++i) {
    const auto& want = per_sample[i];
    const auto& [item, got] = scored.samples[i];
    ASSERT_EQ(want.at("id").get<std::string>(), item.id);
    EXPECT_NEAR(got.score, want.at("score").get<double>(), kTolerance) << "id " << item.id;
    if (want.contains("extracted")) {
      EXPECT_EQ(got.extracted, want.at("extracted").get<std::string>()) << "id " << item.id;
    }
    missing += item.prediction ? 0 : 1;
    EXPECT_EQ(got.status, item.prediction ? ParseStatus::parsed : ParseStatus::missing);
  }

  const MetricResult& r = scored.result;
  EXPECT_EQ(r.n, per_sample.size());
  EXPECT_EQ(r.n_missing, missing);
  EXPECT_EQ(r.n_unparsed, 0u);
  EXPECT_EQ(r.variant, f.variant);
  const auto& agg = expected.at("aggregate");
  const std::string metric_name = metric->info().name;
  if (metric_name == "vqa" && agg.contains("unrounded")) {
    const auto& unrounded = agg.at("unrounded");
    EXPECT_NEAR(r.score, unrounded.at("overall").get<double>(), kTolerance);
    for (const auto& [key, field] : {std::pair{"perQuestionType", "question_type"},
                                     std::pair{"perAnswerType", "answer_type"}}) {
      ASSERT_EQ(r.breakdown.at(field).size(), unrounded.at(key).size());
      for (const auto& [value, accuracy] : unrounded.at(key).items()) {
        EXPECT_NEAR(breakdown_value(r, field, value), accuracy.get<double>(), kTolerance)
            << key << " " << value;
        // The reference prints round(., 2); the unrounded value rounds to it.
        EXPECT_NEAR(breakdown_value(r, field, value),
                    agg.at("accuracy").at(key).at(value).get<double>(), 0.005 + kTolerance);
      }
    }
    EXPECT_NEAR(r.score, agg.at("accuracy").at("overall").get<double>(), 0.005 + kTolerance);
    const auto& rounded = agg.at("evalQA_rounded_per_sample");
    for (std::size_t i = 0; i < rounded.size(); ++i) {
      EXPECT_NEAR(100.0 * scored.samples[i].second.score, rounded[i].get<double>(),
                  0.005 + kTolerance);
    }
  } else if (metric_name == "vqa" || metric_name == "gqa") {
    const double headline = agg.contains("exact_match") ? agg.at("exact_match").get<double>()
                                                        : agg.at("accuracy").get<double>();
    EXPECT_NEAR(r.score, 100.0 * headline, kTolerance);
  } else if (metric_name == "textvqa") {
    EXPECT_NEAR(r.score, 100.0 * agg.at("accuracy").get<double>(), kTolerance);
    for (const auto& [category, accuracy] : agg.at("category").items()) {
      EXPECT_NEAR(breakdown_value(r, "category", category), 100.0 * accuracy.get<double>(),
                  kTolerance);
    }
  } else if (metric_name == "anls") {
    const double headline =
        agg.contains("anls") ? agg.at("anls").get<double>() : agg.at("score").get<double>();
    EXPECT_NEAR(r.score, 100.0 * headline, kTolerance);
  } else if (metric_name == "relaxed_accuracy") {
    EXPECT_NEAR(r.score, 100.0 * agg.at("relaxed_overall").get<double>(), kTolerance);
    EXPECT_NEAR(breakdown_value(r, "category", "human_test"),
                100.0 * agg.at("relaxed_human_split").get<double>(), kTolerance);
    EXPECT_NEAR(breakdown_value(r, "category", "augmented_test"),
                100.0 * agg.at("relaxed_augmented_split").get<double>(), kTolerance);
  } else {
    FAIL() << "no aggregate check for " << metric_name;
  }
}

std::string fixture_name(const ::testing::TestParamInfo<Fixture>& info) {
  std::string name = info.param.expected_file.substr(0, info.param.expected_file.find(".expected"));
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(
    Reference, VqaFamilyFixture,
    ::testing::Values(
        Fixture{"vqa.expected.json", VqaAccuracy::create, "official"},
        Fixture{"vqa.official-2017.expected.json", VqaAccuracy::create, "official-2017"},
        Fixture{"vqa.lmms-eval.expected.json", VqaAccuracy::create, "lmms-eval"},
        Fixture{"vqa.lmms-eval-okvqa.expected.json", VqaAccuracy::create, "lmms-eval-okvqa"},
        Fixture{"textvqa.expected.json", TextVqaAccuracy::create, "llava"},
        Fixture{"anls.expected.json", Anls::create, "lmms-eval"},
        Fixture{"anls.official.expected.json", Anls::create, "official"},
        Fixture{"gqa.expected.json", GqaAccuracy::create, "llava"},
        Fixture{"gqa.lmms-eval.expected.json", GqaAccuracy::create, "lmms-eval"},
        Fixture{"relaxed_accuracy.expected.json", RelaxedAccuracy::create, "lmms-eval"},
        Fixture{"relaxed_accuracy.lmms-eval-stripped.expected.json", RelaxedAccuracy::create,
                "lmms-eval-stripped"}),
    fixture_name);

}  // namespace
}  // namespace lmmbench::metrics
