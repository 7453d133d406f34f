#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace lmmbench::reports {

// Every byte of untrusted text (model output, dataset questions, config names, error messages) that
// reaches a report goes through exactly one of these functions. They are the whole escaping surface
// of the renderers; tests/reports/test_escape.cpp pins their behaviour.

/// Text made safe for HTML and XML: invalid UTF-8 becomes U+FFFD; C0 controls other than tab, line
/// feed and carriage return, DEL, C1 controls and the non-characters U+FFFE/U+FFFF (all invalid in
/// XML 1.0 or HTML) become U+FFFD; then & < > " ' become character references. The result is safe
/// as element content and inside a single- or double-quoted attribute value, in HTML, SVG and XML.
/// It is NOT safe inside <script> or <style>, in an unquoted attribute, or as a URL (no renderer
/// ever builds a URL, an event handler or a style from untrusted text).
std::string html_escape(std::string_view text);

/// JSON text for a <script type="application/json"> element: the value is dumped (invalid UTF-8
/// replaced by U+FFFD), then '<', '>', '&', U+2028 and U+2029 are written as \uXXXX escapes. Those
/// characters can only occur inside JSON strings, so the value is unchanged, and the text can
/// neither close the element ("</script>") nor open a comment ("<!--").
std::string json_for_script(const nlohmann::json& value);

/// A GitHub-flavoured Markdown table cell: '|' is backslash-escaped, line breaks become spaces, and
/// '<', '>' become &lt; &gt; so no inline HTML is formed. Invalid UTF-8 becomes U+FFFD.
std::string markdown_cell(std::string_view text);

/// One CSV field (RFC 4180): quoted when it holds a comma, quote, line break or edge whitespace,
/// with quotes doubled. Text fields (`is_text`) that begin with = + - @ tab or carriage return get
/// a leading apostrophe so a spreadsheet does not evaluate them as formulas (OWASP "CSV
/// injection"); numeric fields are written as given. Invalid UTF-8 becomes U+FFFD.
std::string csv_field(std::string_view text, bool is_text = true);

/// `text` with every invalid UTF-8 sequence replaced by U+FFFD (as WHATWG's decoder does: one
/// replacement per maximal invalid subpart).
std::string valid_utf8(std::string_view text);

}  // namespace lmmbench::reports
