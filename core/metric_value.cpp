#include "core/metric_value.hpp"

#include <array>
#include <utility>

#include "core/json_fields.hpp"

namespace lmmbench {

namespace {
constexpr std::array<std::pair<Unit, std::string_view>, 16> kUnitNames{{
    {Unit::ratio, "ratio"},
    {Unit::percent, "percent"},
    {Unit::points, "points"},
    {Unit::count, "count"},
    {Unit::seconds, "seconds"},
    {Unit::items_per_second, "items_per_second"},
    {Unit::bytes_per_second, "bytes_per_second"},
    {Unit::usd, "usd"},
    {Unit::milliseconds, "milliseconds"},
    {Unit::bytes, "bytes"},
    {Unit::flops, "flops"},
    {Unit::flops_per_second, "flops_per_second"},
    {Unit::watts, "watts"},
    {Unit::joules, "joules"},
    {Unit::kilowatt_hours, "kilowatt_hours"},
    {Unit::hours, "hours"},
}};
}  // namespace

std::span<const std::pair<Unit, std::string_view>> json_enum_names(Unit) {
  return kUnitNames;
}

std::string_view to_string(Unit unit) {
  const auto name = json_fields::enum_name(unit);
  return name.empty() ? "ratio" : name;
}

std::optional<Unit> parse_unit(std::string_view name) {
  for (const auto& [u, n] : kUnitNames) {
    if (n == name) return u;
  }
  return std::nullopt;
}

template <class S, class F>
requires json_fields::Record<S, MetricValue>
void visit(S& v, F&& f) {
  f("name", v.name, json_fields::required);
  f("value", v.value, json_fields::required);
  f("unit", v.unit, json_fields::required);
  f("higher_is_better", v.higher_is_better);
  f("ci95", v.ci95, json_fields::omit_empty);
}

LMMBENCH_JSON_FIELDS(MetricValue)

}  // namespace lmmbench
