#include "core/cost.hpp"

namespace lmmbench::cost {

double usd_per_day(double usd_per_gpu_hour, double gpu_count) {
  return gpu_count * usd_per_gpu_hour * 24.0;
}

double usd_for_gpu_hours(double usd_per_gpu_hour, double gpu_count, double hours) {
  return usd_per_day(usd_per_gpu_hour, gpu_count) * hours / 24.0;
}

std::optional<double> usd_per_units_at_rate(double usd_per_day, double rate_per_s, double units) {
  if (!(rate_per_s > 0)) return std::nullopt;
  return usd_per_day / (rate_per_s * kSecondsPerDay) * units;
}

std::optional<double> usd_per_1m_output_tokens(double usd_per_day, double tokens_per_s) {
  return usd_per_units_at_rate(usd_per_day, tokens_per_s, 1e6);
}

std::optional<double> usd_per_1k_images(double usd_per_day, double images_per_s) {
  return usd_per_units_at_rate(usd_per_day, images_per_s, 1e3);
}

std::optional<double> usd_per_1k_requests(double usd_per_day, double requests_per_s) {
  return usd_per_units_at_rate(usd_per_day, requests_per_s, 1e3);
}

double token_price_usd(double usd_per_1m_input_tokens, double usd_per_1m_output_tokens,
                       std::int64_t prompt_tokens, std::int64_t completion_tokens) {
  return (static_cast<double>(prompt_tokens) * usd_per_1m_input_tokens +
          static_cast<double>(completion_tokens) * usd_per_1m_output_tokens) /
         1e6;
}

std::optional<double> usd_per(double usd, double count, double units) {
  if (!(count > 0)) return std::nullopt;
  return usd / count * units;
}

}  // namespace lmmbench::cost
