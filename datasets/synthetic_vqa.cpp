#include "datasets/synthetic_vqa.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/json_fields.hpp"
#include "core/json_source.hpp"
#include "datasets/image_io.hpp"
#include "datasets/manifest.hpp"
#include "datasets/raster_png.hpp"
#include "datasets/sample.hpp"

namespace lmmbench::datasets {

namespace {

// ---------------------------------------------------------------------------------------------
// Randomness. SplitMix64 (Steele, Lea & Flood 2014) and Lemire's bounded draw are fully specified
// here, unlike std::uniform_int_distribution and std::shuffle, so every platform draws the same.

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}

  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  /// Uniform in [0, bound), bound > 0: multiply-shift on the high 32 bits with rejection.
  int below(int bound) {
    const auto b = static_cast<std::uint32_t>(bound);
    std::uint64_t m = (next() >> 32) * b;
    auto low = static_cast<std::uint32_t>(m);
    if (low < b) {
      const std::uint32_t threshold = (0U - b) % b;
      while (low < threshold) {
        m = (next() >> 32) * b;
        low = static_cast<std::uint32_t>(m);
      }
    }
    return static_cast<int>(m >> 32);
  }

  /// Uniform in [lo, hi].
  int between(int lo, int hi) { return lo + below(hi - lo + 1); }

  /// Fisher-Yates, last element first.
  template <typename T>
  void shuffle(std::vector<T>& values) {
    for (std::size_t i = values.size(); i > 1; --i) {
      const auto j = static_cast<std::size_t>(below(static_cast<int>(i)));
      std::swap(values[i - 1], values[j]);
    }
  }

  template <typename T>
  const T& pick(std::span<const T> values) {
    return values[static_cast<std::size_t>(below(static_cast<int>(values.size())))];
  }

 private:
  std::uint64_t state_;
};

/// Seed of one split's stream: SplitMix64's finaliser over (seed, split tag), so the four splits
/// of one seed, and the same split of neighbouring seeds, are unrelated streams.
std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t tag) {
  Rng mixer(seed ^ (tag * 0xD1B54A32D192ED03ULL));
  return mixer.next();
}

/// n values in [0, k), each occurring floor(n/k) or ceil(n/k) times, in random order: balances an
/// answer across a family exactly instead of in expectation. Which values get the extra
/// occurrences is random too, so no value (e.g. option letter A) is favoured across families.
std::vector<int> balanced_sequence(Rng& rng, std::size_t n, int k) {
  std::vector<int> labels(static_cast<std::size_t>(k));
  for (int v = 0; v < k; ++v)
    labels[static_cast<std::size_t>(v)] = v;
  rng.shuffle(labels);
  std::vector<int> values(n);
  for (std::size_t i = 0; i < n; ++i)
    values[i] = labels[i % labels.size()];
  rng.shuffle(values);
  return values;
}

/// A value in [0, k) per position of `outer` (values in [0, outer_k)), balanced separately among
/// the positions that share an outer value: e.g. the relation asked, balanced among the "yes"
/// items and among the "no" items.
std::vector<int> balanced_within(Rng& rng, const std::vector<int>& outer, int outer_k, int k) {
  std::vector<int> inner(outer.size());
  for (int group = 0; group < outer_k; ++group) {
    std::vector<std::size_t> positions;
    for (std::size_t i = 0; i < outer.size(); ++i) {
      if (outer[i] == group) positions.push_back(i);
    }
    const auto values = balanced_sequence(rng, positions.size(), k);
    for (std::size_t j = 0; j < positions.size(); ++j)
      inner[positions[j]] = values[j];
  }
  return inner;
}

// ---------------------------------------------------------------------------------------------
// Vocabulary.

enum Shape : int { kCircle, kSquare, kTriangle, kDiamond };
constexpr int kShapeCount = 4;
constexpr std::array<std::string_view, kShapeCount> kShapeNames = {"circle", "square", "triangle",
                                                                   "diamond"};

constexpr int kColourCount = 6;
constexpr std::array<NamedColour, kColourCount> kPalette = {{
    {"red", {215, 30, 30}},
    {"orange", {245, 135, 15}},
    {"yellow", {235, 200, 0}},
    {"green", {30, 150, 50}},
    {"blue", {30, 80, 220}},
    {"purple", {135, 50, 185}},
}};

/// Names an annotator might give instead of the canonical colour name.
constexpr std::array<std::array<std::string_view, 2>, kColourCount> kColourVariants = {{
    {"dark red", "crimson"},
    {"dark orange", "light orange"},
    {"gold", "light yellow"},
    {"dark green", "light green"},
    {"dark blue", "royal blue"},
    {"violet", "dark purple"},
}};

/// Short words without colour or shape names, and without K, Q, W and X, whose segment-font
/// glyphs are the least legible.
constexpr std::array<std::string_view, 24> kWords = {
    "cat",  "dog",  "sun", "tree", "boat", "fish", "lamp", "leaf", "door", "star", "rain", "bird",
    "rope", "ship", "jar", "moon", "frog", "hat",  "cup",  "bee",  "bus",  "pen",  "map",  "egg"};
constexpr int kWordCount = static_cast<int>(kWords.size());

constexpr int kMaxCount = 6;        ///< Counting answers are 1..kMaxCount.
constexpr int kMaxCountOption = 8;  ///< Multiple-choice count options are drawn from 1..8.
constexpr int kGrid = 4;            ///< Shapes sit one per cell of a kGrid x kGrid grid.

std::string number_words(int n) {
  static constexpr std::array<std::string_view, 20> kSmall = {
      "zero",     "one",     "two",     "three",     "four",     "five",    "six",
      "seven",    "eight",   "nine",    "ten",       "eleven",   "twelve",  "thirteen",
      "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
  static constexpr std::array<std::string_view, 10> kTens = {
      "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
  if (n < 20) return std::string(kSmall[static_cast<std::size_t>(n)]);
  std::string out(kTens[static_cast<std::size_t>(n / 10)]);
  if (n % 10 != 0) out += "-" + std::string(kSmall[static_cast<std::size_t>(n % 10)]);
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Scenes.

/// Cell geometry for an image side. At 336 px: 84 px cells, shapes 42-60 px with at least 6 px to
/// their cell's border, so neighbouring shapes are at least 12 px apart.
struct Layout {
  explicit Layout(int image_size)
      : size(image_size),
        cell(image_size / kGrid),
        origin((image_size - kGrid * cell) / 2),
        margin(std::max(2, cell / 14)),
        min_side(cell * 52 / 100 / 2 * 2),
        max_side((cell - 2 * margin - cell / 7) / 2 * 2) {}

  int size;
  int cell;
  int origin;
  int margin;
  int min_side;  ///< Even, so every shape has an integer centre.
  int max_side;
};

struct Object {
  int shape = 0;
  int colour = 0;
  int x = 0;  ///< Top-left of the shape's side x side box, pixels.
  int y = 0;
  int side = 0;
};

struct Text {
  std::string text;
  int x = 0;  ///< Top-left of the ink, pixels.
  int y = 0;
  int scale = 1;
};

struct Scene {
  std::vector<Object> objects;
  std::optional<Text> text;
};

struct Kind {
  int shape;
  int colour;
};

int cell_row(int cell) {
  return cell / kGrid;
}
int cell_col(int cell) {
  return cell % kGrid;
}

Object place(Rng& rng, const Layout& layout, Kind kind, int cell) {
  Object o;
  o.shape = kind.shape;
  o.colour = kind.colour;
  o.side = layout.min_side + 2 * rng.below((layout.max_side - layout.min_side) / 2 + 1);
  const int slack = layout.cell - 2 * layout.margin - o.side;
  o.x = layout.origin + cell_col(cell) * layout.cell + layout.margin + rng.below(slack + 1);
  o.y = layout.origin + cell_row(cell) * layout.cell + layout.margin + rng.below(slack + 1);
  return o;
}

/// Places each kind in its own cell, chosen uniformly among `cells` without replacement.
void scatter(Rng& rng, const Layout& layout, Scene& scene, const std::vector<Kind>& kinds,
             std::vector<int> cells) {
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    const auto j = i + static_cast<std::size_t>(rng.below(static_cast<int>(cells.size() - i)));
    std::swap(cells[i], cells[j]);
    scene.objects.push_back(place(rng, layout, kinds[i], cells[i]));
  }
}

std::vector<int> all_cells() {
  std::vector<int> cells(kGrid * kGrid);
  for (int i = 0; i < kGrid * kGrid; ++i)
    cells[static_cast<std::size_t>(i)] = i;
  return cells;
}

int other_than(Rng& rng, int count, int excluded) {
  const int v = rng.below(count - 1);
  return v >= excluded ? v + 1 : v;
}

void draw_object(RgbImage& image, const Object& o) {
  const Rgb colour = kPalette[static_cast<std::size_t>(o.colour)].rgb;
  const int half = o.side / 2;
  const int cx = o.x + half;
  const int cy = o.y + half;
  switch (o.shape) {
    case kCircle:
      fill_disc(image, cx, cy, half, colour);
      break;
    case kSquare: {
      // Inset a little so a square does not look much heavier than a circle of the same box.
      const int inset = o.side / 16;
      fill_rect(image, o.x + inset, o.y + inset, o.side - 2 * inset, o.side - 2 * inset, colour);
      break;
    }
    case kTriangle: {
      const std::array<Point, 3> v = {
          {{cx, o.y}, {o.x + o.side, o.y + o.side}, {o.x, o.y + o.side}}};
      fill_convex_polygon(image, v, colour);
      break;
    }
    case kDiamond: {
      // Narrower than tall, so it reads as a diamond rather than a rotated square.
      const int half_width = o.side * 7 / 20;
      const std::array<Point, 4> v = {
          {{cx, o.y}, {cx + half_width, cy}, {cx, o.y + o.side}, {cx - half_width, cy}}};
      fill_convex_polygon(image, v, colour);
      break;
    }
    default:
      throw Error("synthetic_vqa: unknown shape");
  }
}

RgbImage render(const Scene& scene, int size) {
  const Rgb bg = kSyntheticVqaBackground;
  RgbImage image(size, size, bg.r, bg.g, bg.b);
  for (const auto& o : scene.objects)
    draw_object(image, o);
  if (scene.text)
    draw_text(image, scene.text->text, scene.text->x, scene.text->y, scene.text->scale,
              kSyntheticVqaInk);
  return image;
}

// ---------------------------------------------------------------------------------------------
// Items.

struct Item {
  std::string id;
  Scene scene;
  std::string question;
  std::vector<std::string> options;
  std::vector<std::string> answers;
  std::string category;
  std::string question_type;
  std::string answer_type;
};

/// Ten annotator answers: the canonical answer 7-10 times (10 half the time), the rest drawn from
/// `variants` (all canonical when there are none), in random order as annotators answered.
std::vector<std::string> annotator_answers(Rng& rng, const std::string& canonical,
                                           const std::vector<std::string>& variants) {
  const int u = rng.below(20);
  const int agreeing = variants.empty() ? 10 : u < 10 ? 10 : u < 15 ? 9 : u < 18 ? 8 : 7;
  std::vector<std::string> answers(10, canonical);
  for (int i = agreeing; i < 10; ++i) {
    answers[static_cast<std::size_t>(i)] = rng.pick(std::span<const std::string>(variants));
  }
  rng.shuffle(answers);
  return answers;
}

std::vector<std::string> colour_variants(int colour) {
  const auto& v = kColourVariants[static_cast<std::size_t>(colour)];
  return {std::string(v[0]), std::string(v[1])};
}

std::string colour_name(int colour) {
  return std::string(kPalette[static_cast<std::size_t>(colour)].name);
}
std::string shape_name(int shape) {
  return std::string(kShapeNames[static_cast<std::size_t>(shape)]);
}

/// `correct` at index `position` among `distractors` (whose order is kept).
std::vector<std::string> options_with(std::string correct, std::vector<std::string> distractors,
                                      int position) {
  distractors.insert(distractors.begin() + position, std::move(correct));
  return distractors;
}

std::vector<std::string> letter_answers(int position) {
  return std::vector<std::string>(
      10, std::string(1, option_letter(static_cast<std::size_t>(position))));
}

/// The target kind once; `distractors` shapes of other kinds (any colour).
Scene unique_shape_scene(Rng& rng, const Layout& layout, Kind target) {
  std::vector<Kind> kinds = {target};
  const int distractors = rng.between(2, 5);
  for (int i = 0; i < distractors; ++i) {
    kinds.push_back({other_than(rng, kShapeCount, target.shape), rng.below(kColourCount)});
  }
  Scene scene;
  scatter(rng, layout, scene, kinds, all_cells());
  return scene;
}

/// `count` shapes of one kind (or of one colour), plus 1-4 shapes that are neither.
Scene counting_scene(Rng& rng, const Layout& layout, int count, bool by_colour, int target) {
  std::vector<Kind> kinds;
  for (int i = 0; i < count; ++i) {
    kinds.push_back(by_colour ? Kind{rng.below(kShapeCount), target}
                              : Kind{target, rng.below(kColourCount)});
  }
  const int distractors = rng.between(1, 4);
  for (int i = 0; i < distractors; ++i) {
    kinds.push_back(by_colour
                        ? Kind{rng.below(kShapeCount), other_than(rng, kColourCount, target)}
                        : Kind{other_than(rng, kShapeCount, target), rng.below(kColourCount)});
  }
  Scene scene;
  scatter(rng, layout, scene, kinds, all_cells());
  return scene;
}

Item colour_item(Rng& rng, const Layout& layout, int colour, int shape) {
  Item item;
  item.scene = unique_shape_scene(rng, layout, {shape, colour});
  item.question = fmt::format("What color is the {}?", shape_name(shape));
  item.answers = annotator_answers(rng, colour_name(colour), colour_variants(colour));
  item.category = "colour";
  item.question_type = "what color is the";
  item.answer_type = "other";
  return item;
}

Item counting_item(Rng& rng, const Layout& layout, int count, bool by_colour) {
  Item item;
  const int target = by_colour ? rng.below(kColourCount) : rng.below(kShapeCount);
  item.scene = counting_scene(rng, layout, count, by_colour, target);
  item.question = by_colour ? fmt::format("How many {} shapes are there?", colour_name(target))
                            : fmt::format("How many {}s are there?", shape_name(target));
  item.answers = annotator_answers(rng, std::to_string(count), {number_words(count)});
  item.category = "counting";
  item.question_type = "how many";
  item.answer_type = "number";
  return item;
}

Item existence_item(Rng& rng, const Layout& layout, bool present) {
  Item item;
  const Kind target{rng.below(kShapeCount), rng.below(kColourCount)};
  // Both halves of the conjunction are always visible, so only binding colour to shape decides.
  std::vector<Kind> kinds = {{target.shape, other_than(rng, kColourCount, target.colour)},
                             {other_than(rng, kShapeCount, target.shape), target.colour}};
  if (present) kinds.push_back(target);
  // Same total object count (4-6) whatever the answer.
  const int extras = present ? rng.between(1, 3) : rng.between(2, 4);
  for (int i = 0; i < extras; ++i) {
    Kind k{rng.below(kShapeCount), rng.below(kColourCount)};
    if (k.shape == target.shape && k.colour == target.colour) {
      k.colour = other_than(rng, kColourCount, target.colour);
    }
    kinds.push_back(k);
  }
  Scene scene;
  scatter(rng, layout, scene, kinds, all_cells());
  item.scene = std::move(scene);
  item.question =
      fmt::format("Is there a {} {}?", colour_name(target.colour), shape_name(target.shape));
  item.answers = annotator_answers(rng, present ? "yes" : "no", {});
  item.category = "existence";
  item.question_type = "is there a";
  item.answer_type = "yes/no";
  return item;
}

enum Relation : int { kLeftOf, kRightOf, kAbove, kBelow };

Item spatial_item(Rng& rng, const Layout& layout, int relation, bool holds) {
  Item item;
  const int a_shape = rng.below(kShapeCount);
  const int b_shape = other_than(rng, kShapeCount, a_shape);
  const bool horizontal = relation == kLeftOf || relation == kRightOf;
  // B's cell is offset from A's mostly along the asked axis (|d_axis| > |d_other|), so the
  // relation is unambiguous at a glance.
  int a_cell = rng.below(kGrid * kGrid);
  std::vector<int> candidates;
  for (int c = 0; c < kGrid * kGrid; ++c) {
    const int d_col = std::abs(cell_col(c) - cell_col(a_cell));
    const int d_row = std::abs(cell_row(c) - cell_row(a_cell));
    if (horizontal ? d_col > d_row : d_row > d_col) candidates.push_back(c);
  }
  int b_cell = rng.pick(std::span<const int>(candidates));
  const auto relation_holds = [&](int a, int b) {
    switch (relation) {
      case kLeftOf:
        return cell_col(a) < cell_col(b);
      case kRightOf:
        return cell_col(a) > cell_col(b);
      case kAbove:
        return cell_row(a) < cell_row(b);
      default:
        return cell_row(a) > cell_row(b);
    }
  };
  if (relation_holds(a_cell, b_cell) != holds) std::swap(a_cell, b_cell);

  Scene scene;
  scene.objects.push_back(place(rng, layout, {a_shape, rng.below(kColourCount)}, a_cell));
  scene.objects.push_back(place(rng, layout, {b_shape, rng.below(kColourCount)}, b_cell));
  std::vector<int> free_cells;
  for (int c = 0; c < kGrid * kGrid; ++c) {
    if (c != a_cell && c != b_cell) free_cells.push_back(c);
  }
  // Distractors are of the other two kinds, so "the circle" and "the square" stay unique.
  std::vector<int> others;
  for (int s = 0; s < kShapeCount; ++s) {
    if (s != a_shape && s != b_shape) others.push_back(s);
  }
  std::vector<Kind> distractors;
  const int n = rng.between(0, 3);
  for (int i = 0; i < n; ++i) {
    distractors.push_back({rng.pick(std::span<const int>(others)), rng.below(kColourCount)});
  }
  scatter(rng, layout, scene, distractors, std::move(free_cells));
  item.scene = std::move(scene);

  static constexpr std::array<std::string_view, 4> kPhrases = {"to the left of", "to the right of",
                                                               "above", "below"};
  item.question = fmt::format("Is the {} {} the {}?", shape_name(a_shape),
                              kPhrases[static_cast<std::size_t>(relation)], shape_name(b_shape));
  item.answers = annotator_answers(rng, holds ? "yes" : "no", {});
  item.category = "spatial";
  item.question_type = "is the";
  item.answer_type = "yes/no";
  return item;
}

/// `text` large in the middle two grid rows, with 1-3 shapes in the top and bottom rows.
Scene text_scene(Rng& rng, const Layout& layout, const std::string& text) {
  Scene scene;
  std::vector<int> edge_cells;
  for (int c = 0; c < kGrid * kGrid; ++c) {
    if (cell_row(c) == 0 || cell_row(c) == kGrid - 1) edge_cells.push_back(c);
  }
  std::vector<Kind> kinds;
  const int n = rng.between(1, 3);
  for (int i = 0; i < n; ++i)
    kinds.push_back({rng.below(kShapeCount), rng.below(kColourCount)});
  scatter(rng, layout, scene, kinds, std::move(edge_cells));

  const TextExtent unit = text_extent(text, 1);
  const int band_top = layout.origin + layout.cell + layout.margin;
  const int band_height = 2 * layout.cell - 2 * layout.margin;
  const int max_width = layout.size * 80 / 100;
  const int largest =
      std::max(1, std::min({max_width / unit.width, band_height / unit.height, layout.size / 26}));
  Text t;
  t.text = text;
  t.scale = rng.between(std::max(1, largest * 3 / 4), largest);
  const TextExtent extent = text_extent(text, t.scale);
  t.x = layout.margin + rng.below(layout.size - 2 * layout.margin - extent.width + 1);
  t.y = band_top + rng.below(band_height - extent.height + 1);
  scene.text = std::move(t);
  return scene;
}

Item reading_item(Rng& rng, const Layout& layout, bool number, int word) {
  Item item;
  if (number) {
    const int value = rng.between(10, 99);
    item.scene = text_scene(rng, layout, std::to_string(value));
    item.question = "What number is written in the image?";
    item.answers = annotator_answers(rng, std::to_string(value), {number_words(value)});
    item.question_type = "what number";
    item.answer_type = "number";
  } else {
    const std::string w(kWords[static_cast<std::size_t>(word)]);
    item.scene = text_scene(rng, layout, upper(w));
    item.question = "What word is written in the image?";
    std::string capitalised = w;
    capitalised[0] = upper(w.substr(0, 1))[0];
    item.answers = annotator_answers(rng, w, {upper(w), capitalised});
    item.question_type = "what word";
    item.answer_type = "other";
  }
  item.category = "reading";
  return item;
}

Item mc_shape_item(Rng& rng, const Layout& layout, int position, int colour) {
  Item item;
  const int shape = rng.below(kShapeCount);
  // The asked colour occurs once; other shapes (the same kind included) have other colours.
  std::vector<Kind> kinds = {{shape, colour}};
  const int distractors = rng.between(2, 5);
  for (int i = 0; i < distractors; ++i) {
    kinds.push_back({rng.below(kShapeCount), other_than(rng, kColourCount, colour)});
  }
  scatter(rng, layout, item.scene, kinds, all_cells());
  std::vector<std::string> others;
  for (int s = 0; s < kShapeCount; ++s) {
    if (s != shape) others.push_back(shape_name(s));
  }
  rng.shuffle(others);
  item.question = fmt::format("Which shape is {}?", colour_name(colour));
  item.options = options_with(shape_name(shape), std::move(others), position);
  item.answers = letter_answers(position);
  item.category = "shape";
  item.question_type = "which";
  item.answer_type = "other";
  return item;
}

Item mc_colour_item(Rng& rng, const Layout& layout, int position, int colour) {
  Item item;
  const int shape = rng.below(kShapeCount);
  item.scene = unique_shape_scene(rng, layout, {shape, colour});
  std::vector<std::string> others;
  for (int c = 0; c < kColourCount; ++c) {
    if (c != colour) others.push_back(colour_name(c));
  }
  rng.shuffle(others);
  others.resize(3);
  item.question = fmt::format("What color is the {}?", shape_name(shape));
  item.options = options_with(colour_name(colour), std::move(others), position);
  item.answers = letter_answers(position);
  item.category = "colour";
  item.question_type = "what color is the";
  item.answer_type = "other";
  return item;
}

Item mc_counting_item(Rng& rng, const Layout& layout, int position, int count) {
  Item item;
  const int shape = rng.below(kShapeCount);
  item.scene = counting_scene(rng, layout, count, false, shape);
  std::vector<std::string> others;
  for (int n = 1; n <= kMaxCountOption; ++n) {
    if (n != count) others.push_back(std::to_string(n));
  }
  rng.shuffle(others);
  others.resize(3);
  item.question = fmt::format("How many {}s are there?", shape_name(shape));
  item.options = options_with(std::to_string(count), std::move(others), position);
  item.answers = letter_answers(position);
  item.category = "counting";
  item.question_type = "how many";
  item.answer_type = "other";
  return item;
}

Item mc_reading_item(Rng& rng, const Layout& layout, int position, int word) {
  Item item;
  const std::string w(kWords[static_cast<std::size_t>(word)]);
  item.scene = text_scene(rng, layout, upper(w));
  std::vector<std::string> others;
  for (int i = 0; i < kWordCount; ++i) {
    if (i != word) others.push_back(std::string(kWords[static_cast<std::size_t>(i)]));
  }
  rng.shuffle(others);
  others.resize(3);
  item.question = "What word is written in the image?";
  item.options = options_with(w, std::move(others), position);
  item.answers = letter_answers(position);
  item.category = "reading";
  item.question_type = "what word";
  item.answer_type = "other";
  return item;
}

/// Items of family f among n interleaved items of `families` families (item i has family
/// i mod families).
std::size_t family_size(std::size_t n, std::size_t families, std::size_t f) {
  return (n + families - 1 - f) / families;
}

/// The balanced draws of one family, consumed in item order.
struct Draws {
  std::vector<int> a;
  std::vector<int> b;
  std::size_t next = 0;
};

std::vector<Item> generate_open(Rng& rng, const Layout& layout, std::size_t n) {
  constexpr std::size_t kFamilies = 5;
  std::array<Draws, kFamilies> draws;
  const auto size = [&](std::size_t f) { return family_size(n, kFamilies, f); };
  // colour: colour, shape
  draws[0].a = balanced_sequence(rng, size(0), kColourCount);
  draws[0].b = balanced_sequence(rng, size(0), kShapeCount);
  // counting: count - 1, then by shape (0) or by colour (1) within each count
  draws[1].a = balanced_sequence(rng, size(1), kMaxCount);
  draws[1].b = balanced_within(rng, draws[1].a, kMaxCount, 2);
  // existence: present?
  draws[2].a = balanced_sequence(rng, size(2), 2);
  // spatial: holds?, then the relation within each answer
  draws[3].a = balanced_sequence(rng, size(3), 2);
  draws[3].b = balanced_within(rng, draws[3].a, 2, 4);
  // reading: word (0) or number (1), then the word among word items
  draws[4].a = balanced_sequence(rng, size(4), 2);
  draws[4].b = balanced_within(rng, draws[4].a, 2, kWordCount);

  std::vector<Item> items;
  items.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& d = draws[i % kFamilies];
    const std::size_t k = d.next++;
    switch (i % kFamilies) {
      case 0:
        items.push_back(colour_item(rng, layout, d.a[k], d.b[k]));
        break;
      case 1:
        items.push_back(counting_item(rng, layout, d.a[k] + 1, d.b[k] == 1));
        break;
      case 2:
        items.push_back(existence_item(rng, layout, d.a[k] == 1));
        break;
      case 3:
        items.push_back(spatial_item(rng, layout, d.b[k], d.a[k] == 1));
        break;
      default:
        items.push_back(reading_item(rng, layout, d.a[k] == 1, d.b[k]));
        break;
    }
  }
  return items;
}

std::vector<Item> generate_mc(Rng& rng, const Layout& layout, std::size_t n) {
  constexpr std::size_t kFamilies = 4;
  std::array<Draws, kFamilies> draws;
  const auto size = [&](std::size_t f) { return family_size(n, kFamilies, f); };
  // Every family: the correct option's position, then the correct answer.
  draws[0] = {balanced_sequence(rng, size(0), 4), balanced_sequence(rng, size(0), kColourCount)};
  draws[1] = {balanced_sequence(rng, size(1), 4), balanced_sequence(rng, size(1), kColourCount)};
  draws[2] = {balanced_sequence(rng, size(2), 4), balanced_sequence(rng, size(2), kMaxCount)};
  draws[3] = {balanced_sequence(rng, size(3), 4), balanced_sequence(rng, size(3), kWordCount)};

  std::vector<Item> items;
  items.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto& d = draws[i % kFamilies];
    const std::size_t k = d.next++;
    switch (i % kFamilies) {
      case 0:
        items.push_back(mc_shape_item(rng, layout, d.a[k], d.b[k]));
        break;
      case 1:
        items.push_back(mc_colour_item(rng, layout, d.a[k], d.b[k]));
        break;
      case 2:
        items.push_back(mc_counting_item(rng, layout, d.a[k], d.b[k] + 1));
        break;
      default:
        items.push_back(mc_reading_item(rng, layout, d.a[k], d.b[k]));
        break;
    }
  }
  return items;
}

// ---------------------------------------------------------------------------------------------
// Output.

struct Split {
  std::string_view file;       ///< JSONL file name.
  std::string_view id_prefix;  ///< Ids are "<prefix>-<index>", unique across the suite.
  std::uint64_t stream_tag;    ///< Selects the split's independent random stream.
  bool multiple_choice;
  std::size_t SyntheticVqaSpec::*count;
  std::string_view count_field;  ///< The count's key in the spec's JSON and in configs.
};

constexpr std::array<Split, 4> kSplits = {{
    {"open.jsonl", "open", 1, false, &SyntheticVqaSpec::open_items, "open_items"},
    {"mc.jsonl", "mc", 2, true, &SyntheticVqaSpec::mc_items, "mc_items"},
    {"open_calibration.jsonl", "open-cal", 3, false, &SyntheticVqaSpec::open_calibration_items,
     "open_calibration_items"},
    {"mc_calibration.jsonl", "mc-cal", 4, true, &SyntheticVqaSpec::mc_calibration_items,
     "mc_calibration_items"},
}};

constexpr std::string_view kGeneratorFile = "generator.json";

std::string jsonl_line(const Item& item, const std::string& image) {
  nlohmann::ordered_json line;
  line["id"] = item.id;
  line["images"] = nlohmann::ordered_json::array({image});
  line["question"] = item.question;
  if (!item.options.empty()) line["options"] = item.options;
  line["answers"] = item.answers;
  line["category"] = item.category;
  line["meta"] = {{"question_type", item.question_type}, {"answer_type", item.answer_type}};
  return line.dump() + "\n";
}

std::string image_path_for(const std::string& id) {
  return "images/" + id + ".png";
}

/// Ids are zero-padded to at least four digits so that they sort in file order.
std::string item_id(std::string_view prefix, std::size_t index, std::size_t count) {
  const std::size_t width =
      std::max<std::size_t>(4, fmt::format("{}", count > 0 ? count - 1 : 0).size());
  return fmt::format("{}-{:0{}}", prefix, index, width);
}

std::vector<std::filesystem::path> absolute_files(const std::filesystem::path& directory,
                                                  const std::vector<std::filesystem::path>& files) {
  std::vector<std::filesystem::path> out;
  out.reserve(files.size());
  for (const auto& f : files)
    out.push_back(directory / f);
  return out;
}

bool is_plain_relative(const std::filesystem::path& p) {
  if (p.empty() || !p.is_relative()) return false;
  return std::none_of(p.begin(), p.end(), [](const auto& part) { return part == ".."; });
}

/// The parsed generator.json of `directory`, or nullopt when absent or not JSON.
std::optional<nlohmann::json> read_generator_file(const std::filesystem::path& directory) {
  const auto path = directory / kGeneratorFile;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  try {
    auto parsed = parse_json(read_file_bytes(path), path.string());
    if (!parsed.is_object()) return std::nullopt;
    return parsed;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  } catch (const InputError&) {
    return std::nullopt;
  }
}

/// "." + name + "." + kind + "-" + pid: hidden siblings that never look like a suite.
std::filesystem::path sibling(const std::filesystem::path& target, std::string_view kind,
                              long pid) {
  return target.parent_path() / fmt::format(".{}.{}-{}", target.filename().string(), kind, pid);
}

/// Removes temporaries left next to `target` by processes that no longer exist.
void remove_dead_siblings(const std::filesystem::path& target) {
  const std::string stem = "." + target.filename().string() + ".";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(target.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(stem, 0) != 0) continue;
    const std::string rest = name.substr(stem.size());
    const auto dash = rest.find('-');
    if (dash == std::string::npos) continue;
    const std::string kind = rest.substr(0, dash);
    const std::string digits = rest.substr(dash + 1);
    if ((kind != "partial" && kind != "stale") || digits.empty() ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        digits.size() > 9) {
      continue;
    }
    const auto pid = static_cast<pid_t>(std::stol(digits));
    if (pid == ::getpid()) continue;
    if (::kill(pid, 0) == -1 && errno == ESRCH) {
      std::error_code ignored;
      std::filesystem::remove_all(entry.path(), ignored);
    }
  }
}

}  // namespace

template <class S, class F>
requires json_fields::Record<S, SyntheticVqaSpec>
void visit(S& spec, F&& f) {
  f("seed", spec.seed, json_fields::required);
  f("image_size", spec.image_size, json_fields::required);
  for (const auto& split : kSplits)  // count_field views a string literal: NUL-terminated
    f(split.count_field.data(), spec.*split.count, json_fields::required);
}

LMMBENCH_JSON_FIELDS(SyntheticVqaSpec)

void validate(const SyntheticVqaSpec& spec) {
  for (const auto& split : kSplits) {
    if (spec.*split.count > kSyntheticVqaMaxItems) {
      throw InputError(Location{"", 0, std::string(split.count_field)},
                       fmt::format("at most {} items per split", kSyntheticVqaMaxItems));
    }
  }
  if (spec.image_size < kSyntheticVqaMinImageSize || spec.image_size > kSyntheticVqaMaxImageSize) {
    throw InputError(Location{"", 0, "image_size"},
                     fmt::format("must be within [{}, {}], got {}", kSyntheticVqaMinImageSize,
                                 kSyntheticVqaMaxImageSize, spec.image_size));
  }
}

std::span<const NamedColour> synthetic_vqa_palette() {
  return kPalette;
}

std::span<const std::string_view> synthetic_vqa_shapes() {
  return kShapeNames;
}

SyntheticVqaSuite write_synthetic_vqa(const SyntheticVqaSpec& spec,
                                      const std::filesystem::path& directory) {
  validate(spec);
  std::error_code ec;
  if (std::filesystem::exists(directory, ec) &&
      !(std::filesystem::is_directory(directory, ec) && std::filesystem::is_empty(directory, ec))) {
    throw InputError(Location{directory.string(), 0, ""},
                     "output directory for the synthetic suite is not empty");
  }
  std::filesystem::create_directories(directory / "images");

  const Layout layout(spec.image_size);
  SyntheticVqaSuite suite;
  suite.directory = directory;
  suite.generated = true;
  for (const auto& split : kSplits) {
    const std::size_t count = spec.*split.count;
    Rng rng(stream_seed(spec.seed, split.stream_tag));
    std::vector<Item> items =
        split.multiple_choice ? generate_mc(rng, layout, count) : generate_open(rng, layout, count);
    std::string jsonl;
    for (std::size_t i = 0; i < items.size(); ++i) {
      auto& item = items[i];
      item.id = item_id(split.id_prefix, i, count);
      const std::string image = image_path_for(item.id);
      write_file_atomic(directory / image, encode_png_rle(render(item.scene, spec.image_size)));
      jsonl += jsonl_line(item, image);
      suite.files.emplace_back(image);
    }
    write_file_atomic(directory / split.file, jsonl);
    suite.files.emplace_back(split.file);
  }
  std::sort(suite.files.begin(), suite.files.end());
  suite.manifest_sha256 = manifest_sha256(absolute_files(directory, suite.files), directory);

  nlohmann::ordered_json record;
  record["generator"] = kSyntheticVqaGenerator;
  record["version"] = kSyntheticVqaVersion;
  record["spec"] = nlohmann::json(spec);
  record["manifest_sha256"] = suite.manifest_sha256;
  record["files"] = nlohmann::ordered_json::array();
  for (const auto& f : suite.files)
    record["files"].push_back(f.generic_string());
  write_file_atomic(directory / kGeneratorFile, record.dump(2) + "\n");
  return suite;
}

std::optional<SyntheticVqaSuite> find_synthetic_vqa(const SyntheticVqaSpec& spec,
                                                    const std::filesystem::path& directory) {
  const auto record = read_generator_file(directory);
  if (!record) return std::nullopt;
  SyntheticVqaSuite suite;
  suite.directory = directory;
  try {
    if (record->at("generator").get<std::string>() != kSyntheticVqaGenerator) return std::nullopt;
    if (record->at("version").get<int>() != kSyntheticVqaVersion) return std::nullopt;
    if (record->at("spec").get<SyntheticVqaSpec>() != spec) return std::nullopt;
    for (const auto& f : record->at("files"))
      suite.files.emplace_back(f.get<std::string>());
    suite.manifest_sha256 = record->at("manifest_sha256").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  } catch (const InputError&) {  // a spec without a field this version needs: regenerate
    return std::nullopt;
  }
  for (const auto& split : kSplits) {
    if (std::find(suite.files.begin(), suite.files.end(), std::filesystem::path(split.file)) ==
        suite.files.end()) {
      return std::nullopt;
    }
  }
  std::error_code ec;
  for (const auto& f : suite.files) {
    if (!is_plain_relative(f) || !std::filesystem::is_regular_file(directory / f, ec)) {
      return std::nullopt;
    }
  }
  if (manifest_sha256(absolute_files(directory, suite.files), directory) != suite.manifest_sha256) {
    return std::nullopt;
  }
  return suite;
}

SyntheticVqaSuite ensure_synthetic_vqa(const SyntheticVqaSpec& spec,
                                       const std::filesystem::path& directory) {
  validate(spec);
  if (auto current = find_synthetic_vqa(spec, directory)) return std::move(*current);

  auto target = std::filesystem::absolute(directory).lexically_normal();
  if (!target.has_filename()) target = target.parent_path();
  std::error_code ec;
  const bool exists = std::filesystem::exists(target, ec);
  if (exists) {
    const bool empty =
        std::filesystem::is_directory(target, ec) && std::filesystem::is_empty(target, ec);
    const auto record = read_generator_file(target);
    const bool ours = record && record->contains("generator") &&
                      record->at("generator") == std::string(kSyntheticVqaGenerator);
    if (!empty && !ours) {
      throw InputError(
          Location{target.string(), 0, ""},
          fmt::format("exists but is not a synthetic suite (no {} naming {}); refusing "
                      "to replace it: choose another path or remove it",
                      kGeneratorFile, kSyntheticVqaGenerator));
    }
  }
  std::filesystem::create_directories(target.parent_path());
  remove_dead_siblings(target);

  const long pid = static_cast<long>(::getpid());
  const auto partial = sibling(target, "partial", pid);
  std::filesystem::remove_all(partial);
  SyntheticVqaSuite suite;
  try {
    suite = write_synthetic_vqa(spec, partial);
  } catch (...) {
    std::filesystem::remove_all(partial, ec);
    throw;
  }

  const auto stale = sibling(target, "stale", pid);
  std::filesystem::remove_all(stale, ec);
  if (exists) std::filesystem::rename(target, stale, ec);  // may lose a race: checked below
  std::error_code moved;
  std::filesystem::rename(partial, target, moved);
  if (moved) {
    // Another process put a suite in place first; keep it if it is the one asked for.
    std::filesystem::remove_all(partial, ec);
    std::filesystem::remove_all(stale, ec);
    if (auto current = find_synthetic_vqa(spec, directory)) return std::move(*current);
    throw Error(fmt::format("cannot move the generated suite into {}: {}", target.string(),
                            moved.message()));
  }
  std::filesystem::remove_all(stale, ec);
  suite.directory = directory;
  return suite;
}

void prepare_synthetic_vqa(ObjectReader& options) {
  const ConfigNode path = options.required("path");
  const auto directory = path.as_path();
  constexpr auto kMax = static_cast<std::int64_t>(kSyntheticVqaMaxItems);
  SyntheticVqaSpec spec;
  spec.seed = static_cast<std::uint64_t>(options.get_int("seed", 0, 0));
  for (const auto& split : kSplits) {
    spec.*split.count = static_cast<std::size_t>(
        options.get_int(split.count_field, static_cast<std::int64_t>(spec.*split.count), 0, kMax));
  }
  spec.image_size = static_cast<int>(options.get_int(
      "image_size", spec.image_size, kSyntheticVqaMinImageSize, kSyntheticVqaMaxImageSize));
  options.finish();
  try {
    ensure_synthetic_vqa(spec, directory);
  } catch (const InputError& e) {
    throw InputError(path.location(), e.what());
  }
}

}  // namespace lmmbench::datasets
