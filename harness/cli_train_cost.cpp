// `lmmbench train-cost RECIPE`: what training a multimodal model costs, from a recipe and the
// model's shapes (docs/gpu.md, "Training cost").
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "harness/cli_commands.hpp"
#include "harness/run_directory.hpp"
#include "harness/runner.hpp"
#include "harness/train_cost.hpp"
#include "reports/markdown.hpp"
#include "reports/run_record.hpp"
#include "reports/views.hpp"

namespace lmmbench::harness {

namespace {

struct TrainCostCliOptions {
  std::string recipe;
  std::string gpu;
  std::optional<std::int64_t> gpus;
  std::optional<double> mfu;
  std::string mfu_from;
  std::optional<double> price;
  std::string config_dir;
  std::string gpu_table;
  bool json = false;
  std::string out;
};

/// The options as the run record keeps them (their hash identifies the estimate).
nlohmann::json resolved(const TrainCostOptions& o, const reports::TrainCostSection& s) {
  return {
      {"recipe", s.recipe_file},
      {"gpu", s.gpu},
      {"gpus", s.gpus},
      {"mfu", s.mfu},
      {"mfu_from", o.mfu_from.empty() ? nlohmann::json() : nlohmann::json(o.mfu_from)},
      {"usd_per_gpu_hour", s.price ? nlohmann::json(s.price->usd_per_gpu_hour) : nlohmann::json()},
      {"gpu_table", s.gpu_table}};
}

int train_cost_command(const TrainCostCliOptions& cli) {
  TrainCostOptions options;
  options.recipe = cli.recipe;
  options.gpu = cli.gpu;
  options.gpus = cli.gpus;
  options.mfu = cli.mfu;
  options.mfu_from = cli.mfu_from;
  options.usd_per_gpu_hour = cli.price;
  options.config_dir = cli.config_dir;
  options.gpu_table = cli.gpu_table;
  // Taken before estimating: two commands never write one --out directory.
  std::optional<RunDirectory> out_dir;
  if (!cli.out.empty()) out_dir.emplace(cli.out, "train-cost");
  const reports::TrainCostSection section = estimate_train_cost(options);

  if (cli.json) {
    std::cout << nlohmann::json(section).dump(2) << '\n';
  } else {
    reports::render_section_markdown(reports::train_cost_view(section), std::cout);
  }
  if (out_dir) {
    auto& record = out_dir->record();
    record.resolved_config = resolved(options, section);
    record.config_sha256 = sha256_hex(record.resolved_config.dump());
    record.train_cost = section;
    out_dir->finish("complete");
    std::cerr << "Results: " << (out_dir->dir() / kRecordFile).string() << '\n';
  }
  if (!section.fits) {
    std::cerr << "a stage does not fit in GPU memory (see Memory per GPU)\n";
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

Command add_train_cost_command(CLI::App& app) {
  auto o = std::make_shared<TrainCostCliOptions>();
  auto* cmd = app.add_subcommand(
      "train-cost",
      "Training FLOPs, memory per GPU, time and dollars of a recipe (e.g. llava-1.5-13b)");
  cmd->add_option("recipe", o->recipe,
                  "Recipe file, or the name of one in configs/train/ (llava-1.5-7b, llava-1.5-13b)")
      ->required();
  cmd->add_option("--gpu", o->gpu, "GPU kind from the GPU table (default: the recipe's)");
  cmd->add_option("--gpus", o->gpus,
                  "Data-parallel GPUs (default: the recipe's); the global batch is kept");
  cmd->add_option(
      "--mfu", o->mfu,
      fmt::format("Model FLOPs utilization, a fraction in (0, 1] (default {:g})", kDefaultMfu));
  cmd->add_option("--mfu-from", o->mfu_from,
                  "Run directory or run.json of `lmmbench gpu` that measured the same GPU kind: "
                  "use its measured MFU");
  cmd->add_option("--price", o->price,
                  "US dollars per GPU-hour (default: the first quote in the GPU table)");
  cmd->add_option("--config-dir", o->config_dir,
                  "Directory holding train/, models/gpu/ and gpus.json, searched first");
  cmd->add_option("--gpu-table", o->gpu_table, "GPU table (default: gpus.json of the config dirs)");
  cmd->add_flag("--json", o->json, "Print the estimate as JSON on stdout");
  cmd->add_option("--out", o->out, "Write DIR/run.json with the training-cost section");
  return Command{cmd, [o] { return train_cost_command(*o); }};
}

}  // namespace lmmbench::harness
