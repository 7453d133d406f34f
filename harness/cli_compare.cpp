#include <iostream>
#include <memory>

#include "harness/cli_commands.hpp"
#include "harness/cli_report_options.hpp"
#include "reports/report.hpp"

namespace lmmbench::harness {

namespace {

struct CompareArguments {
  std::string baseline;
  std::string candidate;
  ReportOutputs outputs;
  reports::ReportOptions options;
  reports::GatePairing pairing;
  std::string models;
  std::string tasks;
  std::string correction = "holm";
  bool quiet = false;
};

int compare_command(CompareArguments& args) {
  finish_gate_options(args.options.gate, args.correction);
  args.pairing.models = split_list(args.models);
  args.pairing.tasks = split_list(args.tasks);
  const auto report =
      reports::make_gate_report(reports::load_run(args.baseline), reports::load_run(args.candidate),
                                args.pairing, args.options);
  auto outputs = make_outputs(args.outputs);
  if (!args.quiet && args.outputs.markdown != "-") outputs.add(reports::Format::markdown, "-");
  outputs.render(report, std::cout);
  const auto summary = reports::summarize(report);
  if (summary.regressions > 0) return kExitCheckFailed;
  if (summary.not_comparable > 0) return kExitInputError;
  return kExitOk;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto args = std::make_shared<CompareArguments>();
  auto* cmd = app.add_subcommand(
      "compare",
      "CI gate: compare a new run with a baseline run, task by task, with a paired test on "
      "shared samples. Exit 0 no regression, 1 regression, 2 not comparable or bad input");
  cmd->add_option("baseline", args->baseline, "Baseline run directory (or its run.json)")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("new", args->candidate, "New run directory (or its run.json)")
      ->required()
      ->check(CLI::ExistingPath);
  add_output_options(*cmd, args->outputs);
  cmd->add_option("--models", args->models, "Compare only these models (comma-separated)");
  cmd->add_option("--tasks", args->tasks, "Compare only these tasks (comma-separated)");
  cmd->add_option("--baseline-model", args->pairing.baseline_model,
                  "Compare this model of the baseline run ... (with --new-model)");
  cmd->add_option("--new-model", args->pairing.candidate_model,
                  "... with this model of the new run");
  add_gate_options(*cmd, args->options.gate, args->correction);
  cmd->add_flag("-q,--quiet", args->quiet, "No Markdown summary on stdout");
  return Command{cmd, [args] { return compare_command(*args); }};
}

}  // namespace lmmbench::harness
