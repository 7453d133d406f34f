#include "reports/run_record.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace lmmbench::reports {

NLOHMANN_JSON_SERIALIZE_ENUM(CellOutcome, {{CellOutcome::ok, "ok"},
                                           {CellOutcome::failed, "failed"},
                                           {CellOutcome::unsupported, "unsupported"},
                                           {CellOutcome::skipped, "skipped"},
                                           {CellOutcome::too_many_errors, "too_many_errors"}})

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ToolInfo, name, version, git_revision, git_dirty,
                                                build_type, sanitizers)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HostInfo, hostname, os, cpu, cpu_count)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SampleCounts, total, ok, error, empty, unparsed,
                                                resumed, cached, retries, errors_by_kind)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DatasetInfo, name, format, manifest_sha256,
                                                manifest_file, root, task_config_sha256, n_files,
                                                n_samples, n_selected)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ShardSource, dir, shard_index, shard_count,
                                                hostname, started_at, finished_at, wall_seconds,
                                                resume_count, record_sha256)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CellReplica, base_url, requests, answered,
                                                connection_failures, latency_sum_s)

std::string_view to_string(CellOutcome outcome) {
  switch (outcome) {
    case CellOutcome::ok:
      return "ok";
    case CellOutcome::failed:
      return "failed";
    case CellOutcome::unsupported:
      return "unsupported";
    case CellOutcome::skipped:
      return "skipped";
    case CellOutcome::too_many_errors:
      return "too_many_errors";
  }
  return "failed";
}

// Selection and Cell have optional or enum members, so they are written by hand; they are found by
// argument-dependent lookup from nlohmann's templates.
void to_json(nlohmann::json& j, const Selection& s) {
  j = nlohmann::json{{"models", s.models},
                     {"tasks", s.tasks},
                     {"limit", s.limit ? nlohmann::json(*s.limit) : nlohmann::json()},
                     {"shard", fmt::format("{}/{}", s.shard_index, s.shard_count)},
                     {"shard_index", s.shard_index},
                     {"shard_count", s.shard_count}};
}

void from_json(const nlohmann::json& j, Selection& s) {
  s.models = j.value("models", std::vector<std::string>{});
  s.tasks = j.value("tasks", std::vector<std::string>{});
  if (const auto it = j.find("limit"); it != j.end() && it->is_number_unsigned()) {
    s.limit = it->get<std::size_t>();
  } else {
    s.limit.reset();
  }
  s.shard_index = j.value("shard_index", std::size_t{0});
  s.shard_count = j.value("shard_count", std::size_t{1});
}

void to_json(nlohmann::json& j, const CellUsage& u) {
  j = nlohmann::json{{"prompt_tokens", u.prompt_tokens},
                     {"completion_tokens", u.completion_tokens},
                     {"requests_with_usage", u.requests_with_usage},
                     {"cost_usd", u.cost_usd ? nlohmann::json(*u.cost_usd) : nlohmann::json()},
                     {"price_model", u.price_model},
                     {"prices_as_of", u.prices_as_of}};
}

void from_json(const nlohmann::json& j, CellUsage& u) {
  u.prompt_tokens = j.value("prompt_tokens", std::int64_t{0});
  u.completion_tokens = j.value("completion_tokens", std::int64_t{0});
  u.requests_with_usage = j.value("requests_with_usage", std::size_t{0});
  if (const auto it = j.find("cost_usd"); it != j.end() && it->is_number()) {
    u.cost_usd = it->get<double>();
  } else {
    u.cost_usd.reset();
  }
  u.price_model = j.value("price_model", "");
  u.prices_as_of = j.value("prices_as_of", "");
}

void to_json(nlohmann::json& j, const CellJudge& c) {
  j = nlohmann::json{{"model", c.model},
                     {"backend_fingerprint", c.backend_fingerprint},
                     {"parser", c.parser},
                     {"prompt_file", c.prompt_file},
                     {"prompt_sha256", c.prompt_sha256},
                     {"runs", c.runs},
                     {"requests", c.requests},
                     {"resumed", c.resumed},
                     {"cached", c.cached},
                     {"failed", c.failed},
                     {"reasks", c.reasks},
                     {"unparsed", c.unparsed},
                     {"log_file", c.log_file},
                     {"usage", c.usage}};
  if (c.agreement) {
    const auto& a = *c.agreement;
    j["agreement"] = {{"previous_model", a.previous_model},
                      {"n", a.n},
                      {"percent", a.percent},
                      {"kappa", a.kappa ? nlohmann::json(*a.kappa) : nlohmann::json()}};
  }
}

void from_json(const nlohmann::json& j, CellJudge& c) {
  c.model = j.value("model", "");
  c.backend_fingerprint = j.value("backend_fingerprint", "");
  c.parser = j.value("parser", "");
  c.prompt_file = j.value("prompt_file", "");
  c.prompt_sha256 = j.value("prompt_sha256", "");
  c.runs = j.value("runs", std::size_t{1});
  c.requests = j.value("requests", std::size_t{0});
  c.resumed = j.value("resumed", std::size_t{0});
  c.cached = j.value("cached", std::size_t{0});
  c.failed = j.value("failed", std::size_t{0});
  c.reasks = j.value("reasks", std::size_t{0});
  c.unparsed = j.value("unparsed", std::size_t{0});
  c.log_file = j.value("log_file", "");
  c.usage = j.value("usage", CellUsage{});
  c.agreement.reset();
  if (const auto it = j.find("agreement"); it != j.end() && it->is_object()) {
    JudgeAgreement a;
    a.previous_model = it->value("previous_model", "");
    a.n = it->value("n", std::size_t{0});
    a.percent = it->value("percent", 0.0);
    if (const auto k = it->find("kappa"); k != it->end() && k->is_number())
      a.kappa = k->get<double>();
    c.agreement = a;
  }
}

void to_json(nlohmann::json& j, const Cell& c) {
  j = nlohmann::json{{"model", c.model},
                     {"task", c.task},
                     {"outcome", c.outcome},
                     {"message", c.message},
                     {"max_error_rate", c.max_error_rate},
                     {"backend_fingerprint", c.backend_fingerprint},
                     {"dataset", c.dataset},
                     {"counts", c.counts},
                     {"usage", c.usage},
                     {"scores", c.scores},
                     {"wall_seconds", c.wall_seconds},
                     {"scores_file", c.scores_file}};
  if (!c.submission_file.empty()) j["submission_file"] = c.submission_file;
  if (c.judge) j["judge"] = *c.judge;
  if (!c.replicas.empty()) j["replicas"] = c.replicas;
}

void from_json(const nlohmann::json& j, Cell& c) {
  c.model = j.at("model").get<std::string>();
  c.task = j.at("task").get<std::string>();
  // Strict: nlohmann maps an unknown enum name to the first value (ok), which would pass a cell
  // this reader does not understand.
  const auto& outcome = j.at("outcome");
  c.outcome = outcome.get<CellOutcome>();
  if (!outcome.is_string() || outcome.get<std::string>() != to_string(c.outcome)) {
    throw InputError(Location{"", 0, "/outcome"},
                     fmt::format("unknown cell outcome {} (known: ok, failed, unsupported, "
                                 "skipped, too_many_errors)",
                                 outcome.dump()));
  }
  c.message = j.value("message", "");
  c.max_error_rate = j.value("max_error_rate", 0.0);
  c.backend_fingerprint = j.value("backend_fingerprint", "");
  c.dataset = j.value("dataset", DatasetInfo{});
  c.counts = j.value("counts", SampleCounts{});
  c.usage = j.value("usage", CellUsage{});
  c.scores = j.value("scores", std::vector<metrics::MetricResult>{});
  c.wall_seconds = j.value("wall_seconds", 0.0);
  c.scores_file = j.value("scores_file", "");
  c.submission_file = j.value("submission_file", "");
  c.replicas = j.value("replicas", std::vector<CellReplica>{});
  if (const auto it = j.find("judge"); it != j.end() && it->is_object()) {
    c.judge = it->get<CellJudge>();
  } else {
    c.judge.reset();
  }
}

void to_json(nlohmann::json& j, const RunRecord& r) {
  j = nlohmann::json{{"schema_version", r.schema_version},
                     {"tool", r.tool},
                     {"host", r.host},
                     {"run_name", r.run_name},
                     {"config_path", r.config_path},
                     {"config_sha256", r.config_sha256},
                     {"resolved_config", r.resolved_config},
                     {"seed", r.seed},
                     {"concurrency", r.concurrency},
                     {"selection", r.selection},
                     {"status", r.status},
                     {"started_at", r.started_at},
                     {"finished_at", r.finished_at},
                     {"wall_seconds", r.wall_seconds},
                     {"resume_count", r.resume_count},
                     {"predictions_file", r.predictions_file},
                     {"cells", r.cells}};
  if (!r.merged_from.empty()) j["merged_from"] = r.merged_from;
  if (r.gpu) j["gpu"] = *r.gpu;
  if (r.perf) j["perf"] = *r.perf;
}

void from_json(const nlohmann::json& j, RunRecord& r) {
  if (!j.is_object() || !j.contains("schema_version") ||
      !j.at("schema_version").is_number_integer()) {
    throw InputError(Location{"", 0, "/schema_version"},
                     "not an lmmbench run record (no integer schema_version)");
  }
  r.schema_version = j.at("schema_version").get<int>();
  if (r.schema_version < 1 || r.schema_version > kRunRecordSchemaVersion) {
    throw InputError(Location{"", 0, "/schema_version"},
                     fmt::format("run record schema version {} is not readable by this lmmbench, "
                                 "which reads versions 1 to {}",
                                 r.schema_version, kRunRecordSchemaVersion));
  }
  r.tool = j.value("tool", ToolInfo{});
  r.host = j.value("host", HostInfo{});
  r.run_name = j.value("run_name", "");
  r.config_path = j.value("config_path", "");
  r.config_sha256 = j.value("config_sha256", "");
  r.resolved_config = j.value("resolved_config", nlohmann::json::object());
  r.seed = j.value("seed", std::uint64_t{0});
  r.concurrency = j.value("concurrency", std::size_t{1});
  r.selection = j.value("selection", Selection{});
  r.status = j.value("status", "");
  r.started_at = j.value("started_at", "");
  r.finished_at = j.value("finished_at", "");
  r.wall_seconds = j.value("wall_seconds", 0.0);
  r.resume_count = j.value("resume_count", std::size_t{0});
  r.predictions_file = j.value("predictions_file", "");
  r.cells = j.value("cells", std::vector<Cell>{});
  r.merged_from = j.value("merged_from", std::vector<ShardSource>{});
  if (const auto it = j.find("gpu"); it != j.end() && !it->is_null()) {
    r.gpu = it->get<GpuSection>();
  } else {
    r.gpu.reset();
  }
  if (const auto it = j.find("perf"); it != j.end() && !it->is_null()) {
    r.perf = it->get<PerfSection>();
  } else {
    r.perf.reset();
  }
}

}  // namespace lmmbench::reports
