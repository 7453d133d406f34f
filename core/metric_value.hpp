#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

namespace lmmbench {

/// How a number is to be read and formatted. Renderers format by unit and never need to know
/// what a metric is (nvbench's "hint").
enum class Unit {
  ratio,             ///< 0..1
  percent,           ///< 0..100
  points,            ///< benchmark-defined points (e.g. MME's 0..2000 perception score)
  count,             ///< an integer count
  seconds,           ///< a duration
  items_per_second,  ///< a rate
  bytes_per_second,  ///< a bandwidth
  usd,               ///< money
  milliseconds,      ///< a duration in ms (latency tables)
  bytes,             ///< a size
  flops,             ///< floating-point operations (a multiply and an add count 2)
  flops_per_second,  ///< a compute rate
  watts,             ///< power
  joules,            ///< energy
  kilowatt_hours,    ///< energy
  hours,             ///< a long duration (a training run)
};

std::string_view to_string(Unit unit);
/// Every unit with its name in JSON (core/json_fields.hpp writes and reads Unit fields by it).
std::span<const std::pair<Unit, std::string_view>> json_enum_names(Unit);
/// Parses the names printed by to_string; nullopt for anything else.
std::optional<Unit> parse_unit(std::string_view name);

/// A self-describing number: renderers need nothing else to show or compare it.
struct MetricValue {
  std::string name;
  double value = 0.0;
  Unit unit = Unit::ratio;
  bool higher_is_better = true;
  /// 95 % interval of `value`, where its producer can estimate the noise of one measurement
  /// (`lmmbench compare` then gates only on changes beyond it).
  std::optional<std::array<double, 2>> ci95{};

  friend bool operator==(const MetricValue&, const MetricValue&) = default;
};

void to_json(nlohmann::json& j, const MetricValue& v);
void from_json(const nlohmann::json& j, MetricValue& v);

}  // namespace lmmbench
