#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_source.hpp"
#include "datasets/raster_draw.hpp"

/// The embedded default benchmark: a synthetic VQA suite generated deterministically from a seed,
/// written as an ordinary dataset in lmmbench's own JSONL format (LmmbenchJsonlLoader reads it
/// unchanged). It needs no network, API key or GPU, so `lmmbench run` has something real to
/// evaluate out of the box.
///
/// Each image is size x size pixels: one to ten large, non-overlapping shapes (circle, square,
/// triangle, diamond; 42-60 px at 336) in six clearly distinct colours on a plain light-grey
/// background, each alone in one cell of a 4 x 4 grid; reading items instead show a short
/// upper-case word or a two-digit number in black block letters 56-84 px tall at 336
/// (stb_easy_font's segment font, each font unit drawn as an 8-12 px block),
/// with a few shapes above and below it. What each question family tests:
///
///  open.jsonl (VQA-style, 10 annotator answers):
///   - colour     "What color is the circle?"  Naming the colour of the one shape of a kind
///                (the asked shape occurs once; others are other kinds). Answers uniform over the
///                six colours.
///   - counting   "How many triangles are there?" / "How many red shapes are there?"  Counting
///                1-6 instances among distractors; answers uniform over 1-6.
///   - existence  "Is there a red square?"  Binding colour to shape: every image also holds the
///                asked shape in another colour and the asked colour on another shape, so only
///                the conjunction decides. Yes/no exactly balanced.
///   - spatial    "Is the circle to the left of the square?" (left of, right of, above, below)
///                Relative position of two unique shapes whose offset is dominant along the asked
///                axis. Yes/no exactly balanced, and each relation balanced within each answer.
///   - reading    "What word is written in the image?" / "What number ..."  Reading a rendered
///                word (24-word list) or a number 10-99.
///  mc.jsonl (options A-D, gold = the letter, correct position exactly balanced per family):
///   - shape      "Which shape is blue?"  Naming the kind of the one shape of a colour (other
///                shapes of the same kind appear in other colours); the options are the 4 kinds.
///   - colour     "What color is the square?" with 4 colour options.
///   - counting   "How many diamonds are there?" with 4 numeric options from 1-8.
///   - reading    "What word is written in the image?" with 4 word options.
///
/// Every balanced quantity (answer value, yes/no, correct letter) is drawn as a shuffled cyclic
/// sequence per family, so constant answers and per-question-type priors score at chance.
/// Families are interleaved (item i of open.jsonl belongs to family i mod 5), so any prefix of a
/// split covers every family. The calibration splits have their own ids and come from an
/// independent random stream of the same generator.
///
/// Determinism: the output depends only on the spec and kSyntheticVqaVersion. Randomness is
/// SplitMix64 with our own bounded draw and shuffle (no implementation-defined std distributions),
/// geometry is integer-only, JSON is written with a fixed key order, and PNGs are encoded by
/// encode_png_rle (raster_png.hpp), whose bytes depend on no library version. Generation is
/// single-threaded; ~0.7 s for the default spec in a Release build.
namespace lmmbench::datasets {

/// The generator's name and output version, recorded in generator.json. Bump the version whenever
/// the bytes written for some spec change, so existing suites are regenerated.
inline constexpr std::string_view kSyntheticVqaGenerator = "lmmbench-synthetic-vqa";
inline constexpr int kSyntheticVqaVersion = 1;

/// Which suite to generate. Item counts are per split (at most kSyntheticVqaMaxItems each).
struct SyntheticVqaSpec {
  std::uint64_t seed = 0;
  std::size_t open_items = 300;
  std::size_t mc_items = 100;
  std::size_t open_calibration_items = 100;
  std::size_t mc_calibration_items = 40;
  int image_size = 336;  ///< Side of the square images in pixels, within
                         ///< [kSyntheticVqaMinImageSize, kSyntheticVqaMaxImageSize].

  friend bool operator==(const SyntheticVqaSpec&, const SyntheticVqaSpec&) = default;
};

inline constexpr std::size_t kSyntheticVqaMaxItems = 100000;
inline constexpr int kSyntheticVqaMinImageSize = 128;
inline constexpr int kSyntheticVqaMaxImageSize = 1024;

/// {"seed", "open_items", "mc_items", "open_calibration_items", "mc_calibration_items",
/// "image_size"} (core/json_fields.hpp); from_json throws InputError naming a missing key and
/// nlohmann::json::exception for a wrong type.
void to_json(nlohmann::json& out, const SyntheticVqaSpec& spec);
void from_json(const nlohmann::json& in, SyntheticVqaSpec& spec);

/// Throws InputError naming the offending field when a count or the image size is out of range.
void validate(const SyntheticVqaSpec& spec);

/// The drawing vocabulary, exposed so that tests can check the ground truth from pixels.
struct NamedColour {
  std::string_view name;
  Rgb rgb;
};
/// red, orange, yellow, green, blue, purple: the only colours shapes are drawn in.
std::span<const NamedColour> synthetic_vqa_palette();
/// circle, square, triangle, diamond (singular names, as questions use them).
std::span<const std::string_view> synthetic_vqa_shapes();
inline constexpr Rgb kSyntheticVqaBackground{224, 224, 224};
inline constexpr Rgb kSyntheticVqaInk{20, 20, 20};  ///< Colour of rendered text.

/// A suite on disk.
struct SyntheticVqaSuite {
  std::filesystem::path directory;
  /// Every data file (the four JSONL files and all images; not generator.json), relative to
  /// `directory`, sorted.
  std::vector<std::filesystem::path> files;
  /// manifest_sha256(files, directory): identical for identical specs on any machine that links
  /// the same stb version.
  std::string manifest_sha256;
  bool generated = false;  ///< ensure_synthetic_vqa: false when an existing suite was reused.
};

/// Writes the suite into `directory`, which must be absent or empty (it and its parents are
/// created):
///
///   images/<id>.png          one image per item
///   open.jsonl, mc.jsonl     the evaluation splits
///   open_calibration.jsonl, mc_calibration.jsonl   disjoint calibration splits (prior baseline)
///   generator.json           {"generator", "version", "spec", "manifest_sha256", "files"}
///
/// generator.json is written last. Not atomic by itself: ensure_synthetic_vqa is. Throws
/// InputError for an invalid spec or a non-empty directory, Error for I/O failures.
SyntheticVqaSuite write_synthetic_vqa(const SyntheticVqaSpec& spec,
                                      const std::filesystem::path& directory);

/// The suite in `directory` if it is current for `spec`: generator.json names this generator,
/// version and spec, every listed file exists and their manifest matches the recorded one.
std::optional<SyntheticVqaSuite> find_synthetic_vqa(const SyntheticVqaSpec& spec,
                                                    const std::filesystem::path& directory);

/// Makes `directory` hold the suite for `spec`: reuses it when current (find_synthetic_vqa),
/// otherwise generates into a hidden temporary sibling (".<name>.partial-<pid>") and renames that
/// into place, so an interrupted run never leaves a directory that looks complete. An existing
/// non-empty directory is replaced only if it holds this generator's generator.json; anything
/// else is refused with InputError rather than deleted. Safe against a concurrent call for the
/// same spec (the loser discards its copy). Leftover temporaries of dead processes are removed.
SyntheticVqaSuite ensure_synthetic_vqa(const SyntheticVqaSpec& spec,
                                       const std::filesystem::path& directory);

/// Registry entry for a task's "prepare" object: reads "path" (the suite directory, relative to
/// the config file), "seed", "open_items", "mc_items", "open_calibration_items",
/// "mc_calibration_items" and "image_size" (defaults as in SyntheticVqaSpec), rejects other keys,
/// then calls ensure_synthetic_vqa. Errors name the config file, line and field.
void prepare_synthetic_vqa(ObjectReader& options);

}  // namespace lmmbench::datasets
