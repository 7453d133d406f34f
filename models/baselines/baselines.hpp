#pragma once

#include <memory>

#include "models/backend.hpp"

/// Baseline backends. They are real baselines, each a reference point that a model's score is
/// read against, and they need no network, GPU or weights:
///
///  - oracle:        answers the most frequent gold answer — the upper bound; checks the pipeline.
///  - prior:         the most frequent answer per question type in a calibration split — the
///                   "per Q-type prior" baseline of the VQA paper (Antol et al., ICCV 2015, §5).
///  - constant:      one fixed answer for every question (e.g. "yes").
///  - random-choice: a seeded uniform pick among the lettered options — chance level.
///  - replay:        answers from an earlier prediction log or a JSONL of {id, prediction}.
///
/// Every baseline takes "latency_ms" and "latency_jitter_ms" options (default 0): completions are
/// then delivered after a simulated service time on another thread, like a remote model's.
namespace lmmbench::models {

std::unique_ptr<Backend> create_oracle(ObjectReader& options, const BackendContext& context);
std::unique_ptr<Backend> create_prior(ObjectReader& options, const BackendContext& context);
std::unique_ptr<Backend> create_constant(ObjectReader& options, const BackendContext& context);
std::unique_ptr<Backend> create_random_choice(ObjectReader& options, const BackendContext& context);
std::unique_ptr<Backend> create_replay(ObjectReader& options, const BackendContext& context);

/// The most frequent string in `answers`; ties go to the one that occurs first. Empty for none.
std::string most_frequent_answer(const std::vector<std::string>& answers);

}  // namespace lmmbench::models
