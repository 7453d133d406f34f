// Scores every fixture input of pope, mme, scienceqa, seedbench, mmbench and multiple_choice
// (vlmevalkit) and compares per-sample scores, extracted answers and aggregates with the expected
// files written by the reference runners in tests/metrics/reference/ (README.md), to 1e-9.

#include <cmath>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/jsonl.hpp"
#include "metrics/mmbench.hpp"
#include "metrics/mme.hpp"
#include "metrics/multiple_choice.hpp"
#include "metrics/pope.hpp"
#include "metrics/scienceqa.hpp"
#include "metrics/score_input.hpp"
#include "metrics/seedbench.hpp"
#include "tests/metrics/fixture_check.hpp"

namespace lmmbench::metrics {
namespace {

void check(const std::string& input, const std::string& expected_name,
           const fixture_check::Factory& factory, std::string_view variant) {
  fixture_check::check_reference_fixture(input, expected_name, factory, variant);
}

TEST(ReferenceFixtures, PopeLlava) {
  check("pope.input.jsonl", "pope.expected.json", &Pope::create, "");
}

TEST(ReferenceFixtures, PopeLmmsEval) {
  check("pope.input.jsonl", "pope.lmms-eval.expected.json", &Pope::create, "lmms-eval");
}

TEST(ReferenceFixtures, MmeOfficial) {
  check("mme.input.jsonl", "mme.expected.json", &Mme::create, "");
}

TEST(ReferenceFixtures, MmeLmmsEval) {
  check("mme.input.jsonl", "mme.lmms-eval.expected.json", &Mme::create, "lmms-eval");
}

TEST(ReferenceFixtures, ScienceQaLlava) {
  check("scienceqa.input.jsonl", "scienceqa.expected.json", &ScienceQa::create, "");
}

TEST(ReferenceFixtures, SeedBenchLlava) {
  check("seedbench.input.jsonl", "seedbench.expected.json", &SeedBench::create, "");
}

TEST(ReferenceFixtures, SeedBenchLmmsEval) {
  check("seedbench.input.jsonl", "seedbench.lmms-eval.expected.json", &SeedBench::create,
        "lmms-eval");
}

TEST(ReferenceFixtures, MmBenchLmmsEval) {
  check("mmbench.input.jsonl", "mmbench.expected.json", &MmBench::create, "");
}

TEST(ReferenceFixtures, MmBenchVlmEvalKit) {
  check("mmbench.input.jsonl", "mmbench.vlmevalkit.expected.json", &MmBench::create, "vlmevalkit");
}

TEST(ReferenceFixtures, MultipleChoiceVlmEvalKit) {
  check("multiple_choice.input.jsonl", "multiple_choice.vlmevalkit.expected.json",
        &MultipleChoice::create, "vlmevalkit");
}

}  // namespace
}  // namespace lmmbench::metrics
