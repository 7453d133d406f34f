// Bad input gets a clear error naming the file, the line and the field, and the right exit code.
#include <gtest/gtest.h>

#include "e2e_support.hpp"

namespace lmmbench::testing {
namespace {

const std::string kDataset = R"({"format": "lmmbench-jsonl", "path": "open.jsonl"})";

std::filesystem::path write_config(const std::filesystem::path& dir, const std::string& text) {
  const auto path = dir / "bad.run.json";
  write_text(path, text);
  return path;
}

std::string task_json() {
  return R"({"name": "open", "dataset": )" + kDataset + R"(, "metrics": ["exact_match"]})";
}

class BadInput : public ::testing::Test {
 protected:
  void SetUp() override { write_medium_suite(dir_.path(), 0, 0); }
  TempDir dir_;
};

TEST_F(BadInput, BrokenJsonNamesFileAndLine) {
  const auto config = write_config(
      dir_.path(), "{\n  \"name\": \"x\",\n  \"output_dir\": \"runs\"\n  \"seed\": 1\n}\n");
  const auto r = lmmbench({"run", config.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: " + config.string() + ":4: invalid JSON: syntax error"),
            std::string::npos)
      << r.err;
}

TEST_F(BadInput, UnknownKeySuggestsTheNearestOne) {
  const auto config =
      write_config(dir_.path(),
                   "{\n  \"name\": \"x\",\n  \"concurency\": 4,\n  \"output_dir\": \"runs\",\n"
                   "  \"models\": [{\"name\": \"o\", \"backend\": \"oracle\"}],\n"
                   "  \"tasks\": [" +
                       task_json() + "]\n}\n");
  const auto r = lmmbench({"run", config.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(config.string() +
                       ":3: field /concurency: unknown field 'concurency' (did you mean "
                       "'concurrency'?)"),
            std::string::npos)
      << r.err;
}

TEST_F(BadInput, UnknownKeyInAnIncludedTaskFileNamesThatFile) {
  write_text(dir_.path() / "task.json",
             "{\n  \"name\": \"open\",\n  \"dataset\": " + kDataset +
                 ",\n  \"metrics\": [\"exact_match\"],\n  \"promt\": {}\n}\n");
  const auto config = write_config(dir_.path(), R"({"name": "x", "output_dir": "runs",
    "models": [{"name": "o", "backend": "oracle"}], "tasks": ["task.json"]})");
  const auto r = lmmbench({"run", config.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find((dir_.path() / "task.json").string() +
                       ":5: field /promt: unknown field 'promt' (did you mean 'prompt'?)"),
            std::string::npos)
      << r.err;
}

TEST_F(BadInput, UnknownBackendSuggestsTheNearestOne) {
  const auto config = write_config(dir_.path(),
                                   "{\"name\": \"x\", \"output_dir\": \"runs\",\n"
                                   "\"models\": [{\"name\": \"o\",\n\"backend\": \"oracel\"}],\n"
                                   "\"tasks\": [" +
                                       task_json() + "]}\n");
  const auto r = lmmbench({"run", config.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(config.string() +
                       ":2: field /models/0/name: unknown backend 'oracel' (did you mean "
                       "'oracle'?)"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "runs"))
      << "no work may start on a bad config";
}

TEST_F(BadInput, UnknownBackendOptionIsRejected) {
  const auto config = write_config(dir_.path(), R"({"name": "x", "output_dir": "runs",
    "models": [{"name": "y", "backend": "constant", "options": {"answer": "yes", "anwser": "no"}}],
    "tasks": [)" + task_json() + "]}");
  const auto r = lmmbench({"run", config.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(
      r.err.find(
          ":2: field /models/0/options/anwser: unknown field 'anwser' (did you mean 'answer'?)"),
      std::string::npos)
      << r.err;
}

TEST_F(BadInput, MissingImageFileFailsTheCellWithFileLineAndField) {
  std::string lines = read_text(dir_.path() / "open.jsonl");
  const auto second = lines.find('\n') + 1;
  const auto end = lines.find('\n', second);
  auto item = nlohmann::json::parse(lines.substr(second, end - second));
  item["images"] = {"does-not-exist.png"};
  lines = lines.substr(0, second) + item.dump() + lines.substr(end);
  write_text(dir_.path() / "open.jsonl", lines);
  const auto config = write_config(dir_.path(), R"({"name": "x", "output_dir": "runs",
    "models": [{"name": "o", "backend": "oracle"}], "tasks": [)" +
                                                    task_json() + "]}");
  const auto out = dir_.path() / "run";
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 2);
  const std::string expected =
      (dir_.path() / "open.jsonl").string() +
      ":2: field /images/0: image file not found: " + (dir_.path() / "does-not-exist.png").string();
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  // The failure is recorded, not lost: the record says which cell failed and why.
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  EXPECT_EQ(record["cells"][0]["outcome"], "failed");
  EXPECT_NE(record["cells"][0]["message"].get<std::string>().find(expected), std::string::npos);
  EXPECT_EQ(record["status"], "complete");
}

TEST_F(BadInput, APriorWithoutCalibrationIsUnsupportedNotACrash) {
  const auto config = write_config(dir_.path(), R"({"name": "x", "output_dir": "runs",
    "models": [{"name": "p", "backend": "prior"}, {"name": "o", "backend": "oracle"}], "tasks": [)" +
                                                    task_json() + "]}");
  const auto out = dir_.path() / "run";
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--quiet"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("p × open unsupported: the prior baseline needs a calibration split"),
            std::string::npos)
      << r.err;
  const auto cells = cell_summaries(out);
  EXPECT_EQ(cells.at("p/open")["outcome"], "unsupported");
  EXPECT_EQ(cells.at("o/open")["score"], 100.0);
}

TEST_F(BadInput, BadSelectionsAreUsageErrors) {
  const auto config = dir_.path() / "medium.run.json";
  auto r = lmmbench({"run", config.string(), "--shard", "3/3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--shard: expected I/N with 0 <= I < N"), std::string::npos) << r.err;
  r = lmmbench({"run", config.string(), "--models", "oracel"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no model named 'oracel' in the run config (did you mean 'oracle'?)"),
            std::string::npos)
      << r.err;
  r = lmmbench({"run", config.string(), "--limit", "0"});
  EXPECT_EQ(r.exit_code, 2);
  r = lmmbench({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
}

TEST_F(BadInput, UnknownMetricVariantListsTheValidOnes) {
  const auto config = write_config(dir_.path(), R"({"name": "x", "output_dir": "runs",
    "models": [{"name": "o", "backend": "oracle"}],
    "tasks": [{"name": "open", "dataset": )" + kDataset +
                                                    R"(,
               "metrics": [{"name": "exact_match", "variant": "case-sensitiv"}]}]})");
  const auto r = lmmbench({"run", config.string()});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(
      r.err.find(
          "metric 'exact_match' has no variant 'case-sensitiv' (did you mean 'case-sensitive'?)"),
      std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace lmmbench::testing
