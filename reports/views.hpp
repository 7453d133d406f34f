#pragma once

#include <map>
#include <string>
#include <vector>

#include "reports/gpu_section.hpp"
#include "reports/loaded_run.hpp"
#include "reports/perf_section.hpp"
#include "reports/section.hpp"
#include "reports/train_cost_section.hpp"

namespace lmmbench::reports {

// Each typed section of a run record has one formatter here that turns it into the
// self-describing Section every renderer shows (reports/section.hpp). This is the only code that
// knows what a perf or GPU figure means.

/// The serving-performance section (`lmmbench perf`). `server` names the endpoint (backend · public
/// URL · model id), empty when unknown.
Section perf_view(const PerfSection& section, const std::string& server = "");

/// The GPU roofline and measurements section (`lmmbench gpu`).
Section gpu_view(const GpuSection& section);

/// The training-cost section (`lmmbench train-cost`; reports/train_cost_view.cpp).
Section train_cost_view(const TrainCostSection& section);

/// Every typed section of `run`, in record order (gpu, then perf, then train_cost).
std::vector<Section> sections_of(const LoadedRun& run);

/// "http://user:secret@host:8000/v1?key=x" -> "http://host:8000/v1": credentials and query
/// parameters never reach a report.
std::string public_url(std::string url);

/// "rate 4/s", "concurrency 8", "offline".
std::string perf_level_label(const PerfLevel& level);

/// A Prometheus series as written in the exposition: `name{label="value",...}` (labels sorted,
/// values escaped as in the text format).
std::string perf_series_label(const std::string& name,
                              const std::map<std::string, std::string>& labels);

}  // namespace lmmbench::reports
