#pragma once

#include <array>
#include <string>

#include "core/metric_value.hpp"

namespace lmmbench::reports {

// Number formatting shared by every renderer, driven only by a value's Unit (never by which metric
// it is). Non-finite values print as "n/a".

/// The number alone: percent 2 decimals, points 1, ratio 4, counts as integers, seconds 3
/// significant digits, rates and money 4 significant digits.
std::string format_number(double value, Unit unit);

/// The number with its unit: "71.25 %", "1520.3 points", "0.8125", "12 ", "35.2 ms", "1.25 s",
/// "412.3 items/s", "1.2 GB/s", "$0.0123".
std::string format_with_unit(double value, Unit unit);

/// A signed difference in `unit`, with a real minus sign: "+1.25", "−0.50", "±0.00" for zero.
std::string format_delta(double delta, Unit unit);

/// "[lo, hi]" in `unit` (numbers only, negative ones with a real minus sign).
std::string format_interval(const std::array<double, 2>& interval, Unit unit);

/// A p-value: "<0.001", or three decimals ("0.042", "1.000"); "n/a" when not finite.
std::string format_p_value(double p);

/// `value` with `decimals` decimals and thousands separators, a minus sign for negatives:
/// 67174.634 -> "67,174.63"; "n/a" when not finite.
std::string grouped(double value, int decimals);

/// The short unit label for table headers: "%", "points", "ratio", "count", "s", "items/s",
/// "bytes/s", "USD".
std::string unit_label(Unit unit);

}  // namespace lmmbench::reports
