#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lmmbench::bench {

/// `records` VQA records as `lmmbench score` input (JSON Lines, one record per line, each
/// {"id", "prediction", "answers": [10 strings], "question_type", "answer_type"}), deterministic
/// for a seed. The mix follows benchmarks/score_vqa_vs_reference.py: about 38 % yes/no, 12 %
/// number and 50 % other questions; 45 % of the answer sets unanimous, the rest with surface
/// variants (case, periods, articles, number words) or real disagreement, so that the official
/// normalisation runs on about half of the items; predictions right, reworded, verbose, wrong or
/// (0.3 %) missing.
std::string make_vqa_jsonl(std::size_t records, std::uint32_t seed = 20240601);

}  // namespace lmmbench::bench
