#pragma once

#include <ostream>

#include "reports/gpu_section.hpp"

namespace lmmbench::reports {

/// Markdown tables of a GPU section: per model and batch size, every stage's FLOPs, bytes,
/// roofline bound and measured time (with MFU and MBU), then throughput and cost, bound next to
/// measured. Unmeasured values print as "—", never as 0.
void render_gpu_markdown(const GpuSection& section, std::ostream& out);

}  // namespace lmmbench::reports
