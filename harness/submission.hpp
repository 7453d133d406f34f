#pragma once

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "harness/prediction_log.hpp"
#include "harness/task_loading.hpp"

/// Files in the formats of the evaluation servers that score splits whose answers are not public.
/// Each is written from the prediction log alone, like scores.
namespace lmmbench::harness {

/// One spreadsheet cell: text, or an integer.
using XlsxCell = std::variant<std::string, std::int64_t>;

/// A minimal Office Open XML workbook (one sheet, inline strings, ZIP with stored entries) of
/// `rows`, the first being the header: what pandas.read_excel / openpyxl read back as the same
/// table. Characters XML 1.0 forbids are dropped.
std::string xlsx_bytes(const std::vector<std::vector<XlsxCell>>& rows);

/// Writes the task's submission file for one model into
/// `run_dir`/submissions/<model>/<task>.<json|xlsx> and returns its path relative to `run_dir`:
///
///  - "vqav2-evalai": [{"question_id": int, "answer": str}] for every sample, the answer passed
///    through EvalAIAnswerProcessor and "" when there is none — LLaVA's
///    scripts/convert_vqav2_for_submission.py (haotian-liu/LLaVA@c121f04), what the VQA
///    Challenge on EvalAI (https://eval.ai/web/challenges/challenge-page/830) takes.
///  - "vizwiz-evalai": [{"image": str, "answer": str}], processed the same way — LLaVA's
///    scripts/convert_vizwiz_for_submission.py, for
///    https://eval.ai/web/challenges/challenge-page/2185.
///  - "mmbench-xlsx": an .xlsx with the columns LLaVA's scripts/convert_mmbench_for_submission.py
///    keeps (index, question, A..D, prediction, then answer and split when the TSV has them) and
///    the raw prediction text — the Excel file the MMBench server
///    (https://mmbench.opencompass.org.cn/mmbench-submission) takes for MMBench-Test EN/CN
///    (open-compass/MMBench README: "submit the file ... to obtain the evaluation accuracies").
std::string write_submission(const std::string& format, const LoadedTask& task,
                             const std::vector<std::string>& keys, const PredictionLog& log,
                             const std::string& model, const std::filesystem::path& run_dir);

}  // namespace lmmbench::harness
