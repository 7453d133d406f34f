#pragma once

#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reports/report.hpp"

namespace lmmbench::reports {

/// One output format. Non-virtual interface (as nvbench's printer_base): callers use render(), a
/// format implements do_render(). A renderer holds no state between calls and reads only the
/// Report; everything untrusted it writes goes through reports/escape.hpp.
class Renderer {
 public:
  virtual ~Renderer() = default;
  /// Writes the whole document for `report` to `out`.
  void render(const Report& report, std::ostream& out) const { do_render(report, out); }

 private:
  virtual void do_render(const Report& report, std::ostream& out) const = 0;
};

/// Every output format, registered here and nowhere else.
enum class Format { html, markdown, junit, csv };

std::string_view to_string(Format format);
std::unique_ptr<Renderer> make_renderer(Format format);

/// Fans one report out to several renderers and destinations (as nvbench's printer_multiplex).
class RendererMultiplex {
 public:
  /// Adds `renderer` writing to `path`; "-" means the stream given to render().
  void add(std::unique_ptr<Renderer> renderer, std::filesystem::path path);
  void add(Format format, std::filesystem::path path) {
    add(make_renderer(format), std::move(path));
  }
  [[nodiscard]] bool empty() const { return outputs_.empty(); }

  /// Renders every output in the order added. Files are written whole and atomically (temporary
  /// file + rename), so a reader never sees half a report; parent directories are created. Throws
  /// Error naming the file when one cannot be written.
  void render(const Report& report, std::ostream& stdout_stream) const;

 private:
  std::vector<std::pair<std::unique_ptr<Renderer>, std::filesystem::path>> outputs_;
};

/// The reports `lmmbench run` leaves in its run directory: report.html, summary.md, junit.xml and
/// results.csv, every model compared with the first. Returns their names.
std::vector<std::string> write_run_reports(const std::filesystem::path& run_dir,
                                           const RunRecord& record);

}  // namespace lmmbench::reports
