#include "reports/run_record.hpp"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/json_fields.hpp"

namespace lmmbench::reports {

// Each record type lists its fields once, in visit(); to_json and from_json both walk that list
// (core/json_fields.hpp). The visit() functions are not in an unnamed namespace: json_fields::write
// and read find them by argument-dependent lookup.

using json_fields::omit_empty;
using json_fields::Record;
using json_fields::required;

constexpr auto json_enum_names(CellOutcome) {
  return std::array<std::pair<CellOutcome, std::string_view>, 5>{{
      {CellOutcome::ok, "ok"},
      {CellOutcome::failed, "failed"},
      {CellOutcome::unsupported, "unsupported"},
      {CellOutcome::skipped, "skipped"},
      {CellOutcome::too_many_errors, "too_many_errors"},
  }};
}

std::string_view to_string(CellOutcome outcome) {
  return json_fields::enum_name(outcome);
}

template <class S, class F>
requires Record<S, ToolInfo>
void visit(S& t, F&& f) {
  f("name", t.name);
  f("version", t.version);
  f("git_revision", t.git_revision);
  f("git_dirty", t.git_dirty);
  f("build_type", t.build_type);
  f("sanitizers", t.sanitizers);
}

template <class S, class F>
requires Record<S, HostInfo>
void visit(S& h, F&& f) {
  f("hostname", h.hostname);
  f("os", h.os);
  f("cpu", h.cpu);
  f("cpu_count", h.cpu_count);
}

template <class S, class F>
requires Record<S, SampleCounts>
void visit(S& c, F&& f) {
  f("total", c.total);
  f("ok", c.ok);
  f("error", c.error);
  f("empty", c.empty);
  f("unparsed", c.unparsed);
  f("resumed", c.resumed);
  f("cached", c.cached);
  f("retries", c.retries);
  f("errors_by_kind", c.errors_by_kind);
}

template <class S, class F>
requires Record<S, DatasetInfo>
void visit(S& d, F&& f) {
  f("name", d.name);
  f("format", d.format);
  f("manifest_sha256", d.manifest_sha256);
  f("manifest_file", d.manifest_file);
  f("root", d.root);
  f("task_config_sha256", d.task_config_sha256);
  f("n_files", d.n_files);
  f("n_samples", d.n_samples);
  f("n_selected", d.n_selected);
}

template <class S, class F>
requires Record<S, ShardSource>
void visit(S& s, F&& f) {
  f("dir", s.dir);
  f("shard_index", s.shard_index);
  f("shard_count", s.shard_count);
  f("hostname", s.hostname);
  f("started_at", s.started_at);
  f("finished_at", s.finished_at);
  f("wall_seconds", s.wall_seconds);
  f("resume_count", s.resume_count);
  f("record_sha256", s.record_sha256);
}

template <class S, class F>
requires Record<S, CellReplica>
void visit(S& r, F&& f) {
  f("base_url", r.base_url);
  f("requests", r.requests);
  f("answered", r.answered);
  f("connection_failures", r.connection_failures);
  f("latency_sum_s", r.latency_sum_s);
}

template <class S, class F>
requires Record<S, Selection>
void visit(S& s, F&& f) {
  f("models", s.models);
  f("tasks", s.tasks);
  f("limit", s.limit);
  // "I/N" for people reading the file; readers take shard_index and shard_count.
  f("shard", json_fields::write_only(fmt::format("{}/{}", s.shard_index, s.shard_count)));
  f("shard_index", s.shard_index);
  f("shard_count", s.shard_count);
}

template <class S, class F>
requires Record<S, CellUsage>
void visit(S& u, F&& f) {
  f("prompt_tokens", u.prompt_tokens);
  f("completion_tokens", u.completion_tokens);
  f("requests_with_usage", u.requests_with_usage);
  f("cost_usd", u.cost_usd);
  f("price_model", u.price_model);
  f("prices_as_of", u.prices_as_of);
}

template <class S, class F>
requires Record<S, JudgeAgreement>
void visit(S& a, F&& f) {
  f("previous_model", a.previous_model);
  f("n", a.n);
  f("percent", a.percent);
  f("kappa", a.kappa);
}

template <class S, class F>
requires Record<S, CellJudge>
void visit(S& c, F&& f) {
  f("model", c.model);
  f("backend_fingerprint", c.backend_fingerprint);
  f("parser", c.parser);
  f("prompt_file", c.prompt_file);
  f("prompt_sha256", c.prompt_sha256);
  f("runs", c.runs);
  f("requests", c.requests);
  f("resumed", c.resumed);
  f("cached", c.cached);
  f("failed", c.failed);
  f("reasks", c.reasks);
  f("unparsed", c.unparsed);
  f("log_file", c.log_file);
  f("usage", c.usage);
  f("agreement", c.agreement, omit_empty);
}

template <class S, class F>
requires Record<S, Cell>
void visit(S& c, F&& f) {
  f("model", c.model, required);
  f("task", c.task, required);
  f("outcome", c.outcome, required);
  f("message", c.message);
  f("max_error_rate", c.max_error_rate);
  f("backend_fingerprint", c.backend_fingerprint);
  f("dataset", c.dataset);
  f("counts", c.counts);
  f("usage", c.usage);
  f("scores", c.scores);
  f("wall_seconds", c.wall_seconds);
  f("scores_file", c.scores_file);
  f("submission_file", c.submission_file, omit_empty);
  f("judge", c.judge, omit_empty);
  f("replicas", c.replicas, omit_empty);
}

template <class S, class F>
requires Record<S, RunRecord>
void visit(S& r, F&& f) {
  f("schema_version", r.schema_version, required);
  f("tool", r.tool);
  f("host", r.host);
  f("run_name", r.run_name);
  f("config_path", r.config_path);
  f("config_sha256", r.config_sha256);
  f("resolved_config", r.resolved_config);
  f("seed", r.seed);
  f("concurrency", r.concurrency);
  f("selection", r.selection);
  f("status", r.status);
  f("started_at", r.started_at);
  f("finished_at", r.finished_at);
  f("wall_seconds", r.wall_seconds);
  f("resume_count", r.resume_count);
  f("predictions_file", r.predictions_file);
  f("cells", r.cells);
  f("merged_from", r.merged_from, omit_empty);
  f("gpu", r.gpu, omit_empty);
  f("perf", r.perf, omit_empty);
  f("train_cost", r.train_cost, omit_empty);
}

// Found by argument-dependent lookup from nlohmann's templates for the nested records.
LMMBENCH_JSON_FIELDS(ToolInfo)
LMMBENCH_JSON_FIELDS(HostInfo)
LMMBENCH_JSON_FIELDS(SampleCounts)
LMMBENCH_JSON_FIELDS(DatasetInfo)
LMMBENCH_JSON_FIELDS(ShardSource)
LMMBENCH_JSON_FIELDS(CellReplica)
LMMBENCH_JSON_FIELDS(Selection)
LMMBENCH_JSON_FIELDS(CellUsage)
LMMBENCH_JSON_FIELDS(JudgeAgreement)
LMMBENCH_JSON_FIELDS(CellJudge)
LMMBENCH_JSON_FIELDS(Cell)

namespace {

int schema_version_of(const nlohmann::json& j) {
  if (!j.is_object() || !j.contains("schema_version") ||
      !j.at("schema_version").is_number_integer()) {
    throw InputError(Location{"", 0, "/schema_version"},
                     "not an lmmbench run record (no integer schema_version)");
  }
  const int version = j.at("schema_version").get<int>();
  if (version < 1 || version > kRunRecordSchemaVersion) {
    throw InputError(Location{"", 0, "/schema_version"},
                     fmt::format("run record schema version {} is not readable by this lmmbench, "
                                 "which reads versions 1 to {}",
                                 version, kRunRecordSchemaVersion));
  }
  return version;
}

/// Version 1 named the GPU section's costs in words; version 2 uses the perf section's scheme.
void migrate_v1_to_v2(nlohmann::json& j) {
  static constexpr std::array<std::pair<const char*, const char*>, 4> kRenamed{{
      {"usd_per_million_output_tokens", "usd_per_1m_output_tokens"},
      {"measured_usd_per_million_output_tokens", "measured_usd_per_1m_output_tokens"},
      {"usd_per_thousand_images", "usd_per_1k_images"},
      {"measured_usd_per_thousand_images", "measured_usd_per_1k_images"},
  }};
  const auto gpu = j.find("gpu");
  if (gpu != j.end() && gpu->is_object() && gpu->contains("models") &&
      (*gpu)["models"].is_array()) {
    for (auto& model : (*gpu)["models"]) {
      if (!model.is_object() || !model.contains("batches") || !model["batches"].is_array()) {
        continue;
      }
      for (auto& batch : model["batches"]) {
        if (!batch.is_object()) continue;
        for (const auto& [old_key, new_key] : kRenamed) {
          const auto it = batch.find(old_key);
          if (it == batch.end()) continue;
          batch[new_key] = std::move(*it);
          batch.erase(old_key);
        }
      }
    }
  }
  j["schema_version"] = 2;
}

}  // namespace

nlohmann::json migrate_run_record(nlohmann::json j) {
  const int version = schema_version_of(j);
  if (version < 2) migrate_v1_to_v2(j);
  return j;
}

void to_json(nlohmann::json& j, const RunRecord& r) {
  json_fields::write(j, r);
}

void from_json(const nlohmann::json& j, RunRecord& r) {
  if (schema_version_of(j) < kRunRecordSchemaVersion) {
    json_fields::read(migrate_run_record(j), r);
  } else {
    json_fields::read(j, r);
  }
}

}  // namespace lmmbench::reports
