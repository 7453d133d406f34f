#include "harness/slurm.hpp"

#include <cerrno>
#include <cstring>
#include <regex>
#include <utility>

#include <fmt/format.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/build_info.hpp"
#include "core/error.hpp"

extern char** environ;  // NOLINT: POSIX

namespace lmmbench::harness {

namespace {

void refuse_line_breaks(const std::string& value, const std::string& what) {
  if (value.find_first_of(std::string("\n\r\0", 3)) != std::string::npos)
    throw InputError(Location{"", 0, what}, "holds a line break or NUL, which a job script cannot");
}

void require_match(const std::string& value, const std::regex& pattern, const std::string& what,
                   const std::string& expected) {
  if (!value.empty() && !std::regex_match(value, pattern)) {
    throw InputError(Location{"", 0, what}, fmt::format("'{}' is not {}", value, expected));
  }
}

/// One `#SBATCH` value: double-quoted, `\` and `"` escaped (sbatch's directive parser takes
/// quotes and backslash escapes; a `#` inside quotes is not a comment).
std::string directive_value(const std::string& value) {
  std::string out = "\"";
  for (const char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out + '"';
}

/// A path in an `#SBATCH --output` file name pattern: `%` doubled (Slurm expands %j, %a, …).
/// Slurm ignores every pattern of a name that holds a backslash, so such a name is refused.
std::string output_pattern(const std::filesystem::path& dir, const std::string& file) {
  const std::string text = dir.string();
  if (text.find('\\') != std::string::npos) {
    throw InputError(
        Location{"", 0, "--out"},
        fmt::format("'{}' holds a backslash, which Slurm's log file names cannot", text));
  }
  std::string escaped;
  for (const char c : text) {
    escaped += c;
    if (c == '%') escaped += '%';
  }
  return escaped + "/" + file;
}

std::string shell_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) {
    if (!out.empty()) out += ' ';
    out += shell_quote(word);
  }
  return out;
}

/// The `#SBATCH` lines both jobs share: where they run and as whom.
std::string common_directives(const SlurmOptions& options) {
  std::string out;
  if (!options.partition.empty())
    out += fmt::format("#SBATCH --partition={}\n", directive_value(options.partition));
  if (!options.account.empty())
    out += fmt::format("#SBATCH --account={}\n", directive_value(options.account));
  if (!options.qos.empty()) out += fmt::format("#SBATCH --qos={}\n", directive_value(options.qos));
  for (const auto& option : options.sbatch_options) {
    const auto eq = option.find('=');
    if (eq == std::string::npos) {
      out += fmt::format("#SBATCH {}\n", option);
    } else {
      out += fmt::format("#SBATCH {}={}\n", option.substr(0, eq),
                         directive_value(option.substr(eq + 1)));
    }
  }
  return out;
}

void validate(const SlurmOptions& options) {
  const ShardPlan& plan = options.plan;
  if (plan.shard_count == 0) throw InputError(Location{"", 0, "--shards"}, "must be at least 1");
  for (const auto& [value, what] :
       std::vector<std::pair<std::string, std::string>>{{plan.config.string(), "CONFIG"},
                                                        {plan.out.string(), "--out"},
                                                        {options.lmmbench.string(), "--lmmbench"},
                                                        {options.partition, "--partition"},
                                                        {options.account, "--account"},
                                                        {options.qos, "--qos"},
                                                        {options.time, "--time"},
                                                        {options.mem, "--mem"}}) {
    refuse_line_breaks(value, what);
  }
  static const std::regex name(R"([A-Za-z0-9_.,+-]+)");
  require_match(options.partition, name, "--partition", "a Slurm partition name (or list)");
  require_match(options.account, name, "--account", "a Slurm account name");
  require_match(options.qos, name, "--qos", "a Slurm QOS name");
  // sbatch(1), --time: "minutes", "minutes:seconds", "hours:minutes:seconds", "days-hours",
  // "days-hours:minutes" and "days-hours:minutes:seconds"; UNLIMITED and INFINITE too.
  static const std::regex time(
      R"(UNLIMITED|INFINITE|[0-9]+(:[0-9]+){0,2}|[0-9]+-[0-9]+(:[0-9]+){0,2})");
  require_match(options.time, time, "--time", "a Slurm time limit (e.g. 30, 4:00:00, 1-12:00:00)");
  // sbatch(1), --mem: a size with an optional unit suffix K, M, G or T.
  static const std::regex mem(R"([0-9]+[KMGTkmgt]?)");
  require_match(options.mem, mem, "--mem", "a Slurm memory size (e.g. 16000, 32G)");
  static const std::regex option(R"(--[A-Za-z][A-Za-z0-9-]*(=.*)?)");
  for (const auto& o : options.sbatch_options) {
    refuse_line_breaks(o, "--sbatch-option");
    require_match(o, option, "--sbatch-option", "an sbatch long option (--name or --name=value)");
  }
  for (const auto& word : plan.selection_arguments())
    refuse_line_breaks(word, "--models/--tasks");
}

}  // namespace

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

SlurmScripts render_slurm_scripts(const SlurmOptions& options) {
  validate(options);
  const ShardPlan& plan = options.plan;
  const auto logs = plan.out / "slurm" / "logs";
  const std::string header = fmt::format(
      "#!/bin/bash\n"
      "# Written by `lmmbench slurm` ({} {}) for the run config\n"
      "#   {}\n",
      build_info().version, build_info().git_revision, plan.config.string());

  SlurmScripts scripts;
  std::string& array = scripts.array;
  array = header;
  array +=
      "# One array element per shard. A requeued, pre-empted or restarted element resumes its\n"
      "# shard: `--resume` reuses every answer already in the shard's prediction log.\n";
  array += fmt::format("#SBATCH --job-name={}\n", job_name(plan.run_name, "shards", 128));
  array += fmt::format("#SBATCH --array=0-{}{}\n", plan.shard_count - 1,
                       options.max_parallel > 0 ? fmt::format("%{}", options.max_parallel) : "");
  array += "#SBATCH --ntasks=1\n";
  if (options.cpus_per_shard > 0)
    array += fmt::format("#SBATCH --cpus-per-task={}\n", options.cpus_per_shard);
  if (options.gpus_per_shard > 0)
    array += fmt::format("#SBATCH --gres=gpu:{}\n", options.gpus_per_shard);
  if (!options.mem.empty()) array += fmt::format("#SBATCH --mem={}\n", options.mem);
  if (!options.time.empty()) array += fmt::format("#SBATCH --time={}\n", options.time);
  array += common_directives(options);
  array +=
      fmt::format("#SBATCH --output={}\n", directive_value(output_pattern(logs, "shard-%a.out")));
  array += "#SBATCH --open-mode=append\n#SBATCH --requeue\n";
  array += "set -euo pipefail\n";
  array += "shard=\"${SLURM_ARRAY_TASK_ID:?not run as an element of a Slurm job array}\"\n";
  array += "echo \"lmmbench shard ${shard}/" + std::to_string(plan.shard_count) +
           ": job ${SLURM_JOB_ID:-?} on $(hostname), restart ${SLURM_RESTART_COUNT:-0}\"\n";
  std::vector<std::string> tail = plan.selection_arguments();
  tail.emplace_back("--quiet");
  array +=
      fmt::format("exec {} run {} --shard \"${{shard}}/{}\" --resume --out {}/\"${{shard}}\" {}\n",
                  shell_quote(options.lmmbench.string()), shell_quote(plan.config.string()),
                  plan.shard_count, shell_quote(plan.shards_dir().string()), shell_words(tail));

  std::string& merge = scripts.merge;
  merge = header;
  merge +=
      "# Merges the shards into one run equal to the unsharded one. Submitted with\n"
      "# --dependency=afterok:<array job> by submit.sh (or `lmmbench slurm --submit`).\n";
  merge += fmt::format("#SBATCH --job-name={}\n", job_name(plan.run_name, "merge", 128));
  merge += "#SBATCH --ntasks=1\n";
  if (!options.time.empty()) merge += fmt::format("#SBATCH --time={}\n", options.time);
  merge += common_directives(options);
  merge += fmt::format("#SBATCH --output={}\n", directive_value(output_pattern(logs, "merge.out")));
  merge += "set -euo pipefail\n";
  merge += fmt::format("exec {} {}\n", shell_quote(options.lmmbench.string()),
                       shell_words(plan.merge_arguments()));

  const auto dir = plan.out / "slurm";
  std::string& submit = scripts.submit;
  submit = header;
  submit +=
      "# Submits the shards as one job array and the merge as a job that starts when every\n"
      "# element succeeded (and is cancelled by Slurm if one fails for good).\n"
      "set -euo pipefail\n";
  submit +=
      fmt::format("array=$(sbatch --parsable {})\n", shell_quote((dir / "array.sbatch").string()));
  submit += "array=\"${array%%;*}\"\n";
  submit += fmt::format(
      "merge=$(sbatch --parsable --dependency=\"afterok:${{array}}\" --kill-on-invalid-dep=yes "
      "{})\n",
      shell_quote((dir / "merge.sbatch").string()));
  submit += "echo \"array job ${array}, merge job ${merge%%;*}\"\n";
  return scripts;
}

std::string parse_sbatch_job_id(const std::string& output) {
  std::string line = output.substr(0, output.find('\n'));
  line = line.substr(0, line.find(';'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
    line.pop_back();
  static const std::regex id("[0-9]+");
  if (!std::regex_match(line, id))
    throw Error(fmt::format("sbatch printed no job id (it printed '{}')", output));
  return line;
}

namespace {

/// Runs `sbatch ARGS...` and returns its stdout (its stderr goes to ours).
std::string run_sbatch(const std::filesystem::path& sbatch, const std::vector<std::string>& args) {
  std::vector<std::string> words = {sbatch.string()};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words)
    argv.push_back(w.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw Error(fmt::format("pipe: {}", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    throw Error(fmt::format("cannot run {}: {}", words[0], std::strerror(rc)));
  }
  std::string out;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Error(fmt::format("{} failed ({}{})", shell_words(words),
                            WIFEXITED(status) ? "exit status " : "signal ",
                            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status)));
  }
  return out;
}

}  // namespace

std::pair<std::string, std::string> submit_slurm_jobs(const std::filesystem::path& sbatch,
                                                      const std::filesystem::path& array_script,
                                                      const std::filesystem::path& merge_script) {
  const auto array = parse_sbatch_job_id(run_sbatch(sbatch, {"--parsable", array_script.string()}));
  const auto merge =
      parse_sbatch_job_id(run_sbatch(sbatch, {"--parsable", "--dependency=afterok:" + array,
                                              "--kill-on-invalid-dep=yes", merge_script.string()}));
  return {array, merge};
}

}  // namespace lmmbench::harness
