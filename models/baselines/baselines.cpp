#include "models/baselines/baselines.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "core/jsonl.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"
#include "datasets/loader_support.hpp"
#include "datasets/manifest.hpp"
#include "datasets/mme.hpp"
#include "datasets/scienceqa.hpp"
#include "models/baselines/simulated_latency.hpp"
#include "models/image_options.hpp"

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
    read_image_limit_options(options, capabilities_);
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

/// Answers recorded elsewhere, in one of five formats (option "format"):
///
///  - "lmmbench" (default): a JSONL of {"id", "prediction"} (any task), or an lmmbench
///    prediction log {"task", "sample_id", "model", "outcome", "prediction", ...} (failed outcomes
///    are skipped; a later line for a key replaces an earlier one, as in the log itself).
///  - "llava-answers": LLaVA's answer files (haotian-liu/LLaVA@c121f04 llava/eval/
///    model_vqa_loader.py et al.: {"question_id", "prompt", "text", "answer_id", "model_id",
///    "metadata"}); "model" selects a model_id.
///  - "lmms-eval-samples": lmms-eval's per-sample logs (samples_<task>.jsonl written with
///    --log_samples: {"doc_id", "doc", "target", "resps", "filtered_resps", ...}); the answer is
///    filtered_resps[0] (option "response": "filtered", default) or resps[0][0] ("raw", which falls
///    back to filtered_resps where lmms-eval left resps out as equal to it); the id is
///    the value at "id_field" (default "doc_id"; e.g. "doc.question_id").
///  - "llava-sqa-results": LLaVA's ScienceQA result JSON (eval_science_qa.py --output-result:
///    {"outputs": {pid: text}, ...}), keyed by pid.
///  - "mme-results": a directory of MME result files ("<subtask>.txt", lines
///    "image\tquestion\tgold\tprediction"), keyed by datasets::mme_question_id and the question.
///
/// A recorded answer is matched to a sample by key — the sample id, or with "sample_key":
/// "question_id" (the default for llava-answers and mme-results) the benchmark's own id in
/// meta.question_id, or "meta.NAME". When several answers share a key (LLaVA's MME files give
/// both questions of an image one question_id), the one whose prompt equals the request's text
/// (LLaVA) or whose question equals the sample's original question (MME) is taken; a sample with
/// no answer, or with several that cannot be told apart, fails as "missing" — never a guess.
class Replay final : public BaselineBackend {
 public:
  Replay(ObjectReader& options, const BackendContext& context)
      : BaselineBackend("replay", options, context, false) {
    const auto path_node = options.required("path");
    const auto path = path_node.as_path();
    model_ = options.get_string("model", "");
    const std::vector<std::string> formats = {"lmmbench", "llava-answers", "lmms-eval-samples",
                                              "llava-sqa-results", "mme-results"};
    if (const auto f = options.find("format")) {
      format_ = f->as_string();
      if (std::find(formats.begin(), formats.end(), format_) == formats.end()) {
        f->fail(fmt::format("unknown replay format '{}'{}; known: {}", format_,
                            did_you_mean(format_, formats), join(formats, ", ")));
      }
    }
    sample_key_ = format_ == "llava-answers" || format_ == "mme-results" ? "question_id" : "id";
    if (const auto k = options.find("sample_key")) {
      sample_key_ = k->as_string();
      if (sample_key_ != "id" && sample_key_ != "question_id" &&
          !(sample_key_.starts_with("meta.") && sample_key_.size() > 5)) {
        k->fail("sample_key must be \"id\", \"question_id\" or \"meta.NAME\"");
      }
    }
    if (format_ == "lmms-eval-samples") {
      id_field_ = options.get_string("id_field", "doc_id");
      response_ = options.get_string("response", "filtered");
      if (response_ != "filtered" && response_ != "raw") {
        options.required("response").fail("response must be \"filtered\" or \"raw\"");
      }
    }
    options.finish();
    if (format_ == "mme-results") {
      std::vector<std::filesystem::path> files;
      datasets::for_each_mme_result(
          path,
          [&](const datasets::MmeResultLine& line) {
            add(datasets::mme_question_id(line.subtask, line.image),
                Record{line.prediction, {}, line.question});
          },
          &files);
      file_hash_ = datasets::manifest_sha256(files, path).substr(0, 16);
    } else {
      datasets::require_file(path, "replay file");
      file_hash_ = sha256_file(path).substr(0, 16);
      load(path);
    }
  }
  [[nodiscard]] std::string fingerprint() const override {
    const std::string format = format_ == "lmmbench" ? "" : format_ + "/";
    return "replay/v1/" + format + file_hash_ + (model_.empty() ? "" : "/" + model_);
  }

 private:
  struct Record {
    std::string text;
    std::optional<std::string> prompt;    ///< The prompt the answer was given to (LLaVA).
    std::optional<std::string> question;  ///< The benchmark question it answers (MME).
  };

  void add(const std::string& key, Record record) {
    auto& list = by_key_[key];
    if (format_ == "lmmbench") list.clear();  // the latest line for an id wins
    list.push_back(std::move(record));
  }

  static std::string text_of(const ConfigNode& node) {
    const nlohmann::json* v = &node.json();
    while (v->is_array() && !v->empty())
      v = &v->front();
    if (!v->is_string()) node.fail("expected a response text (a string, or a list holding one)");
    return v->get<std::string>();
  }

  void load(const std::filesystem::path& path) {
    if (format_ == "llava-sqa-results") {
      datasets::for_each_llava_sqa_output(
          path, [&](const std::string& pid, const std::string& text, const Location&) {
            add(pid, Record{text, {}, {}});
          });
      return;
    }
    for_each_jsonl_record(path, [&](const ConfigNode& record) {
      ObjectReader fields(record);
      if (format_ == "llava-answers") {
        if (!model_.empty() && fields.get_string("model_id", "") != model_) return;
        add(datasets::id_text(fields.required("question_id")),
            Record{fields.required_string("text"), fields.get_string("prompt", ""), {}});
        return;
      }
      if (format_ == "lmms-eval-samples") {
        const auto id = datasets::find_path(record, id_field_);
        if (!id) record.fail(fmt::format("no id at '{}'", id_field_));
        // lmms-eval drops "resps" from a logged sample when it equals "filtered_resps".
        const char* field =
            response_ == "filtered" || !fields.has("resps") ? "filtered_resps" : "resps";
        add(datasets::id_text(*id), Record{text_of(fields.required(field)), {}, {}});
        return;
      }
      if (fields.has("sample_id")) {
        if (!model_.empty() && fields.get_string("model", "") != model_) return;
        if (fields.get_string("outcome", "ok") != "ok") return;
        const std::string task = fields.required_string("task");
        const std::string id = fields.required_string("sample_id");
        by_task_[task + '\0' + id] = fields.required("prediction").as_string();
        return;
      }
      const std::string key = datasets::id_text(fields.required("id"));
      const auto prediction = fields.find("prediction");
      if (!prediction) return;  // no prediction recorded: the sample stays missing
      add(key, Record{prediction->as_string(), {}, {}});
    });
  }

  /// The key a sample's answers are stored under, per sample_key.
  std::string key_of(const Request& request, const datasets::Sample* sample) const {
    if (sample_key_ == "id" || sample == nullptr) return request.sample_id;
    const std::string name = sample_key_ == "question_id" ? "question_id" : sample_key_.substr(5);
    const auto it = sample->meta.find(name);
    if (it == sample->meta.end() || it->is_null()) return request.sample_id;
    return it->is_string() ? it->get<std::string>() : it->dump();
  }

  Completion answer(const Request& request) override {
    if (const auto it = by_task_.find(request.task + '\0' + request.sample_id);
        it != by_task_.end()) {
      return text(it->second);
    }
    const auto* sample = find_sample(request.sample_id);
    const std::string key = key_of(request, sample);
    const auto it = by_key_.find(key);
    if (it == by_key_.end() || it->second.empty()) {
      return Completion::failure(ErrorKind::missing,
                                 "replay: no prediction for sample " + request.sample_id +
                                     (key == request.sample_id ? "" : " (key " + key + ")"));
    }
    const auto& records = it->second;
    if (records.size() == 1) return text(records.front().text);
    // Several answers under one key: tell them apart by what each was asked.
    std::string question;
    if (sample != nullptr) {
      const auto original = sample->meta.find("original_question");
      question = original != sample->meta.end() && original->is_string()
                     ? original->get<std::string>()
                     : sample->question;
    }
    const std::string prompt = request.text();
    const Record* match = nullptr;
    std::size_t matches = 0;
    for (const auto& r : records) {
      const bool same = r.prompt ? *r.prompt == prompt : r.question && *r.question == question;
      if (same) {
        match = &r;
        ++matches;
      }
    }
    if (matches == 1) return text(match->text);
    return Completion::failure(
        ErrorKind::missing,
        fmt::format("replay: {} answers share the key {} and {} of them match sample {}'s {}",
                    records.size(), key, matches, request.sample_id,
                    records.front().prompt ? "prompt" : "question"));
  }

  std::string model_;
  std::string format_ = "lmmbench";
  std::string sample_key_;
  std::string id_field_;
  std::string response_;
  std::string file_hash_;
  std::unordered_map<std::string, std::string> by_task_;
  std::unordered_map<std::string, std::vector<Record>> by_key_;
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
