#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "reports/gpu_section.hpp"

namespace lmmbench::reports {

/// The GPU section of one run, with the label the report gives that run.
struct LabelledGpuSection {
  std::string run_label;  ///< Shown as a heading only when the report has several GPU sections.
  const GpuSection* section = nullptr;
};

/// The HTML report's GPU section (`<section id="gpu">`, the target of the "GPU" nav entry) for the
/// GPU sections of one or more runs: the GPU assumed or found and a banner saying whether the
/// numbers are measured or roofline bounds; a cost and throughput table of every model × batch
/// size; and per model and batch size a stage table (FLOPs, bytes, bound and measured time,
/// achieved TFLOP/s, MFU, MBU) with a bar chart of the stage times and, folded, every GEMM and
/// attention call. A null (not measured) value is shown as "—", never as 0. Every string from the
/// record goes through html_escape; charts are svg.hpp's. Writes nothing when `sections` is empty.
void render_gpu_html(const std::vector<LabelledGpuSection>& sections, std::ostream& out);

/// One line for a report's header: "2 models × batch 1, 8, 32 on 1 × NVIDIA A100 80GB SXM4 ·
/// roofline bounds" (or "· measured"). Not escaped.
std::string gpu_summary(const GpuSection& section);

}  // namespace lmmbench::reports
