#include "reports/renderer.hpp"

#include <sstream>

#include "core/file_io.hpp"
#include "reports/csv.hpp"
#include "reports/html_report.hpp"
#include "reports/junit.hpp"
#include "reports/markdown.hpp"

namespace lmmbench::reports {

std::string_view to_string(Format format) {
  switch (format) {
    case Format::html:
      return "html";
    case Format::markdown:
      return "markdown";
    case Format::junit:
      return "junit";
    case Format::csv:
      return "csv";
  }
  return "markdown";
}

std::unique_ptr<Renderer> make_renderer(Format format) {
  switch (format) {
    case Format::html:
      return std::make_unique<HtmlRenderer>();
    case Format::markdown:
      return std::make_unique<MarkdownRenderer>();
    case Format::junit:
      return std::make_unique<JunitRenderer>();
    case Format::csv:
      return std::make_unique<CsvRenderer>();
  }
  return std::make_unique<MarkdownRenderer>();
}

void RendererMultiplex::add(std::unique_ptr<Renderer> renderer, std::filesystem::path path) {
  outputs_.emplace_back(std::move(renderer), std::move(path));
}

void RendererMultiplex::render(const Report& report, std::ostream& stdout_stream) const {
  for (const auto& [renderer, path] : outputs_) {
    if (path == "-") {
      renderer->render(report, stdout_stream);
      continue;
    }
    std::ostringstream text;
    renderer->render(report, text);
    if (path.has_parent_path()) {
      std::error_code ec;
      std::filesystem::create_directories(path.parent_path(), ec);
    }
    write_file_atomic(path, text.str());
  }
}

std::vector<std::string> write_run_reports(const std::filesystem::path& run_dir,
                                           const RunRecord& record) {
  const std::vector<std::pair<Format, std::string>> files = {{Format::html, "report.html"},
                                                             {Format::markdown, "summary.md"},
                                                             {Format::junit, "junit.xml"},
                                                             {Format::csv, "results.csv"}};
  const Report report = make_report({loaded_run(run_dir, record)}, ReportOptions{});
  RendererMultiplex outputs;
  std::vector<std::string> names;
  for (const auto& [format, name] : files) {
    outputs.add(format, run_dir / name);
    names.push_back(name);
  }
  std::ostringstream unused;
  outputs.render(report, unused);
  return names;
}

}  // namespace lmmbench::reports
