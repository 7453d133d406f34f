// The config search path (core/resource_paths.hpp): --config-dir, then $LMMBENCH_HOME/configs,
// then the installed configs, then the source tree's.
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/resource_paths.hpp"

namespace lmmbench {
namespace {

namespace fs = std::filesystem;
const fs::path kSourceConfigs = fs::path(LMMBENCH_SOURCE_DIR) / "configs";

class ResourcePaths : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("lmmbench-resource-paths-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "home" / "configs" / "tasks");
    fs::create_directories(root_ / "mine");
    std::ofstream(root_ / "home" / "configs" / "gpus.json") << "{}";
    std::ofstream(root_ / "home" / "configs" / "tasks" / "pope.json") << "{}";
    std::ofstream(root_ / "mine" / "gpus.json") << "{}";
    ::unsetenv(kHomeVariable);
  }
  void TearDown() override {
    ::unsetenv(kHomeVariable);
    fs::remove_all(root_);
  }
  fs::path root_;
};

TEST_F(ResourcePaths, TheSourceTreeIsTheLastResort) {
  const auto dirs = config_search_path();
  ASSERT_FALSE(dirs.empty());
  EXPECT_EQ(dirs.back(), kSourceConfigs);
  EXPECT_EQ(find_config("gpus.json"), kSourceConfigs / "gpus.json");
  EXPECT_EQ(resolve_config_file("pope", "tasks"), kSourceConfigs / "tasks" / "pope.json");
  EXPECT_EQ(resolve_config_file("prices.json", "."), kSourceConfigs / "prices.json");
}

TEST_F(ResourcePaths, ConfigDirThenHomeThenTheRestPerResource) {
  ::setenv(kHomeVariable, (root_ / "home").c_str(), 1);
  EXPECT_EQ(find_config("gpus.json"), root_ / "home" / "configs" / "gpus.json");
  EXPECT_EQ(find_config("gpus.json", root_ / "mine"), root_ / "mine" / "gpus.json");
  // What a directory lacks comes from the next one.
  EXPECT_EQ(resolve_config_file("pope", "tasks", root_ / "mine"),
            root_ / "home" / "configs" / "tasks" / "pope.json");
  EXPECT_EQ(find_config("prices.json", root_ / "mine"), kSourceConfigs / "prices.json");
  const auto dirs = config_search_path(root_ / "mine");
  ASSERT_GE(dirs.size(), 3U);
  EXPECT_EQ(dirs[0], root_ / "mine");
  EXPECT_EQ(dirs[1], root_ / "home" / "configs");
}

TEST_F(ResourcePaths, PathsAreTakenAsGivenAndMissingThingsAreNamed) {
  EXPECT_EQ(resolve_config_file("some/dir/task.json", "tasks"), "some/dir/task.json");
  try {
    (void)config_search_path(root_ / "nonexistent");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, "--config-dir");
    EXPECT_NE(e.detail().find((root_ / "nonexistent").string()), std::string::npos);
  }
  try {
    (void)resolve_config_file("no-such-task", "tasks");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(e.detail().find("tasks/no-such-task.json"), std::string::npos) << e.what();
    EXPECT_NE(e.detail().find(kSourceConfigs.string()), std::string::npos) << e.what();
  }
}

TEST_F(ResourcePaths, ABuildTreeBinaryIsNotAnInstallation) {
  // Test binaries live in the build tree, not in <prefix>/bin.
  EXPECT_FALSE(installed_library_dir().has_value());
  ASSERT_TRUE(executable_dir().has_value());
  EXPECT_TRUE(fs::is_directory(*executable_dir()));
}

}  // namespace
}  // namespace lmmbench
