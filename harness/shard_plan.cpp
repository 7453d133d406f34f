#include "harness/shard_plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/text.hpp"
#include "harness/config.hpp"

namespace lmmbench::harness {

std::vector<std::string> ShardPlan::selection_arguments() const {
  std::vector<std::string> args;
  if (!models.empty()) args.insert(args.end(), {"--models", join(models, ",")});
  if (!tasks.empty()) args.insert(args.end(), {"--tasks", join(tasks, ",")});
  if (limit > 0) args.insert(args.end(), {"--limit", std::to_string(limit)});
  return args;
}

std::vector<std::string> ShardPlan::merge_arguments() const {
  std::vector<std::string> args = {"merge"};
  for (std::size_t i = 0; i < shard_count; ++i)
    args.push_back((shards_dir() / std::to_string(i)).string());
  args.insert(args.end(), {"--out", merged_dir().string(), "--config", config.string()});
  return args;
}

namespace {

template <typename Config>
void check_names(const std::vector<std::string>& wanted, const std::vector<Config>& configs,
                 const std::string& option) {
  std::vector<std::string> known;
  for (const auto& c : configs)
    known.push_back(c.name);
  for (const auto& name : wanted) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw InputError(Location{"", 0, option}, fmt::format("'{}' is not in the run config{}", name,
                                                            did_you_mean(name, known)));
    }
  }
}

}  // namespace

ShardPlan plan_shards(const std::filesystem::path& config, std::size_t shard_count,
                      const std::filesystem::path& out, std::vector<std::string> models,
                      std::vector<std::string> tasks, std::size_t limit) {
  if (shard_count == 0) throw InputError(Location{"", 0, "--shards"}, "must be at least 1");
  const RunConfig run = load_run_config(config);
  check_names(models, run.models, "--models");
  check_names(tasks, run.tasks, "--tasks");
  ShardPlan plan;
  plan.config = std::filesystem::absolute(config).lexically_normal();
  plan.run_name = run.name;
  plan.shard_count = shard_count;
  plan.out = std::filesystem::absolute(out).lexically_normal();
  plan.models = std::move(models);
  plan.tasks = std::move(tasks);
  plan.limit = limit;
  return plan;
}

std::string job_name(const std::string& run_name, const std::string& suffix,
                     std::size_t max_length) {
  std::string name = "lmmbench-";
  for (const char c : ascii_lower(run_name)) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (keep || name.back() != '-') name += keep ? c : '-';
  }
  const std::string tail = suffix.empty() ? "" : "-" + suffix;
  if (name.size() + tail.size() > max_length) name.resize(max_length - tail.size());
  while (name.back() == '-')
    name.pop_back();
  return name + tail;
}

}  // namespace lmmbench::harness
