#include <iostream>
#include <memory>

#include "harness/cli_commands.hpp"
#include "harness/k8s.hpp"

namespace lmmbench::harness {

namespace {

struct K8sArguments {
  K8sOptions options;
  std::string config;
  std::size_t shards = 0;
  std::string pod_config;
  std::string out;
  std::string models;
  std::string tasks;
  std::size_t limit = 0;
  std::string format = "yaml";
};

int k8s_command(K8sArguments& args) {
  K8sOptions& options = args.options;
  // The config is read here to check it and name the Jobs; the pods read it at --pod-config.
  options.plan = plan_shards(args.config, args.shards, ".", split_list(args.models),
                             split_list(args.tasks), args.limit);
  options.plan.config = args.pod_config.empty() ? args.config : args.pod_config;
  options.plan.out = args.out.empty() ? options.mount_path / job_name(options.plan.run_name, "", 40)
                                      : std::filesystem::path(args.out);
  const auto jobs = render_k8s_jobs(options);
  if (args.format == "json") {
    const nlohmann::json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", jobs}};
    std::cout << list.dump(2) << '\n';
  } else {
    for (const auto& job : jobs)
      std::cout << "---\n" << to_yaml(job);
  }
  return kExitOk;
}

}  // namespace

Command add_k8s_command(CLI::App& app) {
  auto args = std::make_shared<K8sArguments>();
  auto* cmd = app.add_subcommand(
      "k8s",
      "Print Kubernetes manifests: an Indexed Job, one completion per shard of `run --shard I/N "
      "--resume` on a shared volume, and a suspended merge Job (docs/scale.md)");
  cmd->add_option("config", args->config, "Run config (JSON), read here to check it")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--shards", args->shards, "Number of shards (completions)")
      ->required()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--image", args->options.image, "Container image with lmmbench")->required();
  cmd->add_option("--pod-config", args->pod_config,
                  "The run config's path in the pods (default: CONFIG as given)");
  cmd->add_option("--claim", args->options.claim,
                  "PersistentVolumeClaim (ReadWriteMany) for the run directory")
      ->capture_default_str();
  cmd->add_option("--mount-path", args->options.mount_path, "Where the pods mount it")
      ->capture_default_str();
  cmd->add_option("--out", args->out,
                  "Job directory in the pods, on the volume (default: MOUNT/lmmbench-<name>)");
  cmd->add_option("--namespace", args->options.namespace_name, "Namespace of the Jobs");
  cmd->add_option("--parallelism", args->options.parallelism, "Shards running at once");
  cmd->add_option("--backoff-limit", args->options.backoff_limit,
                  "Failed pods before the shards' Job fails")
      ->capture_default_str();
  cmd->add_option("--gpus-per-shard", args->options.gpus_per_shard, "nvidia.com/gpu per shard");
  cmd->add_option("--cpu", args->options.cpu, "CPU per shard (quantity: 4, 500m)");
  cmd->add_option("--memory", args->options.memory, "Memory per shard (quantity: 16Gi)");
  cmd->add_option("--env-secret", args->options.env_secrets,
                  "Secret whose keys become environment variables (API keys; repeatable)");
  cmd->add_option("--models", args->models, "Comma-separated model names every shard runs");
  cmd->add_option("--tasks", args->tasks, "Comma-separated task names every shard runs");
  cmd->add_option("--limit", args->limit, "First N samples of each task")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--lmmbench", args->options.lmmbench, "The lmmbench command in the image")
      ->capture_default_str();
  cmd->add_option("--format", args->format, "yaml (documents) or json (a v1 List)")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  return Command{cmd, [args] { return k8s_command(*args); }};
}

}  // namespace lmmbench::harness
