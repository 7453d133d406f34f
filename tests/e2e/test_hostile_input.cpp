// Hostile input to every reader of JSON and of `lmmbench score`: nesting deep enough to overflow
// a recursive walk, numbers beyond a double, values a metric refuses, empty and repeated records.
// Each must end in exit code 2 and a message naming the file and line (and the field where there
// is one), never a crash, exit 1 or a silent result.
#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

/// 20,000 nested arrays: 40 KB, past the depth at which a recursive walk overflowed the stack.
std::string deep_json() {
  return std::string(20'000, '[') + std::string(20'000, ']');
}

constexpr const char* kTooDeep = "invalid JSON: arrays and objects nested deeper than 512 levels";

class HostileInput : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string lines;
    for (int i = 0; i < 4; ++i) {
      lines += nlohmann::json{{"id", "q" + std::to_string(i)},
                              {"question", "Say " + std::to_string(i)},
                              {"answers", {std::to_string(i)}}}
                   .dump() +
               "\n";
    }
    write_text(dir() / "d.jsonl", lines);
  }

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_.path(); }

  /// A run config over d.jsonl with the oracle; `model` and `task` replace the inline entries.
  std::filesystem::path run_config(const std::string& extra = "", const std::string& model = "",
                                   const std::string& task = "") {
    const auto path = dir() / "run.json";
    write_text(path, R"({"name": "h", "output_dir": "runs",)" + extra + R"( "models": [)" +
                         (model.empty() ? R"({"name": "o", "backend": "oracle"})" : model) +
                         R"(], "tasks": [)" +
                         (task.empty() ? R"({"name": "t", "dataset": {"format": "lmmbench-jsonl",
                            "path": "d.jsonl"}, "metrics": ["exact_match"]})"
                                       : task) +
                         "]}\n");
    return path;
  }

  /// A finished run of run_config() in dir()/<name>.
  std::filesystem::path finished_run(const std::string& name) {
    const auto out = dir() / name;
    const auto r = lmmbench({"run", run_config().string(), "--out", out.string(), "--quiet"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return out;
  }

  static void expect_input_error(const ProcessResult& r, const std::string& where,
                                 const std::string& message) {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(where + ": " + message), std::string::npos)
        << "expected '" << where << ": " << message << "' in:\n"
        << r.err;
  }

  ProcessResult score(const std::string& metric, const std::string& lines) {
    write_text(dir() / "in.jsonl", lines);
    return lmmbench({"score", "--metric", metric, "--input", (dir() / "in.jsonl").string()});
  }

  TempDir dir_;
};

TEST_F(HostileInput, DeepJsonInEveryConfigIsAnInputError) {
  // The run config itself.
  auto config = run_config("\n\"deep\": " + deep_json() + ",");
  expect_input_error(lmmbench({"run", config.string()}), config.string() + ":2", kTooDeep);
  // A model config and a task config in their own files.
  write_text(dir() / "model.json", "{\"name\": \"o\",\n\"backend\": " + deep_json() + "}");
  config = run_config("", "\"model.json\"");
  expect_input_error(lmmbench({"run", config.string()}), (dir() / "model.json").string() + ":2",
                     kTooDeep);
  write_text(dir() / "task.json", "{\"name\": \"t\", \"x\": " + deep_json() + "}");
  config = run_config("", "", "\"task.json\"");
  expect_input_error(lmmbench({"run", config.string()}), (dir() / "task.json").string() + ":1",
                     kTooDeep);
  // The price table.
  write_text(dir() / "prices.json", "{\"as_of\": " + deep_json() + "}");
  config = run_config(R"( "prices": "prices.json",)");
  expect_input_error(lmmbench({"run", config.string(), "--quiet"}),
                     (dir() / "prices.json").string() + ":1", kTooDeep);
}

TEST_F(HostileInput, DeepJsonInDatasetFilesIsAnInputError) {
  write_text(dir() / "questions.json",
             "{\"data_subtype\": \"val2014\",\n\"questions\": [" + deep_json() + "]}");
  auto config = run_config("", "", R"({"name": "v", "dataset": {"format": "vqa-official",
      "questions": "questions.json", "load_images": false}, "metrics": ["vqa"]})");
  expect_input_error(lmmbench({"run", config.string(), "--quiet"}),
                     (dir() / "questions.json").string() + ":2", kTooDeep);
  write_text(dir() / "gqa.json", "{\"1\": " + deep_json() + "}");
  config = run_config("", "", R"({"name": "g", "dataset": {"format": "gqa",
      "path": "gqa.json", "load_images": false}, "metrics": ["gqa"]})");
  expect_input_error(lmmbench({"run", config.string(), "--quiet"}),
                     (dir() / "gqa.json").string() + ":1", kTooDeep);
  write_text(dir() / "d.jsonl", "{\"id\": \"a\", \"question\": \"q\"}\n" + deep_json() + "\n");
  config = run_config();
  expect_input_error(lmmbench({"run", config.string(), "--quiet"}),
                     (dir() / "d.jsonl").string() + ":2", kTooDeep);
}

TEST_F(HostileInput, DeepJsonInScoreInputAndRunRecordsIsAnInputError) {
  expect_input_error(
      score("exact_match",
            "{\"id\": 1, \"prediction\": \"a\", \"answers\": [\"a\"]}\n" + deep_json() + "\n"),
      (dir() / "in.jsonl").string() + ":2", kTooDeep);
  const auto first = finished_run("first");
  const auto second = finished_run("second");
  write_text(second / "run.json", deep_json());
  expect_input_error(lmmbench({"report", second.string()}), (second / "run.json").string() + ":1",
                     kTooDeep);
  expect_input_error(lmmbench({"compare", first.string(), second.string()}),
                     (second / "run.json").string() + ":1", kTooDeep);
}

TEST_F(HostileInput, DeepJsonOrAWrongTypeInThePredictionLogNamesTheLineAndField) {
  const auto out = finished_run("r");
  const auto log = out / "predictions.jsonl";
  const std::string original = read_text(log);
  write_text(log, original + deep_json() + "\n");
  const auto config = run_config();
  expect_input_error(lmmbench({"run", config.string(), "--out", out.string(), "--resume"}),
                     log.string() + ":5",
                     std::string("malformed prediction-log entry: ") + kTooDeep);
  // A wrong-typed field names the field, not only the line.
  auto entry = nlohmann::json::parse(original.substr(0, original.find('\n')));
  entry["attempts"] = "three";
  write_text(log, entry.dump() + "\n" + original.substr(original.find('\n') + 1));
  expect_input_error(lmmbench({"run", config.string(), "--out", out.string(), "--resume"}),
                     log.string() + ":1: field /attempts",
                     "malformed prediction-log entry: expected an integer, got a string");
}

TEST_F(HostileInput, NumbersBeyondADoubleNameFileLineAndField) {
  auto config = run_config("\n\"seed\": 1e400,");
  expect_input_error(lmmbench({"run", config.string()}), config.string() + ":2: field /seed",
                     "number out of range (beyond a double): 1e400");
  expect_input_error(
      score("exact_match",
            "{\"id\": 1, \"prediction\": \"a\", \"answers\": [\"a\"]}\n"
            "{\"id\": 2, \"prediction\": \"a\", \"answers\": [\"a\"], \"x\": 1e400}\n"),
      (dir() / "in.jsonl").string() + ":2: field /x",
      "number out of range (beyond a double): 1e400");
  // A dataset file: exit 2, not 1.
  write_text(dir() / "questions.json",
             "{\"data_subtype\": \"val2014\", \"questions\": [\n{\"image_id\": 1, \"question\": "
             "\"q\", \"question_id\": -1e400}]}");
  config = run_config("", "", R"({"name": "v", "dataset": {"format": "vqa-official",
      "questions": "questions.json", "load_images": false}, "metrics": ["vqa"]})");
  expect_input_error(lmmbench({"run", config.string(), "--quiet"}),
                     (dir() / "questions.json").string() + ":2: field /questions/0/question_id",
                     "number out of range (beyond a double): -1e400");
}

TEST_F(HostileInput, ValuesAMetricRefusesNameFileAndLine) {
  const auto in = (dir() / "in.jsonl").string();
  expect_input_error(score("pope",
                           "{\"id\": \"1\", \"prediction\": \"yes\", \"label\": \"no\"}\n"
                           "{\"id\": \"2\", \"prediction\": \"yes\", \"label\": \"maybe\"}\n"),
                     in + ":2", "item '2': POPE label must be");
  expect_input_error(score("mme",
                           "{\"id\": \"a\", \"prediction\": \"Yes\", \"label\": \"Yes\", "
                           "\"subtask\": \"colour\", \"image\": \"a.jpg\"}\n"),
                     in + ":1", "item 'a': unknown MME subtask 'colour'");
  nlohmann::json nine{{"id", "t"}, {"prediction", "a"}, {"answers", nlohmann::json::array()}};
  for (int i = 0; i < 9; ++i)
    nine["answers"].push_back("a");
  expect_input_error(score("textvqa", nine.dump() + "\n"), in + ":1",
                     "textvqa: item 't' has 9 answers");
}

TEST_F(HostileInput, EmptyInputAndRepeatedIdsAreRefused) {
  const auto in = (dir() / "in.jsonl").string();
  expect_input_error(score("exact_match", ""), in, "no records (the input is empty or blank)");
  expect_input_error(score("exact_match", "\n  \n\t\n"), in,
                     "no records (the input is empty or blank)");
  expect_input_error(score("exact_match",
                           "{\"id\": \"a\", \"prediction\": \"x\", \"answers\": [\"x\"]}\n"
                           "{\"id\": \"b\", \"prediction\": \"x\", \"answers\": [\"x\"]}\n"
                           "{\"id\": \"a\", \"prediction\": \"y\", \"answers\": [\"x\"]}\n"),
                     in + ":3: field /id", "id 'a' appears twice (lines 1 and 3)");
}

TEST_F(HostileInput, ADuplicateKeyInAConfigIsRefused) {
  const auto config = run_config("\n\"seed\": 1,\n\"seed\": 2,");
  expect_input_error(lmmbench({"run", config.string()}), config.string() + ":3: field /seed",
                     "key 'seed' appears twice in one object (first at line 2); remove one");
}

TEST_F(HostileInput, DatasetsGivingAnImpossibleOrEmptyCellAreRefused) {
  // A gold letter outside the options.
  write_text(dir() / "d.jsonl",
             R"({"id": "a", "question": "q", "options": ["x", "y"], "answers": ["C"]})"
             "\n");
  auto config = run_config();
  expect_input_error(lmmbench({"run", config.string(), "--quiet"}),
                     (dir() / "d.jsonl").string() + ":1: field /answers",
                     "the gold answer 'C' is not one of the 2 options (A-B)");
  expect_input_error(
      score("multiple_choice", R"({"id": 1, "prediction": "A", "options": ["x", "y"],)"
                               R"( "answer": "E"})"
                               "\n"),
      (dir() / "in.jsonl").string() + ":1",
      "item '1': the gold answer must be the letter of one of its 2 options, got 'E'");
  // A VLMEvalKit TSV with only its header row.
  write_text(dir() / "mm.tsv", "index\tquestion\tA\tB\tanswer\n");
  config = run_config("", "", R"({"name": "m", "dataset": {"format": "vlmevalkit-tsv",
      "path": "mm.tsv", "load_images": false}, "metrics": ["mmbench"]})");
  expect_input_error(lmmbench({"run", config.string(), "--quiet"}),
                     (dir() / "mm.tsv").string() + ":1",
                     "the file has a header row but no records");
  // An empty POPE file.
  write_text(dir() / "pope_random.json", "");
  config = run_config("", "", R"({"name": "p", "dataset": {"format": "pope",
      "path": "pope_random.json", "split": "random", "load_images": false}, "metrics": ["pope"]})");
  expect_input_error(lmmbench({"run", config.string(), "--quiet"}),
                     (dir() / "pope_random.json").string(),
                     "the POPE 'random' file holds no questions");
  // An MME question file without questions.
  std::filesystem::create_directories(dir() / "mme/existence");
  write_text(dir() / "mme/existence/a.txt", "\n");
  config = run_config("", "", R"({"name": "e", "dataset": {"format": "mme", "root": "mme",
      "subtasks": ["existence"], "load_images": false}, "metrics": ["mme"]})");
  expect_input_error(lmmbench({"run", config.string(), "--quiet"}),
                     (dir() / "mme/existence/a.txt").string(),
                     "no questions (expected lines 'question<TAB>Yes|No')");
  // Any format: a dataset that loads no sample at all.
  write_text(dir() / "d.jsonl", "\n");
  config = run_config();
  expect_input_error(lmmbench({"run", config.string(), "--quiet"}), config.string() + ":1",
                     "field /tasks/0/dataset: the 'lmmbench-jsonl' dataset holds no samples");
}

}  // namespace
}  // namespace lmmbench::testing
