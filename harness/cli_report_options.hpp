#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "reports/renderer.hpp"

namespace lmmbench::harness {

/// The output files of `lmmbench report` and `lmmbench compare` ("" = not written, "-" = stdout).
struct ReportOutputs {
  std::string html;
  std::string markdown;
  std::string junit;
  std::string csv;
};

/// --html, --md, --junit, --csv.
void add_output_options(CLI::App& command, ReportOutputs& outputs);

/// --alpha, --min-drop, --min-relative-drop, --correction, --latency-tolerance,
/// --throughput-tolerance, --cost-tolerance (docs/reports.md).
void add_gate_options(CLI::App& command, reports::GateOptions& gate, std::string& correction);

/// Checks the gate options (throws InputError naming the flag) and applies --correction.
void finish_gate_options(reports::GateOptions& gate, const std::string& correction);

/// One renderer per requested output.
reports::RendererMultiplex make_outputs(const ReportOutputs& outputs);

}  // namespace lmmbench::harness
