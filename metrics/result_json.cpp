#include <algorithm>
#include <cmath>

#include "core/json_fields.hpp"
#include "core/text.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics {

// MetricResult lists its fields once, in visit() (core/json_fields.hpp). Its further aggregates
// and breakdowns have a representation of their own, written and read by the adapters below.

namespace {

nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

double number_or_nan(const nlohmann::json& j) {
  return j.is_number() ? j.get<double>() : std::nan("");
}

nlohmann::json::json_pointer pointer_of(std::string dotted) {
  std::replace(dotted.begin(), dotted.end(), '.', '/');
  return nlohmann::json::json_pointer("/" + dotted);
}

/// "metric_units": {name: unit} of the further aggregates, in the order they were added on
/// reading (the names, as written, are sorted). Read before "metrics", which fills the values.
struct MetricUnits {
  static nlohmann::json encode(const std::vector<MetricValue>& values) {
    nlohmann::json units = nlohmann::json::object();
    for (const auto& v : values)
      units[v.name] = to_string(v.unit);
    return units;
  }
  static void decode(const nlohmann::json& j, std::vector<MetricValue>& values) {
    values.clear();
    for (const auto& [name, unit] : j.items()) {
      values.push_back(MetricValue{
          name, std::nan(""), parse_unit(unit.get<std::string>()).value_or(Unit::ratio), true});
    }
  }
};

/// "metrics": the further aggregates' values, dotted names nested ("random.f1" -> {"random":
/// {"f1": ...}}). A name metric_units lists but "metrics" lacks is dropped.
struct MetricValues {
  static nlohmann::json encode(const std::vector<MetricValue>& values) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& v : values) {
      nlohmann::json* node = &out;
      const auto parts = split(v.name, '.');
      for (std::size_t i = 0; i + 1 < parts.size(); ++i)
        node = &(*node)[parts[i]];
      (*node)[parts.back()] = number_or_null(v.value);
    }
    return out;
  }
  static void decode(const nlohmann::json& j, std::vector<MetricValue>& values) {
    std::erase_if(values, [&](MetricValue& v) {
      const auto pointer = pointer_of(v.name);
      if (!j.contains(pointer)) return true;
      v.value = number_or_nan(j.at(pointer));
      return false;
    });
  }
};

/// "breakdown": {key: {value: {"n": n, name: value...}}}; the values are in the result's unit.
template <class B, class U>
struct BreakdownField {
  using json_adapter = void;
  B& breakdown;
  U& unit;  ///< Read before the breakdown (visit order).
  [[nodiscard]] nlohmann::json encode() const {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, cells] : breakdown) {
      auto& by_value = out[key] = nlohmann::json::object();
      for (const auto& [value, cell] : cells) {
        nlohmann::json c{{"n", cell.n}};
        for (const auto& v : cell.values)
          c[v.name] = number_or_null(v.value);
        by_value[value] = std::move(c);
      }
    }
    return out;
  }
  void decode(const nlohmann::json& j) const {
    breakdown.clear();
    for (const auto& [key, cells] : j.items()) {
      for (const auto& [value, cell] : cells.items()) {
        BreakdownCell c;
        c.n = cell.value("n", std::size_t{0});
        for (const auto& [name, v] : cell.items()) {
          if (name != "n") c.values.push_back(MetricValue{name, number_or_nan(v), unit, true});
        }
        breakdown[key][value] = std::move(c);
      }
    }
  }
  [[nodiscard]] bool empty() const { return false; }
};
template <class B, class U>
BreakdownField<B, U> breakdown_field(B& breakdown, U& unit) {
  return {breakdown, unit};
}

}  // namespace

template <class S, class F>
requires json_fields::Record<S, MetricResult>
void visit(S& r, F&& f) {
  f("metric", r.metric, json_fields::required);
  f("variant", r.variant);
  f("reference", r.reference);
  f("n", r.n, json_fields::required);
  f("n_missing", r.n_missing);
  f("n_unparsed", r.n_unparsed);
  f("score", json_fields::nan_as_null(r.score));
  f("unit", r.unit);
  f("stderr", json_fields::nan_as_null(r.standard_error));
  f("ci95", json_fields::nan_as_null(r.ci95));
  f("interval_method", r.interval_method);
  f("metric_units", json_fields::with_codec<MetricUnits>(r.metrics));
  f("metrics", json_fields::with_codec<MetricValues>(r.metrics));
  f("breakdown", breakdown_field(r.breakdown, r.unit));
}

LMMBENCH_JSON_FIELDS(MetricResult)

template <class S, class F>
requires json_fields::Record<S, PerSampleScore>
void visit(S& s, F&& f) {
  f("id", s.id, json_fields::required);
  f("score", s.score, json_fields::required);
  f("extracted", s.extracted);
}

LMMBENCH_JSON_FIELDS(PerSampleScore)

}  // namespace lmmbench::metrics
