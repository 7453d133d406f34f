// `lmmbench k8s` and `lmmbench slurm` without a cluster. `lmmbench k8s`: the Indexed Job and the
// merge Job validate against the Kubernetes batch/v1 Job schema (vendored in tests/fixtures/k8s,
// read back by PyYAML and checked by python3-jsonschema in tests/k8s/validate_job.py, with what the
// Job controller needs beyond the schema), and carry the shard plan: index from
// JOB_COMPLETION_INDEX, every shard resumable on one shared volume, the merge of every shard. No
// cluster runs here.
#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

const auto kQuickstart = kSource / "configs/runs/quickstart.json";
const auto kSchema = kSource / "tests/fixtures/k8s/job-batch-v1.schema.json";
const auto kValidator = kSource / "tests/k8s/validate_job.py";

/// validate_job.py on `manifest`: exit 0 and "ok: N Jobs", or 1 and the problems.
ProcessResult validate(const std::filesystem::path& manifest) {
  return run_process({LMMBENCH_PYTHON, kValidator.string(), kSchema.string(), manifest.string()});
}

class K8s : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto probe = run_process({LMMBENCH_PYTHON, "-c", "import jsonschema, yaml"});
    if (probe.exit_code != 0)
      GTEST_SKIP() << "python3-jsonschema or python3-yaml missing: scripts/install-deps.sh --test";
  }
  /// Runs `lmmbench k8s` with `args` after the config; writes its stdout to a file.
  std::filesystem::path render(const std::vector<std::string>& args, const std::string& file) {
    std::vector<std::string> argv = {"k8s", kQuickstart.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = lmmbench(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto path = dir_.path() / file;
    write_text(path, r.out);
    return path;
  }
  TempDir dir_;
};

TEST_F(K8s, ManifestsValidateAgainstTheJobSchemaAsYamlAndJson) {
  const std::vector<std::string> args = {"--shards",
                                         "4",
                                         "--image",
                                         "registry.example/lmmbench:0.1",
                                         "--cpu",
                                         "4",
                                         "--memory",
                                         "16Gi",
                                         "--gpus-per-shard",
                                         "1",
                                         "--env-secret",
                                         "api-keys",
                                         "--namespace",
                                         "evals",
                                         "--parallelism",
                                         "2"};
  const auto yaml = render(args, "jobs.yaml");
  auto json_args = args;
  json_args.insert(json_args.end(), {"--format", "json"});
  const auto json = render(json_args, "jobs.json");
  for (const auto& manifest : {yaml, json}) {
    const auto r = validate(manifest);
    EXPECT_EQ(r.exit_code, 0) << manifest << '\n' << r.out << r.err;
    EXPECT_EQ(r.out, "ok: 2 Jobs\n") << r.out << r.err;
  }
  // The YAML, read by PyYAML, is the JSON: every string stays a string, quotes and all.
  const auto read_back = run_process(
      {LMMBENCH_PYTHON, "-c",
       "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
       yaml.string()});
  ASSERT_EQ(read_back.exit_code, 0) << read_back.err;
  EXPECT_EQ(nlohmann::json::parse(read_back.out), nlohmann::json::parse(read_text(json))["items"]);
}

TEST_F(K8s, TheIndexedJobRunsEveryShardResumablyOnTheVolumeAndTheMergeJobMergesThem) {
  const auto list = nlohmann::json::parse(
      read_text(render({"--shards", "3", "--image", "img:1", "--pod-config",
                        "/opt/configs/quickstart.json", "--claim", "eval-runs", "--mount-path",
                        "/data", "--models", "oracle,prior", "--limit", "20", "--format", "json"},
                       "jobs.json")));
  ASSERT_EQ(list["items"].size(), 2u);
  const auto& shards = list["items"][0];
  const auto& merge = list["items"][1];

  EXPECT_EQ(shards["metadata"]["name"], "lmmbench-quickstart-shards");
  EXPECT_EQ(shards["spec"]["completionMode"], "Indexed");
  EXPECT_EQ(shards["spec"]["completions"], 3);
  const auto& pod = shards["spec"]["template"]["spec"];
  const auto& container = pod["containers"][0];
  const std::vector<std::string> run_args = {
      "run",
      "/opt/configs/quickstart.json",
      "--shard",
      "$(JOB_COMPLETION_INDEX)/3",
      "--resume",
      "--out",
      "/data/lmmbench-quickstart/shards/$(JOB_COMPLETION_INDEX)",
      "--models",
      "oracle,prior",
      "--limit",
      "20",
      "--quiet"};
  EXPECT_EQ(container["args"], run_args);
  EXPECT_EQ(container["env"][0]["name"], "JOB_COMPLETION_INDEX");
  EXPECT_EQ(container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.annotations['batch.kubernetes.io/job-completion-index']");
  EXPECT_EQ(container["volumeMounts"][0]["mountPath"], "/data");
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "eval-runs");
  // A pod that failed is replaced by one with the same index, which resumes the same directory.
  EXPECT_EQ(pod["restartPolicy"], "Never");

  EXPECT_EQ(merge["metadata"]["name"], "lmmbench-quickstart-merge");
  EXPECT_EQ(merge["spec"]["suspend"], true);
  const auto& merge_pod = merge["spec"]["template"]["spec"];
  const std::vector<std::string> merge_args = {"merge",
                                               "/data/lmmbench-quickstart/shards/0",
                                               "/data/lmmbench-quickstart/shards/1",
                                               "/data/lmmbench-quickstart/shards/2",
                                               "--out",
                                               "/data/lmmbench-quickstart/merged",
                                               "--config",
                                               "/opt/configs/quickstart.json"};
  EXPECT_EQ(merge_pod["containers"][0]["args"], merge_args);
  EXPECT_EQ(merge_pod["volumes"], pod["volumes"]);
}

TEST_F(K8s, DollarSignsInPathsAreNotExpandedByTheKubelet) {
  const auto list = nlohmann::json::parse(
      read_text(render({"--shards", "2", "--image", "img:1", "--pod-config",
                        "/cfg/$(HOME)/run.json", "--out", "/runs/a$b", "--format", "json"},
                       "jobs.json")));
  const auto& args = list["items"][0]["spec"]["template"]["spec"]["containers"][0]["args"];
  EXPECT_EQ(args[1], "/cfg/$$(HOME)/run.json");
  EXPECT_EQ(args[6], "/runs/a$$b/shards/$(JOB_COMPLETION_INDEX)");
  const auto& merge_args = list["items"][1]["spec"]["template"]["spec"]["containers"][0]["args"];
  EXPECT_EQ(merge_args[1], "/runs/a$$b/shards/0");
}

TEST_F(K8s, TheValidatorRefusesWhatTheApiServerWould) {
  // The check is not vacuous: an unknown field, a missing required one, a wrong type, a mount of
  // no volume and an Indexed Job without completions are each reported.
  auto list = nlohmann::json::parse(
      read_text(render({"--shards", "2", "--image", "img:1", "--format", "json"}, "jobs.json")));
  auto& job = list["items"][0];
  job["spec"]["completionsMode"] = "Indexed";
  job["spec"].erase("completions");
  job["spec"]["parallelism"] = "2";
  auto& container = job["spec"]["template"]["spec"]["containers"][0];
  container.erase("name");
  container["volumeMounts"][0]["name"] = "elsewhere";
  const auto broken = dir_.path() / "broken.json";
  write_text(broken, list.dump());
  const auto r = validate(broken);
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  for (const auto* problem :
       {"'completionsMode' was unexpected", "'name' is a required property",
        "spec/parallelism: '2' is not of type", "mounts 'elsewhere': no such volume",
        "Indexed Job without spec.completions"}) {
    EXPECT_NE(r.out.find(problem), std::string::npos) << problem << '\n' << r.out;
  }
}

TEST_F(K8s, RefusesValuesTheApiWouldRefuseWithExit2) {
  const auto refused = [&](const std::vector<std::string>& extra, const std::string& field) {
    std::vector<std::string> argv = {"k8s", kQuickstart.string(), "--shards", "2"};
    if (field != "--image") argv.insert(argv.end(), {"--image", "img:1"});
    argv.insert(argv.end(), extra.begin(), extra.end());
    const auto r = lmmbench(argv);
    EXPECT_EQ(r.exit_code, 2) << field << r.out;
    EXPECT_NE(r.err.find(field), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  };
  refused({"--memory", "lots"}, "--memory");
  refused({"--cpu", "4 cores"}, "--cpu");
  refused({"--claim", "Runs_PVC"}, "--claim");
  refused({"--namespace", "Evals"}, "--namespace");
  refused({"--out", "/elsewhere/run"}, "--out");
  refused({"--mount-path", "runs"}, "--mount-path");
  refused({"--image", "has space"}, "--image");
  refused({"--models", "orcale"}, "--models");
}

}  // namespace
}  // namespace lmmbench::testing

namespace lmmbench::testing {
namespace {

// `lmmbench slurm` without a Slurm (tests/slurm has the real one): what it writes, prints and
// submits, and what it refuses before writing anything.
class SlurmCli : public ::testing::Test {
 protected:
  TempDir dir_;
  std::filesystem::path out_ = dir_.path() / "job dir";
};

TEST_F(SlurmCli, WritesTheScriptsAndSaysHowToSubmitThem) {
  const auto r = lmmbench({"slurm", kQuickstart.string(), "--shards", "3", "--out", out_.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto* file : {"array.sbatch", "merge.sbatch", "submit.sh"})
    EXPECT_TRUE(std::filesystem::exists(out_ / "slurm" / file)) << file;
  EXPECT_TRUE(std::filesystem::is_directory(out_ / "slurm/logs"));  // sbatch opens logs there
  EXPECT_NE(std::filesystem::status(out_ / "slurm/submit.sh").permissions() &
                std::filesystem::perms::owner_exec,
            std::filesystem::perms::none);
  EXPECT_NE(r.out.find("Submit with: '" + (out_ / "slurm/submit.sh").string() + "'"),
            std::string::npos)
      << r.out;
  // The scripts run this binary on the config by absolute path.
  const auto array = read_text(out_ / "slurm/array.sbatch");
  EXPECT_NE(array.find("exec '" + std::filesystem::canonical(kBinary).string() + "' run '" +
                       kQuickstart.lexically_normal().string() + "'"),
            std::string::npos)
      << array;
}

TEST_F(SlurmCli, PrintWritesNothing) {
  const auto r =
      lmmbench({"slurm", kQuickstart.string(), "--shards", "2", "--out", out_.string(), "--print"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("#SBATCH --array=0-1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("# ==> " + (out_ / "slurm/merge.sbatch").string() + " <=="),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out_));
}

TEST_F(SlurmCli, SubmitRecordsTheJobIdsSbatchPrinted) {
  const auto sbatch = dir_.path() / "sbatch";
  const auto calls = dir_.path() / "calls.txt";
  // A stand-in for sbatch: the array gets 500, the merge 501 (with a cluster name, as
  // `--parsable` prints on a federation).
  write_text(sbatch, "#!/bin/sh\necho \"$@\" >> '" + calls.string() +
                         "'\ncase \"$*\" in *afterok*) echo '501;cl';; *) echo 500;; esac\n");
  std::filesystem::permissions(sbatch, std::filesystem::perms::owner_all);
  const auto r = lmmbench({"slurm", kQuickstart.string(), "--shards", "3", "--out", out_.string(),
                           "--submit", "--sbatch", sbatch.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("Submitted array job 500 (3 shards) and merge job 501 (afterok:500)"),
            std::string::npos)
      << r.out;
  const auto ids = nlohmann::json::parse(read_text(out_ / "slurm/submitted.json"));
  EXPECT_EQ(ids, (nlohmann::json{{"array_job", "500"}, {"merge_job", "501"}, {"shards", 3}}));
  EXPECT_NE(read_text(calls).find("--dependency=afterok:500 --kill-on-invalid-dep=yes"),
            std::string::npos);
}

TEST_F(SlurmCli, RefusesBadInputWithExit2BeforeWritingAnything) {
  const auto refused = [&](const std::vector<std::string>& args, const std::string& reason) {
    std::vector<std::string> argv = {"slurm"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto r = lmmbench(argv);
    EXPECT_EQ(r.exit_code, 2) << reason << r.out;
    EXPECT_NE(r.err.find(reason), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out_)) << reason;
  };
  const std::string q = kQuickstart.string();
  refused({q, "--shards", "3", "--out", out_.string(), "--time", "1 day"}, "--time");
  refused({q, "--shards", "3", "--out", out_.string(), "--models", "orcale"}, "did you mean");
  refused({q, "--shards", "0", "--out", out_.string()}, "--shards");
  refused({q, "--shards", "3", "--out", out_.string(), "--print", "--submit"}, "excludes");
  const auto bad = dir_.path() / "bad.json";
  write_text(bad, "{\"name\": \"x\", \"models\": [], \"tasks\": [], \"seeed\": 1}");
  refused({bad.string(), "--shards", "3", "--out", out_.string()}, "bad.json:1: field /output_dir");
}

}  // namespace
}  // namespace lmmbench::testing
