#include <gtest/gtest.h>

#include "reports/escape.hpp"

namespace lmmbench::reports {
namespace {

TEST(HtmlEscape, EscapesTheFiveSpecialCharactersAndNothingElse) {
  EXPECT_EQ(html_escape(R"(<a href="x" title='y'>&amp;</a>)"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain text, é, 漢字, 🙂\ttab\nline"),
            "plain text, é, 漢字, 🙂\ttab\nline");
}

TEST(HtmlEscape, ModelOutputPayloadsBecomeInertText) {
  EXPECT_EQ(html_escape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(html_escape("<img src=x onerror=\"alert(1)\">"),
            "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
  EXPECT_EQ(html_escape("</td></tr></table>"), "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;");
  EXPECT_EQ(html_escape("<a href=\"javascript:alert(1)\">x</a>"),
            "&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;");
  // Inside a quoted attribute neither quote can end the value.
  EXPECT_EQ(html_escape("\" onmouseover='x"), "&quot; onmouseover=&#39;x");
}

TEST(HtmlEscape, ReplacesInvalidUtf8AndForbiddenControlsWithTheReplacementCharacter) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(html_escape("a\xFF"
                        "b"),
            "a" + r + "b");
  EXPECT_EQ(html_escape("\xC0\xAF"), r + r);          // overlong '/': two invalid bytes
  EXPECT_EQ(html_escape("\xED\xA0\x80"), r + r + r);  // a UTF-16 surrogate
  EXPECT_EQ(html_escape("\xE2\x82"), r);              // truncated sequence
  EXPECT_EQ(html_escape(std::string("a\0b", 3)), "a" + r + "b");
  EXPECT_EQ(html_escape("\x1B[31m\x7F\xC2\x85"), r + "[31m" + r + r);  // ESC, DEL, U+0085
  EXPECT_EQ(html_escape("\xEF\xBF\xBE"), r);                           // U+FFFE
  EXPECT_EQ(html_escape("\r"), "\r");
}

TEST(JsonForScript, CannotCloseTheScriptElementAndRoundTrips) {
  const nlohmann::json value = {{"p", "</script><script>alert(1)</script><!-- & \u2028\u2029"},
                                {"n", 1}};
  const std::string text = json_for_script(value);
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_EQ(text.find('>'), std::string::npos);
  EXPECT_EQ(text.find('&'), std::string::npos);
  EXPECT_EQ(text.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_NE(text.find("\\u003c/script\\u003e"), std::string::npos);
  EXPECT_EQ(nlohmann::json::parse(text), value);
}

TEST(JsonForScript, ReplacesInvalidUtf8InsteadOfThrowing) {
  const std::string text = json_for_script(nlohmann::json("bad \xFF byte"));
  EXPECT_EQ(nlohmann::json::parse(text).get<std::string>(), "bad \xEF\xBF\xBD byte");
}

TEST(MarkdownCell, EscapesPipesLineBreaksAndTags) {
  EXPECT_EQ(markdown_cell("a|b\nc<img src=x>"), "a\\|b c&lt;img src=x&gt;");
  EXPECT_EQ(markdown_cell("llava_1.5 (7b)"), "llava_1.5 (7b)");
}

TEST(CsvField, QuotesWhenNeededAndDefusesFormulas) {
  EXPECT_EQ(csv_field("plain"), "plain");
  EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(csv_field(" padded"), "\" padded\"");
  EXPECT_EQ(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csv_field("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(csv_field("-12.5", false), "-12.5");  // numbers are written as they are
  EXPECT_EQ(csv_field("-12.5", true), "'-12.5");
}

TEST(ValidUtf8, KeepsValidTextAndReplacesEachInvalidSubpart) {
  EXPECT_EQ(valid_utf8("héllo"), "héllo");
  EXPECT_EQ(valid_utf8("\xF0\x9F\x99"), "\xEF\xBF\xBD");  // one truncated 4-byte sequence
  EXPECT_EQ(valid_utf8("\xF8\x88\x80\x80\x80"),
            "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

}  // namespace
}  // namespace lmmbench::reports
