// The per-sample scores line: one type (reports::SampleRecord) written by `lmmbench run` and read
// by every report, so a line read and written again is the same bytes.
#include <fstream>

#include <gtest/gtest.h>

#include "reports/sample_record.hpp"

namespace lmmbench::reports {
namespace {

const std::filesystem::path kV1Scores =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests/fixtures/run_records/v1/eval/scores";

TEST(SampleRecord, PinsItsLine) {
  SampleRecord r;
  r.id = "q-1";
  r.score = 0.5;
  r.status = "parsed";
  r.extracted = "B";
  r.scores = {{"anls", 0.25}};
  r.prediction = "B. a cat";
  r.question = "What is it?";
  r.answers = {"B"};
  r.options = {"a dog", "a cat"};
  r.images = {ImageSource{"/d/i.png", 0, 0}, ImageSource{"/d/t.tsv", 5, 9}};
  r.image_info = {ImageInfo{"image/png", 2, 3, 40}};
  r.category = "animals";
  r.judge = std::vector<JudgeExchange>{
      {0, 0, "grade it", "n/a"}, {0, 1, "again", "0.8"}, {1, 0, "grade it", "0.6"}};
  const std::string line = sample_line(r);
  EXPECT_EQ(line,
            R"({"answers":["B"],"category":"animals","extracted":"B","id":"q-1",)"
            R"("image_info":[{"bytes":40,"height":3,"mime_type":"image/png","width":2}],)"
            R"("images":["/d/i.png",{"base64_length":9,"base64_offset":5,"path":"/d/t.tsv"}],)"
            R"("judge":[{"ask":0,"reply":"n/a","request":"grade it","run":0},)"
            R"({"ask":1,"reply":"0.8","request":"again","run":0},)"
            R"({"ask":0,"reply":"0.6","request":"grade it","run":1}],)"
            R"("options":["a dog","a cat"],"prediction":"B. a cat","question":"What is it?",)"
            R"("score":0.5,"scores":{"anls":0.25},"status":"parsed"})"
            "\n");
  const auto back = nlohmann::json::parse(line).get<SampleRecord>();
  EXPECT_EQ(sample_line(back), line);
  // A re-ask's reply replaces the one it re-asked.
  EXPECT_EQ(back.judge_replies(), (std::vector<std::string>{"0.8", "0.6"}));
}

TEST(SampleRecord, AFailedSampleHasNullPredictionAndItsError) {
  SampleRecord r;
  r.id = "q-2";
  r.status = "missing";
  r.error_kind = "timeout";
  r.error = "";
  EXPECT_EQ(sample_line(r),
            R"({"answers":[],"error":"","error_kind":"timeout","extracted":"","id":"q-2",)"
            R"("prediction":null,"question":"","score":0.0,"status":"missing"})"
            "\n");
}

TEST(SampleRecord, EveryLineTheOldWriterWroteReadsAndWritesBackTheSameBytes) {
  std::size_t lines = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(kV1Scores)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line); ++lines) {
      const auto record = nlohmann::json::parse(line).get<SampleRecord>();
      EXPECT_EQ(sample_line(record), line + "\n") << entry.path();
    }
  }
  EXPECT_EQ(lines, 140u);  // 7 scored cells x 20 samples
}

}  // namespace
}  // namespace lmmbench::reports
