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

TEST_F(BadInput, AMissingImageIsThatSamplesErrorWithFileLineAndField) {
  std::string lines = read_text(dir_.path() / "open.jsonl");
  const auto second = lines.find('\n') + 1;
  const auto end = lines.find('\n', second);
  auto item = nlohmann::json::parse(lines.substr(second, end - second));
  item["images"] = {"does-not-exist.png"};
  lines = lines.substr(0, second) + item.dump() + lines.substr(end);
  write_text(dir_.path() / "open.jsonl", lines);
  // An error budget of 1 % lets the one failed sample pass (by default it fails the cell).
  const auto config = write_config(dir_.path(), R"({"name": "x", "output_dir": "runs",
    "max_error_rate": 0.01,
    "models": [{"name": "o", "backend": "oracle"}], "tasks": [)" +
                                                    task_json() + "]}");
  const auto out = dir_.path() / "run";
  const auto r = lmmbench({"run", config.string(), "--out", out.string(), "--quiet"});
  // The other 239 samples run; the bad one is recorded, counted and reported, never a crash.
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const std::string expected =
      (dir_.path() / "open.jsonl").string() +
      ":2: field /images/0: image file not found: " + (dir_.path() / "does-not-exist.png").string();
  EXPECT_NE(r.err.find("warning: o × open: 1 sample(s) could not be sent"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
  const auto record = nlohmann::json::parse(read_text(out / "run.json"));
  const auto& cell = record["cells"][0];
  EXPECT_EQ(cell["outcome"], "ok");
  EXPECT_EQ(cell["counts"]["total"], 240);
  EXPECT_EQ(cell["counts"]["ok"], 239);
  EXPECT_EQ(cell["counts"]["error"], 1);
  EXPECT_EQ(cell["counts"]["errors_by_kind"]["invalid_input"], 1);
  EXPECT_EQ(record["status"], "complete");
  // The per-sample record (prediction log and scores file) carries the message.
  auto line_of = [](const std::string& text, const std::string& key, const std::string& id) {
    std::size_t start = 0;
    while (start < text.size()) {
      const auto stop = text.find('\n', start);
      const auto line = nlohmann::json::parse(text.substr(start, stop - start));
      if (line.value(key, "") == id) return line;
      start = stop + 1;
    }
    return nlohmann::json();
  };
  const auto logged = line_of(read_text(out / "predictions.jsonl"), "sample_id", "q1");
  EXPECT_NE(logged.dump().find("invalid_input"), std::string::npos) << logged.dump();
  EXPECT_NE(logged.dump().find("does-not-exist.png"), std::string::npos) << logged.dump();
  const auto sample = line_of(read_text(out / "scores/o/open.jsonl"), "id", "q1");
  EXPECT_EQ(sample["error_kind"], "invalid_input");
  EXPECT_EQ(sample["error"], expected);
  // Resuming reuses the recorded failure: it is deterministic, not retried.
  const auto again =
      lmmbench({"run", config.string(), "--out", out.string(), "--resume", "--quiet"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  const auto resumed = nlohmann::json::parse(read_text(out / "run.json"));
  EXPECT_EQ(resumed["cells"][0]["counts"]["resumed"], 240);
  EXPECT_EQ(resumed["cells"][0]["counts"]["errors_by_kind"]["invalid_input"], 1);
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
