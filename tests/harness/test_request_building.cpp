// Prompt template sections, and requests whose images must fit a backend (harness/prompt.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "core/file_io.hpp"
#include "datasets/file_beneath.hpp"
#include "datasets/image_io.hpp"
#include "datasets/loader_support.hpp"
#include "harness/config.hpp"
#include "harness/prompt.hpp"

namespace lmmbench::harness {
namespace {

using ::testing::HasSubstr;

const std::filesystem::path kImages =
    std::filesystem::path(LMMBENCH_SOURCE_DIR) / "tests/fixtures/images";

datasets::Sample sample_with(std::string hint) {
  datasets::Sample s;
  s.id = "5";
  s.question = "Which could Gordon's test show?";
  s.options = {"how steady it was", "whether it broke"};
  s.meta = {{"hint", std::move(hint)}};
  return s;
}

TEST(PromptSections, KeepTheirTextOnlyWhenThePlaceholderIsNotEmpty) {
  // LLaVA's ScienceQA prompt: the "Context:" line exists only for problems with a hint.
  const std::string sqa =
      "{if meta.hint}Context: {meta.hint}\n{end}{question}\n{options}\nAnswer with the option's "
      "letter from the given choices directly.";
  EXPECT_EQ(
      render_prompt(sqa, sample_with("A parachute test.")),
      "Context: A parachute test.\nWhich could Gordon's test show?\nA. how steady it was\n"
      "B. whether it broke\nAnswer with the option's letter from the given choices directly.");
  EXPECT_EQ(render_prompt(sqa, sample_with("")),
            "Which could Gordon's test show?\nA. how steady it was\nB. whether it broke\nAnswer "
            "with the option's letter from the given choices directly.");
  // Sections nest; an absent meta key is empty.
  EXPECT_EQ(
      render_prompt("{if meta.hint}<{if meta.absent}x{end}{meta.hint}>{end}.", sample_with("h")),
      "<h>.");
  EXPECT_EQ(render_prompt("{if meta.absent}<{if meta.hint}x{end}>{end}.", sample_with("h")), ".");
}

TEST(PromptTemplates, ShippedVlmEvalKitTasksRenderWhatVlmEvalKitsBuildPromptWrites) {
  // tests/fixtures/vlmevalkit_prompts/prompts.expected.json: the text part of VLMEvalKit's own
  // ImageMCQDataset / ImageVQADataset.build_prompt for hand-written rows (README.md there).
  const std::filesystem::path source(LMMBENCH_SOURCE_DIR);
  const auto expected = nlohmann::json::parse(
      read_file_bytes(source / "tests/fixtures/vlmevalkit_prompts/prompts.expected.json"));
  ::setenv("LMMBENCH_DATA", "/nonexistent", 0);
  const std::vector<std::pair<std::string, std::string>> tasks = {
      {"ai2d_test", "mcq"},          {"mmstar", "mcq"},
      {"realworldqa", "mcq"},        {"mmbench_dev_en_v11", "mcq"},
      {"mmbench_dev_cn_v11", "mcq"}, {"infovqa_val", "vqa"}};
  for (const auto& [file, kind] : tasks) {
    const TaskConfig task = load_task_config(
        ConfigNode(JsonSource::from_file(source / "configs/tasks" / (file + ".json"))));
    EXPECT_EQ(task.prompt.image_placement, PromptConfig::ImagePlacement::before) << file;
    for (const auto& c : expected.at("cases")) {
      datasets::Sample s;
      s.question = c.at("question");
      s.options = c.at("options").get<std::vector<std::string>>();
      // The vlmevalkit-tsv loader's meta.hint: "" for a NaN hint.
      s.meta = {{"hint", c.at("hint").is_null() ? std::string() : c.at("hint").get<std::string>()}};
      EXPECT_EQ(render_prompt(task.prompt.template_text, s), c.at(kind).get<std::string>())
          << file << " " << c.at("id");
    }
  }
}

TEST(PromptSections, NegatedKeepTheirTextOnlyWhenThePlaceholderIsEmpty) {
  // lmms-eval's MMMU prompt (tasks/mmmu/utils.py construct_prompt): options and the letter
  // instruction for multiple choice, the short-answer instruction for open questions.
  const std::string mmmu =
      "{question}\n{if options}{options}\n\nAnswer with the option's letter from the given "
      "choices directly.{end}{if !options}\nAnswer the question using a single word or "
      "phrase.{end}";
  EXPECT_EQ(render_prompt(mmmu, sample_with("")),
            "Which could Gordon's test show?\nA. how steady it was\nB. whether it broke\n\nAnswer "
            "with the option's letter from the given choices directly.");
  datasets::Sample open = sample_with("");
  open.options.clear();
  EXPECT_EQ(render_prompt(mmmu, open),
            "Which could Gordon's test show?\n\nAnswer the question using a single word or "
            "phrase.");
  EXPECT_EQ(render_prompt("{if meta.hint}<{if !meta.absent}x{end}>{end}.", sample_with("h")),
            "<x>.");
  EXPECT_EQ(render_prompt("{if !meta.hint}<{if meta.hint}x{end}>{end}.", sample_with("")), "<>.");
}

TEST(PromptSections, EqualityConditionsCompareTextOrNumbers) {
  // lmms-eval's MathVista format prompt: the hint depends on the answer type and precision.
  datasets::Sample s = sample_with("");
  s.meta["answer_type"] = "float";
  s.meta["precision"] = 2.0;  // a parquet float column
  const std::string hint =
      "{if meta.answer_type=integer}int{end}{if meta.precision=1}one{end}"
      "{if meta.precision=2}two{end}{if !meta.answer_type=float}not float{end}";
  EXPECT_EQ(render_prompt(hint, s), "two");
  s.meta["answer_type"] = "integer";
  s.meta["precision"] = nullptr;
  EXPECT_EQ(render_prompt(hint, s), "intnot float");
  EXPECT_EQ(render_prompt("{if meta.precision=}none{end}", s), "none");
}

/// The prompt template of the shipped task config `name`.
std::string shipped_template(const std::string& name) {
  const auto source = JsonSource::from_file(std::filesystem::path(LMMBENCH_SOURCE_DIR) /
                                            "configs/tasks" / (name + ".json"));
  return source->root().at("prompt").at("template").get<std::string>();
}

TEST(ShippedPrompts, MmmuAndMathVistaAreLmmsEvalsPrompts) {
  // lmms-eval@75571cf tasks/mmmu/utils.py construct_prompt:
  // f"{question}\n{parsed_options}\n\n{mc_prompt}" and f"{question}\n\n{open_ended_prompt}".
  datasets::Sample mc;
  mc.question = "<image 1> Which one?";
  mc.options = {"x", "y"};
  EXPECT_EQ(render_prompt(shipped_template("mmmu_val"), mc),
            "<image 1> Which one?\nA. x\nB. y\n\nAnswer with the option's letter from the given "
            "choices directly.");
  datasets::Sample open;
  open.question = "How many?";
  EXPECT_EQ(render_prompt(shipped_template("mmmu_val"), open),
            "How many?\n\nAnswer the question using a single word or phrase.");
  // tasks/mathvista/mathvista_evals.py create_one_query, shot_type "format-prompt": question
  // (+ " (Unit: u)"), "A. choice" lines, the hint of the answer type, joined by line breaks.
  const std::string mathvista = shipped_template("mathvista_testmini");
  datasets::Sample choice = mc;
  choice.meta = {{"question_type", "multi_choice"},
                 {"answer_type", "text"},
                 {"precision", nullptr},
                 {"unit", nullptr}};
  EXPECT_EQ(render_prompt(mathvista, choice),
            "<image 1> Which one?\nA. x\nB. y\nAnswer with the option's letter from the given "
            "choices directly.");
  datasets::Sample real = open;
  real.meta = {
      {"question_type", "free_form"}, {"answer_type", "float"}, {"precision", 2.0}, {"unit", "cm"}};
  EXPECT_EQ(render_prompt(mathvista, real),
            "How many? (Unit: cm)\nAnswer the question using a single floating-point number with "
            "two decimal places.");
  real.meta["precision"] = 1.0;
  real.meta["unit"] = "";
  EXPECT_EQ(render_prompt(mathvista, real),
            "How many?\nAnswer the question using a single floating-point number with one "
            "decimal place.");
  real.meta["answer_type"] = "integer";
  real.meta["precision"] = nullptr;
  EXPECT_EQ(render_prompt(mathvista, real),
            "How many?\nAnswer the question using a single integer number.");
  real.meta["answer_type"] = "list";
  EXPECT_EQ(render_prompt(mathvista, real), "How many?\nAnswer the question using a Python list.");
}

TEST(PromptSections, AreValidatedWithTheTemplate) {
  const ConfigNode where(JsonSource::from_value("x", "task.json", 7));
  EXPECT_NO_THROW(validate_template("{if meta.hint}{meta.hint}\n{end}{question}", where));
  EXPECT_NO_THROW(validate_template("{if options}{options}{end}", where));
  EXPECT_NO_THROW(validate_template("{if !options}none{end}", where));
  EXPECT_NO_THROW(validate_template("{if meta.answer_type=integer}x{end}", where));
  EXPECT_NO_THROW(validate_template("{if !meta.precision=1}x{end}", where));
  auto error = [&](const std::string& text) {
    try {
      validate_template(text, where);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_THAT(error("{if meta.hint}no end"), HasSubstr("task.json:7: {if ...} without {end}"));
  EXPECT_THAT(error("{end}"), HasSubstr("{end} without an {if ...}"));
  EXPECT_THAT(error("{if questoin}x{end}"), HasSubstr("did you mean 'question'"));
  EXPECT_THAT(error("{if !questoin}x{end}"), HasSubstr("did you mean 'question'"));
  EXPECT_THAT(error("{if questoin=x}x{end}"), HasSubstr("did you mean 'question'"));
}

TaskConfig task() {
  TaskConfig t;
  t.name = "t";
  t.prompt.template_text = "{question}";
  return t;
}

datasets::Sample image_sample(const std::string& file) {
  datasets::Sample s;
  s.id = "1";
  s.question = "What is shown?";
  datasets::ImageRef image;
  image.path = kImages / file;
  image.mime_type = *datasets::sniff_image_mime_type(read_file_bytes(image.path));
  s.images = {image};
  return s;
}

const models::ImagePart& image_of(const models::Request& r) {
  return std::get<models::ImagePart>(r.content.front());
}

TEST(RequestImages, AreReencodedToFitTheBackend) {
  models::Capabilities caps;
  caps.max_images_per_request = 1;
  caps.max_image_side = 336;
  caps.image_mime_types = {"image/jpeg"};
  const auto request = build_request(task(), image_sample("gradient_1200x800.png"), caps);
  const auto& image = image_of(request);
  EXPECT_EQ(image.mime_type, "image/jpeg");
  const auto info = datasets::probe_image_bytes(*image.bytes, "sent");
  EXPECT_EQ(info.width, 336);
  EXPECT_EQ(info.height, 224);
  // The prompt hash follows what is sent: other limits, other bytes, other hash.
  caps.max_image_side = 0;
  EXPECT_NE(prompt_sha256(build_request(task(), image_sample("gradient_1200x800.png"), caps)),
            prompt_sha256(request));
  // Without limits the file's own bytes are sent.
  const auto plain = build_request(task(), image_sample("quadrants.webp"));
  EXPECT_EQ(*image_of(plain).bytes, read_file_bytes(kImages / "quadrants.webp"));
  EXPECT_EQ(image_of(plain).mime_type, "image/webp");
}

TEST(RequestImages, ABadSampleBecomesItsOwnRecordedFailure) {
  models::Capabilities caps;
  caps.max_images_per_request = 1;
  // The loader already found a problem: no model is asked.
  auto flagged = image_sample("quadrants.png");
  flagged.error = "q.jsonl:3: field /images/0: image file not found: x.png";
  auto prepared = prepare_request(task(), flagged, caps);
  EXPECT_FALSE(prepared.request.has_value());
  EXPECT_EQ(prepared.failure.error, models::ErrorKind::invalid_input);
  EXPECT_EQ(prepared.failure.error_message, flagged.error);
  // A file whose header is fine but whose data is not decodes badly: invalid input.
  prepared = prepare_request(task(), image_sample("corrupt.png"), caps);
  EXPECT_EQ(prepared.failure.error, models::ErrorKind::invalid_input);
  EXPECT_THAT(prepared.failure.error_message, HasSubstr("corrupt.png: not a readable image"));
  prepared = prepare_request(task(), image_sample("truncated.jpg"), caps);
  EXPECT_EQ(prepared.failure.error, models::ErrorKind::invalid_input);
  // An image no accepted encoding can carry: unsupported.
  caps.image_mime_types = {"image/webp"};
  prepared = prepare_request(task(), image_sample("quadrants.png"), caps);
  EXPECT_EQ(prepared.failure.error, models::ErrorKind::unsupported);
  EXPECT_THAT(prepared.failure.error_message, HasSubstr("accepts only image/webp"));
  // And a good one is a request.
  caps.image_mime_types = {};
  EXPECT_TRUE(prepare_request(task(), image_sample("two_frames.gif"), caps).request.has_value());
}

/// A dataset root with images/a.png and images/b.webp, and a secret beside it (outside).
class LoadedImages : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lmmbench-request-images-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "root/images");
    std::filesystem::copy_file(kImages / "quadrants.png", dir_ / "root/images/a.png");
    std::filesystem::copy_file(kImages / "quadrants.webp", dir_ / "root/images/b.webp");
    std::filesystem::copy_file(kImages / "gradient_1200x800.png", dir_ / "secret.png");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Samples attached the way every loader attaches them.
  std::vector<datasets::Sample> load(const std::vector<std::string>& images,
                                     std::uint64_t memory_bytes) {
    datasets::ImageOptions options{dir_ / "root", true, true};
    options.budget.memory_bytes = memory_bytes;
    const datasets::ImageAttacher attacher(options);
    std::vector<std::filesystem::path> files;
    std::vector<datasets::Sample> samples;
    for (const auto& image : images) {
      auto& s = samples.emplace_back();
      s.id = std::to_string(samples.size());
      s.question = "What is shown?";
      attacher.attach(s, image, Location{"q.jsonl", samples.size(), "/image"}, files);
      EXPECT_EQ(s.error, "");
    }
    return samples;
  }

  std::filesystem::path dir_;
};

TEST_F(LoadedImages, EachImageIsOpenedOncePerSampleForAllModels) {
  const auto before = datasets::image_file_opens();
  const auto samples = load({"images/a.png", "images/b.webp", "images/a.png"}, 1 << 20);
  EXPECT_EQ(datasets::image_file_opens() - before, 2u);  // two files, each opened once
  // Four models with different limits; inference builds each request twice (its key, then the
  // request it sends).
  std::vector<models::Capabilities> models(4);
  models[1].max_image_side = 64;
  models[2].image_mime_types = {"image/jpeg"};
  models[3].max_image_bytes = 4096;
  for (const auto& caps : models) {
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& sample : samples) {
        EXPECT_TRUE(prepare_request(task(), sample, caps).request.has_value()) << sample.id;
      }
    }
  }
  EXPECT_EQ(datasets::image_file_opens() - before, 2u);
}

TEST_F(LoadedImages, AnImageSwappedForALinkOutsideTheRootAfterLoadingIsThatSamplesError) {
  // Nothing kept in memory: the request reads the file again.
  const auto samples = load({"images/a.png", "images/b.webp"}, 0);
  std::filesystem::remove(dir_ / "root/images/a.png");
  std::filesystem::create_symlink(dir_ / "secret.png", dir_ / "root/images/a.png");
  const auto swapped = prepare_request(task(), samples[0], {});
  ASSERT_FALSE(swapped.request.has_value());
  EXPECT_EQ(swapped.failure.error, models::ErrorKind::invalid_input);
  EXPECT_THAT(swapped.failure.error_message,
              HasSubstr((dir_ / "root/images/a.png").string() + " is a symbolic link"));
  // The other sample is untouched.
  EXPECT_TRUE(prepare_request(task(), samples[1], {}).request.has_value());
  // Kept in memory (the default budget): the request carries the bytes that were checked, never
  // the file behind the link.
  std::filesystem::remove(dir_ / "root/images/a.png");
  std::filesystem::copy_file(kImages / "quadrants.png", dir_ / "root/images/a.png");
  const auto kept = load({"images/a.png"}, 1 << 20);
  std::filesystem::remove(dir_ / "root/images/a.png");
  std::filesystem::create_symlink(dir_ / "secret.png", dir_ / "root/images/a.png");
  const auto request = prepare_request(task(), kept[0], {});
  ASSERT_TRUE(request.request.has_value());
  EXPECT_EQ(*image_of(*request.request).bytes,
            lmmbench::read_file_bytes(kImages / "quadrants.png"));
}

}  // namespace
}  // namespace lmmbench::harness
