#pragma once

#include "reports/renderer.hpp"

namespace lmmbench::reports {

/// CSV (RFC 4180, UTF-8, header row): one row per model × task × metric — each task metric's score
/// ("statistic" = "score") with its interval and counts, then one row per further aggregate the
/// metric reports ("statistic" = its name, e.g. "random.f1"). The headline row of a compared cell
/// also carries the difference from its baseline, the p-value and the verdict. A cell that did not
/// run is one row with its outcome and no values. Numbers are written in full precision (shortest
/// round-trip form); a missing number is an empty field.
class CsvRenderer final : public Renderer {
 private:
  void do_render(const Report& report, std::ostream& out) const override;
};

}  // namespace lmmbench::reports
