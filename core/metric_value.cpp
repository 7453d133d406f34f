#include "core/metric_value.hpp"

#include <array>
#include <utility>

namespace lmmbench {

namespace {
constexpr std::array<std::pair<Unit, std::string_view>, 15> kUnitNames{{
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
}};
}  // namespace

std::string_view to_string(Unit unit) {
  for (const auto& [u, name] : kUnitNames) {
    if (u == unit) return name;
  }
  return "ratio";
}

std::optional<Unit> parse_unit(std::string_view name) {
  for (const auto& [u, n] : kUnitNames) {
    if (n == name) return u;
  }
  return std::nullopt;
}

void to_json(nlohmann::json& j, const MetricValue& v) {
  j = nlohmann::json{{"name", v.name},
                     {"value", v.value},
                     {"unit", to_string(v.unit)},
                     {"higher_is_better", v.higher_is_better}};
  if (v.ci95) j["ci95"] = {(*v.ci95)[0], (*v.ci95)[1]};
}

void from_json(const nlohmann::json& j, MetricValue& v) {
  v.name = j.at("name").get<std::string>();
  v.value = j.at("value").get<double>();
  const auto unit = parse_unit(j.at("unit").get<std::string>());
  if (!unit) throw nlohmann::json::other_error::create(501, "unknown unit", &j);
  v.unit = *unit;
  v.higher_is_better = j.value("higher_is_better", true);
  v.ci95.reset();
  if (const auto it = j.find("ci95"); it != j.end() && it->is_array() && it->size() == 2 &&
                                      (*it)[0].is_number() && (*it)[1].is_number()) {
    v.ci95 = std::array<double, 2>{(*it)[0].get<double>(), (*it)[1].get<double>()};
  }
}

}  // namespace lmmbench
