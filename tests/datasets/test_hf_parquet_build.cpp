// The hf-parquet loader in every build: with parquet support it reads parquet (test_hf_parquet
// covers it); without, it says the build has none, naming the file, instead of failing oddly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "dataset_test_support.hpp"
#include "datasets/hf_parquet.hpp"
#include "datasets/parquet_rows.hpp"

namespace lmmbench::datasets {
namespace {

using ::testing::HasSubstr;

TEST(HfParquetBuild, SaysWhetherThisBuildReadsParquet) {
  test_support::TempDir dir("hf-parquet-build");
  test_support::write_text(dir.path() / "t.parquet", "not parquet");
  const auto source = JsonSource::from_text(
      R"({"path": "t.parquet", "fields": {"question": "question"}, "load_images": false})",
      "dataset.json", dir.path());
  ObjectReader options{ConfigNode(source)};
  const auto loader = HfParquetLoader::create(options);
  try {
    (void)loader->load();
    FAIL() << "loaded a file that is not parquet";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr((dir.path() / "t.parquet").string()));
    EXPECT_THAT(e.what(), HasSubstr(parquet_supported() ? "not a readable parquet file"
                                                        : "built without parquet support"));
  }
}

}  // namespace
}  // namespace lmmbench::datasets
