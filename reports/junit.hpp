#pragma once

#include "reports/renderer.hpp"

namespace lmmbench::reports {

/// JUnit XML, so any CI system lists results natively. One <testcase> per model × task (classname
/// "lmmbench.TASK", name MODEL) and, in a gate report, one per performance objective. A gate
/// report fails a case on a regression or a failed cell and marks a not-comparable pair as an
/// <error>; a plain report fails only cells that failed and skips cells that did not run.
class JunitRenderer final : public Renderer {
 private:
  void do_render(const Report& report, std::ostream& out) const override;
};

}  // namespace lmmbench::reports
