// `lmmbench slurm`'s scripts: what they run, and that no path or name can inject a shell command
// or an #SBATCH directive. The scripts are executed by bash with a fake lmmbench and a fake sbatch
// that record the arguments they were given (the real Slurm runs them in tests/slurm).
#include <fstream>

#include <gtest/gtest.h>

#include "../e2e/process.hpp"
#include "core/error.hpp"
#include "harness/slurm.hpp"

namespace lmmbench::harness {
namespace {

using lmmbench::testing::read_text;
using lmmbench::testing::run_process;
using lmmbench::testing::TempDir;
using lmmbench::testing::write_text;

/// A program that writes its arguments, one per line, to the file `record`.
std::filesystem::path fake_program(const std::filesystem::path& dir, const std::string& name,
                                   const std::filesystem::path& record,
                                   const std::string& stdout_text = "") {
  const auto path = dir / name;
  write_text(path, "#!/bin/bash\nprintf '%s\\n' \"$@\" >> " + shell_quote(record.string()) +
                       "\nprintf '" + stdout_text + "'\n");
  std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  return path;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1)
    out.push_back(text.substr(start, end - start));
  return out;
}

class SlurmScripts : public ::testing::Test {
 protected:
  void SetUp() override {
    // Every character a shell or sbatch treats specially, in the paths the scripts carry.
    hostile_ = dir_.path() / "a b'c\"d $(touch PWNED) `touch PWNED`;touch PWNED #%j%";
    std::filesystem::create_directories(hostile_);
    options_.plan.config = hostile_ / "run config.json";
    options_.plan.run_name = "quick.start_v2";
    options_.plan.shard_count = 3;
    options_.plan.out = hostile_ / "job dir";
    options_.plan.models = {"oracle", "prior"};
    options_.plan.limit = 7;
    options_.lmmbench = fake_program(hostile_, "lmm bench", record_);
  }

  /// Runs `script` with bash in `dir_` (so a command injected as "touch PWNED" would land there).
  void run_script(const std::string& script, const std::vector<std::string>& env = {}) {
    const auto path = dir_.path() / "script.sh";
    write_text(path, script);
    std::vector<std::string> argv = {"/usr/bin/env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {"/bin/bash", path.string()});
    const auto r = run_process(argv, dir_.path());
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }

  void expect_nothing_injected() {
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_.path()))
      EXPECT_NE(entry.path().filename(), "PWNED") << "a path ran a command";
  }

  TempDir dir_;
  std::filesystem::path hostile_;
  std::filesystem::path record_ = dir_.path() / "args.txt";
  SlurmOptions options_;
};

TEST_F(SlurmScripts, ArrayElementRunsItsShardResumablyWithTheExactArguments) {
  const auto scripts = render_slurm_scripts(options_);
  EXPECT_NE(scripts.array.find("#SBATCH --array=0-2\n"), std::string::npos) << scripts.array;
  EXPECT_NE(scripts.array.find("#SBATCH --requeue\n"), std::string::npos);
  EXPECT_NE(scripts.array.find("#SBATCH --open-mode=append\n"), std::string::npos);
  EXPECT_NE(scripts.array.find("#SBATCH --job-name=lmmbench-quick-start-v2-shards\n"),
            std::string::npos);
  run_script(scripts.array, {"SLURM_ARRAY_TASK_ID=1"});
  const std::vector<std::string> expected = {"run",
                                             options_.plan.config.string(),
                                             "--shard",
                                             "1/3",
                                             "--resume",
                                             "--out",
                                             (options_.plan.out / "shards" / "1").string(),
                                             "--models",
                                             "oracle,prior",
                                             "--limit",
                                             "7",
                                             "--quiet"};
  EXPECT_EQ(lines(read_text(record_)), expected);
  expect_nothing_injected();
}

TEST_F(SlurmScripts, ArrayScriptRefusesToRunOutsideAnArray) {
  const auto path = dir_.path() / "array.sh";
  write_text(path, render_slurm_scripts(options_).array);
  const auto r =
      run_process({"/usr/bin/env", "-u", "SLURM_ARRAY_TASK_ID", "/bin/bash", path.string()});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("not run as an element of a Slurm job array"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(record_));
}

TEST_F(SlurmScripts, MergeJobMergesEveryShardIntoMerged) {
  run_script(render_slurm_scripts(options_).merge);
  const auto shards = options_.plan.out / "shards";
  const std::vector<std::string> expected = {"merge",
                                             (shards / "0").string(),
                                             (shards / "1").string(),
                                             (shards / "2").string(),
                                             "--out",
                                             (options_.plan.out / "merged").string(),
                                             "--config",
                                             options_.plan.config.string()};
  EXPECT_EQ(lines(read_text(record_)), expected);
  expect_nothing_injected();
}

TEST_F(SlurmScripts, SubmitScriptMakesTheMergeDependOnTheArray) {
  const auto sbatch_record = dir_.path() / "sbatch.txt";
  const auto bin = dir_.path() / "bin";
  std::filesystem::create_directories(bin);
  fake_program(bin, "sbatch", sbatch_record, "4242;cluster\\n");
  run_script(render_slurm_scripts(options_).submit, {"PATH=" + bin.string() + ":/usr/bin:/bin"});
  const auto slurm = options_.plan.out / "slurm";
  const std::vector<std::string> expected = {"--parsable",
                                             (slurm / "array.sbatch").string(),
                                             "--parsable",
                                             "--dependency=afterok:4242",
                                             "--kill-on-invalid-dep=yes",
                                             (slurm / "merge.sbatch").string()};
  EXPECT_EQ(lines(read_text(sbatch_record)), expected);
  expect_nothing_injected();
}

TEST_F(SlurmScripts, DirectivesQuoteValuesAndKeepPercentLiteralInLogNames) {
  options_.partition = "gpu,gpu-large";
  options_.account = "proj_1";
  options_.time = "1-12:00:00";
  options_.mem = "32G";
  options_.gpus_per_shard = 2;
  options_.cpus_per_shard = 8;
  options_.max_parallel = 2;
  options_.sbatch_options = {"--constraint=a100&ib", "--exclusive"};
  const auto scripts = render_slurm_scripts(options_);
  for (const auto* line :
       {"#SBATCH --array=0-2%2\n", "#SBATCH --gres=gpu:2\n", "#SBATCH --cpus-per-task=8\n",
        "#SBATCH --mem=32G\n", "#SBATCH --time=1-12:00:00\n",
        "#SBATCH --partition=\"gpu,gpu-large\"\n", "#SBATCH --account=\"proj_1\"\n",
        "#SBATCH --constraint=\"a100&ib\"\n", "#SBATCH --exclusive\n"}) {
    EXPECT_NE(scripts.array.find(line), std::string::npos) << line << scripts.array;
  }
  // sbatch reads \" and \\ inside quotes; %% is a literal % in a file name pattern.
  const std::string logs =
      R"(a b'c\"d $(touch PWNED) `touch PWNED`;touch PWNED #%%j%%/job dir/slurm/logs/shard-%a.out")";
  EXPECT_NE(scripts.array.find(logs), std::string::npos) << scripts.array;
  // The merge job needs no GPU and is not an array.
  EXPECT_EQ(scripts.merge.find("--gres"), std::string::npos);
  EXPECT_EQ(scripts.merge.find("--array"), std::string::npos);
  EXPECT_NE(scripts.merge.find("#SBATCH --partition=\"gpu,gpu-large\"\n"), std::string::npos);
}

TEST_F(SlurmScripts, RefusesValuesSlurmCannotTake) {
  const auto refused = [&](auto change, const std::string& field) {
    SlurmOptions options = options_;
    change(options);
    try {
      render_slurm_scripts(options);
      ADD_FAILURE() << "accepted a bad " << field;
    } catch (const InputError& e) {
      EXPECT_EQ(e.where().field, field) << e.what();
    }
  };
  refused([](SlurmOptions& o) { o.time = "1 day"; }, "--time");
  refused([](SlurmOptions& o) { o.mem = "lots"; }, "--mem");
  refused([](SlurmOptions& o) { o.partition = "gpu\n#SBATCH --uid=0"; }, "--partition");
  refused([](SlurmOptions& o) { o.partition = "gpu large"; }, "--partition");
  refused([](SlurmOptions& o) { o.sbatch_options = {"constraint=a100"}; }, "--sbatch-option");
  refused([](SlurmOptions& o) { o.sbatch_options = {"--x; rm -rf /"}; }, "--sbatch-option");
  refused([](SlurmOptions& o) { o.plan.out = "/tmp/a\nb"; }, "--out");
  refused([](SlurmOptions& o) { o.plan.out = "/tmp/back\\slash"; }, "--out");
  refused([](SlurmOptions& o) { o.plan.config = "/tmp/x\n.json"; }, "CONFIG");
}

TEST(JobName, IsAValidSlurmAndKubernetesName) {
  EXPECT_EQ(job_name("quickstart", "shards", 63), "lmmbench-quickstart-shards");
  EXPECT_EQ(job_name("My Run.v2__x", "merge", 63), "lmmbench-my-run-v2-x-merge");
  const auto long_name = job_name(std::string(100, 'a'), "shards", 63);
  EXPECT_EQ(long_name.size(), 63u);
  EXPECT_EQ(long_name.substr(long_name.size() - 7), "-shards");
  EXPECT_EQ(job_name(std::string(60, '.'), "", 20), "lmmbench");
}

TEST(SbatchJobId, IsTheParsableOutputsFirstField) {
  EXPECT_EQ(parse_sbatch_job_id("1234\n"), "1234");
  EXPECT_EQ(parse_sbatch_job_id("1234;cluster-a\n"), "1234");
  EXPECT_THROW(parse_sbatch_job_id("Submitted batch job 1234\n"), Error);
  EXPECT_THROW(parse_sbatch_job_id(""), Error);
}

TEST(SubmitSlurmJobs, SubmitsTheArrayThenTheMergeAfterOkAndReportsFailures) {
  TempDir dir;
  const auto record = dir.path() / "args.txt";
  const auto sbatch = fake_program(dir.path(), "sbatch", record, "77\\n");
  const auto [array, merge] = submit_slurm_jobs(sbatch, "/j/array.sbatch", "/j/merge.sbatch");
  EXPECT_EQ(array, "77");
  EXPECT_EQ(merge, "77");
  const std::vector<std::string> expected = {"--parsable",
                                             "/j/array.sbatch",
                                             "--parsable",
                                             "--dependency=afterok:77",
                                             "--kill-on-invalid-dep=yes",
                                             "/j/merge.sbatch"};
  EXPECT_EQ(lines(read_text(record)), expected);

  const auto failing = dir.path() / "sbatch-failing";
  write_text(failing, "#!/bin/sh\necho 'sbatch: error: invalid partition' >&2\nexit 1\n");
  std::filesystem::permissions(failing, std::filesystem::perms::owner_all);
  try {
    submit_slurm_jobs(failing, "/j/array.sbatch", "/j/merge.sbatch");
    ADD_FAILURE() << "a failed sbatch was not reported";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("exit status 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(submit_slurm_jobs(dir.path() / "no-such-sbatch", "/a", "/b"), Error);
}

}  // namespace
}  // namespace lmmbench::harness
