#include "harness/scoring.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/file_io.hpp"
#include "core/text.hpp"

namespace lmmbench::harness {

namespace {

/// What is left of an aggregate over no answers: which metric it was and how many samples it saw,
/// never a number (a score of 0 would read as "measured and all wrong").
metrics::MetricResult without_score(metrics::MetricResult r) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  r.score = kNaN;
  r.standard_error = kNaN;
  r.ci95 = {kNaN, kNaN};
  r.interval_method.clear();
  r.metrics.clear();
  r.breakdown.clear();
  return r;
}

}  // namespace

metrics::ScoringItem scoring_item(const datasets::Sample& sample, const LogEntry* entry) {
  metrics::ScoringItem item;
  item.id = sample.id;
  if (entry != nullptr && entry->completion.ok()) item.prediction = entry->completion.text;
  item.answers = sample.references;
  item.options = sample.options;
  item.category = sample.category;
  for (const auto& [key, value] : sample.meta.items()) {
    if (value.is_string()) {
      item.fields[key] = value.get<std::string>();
    } else if (value.is_boolean() || value.is_number()) {
      item.fields[key] = value.dump();
    } else if (value.is_array() && !value.empty() &&
               std::all_of(value.begin(), value.end(),
                           [](const nlohmann::json& v) { return v.is_string(); })) {
      // A list of names (MathVista's skills): comma-separated, as `lmmbench score` input gives it.
      std::string joined;
      for (const auto& v : value)
        joined += (joined.empty() ? "" : ",") + v.get<std::string>();
      item.fields[key] = std::move(joined);
    }
  }
  return item;
}

void score_cell(const LoadedTask& task, const std::vector<std::string>& keys,
                const PredictionLog& log, const std::filesystem::path& scores_path,
                reports::Cell& cell, const ScoringHook& hook) {
  std::vector<std::unique_ptr<metrics::Aggregator>> aggregators;
  for (const auto& metric : task.metrics)
    aggregators.push_back(metric->aggregator());
  std::filesystem::create_directories(scores_path.parent_path());
  // Streamed line by line: the per-sample file can be far larger than anything the cell keeps.
  AtomicFileWriter lines(scores_path);
  auto& counts = cell.counts;
  for (std::size_t i = 0; i < task.selected.size(); ++i) {
    const auto& sample = task.selected[i];
    const LogEntry* entry = log.find(keys[i]);
    ++counts.total;
    if (entry != nullptr) {
      const auto& usage = entry->completion.usage;
      if (usage.prompt_tokens || usage.completion_tokens) ++cell.usage.requests_with_usage;
      cell.usage.prompt_tokens += usage.prompt_tokens.value_or(0);
      cell.usage.completion_tokens += usage.completion_tokens.value_or(0);
    }
    if (entry != nullptr && entry->completion.ok()) {
      ++counts.ok;
      if (trim(entry->completion.text).empty()) ++counts.empty;
    } else {
      ++counts.error;
      const auto kind = entry == nullptr ? models::ErrorKind::cancelled : entry->completion.error;
      ++counts.errors_by_kind[std::string(models::to_string(kind))];
    }
    auto item = scoring_item(sample, entry);
    reports::SampleRecord line;
    line.id = sample.id;
    if (hook) hook(i, item, line);
    for (std::size_t m = 0; m < task.metrics.size(); ++m) {
      const auto score = task.metrics[m]->score(item);
      aggregators[m]->add(item, score);
      if (m == 0) {
        if (score.status == metrics::ParseStatus::unparsed) ++counts.unparsed;
        line.score = score.score;
        line.status = score.status == metrics::ParseStatus::parsed     ? "parsed"
                      : score.status == metrics::ParseStatus::unparsed ? "unparsed"
                                                                       : "missing";
        line.extracted = score.extracted;
      } else {
        line.scores[task.metrics[m]->info().name] = score.score;
      }
    }
    line.prediction = item.prediction;
    // The gold data, so reports can show the sample without the dataset.
    line.question = sample.question;
    line.answers = sample.references;
    line.options = sample.options;
    line.category = sample.category;
    for (const auto& image : sample.images) {
      line.images.push_back(reports::ImageSource{std::filesystem::absolute(image.path),
                                                 image.base64_offset, image.base64_length});
    }
    // Size and format of each image as the loader's probe found them (per-sample image report).
    if (!sample.images.empty() && sample.images.front().width > 0) {
      for (const auto& image : sample.images) {
        line.image_info.push_back(
            reports::ImageInfo{image.mime_type, image.width, image.height, image.bytes});
      }
    }
    if (entry != nullptr && !entry->completion.ok()) {
      line.error_kind = models::to_string(entry->completion.error);
      line.error = entry->completion.error_message;
    }
    lines.write(reports::sample_line(line));
  }
  for (auto& aggregator : aggregators) {
    auto result = aggregator->finish();
    cell.scores.push_back(counts.ok > 0 ? std::move(result) : without_score(std::move(result)));
  }
  lines.commit();
}

bool apply_error_budget(reports::Cell& cell, double max_error_rate) {
  cell.max_error_rate = max_error_rate;
  const auto& counts = cell.counts;
  if (static_cast<double>(counts.error) <= max_error_rate * static_cast<double>(counts.total)) {
    return false;
  }
  std::vector<std::string> kinds;
  for (const auto& [kind, n] : counts.errors_by_kind)
    kinds.push_back(fmt::format("{} {}", n, kind));
  cell.outcome = reports::CellOutcome::too_many_errors;
  cell.message = fmt::format(
      "{} of {} samples failed ({:.1f} %: {}), over the error budget of {:g} % (max_error_rate)",
      counts.error, counts.total,
      100.0 * static_cast<double>(counts.error) / static_cast<double>(counts.total),
      join(kinds, ", "), 100.0 * max_error_rate);
  return true;
}

}  // namespace lmmbench::harness
