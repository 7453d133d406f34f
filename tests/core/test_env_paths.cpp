// "${VAR}" in config paths (core/json_source.hpp ConfigNode::as_path).
#include <cstdlib>

#include <gtest/gtest.h>

#include "core/json_source.hpp"

namespace lmmbench {
namespace {

std::filesystem::path path_of(const std::string& value) {
  const auto source =
      JsonSource::from_text("{\n  \"path\": \"" + value + "\"\n}", "task.json", "/configs");
  return ObjectReader(ConfigNode(source)).required("path").as_path();
}

std::string error_of(const std::string& value) {
  try {
    (void)path_of(value);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(EnvironmentPaths, VariablesAreReplacedBeforeRelativePathsAreResolved) {
  ::setenv("LMMBENCH_TEST_DATA", "/data/benchmarks", 1);
  EXPECT_EQ(path_of("${LMMBENCH_TEST_DATA}/pope/coco_pope_random.json"),
            "/data/benchmarks/pope/coco_pope_random.json");
  ::setenv("LMMBENCH_TEST_DATA", "relative/data", 1);
  EXPECT_EQ(path_of("${LMMBENCH_TEST_DATA}/x.json"), "/configs/relative/data/x.json");
  EXPECT_EQ(path_of("costs$5/x.json"), "/configs/costs$5/x.json");  // a lone '$' is text
}

TEST(EnvironmentPaths, AnUnsetVariableIsAnErrorNamingItAndTheField) {
  ::unsetenv("LMMBENCH_TEST_UNSET");
  const auto message = error_of("${LMMBENCH_TEST_UNSET}/gqa");
  EXPECT_NE(message.find("task.json:2: field /path: environment variable LMMBENCH_TEST_UNSET is "
                         "not set"),
            std::string::npos)
      << message;
  ::setenv("LMMBENCH_TEST_EMPTY", "", 1);
  EXPECT_NE(error_of("${LMMBENCH_TEST_EMPTY}/x").find("LMMBENCH_TEST_EMPTY is not set"),
            std::string::npos);
  EXPECT_NE(error_of("${unclosed/x").find("unclosed '${'"), std::string::npos);
  EXPECT_NE(error_of("${1BAD}/x").find("is not a variable name"), std::string::npos);
}

}  // namespace
}  // namespace lmmbench
