// `lmmbench run` leaves every report in the run directory; `lmmbench report` re-renders any saved
// run, and combines several.
#include <gtest/gtest.h>

#include "report_support.hpp"

namespace lmmbench::testing {
namespace {

TEST(ReportCli, TheQuickstartWritesHtmlMarkdownJunitAndCsv) {
  TempDir dir;
  const auto out = dir.path() / "quickstart";
  const auto r = lmmbench(
      {"run", (kSource / "configs/runs/quickstart.json").string(), "--out", out.string(), "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const auto html = read_text(out / "report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(count(html, "<table class=\"sortable results\">"), 1u);
  EXPECT_EQ(count(html, "<svg "), 2u + 4u);  // a score chart per task, one per breakdown
  EXPECT_EQ(count(html, "data:image/jpeg;base64,"), 400u);  // one thumbnail per sample image

  const auto md = read_text(out / "summary.md");
  EXPECT_EQ(md.rfind("## lmmbench: quickstart\n", 0), 0u) << md;
  EXPECT_NE(md.find("| oracle *(baseline)* | 100.00 ± 0.00 | 100.00 ± 0.00 |"), std::string::npos)
      << md;
  EXPECT_NE(md.find("| constant-yes | 20.00 ± 2.31 · −80.00 ✗ | 0.00 ± 0.00 (100 unparsed) · "
                    "−100.00 ✗ |"),
            std::string::npos)
      << md;

  const auto junit = read_text(out / "junit.xml");
  EXPECT_NE(junit.find("<testsuites name=\"lmmbench\" tests=\"8\" failures=\"0\" errors=\"0\" "
                       "skipped=\"1\">"),
            std::string::npos)
      << junit;
  EXPECT_NE(junit.find("<skipped message=\"unsupported: random-choice answers multiple-choice"),
            std::string::npos);

  const auto csv = read_text(out / "results.csv");
  EXPECT_EQ(csv.rfind("run,model,task,outcome,metric,variant,statistic,value,", 0), 0u);
  // The header, 3 open cells × 2 metrics (vqa, exact_match), 4 mc cells × 1, 1 unsupported cell.
  EXPECT_EQ(count(csv, "\r\n"), 1u + 3u * 2u + 4u + 1u) << csv;
  EXPECT_NE(csv.find("quickstart,oracle,synthetic-open,ok,vqa,official,score,100,percent,0,100,"
                     "100,300,0,0,0,0,,,,,,,"),
            std::string::npos)
      << csv;
}

TEST(ReportCli, ReRenderingASavedRunGivesTheSameFilesAndRunsCombine) {
  TempDir dir;
  const auto a = dir.path() / "a";
  const auto b = dir.path() / "b";
  const auto config = write_run_config(
      dir.path(), "pair",
      {{{"name", "oracle"}, {"backend", "oracle"}}, {{"name", "prior"}, {"backend", "prior"}}});
  run_config(config, a, {"--limit", "40"});
  run_config(config, b, {"--limit", "40", "--models", "prior"});

  const auto again = dir.path() / "again";
  auto r = lmmbench({"report", a.string(), "--html", (again / "report.html").string(), "--md",
                     (again / "summary.md").string(), "--junit", (again / "junit.xml").string(),
                     "--csv", (again / "results.csv").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  for (const auto* file : {"report.html", "summary.md", "junit.xml", "results.csv"}) {
    EXPECT_EQ(read_text(again / file), read_text(a / file)) << file;
  }

  // Without an output option the Markdown summary goes to stdout.
  r = lmmbench({"report", a.string(), "--baseline", "prior"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| prior *(baseline)* |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| oracle | 100.00 ± 0.00 · +"), std::string::npos) << r.out;

  // Two runs: the shared model is told apart by its run; the report compares with the first.
  const auto cmp = dir.path() / "cmp.html";
  r = lmmbench({"report", a.string(), b.string(), "--html", cmp.string(), "--md", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| oracle *(baseline)* |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| prior · a |"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("| prior · b |"), std::string::npos) << r.out;
  EXPECT_NE(read_text(cmp).find("<b>prior · b</b>"), std::string::npos);
}

TEST(ReportCli, ModelOutputIsEscapedEverywhere) {
  TempDir dir;
  const auto hostile = dir.path() / "hostile";
  run_hostile(dir.path(), hostile);
  const auto html_path = dir.path() / "hostile.html";
  const auto r = lmmbench({"report", hostile.string(), "--title", kHostileTitle, "--html",
                           html_path.string(), "--md", (dir.path() / "h.md").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& file : {html_path, hostile / "report.html"}) {
    const auto html = read_text(file);
    for (const auto* raw : {"<script>document", "<img src=x", "<h1 id=\"xss-injected\"",
                            "href=\"javascript:", "</td></tr></table><h1"}) {
      EXPECT_EQ(html.find(raw), std::string::npos) << file << ": " << raw;
    }
  }
  const auto html = read_text(html_path);
  EXPECT_NE(html.find("<title>lmmbench · quickstart &lt;script&gt;document.documentElement."
                      "setAttribute(&#39;data-xss&#39;,&#39;title&#39;)&lt;/script&gt;</title>"),
            std::string::npos);
  EXPECT_NE(
      html.find(
          R"(\u003cimg src=x onerror=\"document.documentElement.setAttribute('data-xss','img')\"\u003e)"),
      std::string::npos);
  const auto md = read_text(dir.path() / "h.md");
  EXPECT_NE(md.find("## lmmbench: quickstart &lt;script&gt;document"), std::string::npos) << md;
}

TEST(ReportCli, BadInputIsExitCodeTwoWithTheFileNamed) {
  TempDir dir;
  auto r = lmmbench({"report", (dir.path() / "absent").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("absent"), std::string::npos) << r.err;

  std::filesystem::create_directories(dir.path() / "empty");
  r = lmmbench({"report", (dir.path() / "empty").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(
      r.err.find("empty/run.json: no run record here (expected a run directory holding run.json)"),
      std::string::npos)
      << r.err;

  write_text(dir.path() / "future" / "run.json", R"({"schema_version": 3, "tool": {}})");
  r = lmmbench({"report", (dir.path() / "future").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("run.json: field /schema_version: run record schema version 3 is not "
                       "readable by this lmmbench, which reads versions 1 to 2"),
            std::string::npos)
      << r.err;

  write_text(dir.path() / "broken" / "run.json", "{\"schema_version\": 1,\n  \"cells\": [}");
  r = lmmbench({"report", (dir.path() / "broken").string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("broken/run.json:2"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace lmmbench::testing
