#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/shard_plan.hpp"

namespace lmmbench::harness {

/// `lmmbench k8s` options. Paths in `plan` are as the pods see them: `plan.config` in the image or
/// on the volume, `plan.out` under `mount_path`.
struct K8sOptions {
  ShardPlan plan;
  std::string image;
  std::string lmmbench = "lmmbench";    ///< The command in the image.
  std::string claim = "lmmbench-runs";  ///< The PersistentVolumeClaim every pod mounts.
  std::filesystem::path mount_path = "/runs";
  std::string namespace_name;      ///< Empty: kubectl's current namespace.
  std::size_t parallelism = 0;     ///< Shards running at once; 0: all.
  std::size_t backoff_limit = 6;   ///< Failed pods, all shards together, before the Job fails.
  std::size_t gpus_per_shard = 0;  ///< nvidia.com/gpu.
  std::string cpu;                 ///< Per shard, a Kubernetes quantity ("4", "500m").
  std::string memory;              ///< Per shard ("16Gi").
  std::vector<std::string> env_secrets;  ///< Secrets whose keys become environment variables.
};

/// The two Jobs: an Indexed Job with one completion per shard (the index from
/// JOB_COMPLETION_INDEX) and a merge Job created suspended, to be resumed when the first one is
/// complete. Built as JSON values (the API objects). Throws InputError for a value the API would
/// refuse (a name that is not a DNS-1123 name, a quantity that is not one, an --out outside the
/// mount path, a relative mount path).
std::vector<nlohmann::json> render_k8s_jobs(const K8sOptions& options);

/// `value` as YAML: block mappings and sequences; every string a double-quoted (JSON) scalar so no
/// string is read back as a number, a boolean or null.
std::string to_yaml(const nlohmann::json& value);

/// `text` with every '$' doubled: Kubernetes expands $(VAR) in a container's command and args, and
/// $$ is a literal '$'.
std::string escape_k8s_expansion(const std::string& text);

}  // namespace lmmbench::harness
