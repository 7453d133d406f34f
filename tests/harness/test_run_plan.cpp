// What `lmmbench run` creates before any work (harness/run_plan.hpp): the selection, every
// backend, metric and judge, and the refusals that must come before an hour of inference.
#include <filesystem>
#include <fstream>
#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "core/error.hpp"
#include "harness/run_plan.hpp"

namespace lmmbench::harness {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kConfigs = std::filesystem::path(LMMBENCH_SOURCE_DIR) / "configs";

std::string refusal(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

class RunPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lmmbench-run-plan-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// A run config of the oracle on one inline task; `task_extra` adds keys to the task and
  /// `run_extra` to the run config.
  RunConfig judged_config(const std::string& task_extra, const std::string& run_extra = "") {
    const auto path = dir_ / "run.json";
    std::ofstream(path) << R"({"name": "judged", "output_dir": "runs", "models": [")" +
                               (kConfigs / "models/oracle.json").string() +
                               R"("], "tasks": [{"name": "t", "dataset": {"format": )" +
                               R"("lmmbench-jsonl", "path": "absent.jsonl"}, )" + task_extra +
                               "}]" + run_extra + "}";
    return load_run_config(path);
  }
  std::string judge_prompt() const {
    return (kConfigs / "judges/llava_bench_review_prompt.txt").string();
  }

  std::filesystem::path dir_;
  Clock clock_;
};

TEST_F(RunPlanTest, CreatesOneBackendPerModelAndTheMetricsOfEveryTask) {
  const auto config = load_run_config(kConfigs / "runs/quickstart.json");
  RunOptions options;
  const RunPlan plan = plan_run(options, config, clock_);
  ASSERT_EQ(plan.models.size(), 4u);
  EXPECT_EQ(plan.models[0]->name, "oracle");
  ASSERT_EQ(plan.tasks.size(), 2u);
  EXPECT_EQ(plan.tasks[1]->name, "synthetic-mc");
  EXPECT_EQ(plan.concurrency, 8u);
  ASSERT_EQ(plan.backends.size(), 4u);
  EXPECT_EQ(plan.backends[0]->fingerprint().find("oracle"), 0u) << plan.backends[0]->fingerprint();
  ASSERT_EQ(plan.task_metrics.size(), 2u);
  EXPECT_EQ(plan.task_metrics[0].size(), 2u);  // vqa, exact_match
  EXPECT_EQ(plan.judges.size(), 2u);
  EXPECT_FALSE(plan.any_judge());
  EXPECT_FALSE(plan.any_cacheable());  // baselines
  EXPECT_FALSE(plan.prices.has_value());
  EXPECT_EQ(plan.retry_policies.size(), 4u);
  EXPECT_EQ(plan.stopped_by.size(), 4u);
}

TEST_F(RunPlanTest, SelectsByNameInConfigOrderAndRefusesUnknownNames) {
  const auto config = load_run_config(kConfigs / "runs/quickstart.json");
  RunOptions options;
  options.models = {"prior", "oracle"};
  options.tasks = {"synthetic-mc"};
  options.concurrency = 2;
  const RunPlan plan = plan_run(options, config, clock_);
  ASSERT_EQ(plan.models.size(), 2u);
  EXPECT_EQ(plan.models[0]->name, "oracle");  // config order, not the option's
  EXPECT_EQ(plan.models[1]->name, "prior");
  ASSERT_EQ(plan.tasks.size(), 1u);
  EXPECT_EQ(plan.concurrency, 2u);

  options.tasks = {"synthetic-mcq"};
  EXPECT_EQ(refusal([&] { (void)plan_run(options, config, clock_); }),
            "--tasks: no task named 'synthetic-mcq' in the run config (did you mean "
            "'synthetic-mc'?); tasks: synthetic-open, synthetic-mc");
  options.tasks.clear();
  options.concurrency = 0;
  EXPECT_EQ(refusal([&] { (void)plan_run(options, config, clock_); }),
            "--concurrency must be at least 1");
  options.concurrency.reset();
  options.rejudge = kConfigs / "models/constant-yes.json";
  EXPECT_EQ(refusal([&] { (void)plan_run(options, config, clock_); }),
            "--rejudge: no selected task has a judge");
}

TEST_F(RunPlanTest, AJudgedMetricNeedsAJudgeAndAJudgeNeedsAModel) {
  const auto unjudged =
      judged_config(R"("metrics": [{"name": "llava_bench", "variant": "llava"}])");
  EXPECT_THAT(refusal([&] { (void)plan_run(RunOptions{}, unjudged, clock_); }),
              HasSubstr("metric 'llava_bench' scores a judge model's verdicts: the task needs a "
                        "\"judge\""));
  const std::string judge = R"("metrics": [{"name": "llava_bench", "variant": "llava"}], )"
                            R"("judge": {"parser": "llava_bench", "prompt": ")" +
                            judge_prompt() + R"("})";
  const auto no_model = judged_config(judge);
  EXPECT_THAT(refusal([&] { (void)plan_run(RunOptions{}, no_model, clock_); }),
              HasSubstr("no judge model: name one in \"model\", in the run config's \"judge\" or "
                        "with --rejudge"));

  // The run config's "judge" judges it; --rejudge replaces that.
  const auto with_judge = judged_config(
      judge, R"(, "judge": ")" + (kConfigs / "models/constant-yes.json").string() + "\"");
  const RunPlan plan = plan_run(RunOptions{}, with_judge, clock_);
  ASSERT_TRUE(plan.any_judge());
  EXPECT_EQ(plan.judges[0]->model().name, "constant-yes");
  RunOptions rejudge;
  rejudge.rejudge = kConfigs / "models/prior.json";
  EXPECT_EQ(plan_run(rejudge, with_judge, clock_).judges[0]->model().name, "prior");
}

}  // namespace
}  // namespace lmmbench::harness
