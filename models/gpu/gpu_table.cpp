#include "models/gpu/gpu_table.hpp"

#include <cctype>
#include <set>

#include <fmt/format.h>

#include "core/json_source.hpp"
#include "core/text.hpp"

namespace lmmbench::gpu {

namespace {

double positive_number(const ConfigNode& node) {
  const double v = node.as_number();
  if (!(v > 0)) node.fail(fmt::format("must be > 0, got {}", v));
  return v;
}

std::optional<double> optional_peak(ObjectReader& r, std::string_view key) {
  // Every key must be present so that a missing figure is a decision (null), not an omission.
  const ConfigNode node = [&] {
    if (!r.node().json().contains(key)) {
      Location where = r.node().location();
      where.field = append_pointer(r.node().pointer(), key);
      throw InputError(where, "missing required field (use null when no figure exists)");
    }
    return ConfigNode(r.node().shared_source(), append_pointer(r.node().pointer(), key),
                      &r.node().json().at(std::string(key)));
  }();
  r.allow({key});
  if (node.json().is_null()) return std::nullopt;
  return positive_number(node);
}

/// YYYY-MM-DD, or YYYY-MM when a source gives only the month.
bool is_date(std::string_view s) {
  if ((s.size() != 10 && s.size() != 7) || s[4] != '-' || (s.size() == 10 && s[7] != '-')) {
    return false;
  }
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 4 || i == 7) continue;
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

PriceQuote read_price(const ConfigNode& node) {
  ObjectReader r(node);
  PriceQuote p;
  p.provider = r.required_string("provider");
  p.usd_per_gpu_hour = positive_number(r.required("usd_per_gpu_hour"));
  const ConfigNode date = r.required("date");
  p.date = date.as_string();
  if (!is_date(p.date))
    date.fail(fmt::format("date must be YYYY-MM-DD or YYYY-MM, not '{}'", p.date));
  p.source = r.required_string("source");
  if (p.source.empty()) r.required("source").fail("source must not be empty");
  p.note = r.get_string("note", "");
  r.finish();
  return p;
}

GpuKind read_kind(const ConfigNode& node) {
  ObjectReader r(node);
  GpuKind g;
  g.name = ascii_lower(r.required_string("name"));
  if (g.name.empty()) r.required("name").fail("name must not be empty");
  for (auto& a : r.get_string_list("aliases"))
    g.aliases.push_back(ascii_lower(a));
  g.description = r.required_string("description");
  g.device_names = r.get_string_list("device_names");
  {
    ObjectReader peaks(r.required("dense_tflops"));
    g.dense_tflops.fp16 = optional_peak(peaks, "fp16");
    g.dense_tflops.bf16 = optional_peak(peaks, "bf16");
    g.dense_tflops.tf32 = optional_peak(peaks, "tf32");
    g.dense_tflops.fp8 = optional_peak(peaks, "fp8");
    g.dense_tflops.int8 = optional_peak(peaks, "int8");
    peaks.finish();
  }
  g.memory_gb = positive_number(r.required("memory_gb"));
  g.bandwidth_gb_per_s = positive_number(r.required("bandwidth_gb_per_s"));
  if (const auto tdp = r.find("tdp_w")) g.tdp_w = positive_number(*tdp);
  g.sources = r.get_string_list("sources");
  if (g.sources.empty()) r.required("sources").fail("every GPU needs the sources of its figures");
  g.notes = r.get_string("notes", "");
  if (const auto prices = r.find("prices")) {
    for (const auto& p : prices->elements())
      g.prices.push_back(read_price(p));
  }
  r.finish();
  return g;
}

}  // namespace

std::optional<double> GpuKind::peak_flops(DType dtype) const {
  const std::optional<double>& tflops = dtype == DType::f16 ? dense_tflops.fp16 : dense_tflops.bf16;
  if (!tflops) return std::nullopt;
  return *tflops * 1e12;
}

GpuTable GpuTable::load(const std::filesystem::path& path) {
  return read(ConfigNode(JsonSource::from_file(path)));
}

GpuTable GpuTable::read(const ConfigNode& root) {
  ObjectReader r(root);
  GpuTable table;
  table.source_ = root.source().name();
  std::set<std::string> seen;
  const ConfigNode list = r.required("gpus");
  for (const auto& entry : list.elements()) {
    GpuKind g = read_kind(entry);
    std::vector<std::string> names = g.aliases;
    names.push_back(g.name);
    for (const auto& n : names) {
      if (!seen.insert(n).second) {
        entry.fail(fmt::format("GPU name or alias '{}' is used twice", n));
      }
    }
    table.kinds_.push_back(std::move(g));
  }
  if (table.kinds_.empty()) list.fail("the GPU table is empty");
  r.finish();
  return table;
}

const GpuKind& GpuTable::find(std::string_view name) const {
  const std::string wanted = ascii_lower(name);
  std::vector<std::string> names;
  for (const auto& g : kinds_) {
    if (g.name == wanted) return g;
    for (const auto& a : g.aliases) {
      if (a == wanted) return g;
    }
    names.push_back(g.name);
  }
  throw InputError(Location{"--gpu", 0, ""},
                   fmt::format("unknown GPU kind '{}'{}; {} lists: {}", name,
                               did_you_mean(wanted, names), source_, join(names, ", ")));
}

const GpuKind* GpuTable::match_device(std::string_view device_name) const {
  const std::string wanted = ascii_lower(device_name);
  for (const auto& g : kinds_) {
    for (const auto& n : g.device_names) {
      if (ascii_lower(n) == wanted) return &g;
    }
  }
  return nullptr;
}

}  // namespace lmmbench::gpu
