#include "models/baselines/baselines.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "core/jsonl.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"
#include "models/baselines/simulated_latency.hpp"

namespace lmmbench::models {

std::string most_frequent_answer(const std::vector<std::string>& answers) {
  std::string best;
  std::size_t best_count = 0;
  std::unordered_map<std::string_view, std::size_t> counts;
  for (const auto& a : answers)
    ++counts[a];
  for (const auto& a : answers) {  // first occurrence wins ties
    if (counts[a] > best_count) {
      best_count = counts[a];
      best = a;
    }
  }
  return best;
}

namespace {

/// Shared behaviour: capabilities, latency simulation, and the task's samples indexed by id.
class BaselineBackend : public Backend {
 public:
  BaselineBackend(std::string kind, ObjectReader& options, const BackendContext& context,
                  bool uses_task_data)
      : kind_(std::move(kind)),
        latency_(options.get_number("latency_ms", 0.0),
                 options.get_number("latency_jitter_ms", 0.0), context.run_seed) {
    capabilities_.max_images_per_request = 64;
    capabilities_.uses_task_data = uses_task_data;
  }

  [[nodiscard]] const Capabilities& capabilities() const override { return capabilities_; }

  void prepare(const TaskData& task) override {
    samples_.clear();
    for (const auto& sample : task.samples)
      samples_.emplace(sample.id, &sample);
  }

  void submit(Request request, CompletionCallback done) override {
    Completion completion;
    try {
      completion = answer(request);
    } catch (const std::exception& e) {
      completion = Completion::failure(ErrorKind::internal, e.what());
    }
    latency_.deliver(request.task + '\0' + request.sample_id, std::move(completion),
                     std::move(done));
  }

 protected:
  virtual Completion answer(const Request& request) = 0;

  const datasets::Sample* find_sample(const std::string& id) const {
    const auto it = samples_.find(id);
    return it == samples_.end() ? nullptr : it->second;
  }

  static Completion text(std::string answer) {
    Completion c;
    c.text = std::move(answer);
    return c;
  }

  const std::string& kind() const { return kind_; }

 private:
  std::string kind_;
  Capabilities capabilities_;
  std::unordered_map<std::string, const datasets::Sample*> samples_;
  // Declared last: destroyed first, delivering pending completions while the rest is alive.
  SimulatedLatency latency_;
};

class Oracle final : public BaselineBackend {
 public:
  Oracle(ObjectReader& options, const BackendContext& context)
      : BaselineBackend("oracle", options, context, true) {
    options.finish();
  }
  [[nodiscard]] std::string fingerprint() const override { return "oracle/v1"; }

 private:
  Completion answer(const Request& request) override {
    const auto* sample = find_sample(request.sample_id);
    if (sample == nullptr) {
      return Completion::failure(ErrorKind::missing, "oracle: unknown sample " + request.sample_id);
    }
    if (sample->references.empty()) {
      return Completion::failure(ErrorKind::unsupported,
                                 "oracle: sample " + sample->id + " has no gold answer");
    }
    return text(most_frequent_answer(sample->references));
  }
};

class Prior final : public BaselineBackend {
 public:
  Prior(ObjectReader& options, const BackendContext& context)
      : BaselineBackend("prior", options, context, true),
        type_field_(options.get_string("question_type_field", "question_type")) {
    options.finish();
  }
  [[nodiscard]] std::string fingerprint() const override {
    return "prior/v1/" + type_field_ + "/" + calibration_hash_;
  }

  void prepare(const TaskData& task) override {
    BaselineBackend::prepare(task);
    if (task.calibration.empty()) {
      throw InputError(fmt::format(
          "the prior baseline needs a calibration split: set \"calibration\" in the dataset of "
          "task '{}'",
          task.task));
    }
    // Count each calibration item's canonical (most frequent) answer per question type.
    std::map<std::string, std::map<std::string, std::size_t>> counts;
    std::map<std::string, std::size_t> overall;
    Sha256 hash;
    for (const auto& sample : task.calibration) {
      const std::string answer = most_frequent_answer(sample.references);
      if (answer.empty()) continue;
      ++counts[question_type(sample)][answer];
      ++overall[answer];
      hash.update(question_type(sample)).update("\t").update(answer).update("\n");
    }
    calibration_hash_ = hash.hex_digest().substr(0, 16);
    auto top = [](const std::map<std::string, std::size_t>& c) {
      // Highest count; ties go to the lexicographically smallest answer (map order).
      return std::max_element(c.begin(), c.end(),
                              [](const auto& a, const auto& b) { return a.second < b.second; })
          ->first;
    };
    priors_.clear();
    for (const auto& [type, c] : counts)
      priors_[type] = top(c);
    fallback_ = overall.empty() ? std::string{} : top(overall);
  }

 private:
  std::string question_type(const datasets::Sample& sample) const {
    const auto it = sample.meta.find(type_field_);
    if (it != sample.meta.end() && it->is_string()) return it->get<std::string>();
    return sample.category;
  }

  Completion answer(const Request& request) override {
    const auto* sample = find_sample(request.sample_id);
    if (sample == nullptr) {
      return Completion::failure(ErrorKind::missing, "prior: unknown sample " + request.sample_id);
    }
    const auto it = priors_.find(question_type(*sample));
    return text(it != priors_.end() ? it->second : fallback_);
  }

  std::string type_field_;
  std::string calibration_hash_ = "unprepared";
  std::map<std::string, std::string> priors_;
  std::string fallback_;
};

class Constant final : public BaselineBackend {
 public:
  Constant(ObjectReader& options, const BackendContext& context)
      : BaselineBackend("constant", options, context, false),
        answer_(options.required_string("answer")) {
    options.finish();
  }
  [[nodiscard]] std::string fingerprint() const override { return "constant/v1/" + answer_; }

 private:
  Completion answer(const Request&) override { return text(answer_); }
  std::string answer_;
};

class RandomChoice final : public BaselineBackend {
 public:
  RandomChoice(ObjectReader& options, const BackendContext& context)
      : BaselineBackend("random-choice", options, context, true),
        seed_(static_cast<std::uint64_t>(options.get_int(
            "seed", static_cast<std::int64_t>(context.run_seed & 0x7fffffffffffffffULL), 0))) {
    options.finish();
  }
  [[nodiscard]] std::string fingerprint() const override {
    return "random-choice/v1/seed=" + std::to_string(seed_);
  }

  void prepare(const TaskData& task) override {
    BaselineBackend::prepare(task);
    const bool any = std::any_of(task.samples.begin(), task.samples.end(),
                                 [](const auto& s) { return !s.options.empty(); });
    if (!any) {
      throw InputError("random-choice answers multiple-choice questions only; task '" + task.task +
                       "' has no lettered options");
    }
  }

 private:
  Completion answer(const Request& request) override {
    const auto* sample = find_sample(request.sample_id);
    if (sample == nullptr) {
      return Completion::failure(ErrorKind::missing,
                                 "random-choice: unknown sample " + request.sample_id);
    }
    if (sample->options.empty()) {
      return Completion::failure(ErrorKind::unsupported, "random-choice: sample has no options");
    }
    // The draw depends only on (seed, task, sample id): identical whatever the order of requests.
    const double u = stable_uniform(seed_, request.task + '\0' + sample->id);
    const auto index =
        std::min(sample->options.size() - 1,
                 static_cast<std::size_t>(u * static_cast<double>(sample->options.size())));
    return text(std::string(1, datasets::option_letter(index)));
  }

  std::uint64_t seed_;
};

class Replay final : public BaselineBackend {
 public:
  Replay(ObjectReader& options, const BackendContext& context)
      : BaselineBackend("replay", options, context, false) {
    const auto path = options.required("path").as_path();
    model_ = options.get_string("model", "");
    options.finish();
    file_hash_ = sha256_file(path).substr(0, 16);
    load(path);
  }
  [[nodiscard]] std::string fingerprint() const override {
    return "replay/v1/" + file_hash_ + (model_.empty() ? "" : "/" + model_);
  }

 private:
  // Two record shapes: {"id", "prediction"} (any task), or an lmmbench prediction-log line
  // {"task", "sample_id", "model", "outcome", "prediction", ...} (failed outcomes are skipped; a
  // later line for the same key replaces an earlier one, as in the log itself).
  void load(const std::filesystem::path& path) {
    for_each_jsonl_record(path, [&](const ConfigNode& record) {
      ObjectReader fields(record);
      if (fields.has("sample_id")) {
        if (!model_.empty() && fields.get_string("model", "") != model_) return;
        if (fields.get_string("outcome", "ok") != "ok") return;
        const std::string task = fields.required_string("task");
        const std::string id = fields.required_string("sample_id");
        by_task_[task + '\0' + id] = fields.required("prediction").as_string();
        return;
      }
      const ConfigNode id = fields.required("id");
      const std::string key = id.json().is_number_integer()
                                  ? std::to_string(id.json().get<std::int64_t>())
                                  : id.as_string();
      const auto prediction = fields.find("prediction");
      if (!prediction) return;  // no prediction recorded: the sample stays missing
      by_id_[key] = prediction->as_string();
    });
  }

  Completion answer(const Request& request) override {
    if (const auto it = by_task_.find(request.task + '\0' + request.sample_id);
        it != by_task_.end()) {
      return text(it->second);
    }
    if (const auto it = by_id_.find(request.sample_id); it != by_id_.end()) return text(it->second);
    return Completion::failure(ErrorKind::missing,
                               "replay: no prediction for sample " + request.sample_id);
  }

  std::string model_;
  std::string file_hash_;
  std::unordered_map<std::string, std::string> by_task_;
  std::unordered_map<std::string, std::string> by_id_;
};

}  // namespace

std::unique_ptr<Backend> create_oracle(ObjectReader& options, const BackendContext& context) {
  return std::make_unique<Oracle>(options, context);
}
std::unique_ptr<Backend> create_prior(ObjectReader& options, const BackendContext& context) {
  return std::make_unique<Prior>(options, context);
}
std::unique_ptr<Backend> create_constant(ObjectReader& options, const BackendContext& context) {
  return std::make_unique<Constant>(options, context);
}
std::unique_ptr<Backend> create_random_choice(ObjectReader& options,
                                              const BackendContext& context) {
  return std::make_unique<RandomChoice>(options, context);
}
std::unique_ptr<Backend> create_replay(ObjectReader& options, const BackendContext& context) {
  return std::make_unique<Replay>(options, context);
}

}  // namespace lmmbench::models
