#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <stb_image.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "core/sha256.hpp"
#include "dataset_test_support.hpp"
#include "datasets/lmmbench_jsonl.hpp"
#include "datasets/raster_draw.hpp"
#include "datasets/synthetic_vqa.hpp"

namespace lmmbench::datasets {
namespace {

using test_support::read_text;
using test_support::TempDir;
using test_support::write_text;
using ::testing::HasSubstr;

constexpr std::array<const char*, 4> kJsonlFiles = {
    "open.jsonl", "mc.jsonl", "open_calibration.jsonl", "mc_calibration.jsonl"};

SyntheticVqaSpec small_spec(std::uint64_t seed) {
  SyntheticVqaSpec spec;
  spec.seed = seed;
  spec.open_items = 25;
  spec.mc_items = 12;
  spec.open_calibration_items = 10;
  spec.mc_calibration_items = 8;
  return spec;
}

Dataset load(const std::filesystem::path& jsonl) {
  return LmmbenchJsonlLoader({jsonl, {}, true}).load();
}

/// The most frequent reference and how often it occurs (ties: the first).
std::pair<std::string, int> canonical(const Sample& s) {
  std::map<std::string, int> counts;
  for (const auto& r : s.references)
    ++counts[r];
  std::pair<std::string, int> best{"", 0};
  for (const auto& r : s.references) {
    if (counts[r] > best.second) best = {r, counts[r]};
  }
  return best;
}

/// What a model must answer: the option text behind the gold letter, or the canonical answer.
std::string gold_text(const Sample& s) {
  const std::string answer = canonical(s).first;
  if (s.options.empty()) return answer;
  return s.options.at(static_cast<std::size_t>(answer.at(0) - 'A'));
}

std::string upper(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// ---------------------------------------------------------------------------------------------
// Reading the ground truth back from pixels, independently of the generator's scene model.

struct Decoded {
  int width = 0;
  int height = 0;
  std::vector<Rgb> pixels;

  [[nodiscard]] Rgb at(int x, int y) const {
    return pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                  static_cast<std::size_t>(x)];
  }
};

Decoded decode(const std::filesystem::path& path) {
  Decoded d;
  int channels = 0;
  stbi_uc* data = stbi_load(path.c_str(), &d.width, &d.height, &channels, 3);
  if (data == nullptr) throw Error("cannot decode " + path.string() + ": " + stbi_failure_reason());
  d.pixels.resize(static_cast<std::size_t>(d.width) * static_cast<std::size_t>(d.height));
  for (std::size_t i = 0; i < d.pixels.size(); ++i) {
    d.pixels[i] = {data[3 * i], data[3 * i + 1], data[3 * i + 2]};
  }
  stbi_image_free(data);
  return d;
}

struct Component {
  std::string colour;  ///< Palette name.
  std::string shape;   ///< Classified from geometry; "unknown" if nothing fits.
  int area = 0;
  int x0 = 0, y0 = 0, x1 = 0, y1 = 0;  ///< Inclusive bounding box.
  double cx = 0, cy = 0;               ///< Centroid.
};

/// circle / square / triangle / diamond from the fill ratio of the bounding box and where the
/// component is widest: triangles at the bottom, diamonds in the middle.
std::string classify(const Component& c, const std::vector<int>& row_widths) {
  const int w = c.x1 - c.x0 + 1;
  const int h = c.y1 - c.y0 + 1;
  const double fill = static_cast<double>(c.area) / (static_cast<double>(w) * h);
  const auto width_at = [&](double f) {
    return row_widths[static_cast<std::size_t>(std::lround(f * (h - 1)))];
  };
  if (fill > 0.95 && std::abs(w - h) <= 1) return "square";
  if (fill > 0.72 && fill < 0.85 && std::abs(w - h) <= 1) return "circle";
  if (fill > 0.42 && fill < 0.58) {
    if (width_at(0.85) > 2 * width_at(0.25)) return "triangle";
    if (width_at(0.5) > 1.5 * std::max(width_at(0.15), width_at(0.85))) return "diamond";
  }
  return "unknown";
}

struct Analysis {
  std::vector<Component> components;
  std::vector<bool> ink;  ///< Per pixel.
  int ink_x0 = INT32_MAX, ink_y0 = INT32_MAX, ink_x1 = -1, ink_y1 = -1;
  int unexpected_pixels = 0;  ///< Neither background, ink nor a palette colour.
};

Analysis analyse(const Decoded& image) {
  const auto palette = synthetic_vqa_palette();
  const auto n = image.pixels.size();
  std::vector<int> label(n, -1);  // palette index, -1 background or ink
  Analysis a;
  a.ink.assign(n, false);
  for (std::size_t i = 0; i < n; ++i) {
    const Rgb p = image.pixels[i];
    if (p == kSyntheticVqaBackground) continue;
    const int x = static_cast<int>(i % static_cast<std::size_t>(image.width));
    const int y = static_cast<int>(i / static_cast<std::size_t>(image.width));
    if (p == kSyntheticVqaInk) {
      a.ink[i] = true;
      a.ink_x0 = std::min(a.ink_x0, x);
      a.ink_y0 = std::min(a.ink_y0, y);
      a.ink_x1 = std::max(a.ink_x1, x);
      a.ink_y1 = std::max(a.ink_y1, y);
      continue;
    }
    const auto it = std::find_if(palette.begin(), palette.end(),
                                 [&](const NamedColour& c) { return c.rgb == p; });
    if (it == palette.end()) {
      ++a.unexpected_pixels;
      continue;
    }
    label[i] = static_cast<int>(it - palette.begin());
  }
  std::vector<bool> seen(n, false);
  for (std::size_t start = 0; start < n; ++start) {
    if (label[start] < 0 || seen[start]) continue;
    // 4-connected flood fill over pixels of exactly this colour.
    std::vector<std::size_t> stack = {start};
    std::vector<std::size_t> members;
    seen[start] = true;
    while (!stack.empty()) {
      const std::size_t i = stack.back();
      stack.pop_back();
      members.push_back(i);
      const auto x = i % static_cast<std::size_t>(image.width);
      const auto y = i / static_cast<std::size_t>(image.width);
      const auto visit = [&](std::size_t j) {
        if (!seen[j] && label[j] == label[start]) {
          seen[j] = true;
          stack.push_back(j);
        }
      };
      if (x > 0) visit(i - 1);
      if (x + 1 < static_cast<std::size_t>(image.width)) visit(i + 1);
      if (y > 0) visit(i - static_cast<std::size_t>(image.width));
      if (y + 1 < static_cast<std::size_t>(image.height))
        visit(i + static_cast<std::size_t>(image.width));
    }
    Component c;
    c.colour = std::string(palette[static_cast<std::size_t>(label[start])].name);
    c.area = static_cast<int>(members.size());
    c.x0 = c.y0 = INT32_MAX;
    c.x1 = c.y1 = -1;
    double sx = 0, sy = 0;
    for (const auto i : members) {
      const int x = static_cast<int>(i % static_cast<std::size_t>(image.width));
      const int y = static_cast<int>(i / static_cast<std::size_t>(image.width));
      c.x0 = std::min(c.x0, x);
      c.y0 = std::min(c.y0, y);
      c.x1 = std::max(c.x1, x);
      c.y1 = std::max(c.y1, y);
      sx += x + 0.5;
      sy += y + 0.5;
    }
    c.cx = sx / c.area;
    c.cy = sy / c.area;
    std::vector<int> rows(static_cast<std::size_t>(c.y1 - c.y0 + 1), 0);
    for (const auto i : members) {
      ++rows[i / static_cast<std::size_t>(image.width) - static_cast<std::size_t>(c.y0)];
    }
    c.shape = classify(c, rows);
    a.components.push_back(std::move(c));
  }
  return a;
}

std::vector<const Component*> matching(const Analysis& a, const std::string& shape,
                                       const std::string& colour) {
  std::vector<const Component*> out;
  for (const auto& c : a.components) {
    if ((shape.empty() || c.shape == shape) && (colour.empty() || c.colour == colour))
      out.push_back(&c);
  }
  return out;
}

/// The ink is exactly `text` drawn by draw_text at some scale: its bounding box has the size of
/// the text's extent and every pixel agrees with a fresh rendering.
bool ink_reads(const Analysis& a, const Decoded& image, const std::string& text) {
  if (a.ink_x1 < 0) return false;
  const int w = a.ink_x1 - a.ink_x0 + 1;
  const int h = a.ink_y1 - a.ink_y0 + 1;
  for (int scale = 1; scale <= 40; ++scale) {
    const TextExtent e = text_extent(text, scale);
    if (e.width != w || e.height != h) continue;
    const Rgb bg = kSyntheticVqaBackground;
    RgbImage expected(w, h, bg.r, bg.g, bg.b);
    draw_text(expected, text, 0, 0, scale, kSyntheticVqaInk);
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const std::size_t i = (static_cast<std::size_t>(y) * static_cast<std::size_t>(w) +
                               static_cast<std::size_t>(x)) *
                              3;
        const bool want = expected.pixels[i] == kSyntheticVqaInk.r;
        const bool have =
            a.ink[static_cast<std::size_t>(a.ink_y0 + y) * static_cast<std::size_t>(image.width) +
                  static_cast<std::size_t>(a.ink_x0 + x)];
        if (want != have) return false;
      }
    }
    return true;
  }
  return false;
}

/// Checks one item's gold answer against what its image shows.
void verify_against_pixels(const Sample& s) {
  SCOPED_TRACE(s.id + ": " + s.question);
  const Decoded image = decode(s.images.at(0).path);
  const Analysis a = analyse(image);
  ASSERT_EQ(a.unexpected_pixels, 0) << "only background, ink and palette colours are drawn";
  for (const auto& c : a.components) {
    EXPECT_NE(c.shape, "unknown") << c.colour << " component at " << c.x0 << "," << c.y0;
    EXPECT_GE(c.area, 500) << "shapes are large";
  }
  const std::string gold = gold_text(s);
  std::smatch m;
  static const std::regex colour_q(R"(What color is the (\w+)\?)");
  static const std::regex count_shape_q(R"(How many (\w+)s are there\?)");
  static const std::regex count_colour_q(R"(How many (\w+) shapes are there\?)");
  static const std::regex exists_q(R"(Is there a (\w+) (\w+)\?)");
  static const std::regex spatial_q(
      R"(Is the (\w+) (to the left of|to the right of|above|below) the (\w+)\?)");
  static const std::regex which_q(R"(Which shape is (\w+)\?)");
  static const std::regex read_q(R"(What (word|number) is written in the image\?)");
  if (std::regex_match(s.question, m, colour_q)) {
    const auto found = matching(a, m[1], "");
    ASSERT_EQ(found.size(), 1u) << "the asked shape is unique";
    EXPECT_EQ(found[0]->colour, gold);
  } else if (std::regex_match(s.question, m, count_colour_q)) {
    EXPECT_EQ(std::to_string(matching(a, "", m[1]).size()), gold);
  } else if (std::regex_match(s.question, m, count_shape_q)) {
    EXPECT_EQ(std::to_string(matching(a, m[1], "").size()), gold);
  } else if (std::regex_match(s.question, m, exists_q)) {
    EXPECT_EQ(matching(a, m[2], m[1]).empty() ? "no" : "yes", gold);
    // Binding: the shape in another colour and the colour on another shape are both present.
    EXPECT_GT(matching(a, m[2], "").size(), matching(a, m[2], m[1]).size());
    EXPECT_GT(matching(a, "", m[1]).size(), matching(a, m[2], m[1]).size());
  } else if (std::regex_match(s.question, m, spatial_q)) {
    const auto first = matching(a, m[1], "");
    const auto second = matching(a, m[3], "");
    ASSERT_EQ(first.size(), 1u);
    ASSERT_EQ(second.size(), 1u);
    const double dx = first[0]->cx - second[0]->cx;
    const double dy = first[0]->cy - second[0]->cy;
    const std::string relation = m[2];
    const bool horizontal = relation == "to the left of" || relation == "to the right of";
    EXPECT_GT(horizontal ? std::abs(dx) : std::abs(dy), horizontal ? std::abs(dy) : std::abs(dx))
        << "the offset is dominant along the asked axis";
    const bool holds = relation == "to the left of"    ? dx < 0
                       : relation == "to the right of" ? dx > 0
                       : relation == "above"           ? dy < 0
                                                       : dy > 0;
    EXPECT_EQ(holds ? "yes" : "no", gold);
  } else if (std::regex_match(s.question, m, which_q)) {
    const auto found = matching(a, "", m[1]);
    ASSERT_EQ(found.size(), 1u) << "the asked colour is unique";
    EXPECT_EQ(found[0]->shape, gold);
  } else if (std::regex_match(s.question, m, read_q)) {
    EXPECT_TRUE(ink_reads(a, image, m[1] == "word" ? upper(gold) : gold))
        << "the ink spells '" << gold << "'";
    EXPECT_GE(a.ink_y1 - a.ink_y0 + 1, 40) << "text is large";
  } else {
    ADD_FAILURE() << "question of no known family";
  }
}

// ---------------------------------------------------------------------------------------------
// The quickstart suite (default spec), generated once per test process.

class QuickstartSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<TempDir>("synthetic-quickstart");
    suite_ = std::make_unique<SyntheticVqaSuite>(
        ensure_synthetic_vqa(SyntheticVqaSpec{}, dir_->path() / "suite"));
  }
  static void TearDownTestSuite() {
    suite_.reset();
    dir_.reset();
  }

  static Dataset split(const char* file) { return load(suite_->directory / file); }

  static std::unique_ptr<TempDir> dir_;
  static std::unique_ptr<SyntheticVqaSuite> suite_;
};

std::unique_ptr<TempDir> QuickstartSuite::dir_;
std::unique_ptr<SyntheticVqaSuite> QuickstartSuite::suite_;

TEST_F(QuickstartSuite, EveryItemLoadsWithTenAnswersAndTheDocumentedFields) {
  const SyntheticVqaSpec spec;
  const std::map<std::string, std::size_t> expected = {
      {"open.jsonl", spec.open_items},
      {"mc.jsonl", spec.mc_items},
      {"open_calibration.jsonl", spec.open_calibration_items},
      {"mc_calibration.jsonl", spec.mc_calibration_items}};
  std::set<std::string> ids;
  std::size_t images = 0;
  for (const auto& [file, count] : expected) {
    const Dataset d = split(file.c_str());
    ASSERT_EQ(d.samples.size(), count) << file;
    const bool mc = file.starts_with("mc");
    for (const auto& s : d.samples) {
      SCOPED_TRACE(s.id);
      EXPECT_TRUE(ids.insert(s.id).second) << "ids are unique across splits";
      ASSERT_EQ(s.images.size(), 1u);
      EXPECT_EQ(s.images[0].mime_type, "image/png");
      ++images;
      ASSERT_EQ(s.references.size(), 10u);
      EXPECT_GE(canonical(s).second, 7);
      EXPECT_FALSE(s.category.empty());
      EXPECT_TRUE(s.meta.at("question_type").is_string());
      const std::string answer_type = s.meta.at("answer_type");
      EXPECT_TRUE(answer_type == "yes/no" || answer_type == "number" || answer_type == "other");
      if (mc) {
        ASSERT_EQ(s.options.size(), 4u);
        EXPECT_EQ(canonical(s).second, 10);
        EXPECT_THAT(canonical(s).first, ::testing::AnyOf("A", "B", "C", "D"));
        EXPECT_EQ(std::set<std::string>(s.options.begin(), s.options.end()).size(), 4u);
      } else {
        EXPECT_TRUE(s.options.empty());
      }
    }
  }
  EXPECT_EQ(images + 4, suite_->files.size());
}

TEST_F(QuickstartSuite, EveryImageIsA336SquarePngAndTheSplitsShareNone) {
  std::set<std::string> hashes;
  for (const auto& f : suite_->files) {
    if (f.extension() != ".png") continue;
    const auto path = suite_->directory / f;
    const ImageInfo info = probe_image(path);
    EXPECT_EQ(info.width, 336) << f;
    EXPECT_EQ(info.height, 336) << f;
    EXPECT_TRUE(hashes.insert(sha256_file(path)).second) << "duplicate image " << f;
  }
  EXPECT_EQ(hashes.size(), 540u);
}

TEST_F(QuickstartSuite, GroundTruthMatchesThePixels) {
  for (const char* file : kJsonlFiles) {
    for (const auto& s : split(file).samples)
      verify_against_pixels(s);
  }
}

TEST_F(QuickstartSuite, AnswersAreBalanced) {
  const Dataset open = split("open.jsonl");
  std::map<std::string, std::map<std::string, int>> by_family;  // family -> answer -> count
  for (const auto& s : open.samples)
    ++by_family[s.category][canonical(s).first];
  ASSERT_EQ(by_family.size(), 5u);
  for (const auto& [family, answers] : by_family) {
    int total = 0;
    for (const auto& [answer, n] : answers)
      total += n;
    EXPECT_EQ(total, 60) << family;
  }
  EXPECT_EQ(by_family["existence"]["yes"], 30);
  EXPECT_EQ(by_family["existence"]["no"], 30);
  EXPECT_EQ(by_family["spatial"]["yes"], 30);
  EXPECT_EQ(by_family["spatial"]["no"], 30);
  ASSERT_EQ(by_family["colour"].size(), 6u);
  for (const auto& [colour, n] : by_family["colour"])
    EXPECT_EQ(n, 10) << colour;
  ASSERT_EQ(by_family["counting"].size(), 6u);
  for (const auto& [count, n] : by_family["counting"])
    EXPECT_EQ(n, 10) << count;
  // Within each spatial relation, "yes" and "no" are balanced too.
  std::map<std::string, std::map<std::string, int>> by_relation;
  static const std::regex relation(R"(Is the \w+ (.+) the \w+\?)");
  for (const auto& s : open.samples) {
    std::smatch m;
    if (s.category == "spatial" && std::regex_match(s.question, m, relation)) {
      ++by_relation[m[1]][canonical(s).first];
    }
  }
  ASSERT_EQ(by_relation.size(), 4u);
  for (auto& [phrase, answers] : by_relation) {
    EXPECT_LE(std::abs(answers["yes"] - answers["no"]), 1) << phrase;
  }
  int most_common_word = 0;
  for (const auto& [word, n] : by_family["reading"])
    most_common_word = std::max(most_common_word, n);
  EXPECT_LE(most_common_word, 4) << "no reading answer dominates";

  const Dataset mc = split("mc.jsonl");
  std::map<std::string, std::map<std::string, int>> letters;
  for (const auto& s : mc.samples) {
    ++letters[s.category][canonical(s).first];
  }
  ASSERT_EQ(letters.size(), 4u);
  for (const auto& [family, counts] : letters) {
    ASSERT_EQ(counts.size(), 4u) << family;
    for (const auto& [letter, n] : counts)
      EXPECT_TRUE(n == 6 || n == 7) << family << " " << letter;
  }
}

/// Exact match against any of the ten answers, the way the exact_match metric scores.
double accuracy(const Dataset& d, const std::function<std::string(const Sample&)>& answer) {
  int correct = 0;
  for (const auto& s : d.samples) {
    const std::string a = answer(s);
    correct += std::find(s.references.begin(), s.references.end(), a) != s.references.end() ? 1 : 0;
  }
  return static_cast<double>(correct) / static_cast<double>(d.samples.size());
}

/// The "per question-type prior" baseline: the most frequent answer per question type in the
/// calibration split.
std::function<std::string(const Sample&)> prior(const Dataset& calibration) {
  std::map<std::string, std::map<std::string, int>> counts;
  for (const auto& s : calibration.samples) {
    for (const auto& r : s.references)
      ++counts[s.meta.at("question_type")][r];
  }
  std::map<std::string, std::string> best;
  for (const auto& [type, answers] : counts) {
    best[type] = std::max_element(answers.begin(), answers.end(), [](const auto& x, const auto& y) {
                   return x.second < y.second;
                 })->first;
  }
  return [best](const Sample& s) {
    const auto it = best.find(s.meta.at("question_type"));
    return it == best.end() ? std::string() : it->second;
  };
}

TEST_F(QuickstartSuite, TrivialBaselinesScoreLow) {
  const Dataset open = split("open.jsonl");
  const Dataset mc = split("mc.jsonl");
  EXPECT_DOUBLE_EQ(accuracy(open, [](const Sample& s) { return gold_text(s); }), 1.0);
  EXPECT_LE(accuracy(open, [](const Sample&) { return std::string("yes"); }), 0.21);
  EXPECT_LE(accuracy(open, [](const Sample&) { return std::string("2"); }), 0.05);
  EXPECT_LE(accuracy(open, prior(split("open_calibration.jsonl"))), 0.32);
  EXPECT_LE(accuracy(mc, [](const Sample&) { return std::string("A"); }), 0.29);
  EXPECT_LE(accuracy(mc, prior(split("mc_calibration.jsonl"))), 0.30);
}

// ---------------------------------------------------------------------------------------------
// Determinism and the ensure contract.

TEST(SyntheticVqa, SameSpecGivesByteIdenticalFiles) {
  TempDir a("synthetic-a");
  TempDir b("synthetic-b");
  const auto first = write_synthetic_vqa(small_spec(11), a.path() / "s");
  const auto second = write_synthetic_vqa(small_spec(11), b.path() / "s");
  EXPECT_EQ(first.manifest_sha256, second.manifest_sha256);
  EXPECT_EQ(first.files, second.files);
  for (const char* f : kJsonlFiles)
    EXPECT_EQ(read_text(a.path() / "s" / f), read_text(b.path() / "s" / f));
  EXPECT_EQ(read_text(a.path() / "s/generator.json"), read_text(b.path() / "s/generator.json"));
}

TEST(SyntheticVqa, OutputIsPinned) {
  // Guards determinism across compilers, standard libraries and machines. If an intended change
  // alters the output, bump kSyntheticVqaVersion (so existing suites are regenerated) and update
  // this hash.
  TempDir dir("synthetic-golden");
  const auto suite = write_synthetic_vqa(small_spec(2024), dir.path() / "s");
  EXPECT_EQ(suite.manifest_sha256,
            "ba2095111ff14d328d0a33ca65c2383d784616cdbf5645235ab1e8812d756e65");
}

TEST(SyntheticVqa, DifferentSeedGivesDifferentSuite) {
  TempDir dir("synthetic-seed");
  const auto a = write_synthetic_vqa(small_spec(1), dir.path() / "a");
  const auto b = write_synthetic_vqa(small_spec(2), dir.path() / "b");
  EXPECT_NE(a.manifest_sha256, b.manifest_sha256);
  EXPECT_EQ(a.files, b.files);  // same layout, different content
  for (const char* f : kJsonlFiles)
    EXPECT_NE(read_text(dir.path() / "a" / f), read_text(dir.path() / "b" / f));
}

TEST(SyntheticVqa, SplitsAreIndependentStreams) {
  // Changing the size of one split leaves the others' bytes unchanged.
  TempDir dir("synthetic-streams");
  SyntheticVqaSpec more_mc = small_spec(5);
  more_mc.mc_items += 9;
  more_mc.open_calibration_items += 3;
  write_synthetic_vqa(small_spec(5), dir.path() / "a");
  write_synthetic_vqa(more_mc, dir.path() / "b");
  EXPECT_EQ(read_text(dir.path() / "a/open.jsonl"), read_text(dir.path() / "b/open.jsonl"));
  EXPECT_EQ(read_text(dir.path() / "a/mc_calibration.jsonl"),
            read_text(dir.path() / "b/mc_calibration.jsonl"));
  EXPECT_NE(read_text(dir.path() / "a/mc.jsonl"), read_text(dir.path() / "b/mc.jsonl"));
}

TEST(SyntheticVqa, OtherImageSizesKeepTheGroundTruth) {
  TempDir dir("synthetic-size");
  SyntheticVqaSpec spec = small_spec(3);
  spec.image_size = 512;
  write_synthetic_vqa(spec, dir.path() / "s");
  for (const char* file : {"open.jsonl", "mc.jsonl"}) {
    for (const auto& s : load(dir.path() / "s" / file).samples) {
      EXPECT_EQ(probe_image(s.images[0].path).width, 512);
      verify_against_pixels(s);
    }
  }
}

TEST(SyntheticVqa, GeneratorJsonRecordsNameVersionSpecAndFiles) {
  TempDir dir("synthetic-record");
  const auto spec = small_spec(9);
  const auto suite = write_synthetic_vqa(spec, dir.path() / "s");
  const auto record = nlohmann::json::parse(read_text(dir.path() / "s/generator.json"));
  EXPECT_EQ(record.at("generator"), kSyntheticVqaGenerator);
  EXPECT_EQ(record.at("version"), kSyntheticVqaVersion);
  EXPECT_EQ(record.at("spec").get<SyntheticVqaSpec>(), spec);
  EXPECT_EQ(record.at("manifest_sha256"), suite.manifest_sha256);
  EXPECT_EQ(record.at("files").size(), suite.files.size());
  EXPECT_EQ(record.at("files").at(0), "images/mc-0000.png");
}

TEST(SyntheticVqa, WriteRefusesANonEmptyDirectoryAndInvalidSpecs) {
  TempDir dir("synthetic-refuse");
  write_text(dir.path() / "mine.txt", "keep");
  EXPECT_THROW(write_synthetic_vqa(small_spec(1), dir.path()), InputError);
  SyntheticVqaSpec bad = small_spec(1);
  bad.image_size = 100;
  try {
    write_synthetic_vqa(bad, dir.path() / "s");
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().field, "image_size");
  }
  bad = small_spec(1);
  bad.mc_items = kSyntheticVqaMaxItems + 1;
  EXPECT_THROW(validate(bad), InputError);
}

TEST(SyntheticVqa, EmptySplitsAreAllowed) {
  TempDir dir("synthetic-empty");
  SyntheticVqaSpec spec = small_spec(1);
  spec.mc_items = 0;
  spec.mc_calibration_items = 0;
  ensure_synthetic_vqa(spec, dir.path() / "s");
  EXPECT_TRUE(load(dir.path() / "s/mc.jsonl").samples.empty());
  EXPECT_EQ(load(dir.path() / "s/open.jsonl").samples.size(), 25u);
}

class EnsureSyntheticVqa : public ::testing::Test {
 protected:
  [[nodiscard]] std::filesystem::path target() const { return dir_.path() / "suite"; }

  /// Hidden temporaries next to the target.
  [[nodiscard]] std::vector<std::string> leftovers() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
      if (e.path().filename() != "suite") out.push_back(e.path().filename().string());
    }
    return out;
  }

  TempDir dir_{"synthetic-ensure"};
  SyntheticVqaSpec spec_ = small_spec(42);
};

TEST_F(EnsureSyntheticVqa, GeneratesOnceThenReuses) {
  const auto first = ensure_synthetic_vqa(spec_, target());
  EXPECT_TRUE(first.generated);
  const auto mtime = std::filesystem::last_write_time(target() / "open.jsonl");
  const auto second = ensure_synthetic_vqa(spec_, target());
  EXPECT_FALSE(second.generated);
  EXPECT_EQ(second.manifest_sha256, first.manifest_sha256);
  EXPECT_EQ(second.files, first.files);
  EXPECT_EQ(std::filesystem::last_write_time(target() / "open.jsonl"), mtime);
  EXPECT_TRUE(find_synthetic_vqa(spec_, target()).has_value());
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(EnsureSyntheticVqa, RegeneratesATamperedFile) {
  const auto original = ensure_synthetic_vqa(spec_, target());
  const auto image = target() / original.files.front();
  const std::string bytes = read_text(image);
  write_text(image, bytes.substr(0, bytes.size() / 2));
  EXPECT_FALSE(find_synthetic_vqa(spec_, target()).has_value());
  const auto again = ensure_synthetic_vqa(spec_, target());
  EXPECT_TRUE(again.generated);
  EXPECT_EQ(again.manifest_sha256, original.manifest_sha256);
  EXPECT_EQ(read_text(image), bytes);
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(EnsureSyntheticVqa, RegeneratesAPartialSuite) {
  const auto original = ensure_synthetic_vqa(spec_, target());
  std::filesystem::remove(target() / "images/open-0003.png");
  const auto again = ensure_synthetic_vqa(spec_, target());
  EXPECT_TRUE(again.generated);
  EXPECT_TRUE(std::filesystem::exists(target() / "images/open-0003.png"));
  std::filesystem::remove(target() / "mc.jsonl");
  EXPECT_TRUE(ensure_synthetic_vqa(spec_, target()).generated);
  EXPECT_EQ(load(target() / "mc.jsonl").samples.size(), spec_.mc_items);
}

TEST_F(EnsureSyntheticVqa, RegeneratesForAnotherSpecAndDropsStaleFiles) {
  ensure_synthetic_vqa(spec_, target());
  write_text(target() / "images/stray.png", "left by an older version");
  SyntheticVqaSpec other = spec_;
  other.open_items = 7;
  const auto suite = ensure_synthetic_vqa(other, target());
  EXPECT_TRUE(suite.generated);
  EXPECT_EQ(load(target() / "open.jsonl").samples.size(), 7u);
  EXPECT_FALSE(std::filesystem::exists(target() / "images/stray.png"));
  EXPECT_FALSE(std::filesystem::exists(target() / "images/open-0010.png"));
}

TEST_F(EnsureSyntheticVqa, RegeneratesWhenTheRecordedVersionDiffers) {
  ensure_synthetic_vqa(spec_, target());
  auto record = nlohmann::json::parse(read_text(target() / "generator.json"));
  record["version"] = kSyntheticVqaVersion + 100;
  write_text(target() / "generator.json", record.dump());
  EXPECT_TRUE(ensure_synthetic_vqa(spec_, target()).generated);
  EXPECT_FALSE(ensure_synthetic_vqa(spec_, target()).generated);
}

TEST_F(EnsureSyntheticVqa, RefusesToReplaceADirectoryItDidNotWrite) {
  write_text(target() / "notes.txt", "precious");
  try {
    ensure_synthetic_vqa(spec_, target());
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("not a synthetic suite"));
    EXPECT_THAT(e.what(), HasSubstr(target().string()));
  }
  EXPECT_EQ(read_text(target() / "notes.txt"), "precious");
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(EnsureSyntheticVqa, FillsAnEmptyDirectoryAndAcceptsATrailingSlash) {
  std::filesystem::create_directories(target());
  EXPECT_TRUE(ensure_synthetic_vqa(spec_, target() / "").generated);
  EXPECT_FALSE(ensure_synthetic_vqa(spec_, target()).generated);
  EXPECT_TRUE(leftovers().empty());
}

TEST_F(EnsureSyntheticVqa, RemovesTemporariesOfDeadProcessesOnly) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(child, nullptr, 0), child);
  const auto dead = dir_.path() / (".suite.partial-" + std::to_string(child));
  const auto alive = dir_.path() / (".suite.partial-" + std::to_string(::getppid()));
  write_text(dead / "open.jsonl", "half");
  write_text(alive / "open.jsonl", "in progress elsewhere");
  ensure_synthetic_vqa(spec_, target());
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(alive));
}

TEST_F(EnsureSyntheticVqa, ConcurrentCallsAgreeOnOneCompleteSuite) {
  std::vector<pid_t> children;
  for (int i = 0; i < 3; ++i) {
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      int code = 1;
      try {
        ensure_synthetic_vqa(spec_, target());
        code = find_synthetic_vqa(spec_, target()) ? 0 : 2;
      } catch (...) {
        code = 3;
      }
      ::_exit(code);
    }
    children.push_back(child);
  }
  for (const pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  }
  EXPECT_FALSE(ensure_synthetic_vqa(spec_, target()).generated);
  EXPECT_TRUE(leftovers().empty());
}

TEST(PrepareSyntheticVqa, ReadsItsOptionsAndGeneratesRelativeToTheConfig) {
  TempDir dir("synthetic-prepare");
  const auto source = JsonSource::from_text(
      R"({"generator": "synthetic-vqa", "path": "data/suite", "seed": 3, "open_items": 10,
          "mc_items": 4, "open_calibration_items": 5, "mc_calibration_items": 4})",
      "task.json", dir.path());
  ObjectReader options{ConfigNode(source)};
  options.allow({"generator"});
  prepare_synthetic_vqa(options);
  SyntheticVqaSpec spec;
  spec.seed = 3;
  spec.open_items = 10;
  spec.mc_items = 4;
  spec.open_calibration_items = 5;
  spec.mc_calibration_items = 4;
  EXPECT_TRUE(find_synthetic_vqa(spec, dir.path() / "data/suite").has_value());
}

TEST(PrepareSyntheticVqa, UnknownOptionNamesFileLineAndSuggestsTheKey) {
  TempDir dir("synthetic-prepare-bad");
  const auto source =
      JsonSource::from_text("{\n  \"path\": \"suite\",\n  \"sead\": 3\n}", "task.json", dir.path());
  ObjectReader options{ConfigNode(source)};
  try {
    prepare_synthetic_vqa(options);
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("task.json:3"));
    EXPECT_THAT(e.what(), HasSubstr("sead"));
    EXPECT_THAT(e.what(), HasSubstr("did you mean 'seed'"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "suite"));
}

TEST(PrepareSyntheticVqa, OutOfRangeImageSizeNamesTheField) {
  TempDir dir("synthetic-prepare-size");
  const auto source =
      JsonSource::from_text(R"({"path": "suite", "image_size": 64})", "task.json", dir.path());
  ObjectReader options{ConfigNode(source)};
  try {
    prepare_synthetic_vqa(options);
    ADD_FAILURE() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().field, "/image_size");
    EXPECT_EQ(e.where().file, "task.json");
  }
}

}  // namespace
}  // namespace lmmbench::datasets
