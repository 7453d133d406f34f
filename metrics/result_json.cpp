#include <algorithm>
#include <cmath>

#include "core/text.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

namespace {

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

double number_or_nan(const nlohmann::json& j) {
  return j.is_number() ? j.get<double>() : std::nan("");
}

/// {"a": {"b": 1}} for the dotted name "a.b".
void set_dotted(nlohmann::json& object, const std::string& dotted, double value) {
  nlohmann::json* node = &object;
  const auto parts = split(dotted, '.');
  for (std::size_t i = 0; i + 1 < parts.size(); ++i)
    node = &(*node)[parts[i]];
  (*node)[parts.back()] = number_or_null(value);
}

}  // namespace

void to_json(nlohmann::json& j, const MetricResult& r) {
  nlohmann::json metrics = nlohmann::json::object();
  nlohmann::json units = nlohmann::json::object();
  for (const auto& v : r.metrics) {
    set_dotted(metrics, v.name, v.value);
    units[v.name] = to_string(v.unit);
  }
  nlohmann::json breakdown = nlohmann::json::object();
  for (const auto& [key, cells] : r.breakdown) {
    auto& by_value = breakdown[key];
    by_value = nlohmann::json::object();
    for (const auto& [value, cell] : cells) {
      nlohmann::json c{{"n", cell.n}};
      for (const auto& v : cell.values)
        c[v.name] = number_or_null(v.value);
      by_value[value] = std::move(c);
    }
  }
  j = nlohmann::json{{"metric", r.metric},
                     {"variant", r.variant},
                     {"reference", r.reference},
                     {"n", r.n},
                     {"n_missing", r.n_missing},
                     {"n_unparsed", r.n_unparsed},
                     {"score", number_or_null(r.score)},
                     {"unit", to_string(r.unit)},
                     {"stderr", number_or_null(r.standard_error)},
                     {"ci95", {number_or_null(r.ci95[0]), number_or_null(r.ci95[1])}},
                     {"interval_method", r.interval_method},
                     {"metrics", std::move(metrics)},
                     {"metric_units", std::move(units)},
                     {"breakdown", std::move(breakdown)}};
}

void from_json(const nlohmann::json& j, MetricResult& r) {
  r.metric = j.at("metric").get<std::string>();
  r.variant = j.value("variant", "");
  r.reference = j.value("reference", "");
  r.n = j.at("n").get<std::size_t>();
  r.n_missing = j.value("n_missing", std::size_t{0});
  r.n_unparsed = j.value("n_unparsed", std::size_t{0});
  r.score = number_or_nan(j.at("score"));
  r.unit = parse_unit(j.value("unit", "percent")).value_or(Unit::percent);
  r.standard_error = number_or_nan(j.value("stderr", nlohmann::json()));
  if (const auto it = j.find("ci95"); it != j.end() && it->is_array() && it->size() == 2) {
    r.ci95 = {number_or_nan((*it)[0]), number_or_nan((*it)[1])};
  }
  r.interval_method = j.value("interval_method", "");
  r.metrics.clear();
  const auto units = j.value("metric_units", nlohmann::json::object());
  for (const auto& [name, unit] : units.items()) {
    std::string path = name;  // not captured by a lambda: clang 14 cannot capture a binding
    std::replace(path.begin(), path.end(), '.', '/');
    const auto pointer = nlohmann::json::json_pointer("/" + path);
    const auto& metrics = j.at("metrics");
    if (!metrics.contains(pointer)) continue;
    r.metrics.push_back(MetricValue{name, number_or_nan(metrics.at(pointer)),
                                    parse_unit(unit.get<std::string>()).value_or(Unit::ratio),
                                    true});
  }
  r.breakdown.clear();
  const auto breakdown = j.value("breakdown", nlohmann::json::object());
  for (const auto& [key, cells] : breakdown.items()) {
    for (const auto& [value, cell] : cells.items()) {
      BreakdownCell c;
      c.n = cell.value("n", std::size_t{0});
      for (const auto& [name, v] : cell.items()) {
        if (name != "n") c.values.push_back(MetricValue{name, number_or_nan(v), r.unit, true});
      }
      r.breakdown[key][value] = std::move(c);
    }
  }
}

}  // namespace lmmbench::metrics
