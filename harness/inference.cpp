#include "harness/inference.hpp"

#include "harness/cell_scheduler.hpp"

namespace lmmbench::harness {

std::vector<std::string> infer_cell(const CellRun& run, reports::SampleCounts& counts,
                                    bool& interrupted) {
  CellScheduler scheduler(run, counts);
  scheduler.plan();
  while (true) {
    scheduler.fill();
    if (!scheduler.busy()) break;
    scheduler.drain();
    scheduler.resubmit_due();
    run.progress.update(scheduler.done(), scheduler.errors());
  }
  interrupted = scheduler.finish();
  return scheduler.take_keys();
}

}  // namespace lmmbench::harness
