#include "harness/k8s.hpp"

#include <regex>

#include <fmt/format.h>

#include "core/error.hpp"

namespace lmmbench::harness {

namespace {

// Kubernetes names: DNS-1123 labels (namespaces, container names) and subdomains (PVCs, secrets),
// https://kubernetes.io/docs/concepts/overview/working-with-objects/names/
const std::regex kDnsLabel("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
const std::regex kDnsSubdomain("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");
// A resource quantity in its common forms (k8s.io/apimachinery/pkg/api/resource: a decimal number
// and a binary, decimal-SI or milli suffix).
const std::regex kQuantity("[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?");

void require(const std::string& value, const std::regex& pattern, const std::string& field,
             const std::string& expected) {
  if (!std::regex_match(value, pattern))
    throw InputError(Location{"", 0, field}, fmt::format("'{}' is not {}", value, expected));
}

nlohmann::json labels(const std::string& instance, const std::string& component) {
  return {{"app.kubernetes.io/name", "lmmbench"},
          {"app.kubernetes.io/instance", instance},
          {"app.kubernetes.io/component", component}};
}

nlohmann::json escaped(const std::vector<std::string>& words) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& w : words)
    out.push_back(escape_k8s_expansion(w));
  return out;
}

/// A Job of one container that mounts the run volume (and the --env-secret Secrets when
/// `with_secrets`: the merge never queries a model); `spec` adds to its spec.
nlohmann::json job(const K8sOptions& options, const std::string& name, const std::string& instance,
                   const std::string& component, nlohmann::json args, nlohmann::json resources,
                   nlohmann::json env, bool with_secrets, nlohmann::json spec) {
  nlohmann::json container = {
      {"name", "lmmbench"},
      {"image", options.image},
      {"command", nlohmann::json::array({options.lmmbench})},
      {"args", std::move(args)},
      {"volumeMounts", {{{"name", "runs"}, {"mountPath", options.mount_path.string()}}}}};
  if (!env.empty()) container["env"] = std::move(env);
  if (with_secrets && !options.env_secrets.empty()) {
    nlohmann::json from = nlohmann::json::array();
    for (const auto& secret : options.env_secrets)
      from.push_back({{"secretRef", {{"name", secret}}}});
    container["envFrom"] = std::move(from);
  }
  if (!resources.empty()) container["resources"] = std::move(resources);

  nlohmann::json metadata = {{"name", name}, {"labels", labels(instance, component)}};
  if (!options.namespace_name.empty()) metadata["namespace"] = options.namespace_name;
  spec["template"] = {
      {"metadata", {{"labels", labels(instance, component)}}},
      {"spec",
       {{"restartPolicy", "Never"},
        {"containers", nlohmann::json::array({std::move(container)})},
        {"volumes",
         {{{"name", "runs"}, {"persistentVolumeClaim", {{"claimName", options.claim}}}}}}}}};
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata", std::move(metadata)},
          {"spec", std::move(spec)}};
}

void validate(const K8sOptions& options) {
  const ShardPlan& plan = options.plan;
  if (plan.shard_count == 0) throw InputError(Location{"", 0, "--shards"}, "must be at least 1");
  if (options.image.empty() || options.image.find_first_of(" \t\r\n") != std::string::npos) {
    throw InputError(Location{"", 0, "--image"},
                     fmt::format("'{}' is not a container image reference", options.image));
  }
  require(options.claim, kDnsSubdomain, "--claim", "a PersistentVolumeClaim name (DNS-1123)");
  if (!options.namespace_name.empty())
    require(options.namespace_name, kDnsLabel, "--namespace", "a namespace name (DNS-1123 label)");
  for (const auto& secret : options.env_secrets)
    require(secret, kDnsSubdomain, "--env-secret", "a Secret name (DNS-1123)");
  if (!options.cpu.empty()) require(options.cpu, kQuantity, "--cpu", "a Kubernetes quantity");
  if (!options.memory.empty())
    require(options.memory, kQuantity, "--memory", "a Kubernetes quantity (e.g. 16Gi)");
  if (!options.mount_path.is_absolute()) {
    throw InputError(Location{"", 0, "--mount-path"},
                     fmt::format("'{}' is not an absolute path", options.mount_path.string()));
  }
  const auto relative = plan.out.lexically_relative(options.mount_path);
  if (!plan.out.is_absolute() || relative.empty() || *relative.begin() == "..") {
    throw InputError(
        Location{"", 0, "--out"},
        fmt::format("'{}' is not on the run volume (under --mount-path {}): the shards and the "
                    "merge would not see each other's files",
                    plan.out.string(), options.mount_path.string()));
  }
}

}  // namespace

std::string escape_k8s_expansion(const std::string& text) {
  std::string out;
  for (const char c : text) {
    out += c;
    if (c == '$') out += '$';
  }
  return out;
}

std::vector<nlohmann::json> render_k8s_jobs(const K8sOptions& options) {
  validate(options);
  const ShardPlan& plan = options.plan;
  // An Indexed Job's pods are named and hostnamed "<job>-<index>", a DNS-1123 label: <= 63.
  const std::string instance = job_name(plan.run_name, "", 40);
  const std::string shards_name = instance + "-shards";
  const std::string merge_name = instance + "-merge";

  nlohmann::json resources;
  nlohmann::json requests;
  if (!options.cpu.empty()) requests["cpu"] = options.cpu;
  if (!options.memory.empty()) requests["memory"] = options.memory;
  if (!requests.empty()) resources["requests"] = requests;
  nlohmann::json limits = requests;
  if (options.gpus_per_shard > 0) limits["nvidia.com/gpu"] = std::to_string(options.gpus_per_shard);
  if (!limits.empty()) resources["limits"] = limits;

  // The controller sets JOB_COMPLETION_INDEX itself (Kubernetes >= 1.22); it is declared here too,
  // from the same annotation, so $(JOB_COMPLETION_INDEX) in args expands on older clusters as well.
  const nlohmann::json index_env = {
      {{"name", "JOB_COMPLETION_INDEX"},
       {"valueFrom",
        {{"fieldRef",
          {{"fieldPath", "metadata.annotations['batch.kubernetes.io/job-completion-index']"}}}}}}};
  const std::string index = "$(JOB_COMPLETION_INDEX)";
  nlohmann::json run_args = {"run",
                             escape_k8s_expansion(plan.config.string()),
                             "--shard",
                             fmt::format("{}/{}", index, plan.shard_count),
                             "--resume",
                             "--out",
                             escape_k8s_expansion(plan.shards_dir().string()) + "/" + index};
  for (const auto& word : plan.selection_arguments())
    run_args.push_back(escape_k8s_expansion(word));
  run_args.push_back("--quiet");

  const auto parallelism =
      options.parallelism > 0 ? std::min(options.parallelism, plan.shard_count) : plan.shard_count;
  std::vector<nlohmann::json> jobs;
  jobs.push_back(job(options, shards_name, instance, "shards", std::move(run_args), resources,
                     index_env, true,
                     {{"completionMode", "Indexed"},
                      {"completions", plan.shard_count},
                      {"parallelism", parallelism},
                      {"backoffLimit", options.backoff_limit}}));
  nlohmann::json merge_resources;
  if (!requests.empty()) merge_resources["requests"] = requests;
  // Created suspended: Kubernetes has no dependency between Jobs; resume it when the shards' Job
  // is complete (docs/scale.md). A merge started early refuses unfinished shards anyway.
  jobs.push_back(job(options, merge_name, instance, "merge", escaped(plan.merge_arguments()),
                     merge_resources, nlohmann::json(), false,
                     {{"completions", 1}, {"backoffLimit", 2}, {"suspend", true}}));
  return jobs;
}

namespace {

bool plain_key(const std::string& key) {
  static const std::regex plain("[A-Za-z_][A-Za-z0-9_./-]*");
  return std::regex_match(key, plain);
}

std::string scalar(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

void emit(const nlohmann::json& value, int indent, std::string& out);

/// After "key:" or "- ": a scalar or empty container on the same line, else a nested block.
void emit_value(const nlohmann::json& value, int indent, std::string& out) {
  const bool block = (value.is_object() || value.is_array()) && !value.empty();
  if (!block) {
    out += ' ' + (value.is_object() ? "{}" : value.is_array() ? "[]" : scalar(value)) + '\n';
    return;
  }
  out += '\n';
  emit(value, indent, out);
}

void emit(const nlohmann::json& value, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      out += pad + (plain_key(key) ? key : scalar(key)) + ':';
      emit_value(item, indent + 2, out);
    }
  } else if (value.is_array()) {
    for (const auto& item : value) {
      out += pad + '-';
      if (item.is_object() && !item.empty()) {
        // "- key: v" with the mapping's other keys aligned under the first.
        std::string nested;
        emit(item, indent + 2, nested);
        out += ' ' + nested.substr(static_cast<std::size_t>(indent) + 2);
      } else {
        emit_value(item, indent + 2, out);
      }
    }
  } else {
    out += pad + scalar(value) + '\n';
  }
}

}  // namespace

std::string to_yaml(const nlohmann::json& value) {
  std::string out;
  emit(value, 0, out);
  return out;
}

}  // namespace lmmbench::harness
