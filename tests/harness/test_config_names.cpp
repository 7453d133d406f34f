// Run configs naming shipped tasks and models ("pope" for tasks/pope.json), found through the
// config search path (core/resource_paths.hpp), from any directory.
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/resource_paths.hpp"
#include "harness/config.hpp"

namespace lmmbench::harness {
namespace {

namespace fs = std::filesystem;

class ConfigNames : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lmmbench-config-names-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::unsetenv(kHomeVariable);
  }
  void TearDown() override {
    ::unsetenv(kHomeVariable);
    fs::remove_all(dir_);
  }
  fs::path write_run(const std::string& models, const std::string& tasks) {
    const fs::path path = dir_ / "run.json";
    std::ofstream(path) << "{\"name\": \"r\", \"output_dir\": \"runs\",\n  \"models\": " << models
                        << ",\n  \"tasks\": " << tasks << "}\n";
    return path;
  }
  fs::path dir_;
};

TEST_F(ConfigNames, ShippedTasksAndModelsByName) {
  const RunConfig run = load_run_config(write_run(R"(["oracle"])", R"(["synthetic_mc"])"));
  ASSERT_EQ(run.models.size(), 1U);
  EXPECT_EQ(run.models[0].name, "oracle");
  ASSERT_EQ(run.tasks.size(), 1U);
  EXPECT_EQ(run.tasks[0].name, "synthetic-mc");
  // Paths inside a named config stay relative to that config's own file.
  EXPECT_EQ(run.tasks[0].where.file,
            (fs::path(LMMBENCH_SOURCE_DIR) / "configs" / "tasks" / "synthetic_mc.json").string());
}

TEST_F(ConfigNames, LmmbenchHomeComesBeforeTheShippedConfigs) {
  fs::create_directories(dir_ / "home" / "configs" / "models");
  std::ofstream(dir_ / "home" / "configs" / "models" / "oracle.json")
      << R"({"name": "my-oracle", "backend": "oracle"})";
  ::setenv(kHomeVariable, (dir_ / "home").c_str(), 1);
  const RunConfig run = load_run_config(write_run(R"(["oracle"])", R"(["synthetic_mc"])"));
  EXPECT_EQ(run.models[0].name, "my-oracle");
}

TEST_F(ConfigNames, AnUnknownNameIsAnErrorAtItsLine) {
  try {
    (void)load_run_config(write_run(R"(["oracle"])", R"(["no-such-task"])"));
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().line, 3U) << e.what();
    EXPECT_EQ(e.where().field, "/tasks/0") << e.what();
    EXPECT_NE(e.detail().find("tasks/no-such-task.json"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lmmbench::harness
