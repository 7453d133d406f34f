// The HTML report in a real browser: Debian's chromium, headless, with a fresh profile and no
// network features. The page must load without a console message, build its tables, charts and
// sample browser, and show model output that tries to run script as inert text. Screenshots are
// kept in the build tree (Testing/artifacts/) for people to look at. Skipped, with a message,
// where chromium is not installed (scripts/install-deps.sh installs it).
#include <cstdlib>
#include <optional>

#include <gtest/gtest.h>
#include <unistd.h>

#include "report_support.hpp"

namespace lmmbench::testing {
namespace {

const std::filesystem::path kArtifacts = LMMBENCH_ARTIFACT_DIR;

std::optional<std::filesystem::path> find_chromium() {
  const char* env = std::getenv("PATH");
  std::vector<std::string> dirs;
  std::istringstream path(env ? env : "/usr/bin:/bin");
  for (std::string dir; std::getline(path, dir, ':');)
    dirs.push_back(dir);
  for (const auto& dir : dirs) {
    for (const auto* name : {"chromium", "chromium-browser"}) {
      const auto candidate = std::filesystem::path(dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return std::nullopt;
}

/// Runs headless chromium on `page` with `mode` ("--dump-dom" or "--screenshot=FILE").
ProcessResult chromium(const std::filesystem::path& exe, const std::filesystem::path& page,
                       const std::string& mode) {
  TempDir profile;
  return run_process({"/usr/bin/timeout", "120", exe.string(), "--headless", "--no-sandbox",
                      "--disable-gpu", "--no-first-run", "--disable-background-networking",
                      "--disable-component-update", "--disable-sync",
                      "--user-data-dir=" + profile.path().string(), "--enable-logging=stderr",
                      "--v=0", "--hide-scrollbars", "--window-size=1440,2400", mode,
                      "file://" + std::filesystem::absolute(page).string()});
}

/// Console messages (log, warning, error, uncaught exception, CSP violation) chromium printed.
std::vector<std::string> console_lines(const std::string& stderr_text) {
  std::vector<std::string> out;
  std::istringstream in(stderr_text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(":CONSOLE") != std::string::npos) out.push_back(line);
  }
  return out;
}

std::string html_start_tag(const std::string& dom) {
  const auto at = dom.find("<html");
  return at == std::string::npos ? "" : dom.substr(at, dom.find('>', at) - at + 1);
}

/// Loads `page`, checks it ran cleanly, and returns the DOM after its script ran.
std::string load(const std::filesystem::path& exe, const std::filesystem::path& page) {
  const auto r = chromium(exe, page, "--dump-dom");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(console_lines(r.err), std::vector<std::string>{}) << page;
  const auto tag = html_start_tag(r.out);
  EXPECT_NE(tag.find("data-report-ready=\"1\""), std::string::npos) << tag;
  EXPECT_EQ(tag.find("data-js-errors"), std::string::npos) << tag;
  return r.out;
}

void screenshot(const std::filesystem::path& exe, const std::filesystem::path& page,
                const std::filesystem::path& png) {
  std::filesystem::create_directories(png.parent_path());
  std::filesystem::remove(png);
  const auto r = chromium(exe, page, "--screenshot=" + png.string());
  EXPECT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(std::filesystem::exists(png)) << r.err;
  EXPECT_EQ(read_text(png).substr(0, 8), "\x89PNG\r\n\x1a\n");
  EXPECT_GT(std::filesystem::file_size(png), 20000u);
}

TEST(ReportInBrowser, QuickstartReportLoadsCleanlyAndModelOutputCannotRunScript) {
  const auto exe = find_chromium();
  if (!exe) {
    GTEST_SKIP() << "chromium is not installed: the HTML report is not tested in a browser "
                    "(apt-get install chromium; scripts/install-deps.sh installs it)";
  }
  TempDir dir;
  const auto quickstart = dir.path() / "quickstart";
  ASSERT_EQ(lmmbench({"run", (kSource / "configs/runs/quickstart.json").string(), "--out",
                      quickstart.string(), "-q"})
                .exit_code,
            0);
  const auto hostile = dir.path() / "hostile";
  run_hostile(dir.path(), hostile);
  const auto combined = dir.path() / "combined.html";
  const auto r = lmmbench({"report", quickstart.string(), hostile.string(), "--title",
                           kHostileTitle, "--html", combined.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // The quickstart's own report: tables, charts and a filled sample browser.
  const auto dom = load(*exe, quickstart / "report.html");
  EXPECT_EQ(count(dom, "<table class=\"sortable results\">"), 1u);
  EXPECT_EQ(count(dom, "<svg "), 6u);
  EXPECT_EQ(count(dom, "<div class=\"ans\">"), 25u * 3u);  // first page: 25 samples × 3 models
  EXPECT_EQ(count(dom, "<img alt=\"image of "), 25u);
  EXPECT_NE(dom.find("<span id=\"sb-status\">1–25 of 300</span>"), std::string::npos);

  // The combined report, with a hostile model and a hostile title: every payload is text.
  const auto hostile_dom = load(*exe, combined);
  const auto tag = html_start_tag(hostile_dom);
  EXPECT_EQ(tag.find("data-xss"), std::string::npos) << tag;
  EXPECT_NE(hostile_dom.find("<title>lmmbench · quickstart &lt;script&gt;document."
                             "documentElement.setAttribute('data-xss','title')&lt;/script&gt;"
                             "</title>"),
            std::string::npos);
  EXPECT_EQ(hostile_dom.find("<img src=\"x\""), std::string::npos);
  EXPECT_EQ(hostile_dom.find("<h1 id=\"xss-injected\""), std::string::npos);
  EXPECT_EQ(hostile_dom.find("<a href=\"javascript:"), std::string::npos);
  // ... and is shown: each payload appears as text in the first page of the sample browser.
  for (const auto* text : {"&lt;script&gt;document.documentElement.setAttribute('data-xss',"
                           "'script')&lt;/script&gt;",
                           "&lt;img src=x onerror=\"document.documentElement.setAttribute("
                           "'data-xss','img')\"&gt;",
                           "&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;h1 id=\"xss-injected\"&gt;"
                           "injected&lt;/h1&gt;",
                           "&lt;a href=\"javascript:document.title='XSS-link'\"&gt;javascript "
                           "link&lt;/a&gt;"}) {
    EXPECT_NE(hostile_dom.find(std::string("<span class=\"pred\">") + text + "</span>"),
              std::string::npos)
        << text;
  }
  const auto title_start = hostile_dom.find("<title>");
  const auto title = hostile_dom.substr(title_start, hostile_dom.find("</title>") - title_start);
  EXPECT_EQ(title.find("XSS-link"), std::string::npos) << title;

  screenshot(*exe, quickstart / "report.html", kArtifacts / "report.png");
  screenshot(*exe, combined, kArtifacts / "report-combined.png");
}

}  // namespace
}  // namespace lmmbench::testing
