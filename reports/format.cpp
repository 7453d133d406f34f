#include "reports/format.hpp"

#include <cctype>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

namespace lmmbench::reports {

namespace {

/// 3 significant digits with an SI prefix: 1.23e12 -> "1.23 T", 640 -> "640".
std::string si_number(double value) {
  static constexpr const char* kPrefixes[] = {"", " k", " M", " G", " T", " P", " E"};
  double v = value;
  std::size_t k = 0;
  while (std::fabs(v) >= 1000.0 && k + 1 < std::size(kPrefixes)) {
    v /= 1000.0;
    ++k;
  }
  return fmt::format("{:.3g}{}", v, kPrefixes[k]);
}

/// "1.23 T" + "B" -> "1.23 TB"; "640" + "B" -> "640 B".
std::string with_prefix(const std::string& number, std::string_view symbol) {
  const bool prefixed = !number.empty() && std::isalpha(static_cast<unsigned char>(number.back()));
  return number + (prefixed ? "" : " ") + std::string(symbol);
}

}  // namespace

std::string format_number(double value, Unit unit) {
  if (!std::isfinite(value)) return "n/a";
  switch (unit) {
    case Unit::percent:
      return fmt::format("{:.2f}", value);
    case Unit::points:
      return fmt::format("{:.1f}", value);
    case Unit::ratio:
      return fmt::format("{:.4f}", value);
    case Unit::count:
      return fmt::format("{:.0f}", value);
    case Unit::seconds:
      return fmt::format("{:.3g}", value);
    case Unit::hours:
      return fmt::format("{:.1f}", value);
    case Unit::milliseconds:
    case Unit::watts:
    case Unit::joules:
      return std::fabs(value) >= 1000 ? grouped(value, 0) : fmt::format("{:.4g}", value);
    case Unit::bytes:
    case Unit::flops:
    case Unit::flops_per_second:
      return si_number(value);
    default:
      // Large rates and sums read better whole, with separators, than in exponent form.
      if (std::fabs(value) >= 1e4 && std::fabs(value) < 1e15) return grouped(value, 0);
      return fmt::format("{:.4g}", value);
  }
}

std::string format_with_unit(double value, Unit unit) {
  if (!std::isfinite(value)) return "n/a";
  switch (unit) {
    case Unit::percent:
      return format_number(value, unit) + " %";
    case Unit::points:
      return format_number(value, unit) + " points";
    case Unit::seconds: {
      const double a = std::fabs(value);
      if (a != 0.0 && a < 1e-3) return fmt::format("{:.3g} µs", value * 1e6);
      if (a != 0.0 && a < 1.0) return fmt::format("{:.3g} ms", value * 1e3);
      return fmt::format("{:.3g} s", value);
    }
    case Unit::items_per_second:
      return fmt::format("{:.4g} items/s", value);
    case Unit::bytes_per_second: {
      static constexpr const char* kPrefixes[] = {"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};
      double v = value;
      int k = 0;
      while (std::fabs(v) >= 1000.0 && k < 4) {
        v /= 1000.0;
        ++k;
      }
      return fmt::format("{:.4g} {}", v, kPrefixes[k]);
    }
    case Unit::usd:
      return value < 0 ? fmt::format("−${:.4g}", -value) : fmt::format("${:.4g}", value);
    case Unit::milliseconds:
      return format_number(value, unit) + " ms";
    case Unit::bytes:
      return with_prefix(format_number(value, unit), "B");
    case Unit::flops:
      return with_prefix(format_number(value, unit), "FLOP");
    case Unit::flops_per_second:
      return with_prefix(format_number(value, unit), "FLOP/s");
    case Unit::watts:
      return format_number(value, unit) + " W";
    case Unit::joules:
      return format_number(value, unit) + " J";
    case Unit::kilowatt_hours:
      return format_number(value, unit) + " kWh";
    case Unit::hours:
      return format_number(value, unit) + " h";
    default:
      return format_number(value, unit);
  }
}

std::string format_delta(double delta, Unit unit) {
  if (!std::isfinite(delta)) return "n/a";
  const std::string magnitude = format_number(std::fabs(delta), unit);
  // A difference that rounds to zero is shown without a direction.
  if (magnitude.find_first_not_of("0.") == std::string::npos) return "±" + magnitude;
  return (delta < 0 ? "−" : "+") + magnitude;
}

std::string format_interval(const std::array<double, 2>& interval, Unit unit) {
  const auto signed_number = [&](double v) {
    std::string text = format_number(v, unit);
    if (!text.empty() && text.front() == '-') text.replace(0, 1, "−");
    return text;
  };
  return "[" + signed_number(interval[0]) + ", " + signed_number(interval[1]) + "]";
}

std::string format_p_value(double p) {
  if (!std::isfinite(p)) return "n/a";
  if (p < 0.001) return "<0.001";
  return fmt::format("{:.3f}", p);
}

std::string unit_label(Unit unit) {
  switch (unit) {
    case Unit::percent:
      return "%";
    case Unit::points:
      return "points";
    case Unit::ratio:
      return "ratio";
    case Unit::count:
      return "count";
    case Unit::seconds:
      return "s";
    case Unit::items_per_second:
      return "items/s";
    case Unit::bytes_per_second:
      return "bytes/s";
    case Unit::usd:
      return "USD";
    case Unit::milliseconds:
      return "ms";
    case Unit::bytes:
      return "bytes";
    case Unit::flops:
      return "FLOP";
    case Unit::flops_per_second:
      return "FLOP/s";
    case Unit::watts:
      return "W";
    case Unit::joules:
      return "J";
    case Unit::kilowatt_hours:
      return "kWh";
    case Unit::hours:
      return "h";
  }
  return "";
}

std::string grouped(double value, int decimals) {
  if (!std::isfinite(value)) return "n/a";
  std::string text = fmt::format("{:.{}f}", std::fabs(value), decimals);
  const std::size_t point = text.find('.');
  std::size_t digits = point == std::string::npos ? text.size() : point;
  while (digits > 3) {
    digits -= 3;
    text.insert(digits, ",");
  }
  return (value < 0 ? "−" : "") + text;
}

}  // namespace lmmbench::reports
