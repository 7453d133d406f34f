#include "reports/section.hpp"

#include "reports/format.hpp"

namespace lmmbench::reports {

void add_objective(Section& out, const std::string& name, const std::optional<double>& value,
                   Unit unit, bool higher_is_better) {
  if (!value) return;
  MetricValue v;
  v.name = name;
  v.value = *value;
  v.unit = unit;
  v.higher_is_better = higher_is_better;
  out.objectives.push_back(std::move(v));
}

std::string format_value(const Column& column, const Value& value) {
  if (!column.unit) return value.text;
  // A number that was not measured shows its annotation (e.g. why it failed), else "—".
  if (!value.number) return value.text.empty() ? "—" : value.text;
  std::string out = format_number(*value.number, *column.unit);
  if (value.ci95) out += " " + format_interval(*value.ci95, *column.unit);
  if (!value.text.empty()) out += " " + value.text;
  return out;
}

bool unit_in_name(const Column& column) {
  if (!column.unit) return true;
  const auto has = [&](std::string_view s) { return column.name.find(s) != std::string::npos; };
  switch (*column.unit) {
    case Unit::count:  // the name says what is counted
      return true;
    case Unit::usd:
      return has("$");
    case Unit::items_per_second:
      return has("/s");
    case Unit::percent:
      return has("%");
    default:
      return false;
  }
}

std::string column_header(const Column& column) {
  if (unit_in_name(column)) return column.name;
  return column.name + " (" + unit_label(*column.unit) + ")";
}

}  // namespace lmmbench::reports
