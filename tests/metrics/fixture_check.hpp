#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/json_source.hpp"
#include "metrics/metric.hpp"

namespace lmmbench::metrics::fixture_check {

using Factory = std::function<std::unique_ptr<Metric>(std::string_view, ObjectReader&)>;

/// Scores tests/metrics/fixtures/<input> with the metric `factory` builds for `variant` and checks
/// it against the expected file <expected_name> written by a reference runner
/// (tests/metrics/reference/): every per-sample score and extracted answer, and every number,
/// string and null of "aggregate" (to 1e-9); aggregate.subsets.<prefix> is checked against the
/// aggregate of the items whose id starts with <prefix>. Reports mismatches as test failures.
void check_reference_fixture(const std::string& input, const std::string& expected_name,
                             const Factory& factory, std::string_view variant);

}  // namespace lmmbench::metrics::fixture_check
