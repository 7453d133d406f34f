#include <iostream>
#include <memory>

#include "harness/cli_commands.hpp"
#include "harness/cli_report_options.hpp"
#include "reports/report.hpp"

namespace lmmbench::harness {

namespace {

struct ReportArguments {
  std::vector<std::string> run_dirs;
  ReportOutputs outputs;
  reports::ReportOptions options;
  std::string correction = "holm";
};

int report_command(ReportArguments& args) {
  finish_gate_options(args.options.gate, args.correction);
  std::vector<reports::LoadedRun> runs;
  for (const auto& dir : args.run_dirs)
    runs.push_back(reports::load_run(dir));
  const auto report = reports::make_report(std::move(runs), args.options);
  auto outputs = make_outputs(args.outputs);
  if (outputs.empty()) outputs.add(reports::Format::markdown, "-");
  outputs.render(report, std::cout);
  return kExitOk;
}

}  // namespace

Command add_report_command(CLI::App& app) {
  auto args = std::make_shared<ReportArguments>();
  auto* cmd = app.add_subcommand(
      "report",
      "Render run directories as HTML, Markdown, JUnit or CSV (Markdown on stdout by "
      "default); several runs make one comparison");
  cmd->add_option("run_dirs", args->run_dirs, "Run directories (or their run.json)")
      ->required()
      ->check(CLI::ExistingPath);
  add_output_options(*cmd, args->outputs);
  cmd->add_option("--baseline", args->options.baseline,
                  "Compare every model with this one (a model name, or 'model · run'; default: "
                  "the first)");
  cmd->add_option("--title", args->options.title, "Report title (default: the run names)");
  cmd->add_option("--max-thumbnails", args->options.max_thumbnails,
                  "At most this many image thumbnails in the HTML report (default 600)");
  add_gate_options(*cmd, args->options.gate, args->correction);
  return Command{cmd, [args] { return report_command(*args); }};
}

}  // namespace lmmbench::harness
