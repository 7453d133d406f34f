#include "datasets/mme.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "core/jsonl.hpp"
#include "core/text.hpp"
#include "datasets/loader_support.hpp"

namespace lmmbench::datasets {

namespace {

constexpr std::string_view kInstruction = "Please answer yes or no.";

void check_gold(const std::string& gold, const Location& where) {
  if (gold != "Yes" && gold != "No") {
    throw InputError(where, fmt::format("MME's answer must be Yes or No, not '{}'", gold));
  }
}

/// Fills the fields both MME loaders share.
Sample mme_sample(const std::string& subtask, const std::string& image, const std::string& question,
                  const std::string& gold, IdDisambiguator& disambiguate) {
  Sample sample;
  const std::string question_id = mme_question_id(subtask, image);
  sample.id = disambiguate.next(question_id);
  sample.question = mme_question_without_instruction(question);
  sample.references = {gold};
  sample.category = subtask;
  sample.meta["subtask"] = subtask;
  sample.meta["image"] = image;
  sample.meta["question_id"] = question_id;
  sample.meta["original_question"] = question;
  return sample;
}

std::vector<std::string> checked_subtasks(ObjectReader& options) {
  std::vector<std::string> all(kMmeSubtasks.begin(), kMmeSubtasks.end());
  const auto node = options.find("subtasks");
  if (!node) return all;
  std::vector<std::string> out;
  for (const auto& element : node->elements()) {
    const std::string name = element.as_string();
    if (std::find(all.begin(), all.end(), name) == all.end()) {
      element.fail(fmt::format("unknown MME subtask '{}'{}", name, did_you_mean(name, all)));
    }
    out.push_back(name);
  }
  return out;
}

}  // namespace

std::string mme_question_without_instruction(std::string_view question) {
  std::string_view q = trim(question);
  if (q.ends_with(kInstruction)) {
    q.remove_suffix(kInstruction.size());
    while (!q.empty() && q.back() == ' ')
      q.remove_suffix(1);
  }
  return std::string(q);
}

std::string mme_question_id(std::string_view subtask, std::string_view image) {
  constexpr std::array<std::string_view, 5> kWithImageFolder = {"artwork", "celebrity", "landmark",
                                                                "posters", "scene"};
  const bool folder = std::find(kWithImageFolder.begin(), kWithImageFolder.end(), subtask) !=
                      kWithImageFolder.end();
  return std::string(subtask) + (folder ? "/images/" : "/") + std::string(image);
}

std::filesystem::path mme_image_dir(const std::filesystem::path& root, std::string_view subtask) {
  const auto with_images = root / subtask / "images";
  std::error_code ec;
  return std::filesystem::is_directory(with_images, ec) ? with_images : root / subtask;
}

Dataset MmeLoader::load() const {
  require_directory(options_.root, "MME benchmark directory (MME_Benchmark_release_version)");
  Dataset dataset;
  dataset.name = "mme";
  dataset.root = options_.root;
  IdDisambiguator disambiguate;
  for (const auto& subtask : options_.subtasks) {
    require_directory(options_.root / subtask, "MME subtask directory");
    const auto image_dir = mme_image_dir(options_.root, subtask);
    const bool separate = image_dir.filename() == "images";
    const auto qa_dir = separate ? options_.root / subtask / "questions_answers_YN" : image_dir;
    require_directory(qa_dir, "MME question directory");
    std::vector<std::filesystem::path> question_files;
    for (const auto& entry : std::filesystem::directory_iterator(qa_dir)) {
      if (entry.path().extension() == ".txt") question_files.push_back(entry.path());
    }
    std::sort(question_files.begin(), question_files.end());
    if (question_files.empty()) {
      throw InputError(Location{qa_dir.string(), 0, ""},
                       fmt::format("MME subtask '{}' has no question files (*.txt)", subtask));
    }
    // Images are named by the .txt file's stem; the attacher resolves them under the root.
    const ImageAttacher images(ImageOptions{options_.root, options_.load_images,
                                            options_.verify_images, options_.image_budget});
    for (const auto& file : question_files) {
      dataset.files.push_back(file);
      std::string image;
      for (const char* ext : {".jpg", ".png", ".jpeg", ".JPG", ".PNG"}) {
        const auto candidate = file.stem().string() + ext;
        if (std::filesystem::exists(image_dir / candidate)) {
          image = candidate;
          break;
        }
      }
      const bool found = !image.empty();
      if (!found) image = file.stem().string() + ".jpg";
      const std::size_t before = dataset.samples.size();
      for_each_line(file, [&](std::size_t line, std::string_view text) {
        const Location where{file.string(), line, ""};
        if (trim(text).empty()) return;
        const auto fields = split(trim(text), '\t');
        if (fields.size() != 2) {
          throw InputError(where, fmt::format("expected 'question<TAB>Yes|No', found {} field(s)",
                                              fields.size()));
        }
        const std::string gold(trim(fields[1]));
        check_gold(gold, where);
        Sample sample = mme_sample(subtask, image, fields[0], gold, disambiguate);
        if (options_.load_images) {
          const auto relative = (image_dir / image).lexically_relative(options_.root);
          if (found) {
            images.attach(sample, relative.generic_string(), where, dataset.files);
          } else {
            set_sample_error(
                sample, where,
                "no image " + file.stem().string() + ".jpg or .png in " + image_dir.string());
          }
        }
        dataset.samples.push_back(std::move(sample));
      });
      if (dataset.samples.size() == before) {
        throw InputError(Location{file.string(), 0, ""},
                         "no questions (expected lines 'question<TAB>Yes|No')");
      }
    }
  }
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> MmeLoader::create(ObjectReader& options) {
  Options o;
  o.root = options.required("root").as_path();
  o.subtasks = checked_subtasks(options);
  o.load_images = options.get_bool("load_images", true);
  o.verify_images = options.get_bool("verify_images", true);
  o.image_budget = read_image_budget(options);
  options.finish();
  return std::make_unique<MmeLoader>(std::move(o));
}

void for_each_mme_result(const std::filesystem::path& directory,
                         const std::function<void(const MmeResultLine&)>& on_line,
                         std::vector<std::filesystem::path>* files) {
  require_directory(directory, "MME results directory");
  bool any = false;
  for (const auto& subtask : kMmeSubtasks) {
    const auto file = directory / (subtask + ".txt");
    if (!std::filesystem::is_regular_file(file)) continue;
    any = true;
    if (files != nullptr) files->push_back(file);
    bool lines = false;
    for_each_line(file, [&](std::size_t line, std::string_view text) {
      if (text.ends_with('\r')) text.remove_suffix(1);
      if (text.empty()) return;
      lines = true;
      MmeResultLine result;
      result.where = Location{file.string(), line, ""};
      std::size_t start = 0;
      std::string* parts[] = {&result.image, &result.question, &result.gold};
      for (auto* part : parts) {
        const auto tab = text.find('\t', start);
        if (tab == std::string_view::npos) {
          throw InputError(result.where,
                           "expected 'image<TAB>question<TAB>gold<TAB>prediction' (4 fields)");
        }
        *part = std::string(text.substr(start, tab - start));
        start = tab + 1;
      }
      result.prediction = std::string(text.substr(start));
      result.subtask = std::string(subtask);
      check_gold(result.gold, result.where);
      on_line(result);
    });
    if (!lines) {
      throw InputError(Location{file.string(), 0, ""},
                       "no result lines (expected 'image<TAB>question<TAB>gold<TAB>prediction')");
    }
  }
  if (!any) {
    throw MissingDataError(Location{directory.string(), 0, ""},
                           "no MME result file (<subtask>.txt, e.g. existence.txt) in this "
                           "directory");
  }
}

Dataset MmeResultsLoader::load() const {
  Dataset dataset;
  dataset.name = options_.path.filename().string();
  dataset.root = options_.path;
  IdDisambiguator disambiguate;
  const std::filesystem::path image_root = options_.image_root.value_or(options_.path);
  const ImageAttacher images(ImageOptions{image_root, options_.image_root.has_value(),
                                          options_.verify_images, options_.image_budget});
  for_each_mme_result(
      options_.path,
      [&](const MmeResultLine& line) {
        Sample sample =
            mme_sample(line.subtask, line.image, line.question, line.gold, disambiguate);
        if (options_.image_root) {
          const auto relative =
              (mme_image_dir(image_root, line.subtask) / line.image).lexically_relative(image_root);
          images.attach(sample, relative.generic_string(), line.where, dataset.files);
        }
        dataset.samples.push_back(std::move(sample));
      },
      &dataset.files);
  finish_files(dataset);
  return dataset;
}

std::unique_ptr<Loader> MmeResultsLoader::create(ObjectReader& options) {
  Options o;
  o.path = options.required("path").as_path();
  if (const auto root = options.find("image_root")) o.image_root = root->as_path();
  o.verify_images = options.get_bool("verify_images", true);
  o.image_budget = read_image_budget(options);
  options.finish();
  return std::make_unique<MmeResultsLoader>(std::move(o));
}

}  // namespace lmmbench::datasets
