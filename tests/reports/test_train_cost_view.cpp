// The training-cost section (reports/train_cost_section.hpp, train_cost_view.cpp): its JSON round
// trip, its Section (tables, a failed memory check per stage that does not fit, objectives), and
// its place among a run's typed sections.
#include <sstream>

#include <gtest/gtest.h>

#include "reports/format.hpp"
#include "reports/markdown.hpp"
#include "reports/run_record.hpp"
#include "reports/views.hpp"

namespace lmmbench::reports {
namespace {

TrainCostSection section() {
  TrainCostSection s;
  s.recipe = "r";
  s.recipe_file = "configs/train/r.json";
  s.gpu = "a100-80gb";
  s.gpu_description = "NVIDIA A100 80GB SXM4";
  s.gpus = 8;
  s.dtype = "bf16";
  s.peak_tflops = 312;
  s.memory_gb = 80;
  s.mfu = 0.3;
  s.mfu_source = "--mfu";
  s.price = GpuPrice{2.0, "--price", "", ""};
  TrainStageResult st;
  st.name = "finetune";
  st.trainable = {"projector", "lm"};
  st.samples = 1000;
  st.sequence = 876;
  st.modules = {{"lm", true, 1e12, 1e12, 1e12, 1e12}};
  st.model_flops = 3e15;
  st.hardware_flops = 4e15;
  st.hours = 2;
  st.hfu = 0.4;
  st.usd = 32;
  st.memory.total = 90e9;
  st.memory.capacity = 80e9;
  st.memory.fits = false;
  st.published_hours = 3;
  st.mfu_for_published = 0.2;
  s.stages = {st};
  s.model_flops = 3e15;
  s.hardware_flops = 4e15;
  s.hours = 2;
  s.usd = 32;
  s.sensitivity_mfus = {0.2, 0.3};
  s.sensitivity = {{1.0, {300}, 3e15, {3.0, 2.0}, 32.0, 0.2}};
  s.assumptions = {{"MFU", "30.0 %", "--mfu"}};
  return s;
}

TEST(TrainCostView, JsonRoundTripKeepsEveryField) {
  const nlohmann::json j = section();
  const auto back = j.get<TrainCostSection>();
  EXPECT_EQ(nlohmann::json(back), j);
  EXPECT_EQ(j.at("stages").at(0).at("memory").at("total_bytes"), 90e9);
  EXPECT_EQ(j.at("stages").at(0).at("modules").at(0).at("backward_weight_flops"), 1e12);
  EXPECT_TRUE(j.at("hfu_for_published").is_null());
}

TEST(TrainCostView, StagesThatDoNotFitAreFailedChecks) {
  const Section v = train_cost_view(section());
  EXPECT_EQ(v.key, "train_cost");
  ASSERT_EQ(v.checks.size(), 1u);
  EXPECT_FALSE(v.checks[0].passed);
  EXPECT_NE(v.checks[0].message.find("90.0 GB"), std::string::npos);
  std::vector<std::string> titles;
  for (const auto& t : v.tables)
    titles.push_back(t.title);
  EXPECT_EQ(titles, (std::vector<std::string>{"Stages", "Memory per GPU", "FLOPs per sample",
                                              "Sensitivity", "Assumptions"}));
  bool total_time = false;
  for (const auto& o : v.objectives)
    total_time = total_time || (o.name == "total time" && o.value == 2 && o.unit == Unit::hours &&
                                !o.higher_is_better);
  EXPECT_TRUE(total_time);
  std::ostringstream md;
  render_section_markdown(v, md);
  EXPECT_NE(md.str().find("| no ✗ |"), std::string::npos) << md.str();
  EXPECT_NE(md.str().find("| MFU | 30.0 % | --mfu |"), std::string::npos) << md.str();
  // Times are numbers in hours (so the CSV keeps them), the published one beside the estimate.
  EXPECT_NE(md.str().find("| time (h) |"), std::string::npos) << md.str();
  EXPECT_NE(md.str().find("| 2.0 | 40.00 | 32 | 3.0 | 20.00 |"), std::string::npos) << md.str();
  EXPECT_EQ(format_with_unit(25.46, Unit::hours), "25.5 h");
}

TEST(TrainCostView, ARunRecordCarriesTheSectionToEveryRenderer) {
  RunRecord record;
  record.train_cost = section();
  const auto back = nlohmann::json(record).get<RunRecord>();
  ASSERT_TRUE(back.train_cost.has_value());
  LoadedRun run;
  run.record = back;
  run.raw = nlohmann::json(back);
  const auto sections = sections_of(run);
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0].title, "Training cost");
}

}  // namespace
}  // namespace lmmbench::reports
