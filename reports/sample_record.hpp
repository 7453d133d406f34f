#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lmmbench::reports {

// One line of a per-sample scores file (scores/MODEL/TASK.jsonl): `lmmbench run` writes it
// (harness/scoring.cpp) and every report reads it, through the one field list of
// sample_record.cpp.

/// Where a sample's image is: a file, or base64 text at a byte range of a file (a VLMEvalKit TSV).
/// Written as the path alone for a file, else as {"path", "base64_offset", "base64_length"}.
struct ImageSource {
  std::filesystem::path path;
  std::uint64_t base64_offset = 0;
  std::uint64_t base64_length = 0;  ///< 0: `path` is the image file itself.
};

/// Size and format of an image as the dataset loader's probe found them.
struct ImageInfo {
  std::string mime_type;
  int width = 0;
  int height = 0;
  std::uint64_t bytes = 0;  ///< Encoded size.
};

/// One request of a judge-scored sample's judge stage.
struct JudgeExchange {
  std::size_t run = 0;  ///< Which judge run (MM-Vet asks 5 times).
  std::size_t ask = 0;  ///< 0, then 1, 2, ... for re-asks after an unreadable reply.
  std::string request;  ///< The text sent (untrusted: it quotes the model's answer).
  std::string reply;    ///< The judge's reply (untrusted text).
};

/// The headline metric's score of one sample plus what a reader needs to judge it. Older files
/// lack the gold data (question, answers, options, images, category), which then stay empty.
struct SampleRecord {
  std::string id;
  double score = 0.0;  ///< The headline metric's per-sample score (0..1 for accuracies).
  std::string status;  ///< "parsed", "unparsed" or "missing".
  std::string extracted;
  std::map<std::string, double> scores;   ///< The task's other metrics by name.
  std::optional<std::string> prediction;  ///< Absent (null) when the request failed.
  std::string question;
  std::vector<std::string> answers;   ///< Gold answers.
  std::vector<std::string> options;   ///< Multiple-choice options, A first.
  std::vector<ImageSource> images;    ///< Absolute paths when written by this build.
  std::vector<ImageInfo> image_info;  ///< One per image where the loader probed them.
  std::string category;
  std::string error_kind;            ///< Empty when the request succeeded.
  std::optional<std::string> error;  ///< The failed request's message.
  /// A judge-scored task's judge stage, in the order asked; absent for other tasks.
  std::optional<std::vector<JudgeExchange>> judge;

  /// The judge's last reply in each judge run (a re-ask's reply replaces the one it re-asked).
  [[nodiscard]] std::vector<std::string> judge_replies() const;
};

void to_json(nlohmann::json& j, const SampleRecord& r);
/// Throws InputError naming the field (id and score are required) or nlohmann's exception for a
/// value of the wrong type.
void from_json(const nlohmann::json& j, SampleRecord& r);

/// The line of `r` in a scores file, newline included (invalid UTF-8 replaced).
std::string sample_line(const SampleRecord& r);

/// Reads a per-sample scores file in order. Throws InputError naming the file and line when it is
/// missing or a line is not a sample record (an object with a string "id" and a numeric "score").
std::vector<SampleRecord> read_sample_records(const std::filesystem::path& path);

}  // namespace lmmbench::reports
