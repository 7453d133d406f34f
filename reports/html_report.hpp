#pragma once

#include <string>

#include "reports/renderer.hpp"

namespace lmmbench::reports {

/// One self-contained HTML file: inline CSS, JavaScript and SVG, thumbnails as data: URIs, and a
/// Content-Security-Policy that forbids every network fetch and every script but its own (by
/// hash), so it works offline from a CI artifact or an e-mail and an escaping mistake could not
/// run injected code. Sections: the models × tasks table (score, 95 % interval, Δ and paired test
/// against the baseline, error/timeout/unparsed counts; sortable), score charts with intervals,
/// per-category breakdowns, every typed section through its view (reports/html_section.hpp), any
/// other section the record holds (rendered generically), a sample browser (thumbnail, question,
/// gold answers, every model's answer and score; filters for failures and disagreements; paginated)
/// and provenance. A gate report opens with the verdict and one row per comparison. Readable
/// without JavaScript except the sample browser, and printable.
class HtmlRenderer final : public Renderer {
 private:
  void do_render(const Report& report, std::ostream& out) const override;
};

/// The value for a Content-Security-Policy source list: "'sha256-BASE64'" of `text`'s bytes.
std::string csp_hash(std::string_view text);

}  // namespace lmmbench::reports
