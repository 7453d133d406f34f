// Schema-1 run records, as the binary of 95e8027 wrote them (tests/fixtures/run_records/v1), load
// through migrate_run_record, and a record re-written by this build is the migrated file, byte for
// byte: the writer and the reader of every record type walk one field list, and the migration is
// the only difference between the versions.
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "reports/loaded_run.hpp"
#include "reports/run_record.hpp"

namespace lmmbench::reports {
namespace {

const std::filesystem::path kV1 =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests/fixtures/run_records/v1";

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

class V1Fixture : public ::testing::TestWithParam<const char*> {};

TEST_P(V1Fixture, LoadsAndRewritesAsTheMigratedFile) {
  const auto dir = kV1 / GetParam();
  const auto original = read_json(dir / "run.json");
  ASSERT_EQ(original.at("schema_version"), 1);
  const auto run = load_run(dir);
  EXPECT_EQ(run.record.schema_version, 2);
  EXPECT_EQ(run.raw.at("schema_version"), 2);
  const auto migrated = migrate_run_record(original);
  EXPECT_EQ(run.raw, migrated);
  // What this build writes for the loaded record is what the migration made of the v1 file.
  EXPECT_EQ(nlohmann::json(run.record).dump(2), migrated.dump(2));
  // Migrating twice changes nothing.
  EXPECT_EQ(migrate_run_record(migrated), migrated);
}

INSTANTIATE_TEST_SUITE_P(RunRecordV1, V1Fixture, ::testing::Values("eval", "perf", "gpu"));

TEST(RunRecordV1, GpuCostsTakeThePerfNames) {
  const auto original = read_json(kV1 / "gpu/run.json");
  const auto& v1_batch = original.at("gpu").at("models").at(0).at("batches").at(0);
  const auto run = load_run(kV1 / "gpu");
  ASSERT_TRUE(run.record.gpu.has_value());
  const auto& batch = run.record.gpu->models.at(0).batches.at(0);
  ASSERT_TRUE(batch.usd_per_1m_output_tokens.has_value());
  EXPECT_EQ(*batch.usd_per_1m_output_tokens,
            v1_batch.at("usd_per_million_output_tokens").get<double>());
  ASSERT_TRUE(batch.usd_per_1k_images.has_value());
  EXPECT_EQ(*batch.usd_per_1k_images, v1_batch.at("usd_per_thousand_images").get<double>());
  EXPECT_FALSE(batch.measured_usd_per_1m_output_tokens.has_value());  // null: nothing measured
  EXPECT_FALSE(batch.measured_usd_per_1k_images.has_value());
  const auto& raw_batch = run.raw.at("gpu").at("models").at(0).at("batches").at(0);
  for (const char* old_key :
       {"usd_per_million_output_tokens", "usd_per_thousand_images",
        "measured_usd_per_million_output_tokens", "measured_usd_per_thousand_images"}) {
    EXPECT_FALSE(raw_batch.contains(old_key)) << old_key;
  }
  EXPECT_TRUE(raw_batch.contains("measured_usd_per_1m_output_tokens"));
  EXPECT_TRUE(raw_batch.contains("measured_usd_per_1k_images"));
}

TEST(RunRecordV1, EvaluationCellsAndPerfLevelsSurvive) {
  const auto eval = load_run(kV1 / "eval");
  ASSERT_EQ(eval.record.cells.size(), 8u);
  EXPECT_EQ(eval.record.cells.at(0).model, "oracle");
  EXPECT_EQ(eval.record.cells.at(0).headline()->score, 100.0);
  const auto perf = load_run(kV1 / "perf");
  ASSERT_TRUE(perf.record.perf.has_value());
  ASSERT_EQ(perf.record.perf->levels.size(), 1u);
  EXPECT_EQ(perf.record.perf->levels.at(0).requests, 20u);
}

TEST(RunRecordV1, ANewerVersionIsRefusedByName) {
  auto newer = read_json(kV1 / "gpu/run.json");
  newer["schema_version"] = kRunRecordSchemaVersion + 1;
  try {
    (void)migrate_run_record(newer);
    FAIL() << "a newer record was migrated";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().field, "/schema_version");
    EXPECT_NE(
        std::string(e.what()).find("schema version " + std::to_string(kRunRecordSchemaVersion + 1) +
                                   " is not readable by this lmmbench, which reads versions 1 to " +
                                   std::to_string(kRunRecordSchemaVersion)),
        std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace lmmbench::reports
