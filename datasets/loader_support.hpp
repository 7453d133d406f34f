#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/error.hpp"
#include "core/json_source.hpp"
#include "datasets/sample.hpp"

/// Pieces every format loader needs: located "file not found" errors that the harness can extend
/// with where to get the benchmark, safe resolution of image paths under a dataset root, per-sample
/// image errors, and id bookkeeping.
namespace lmmbench::datasets {

/// A dataset file or directory that does not exist. Loaders throw it (instead of a plain
/// InputError) so that the harness can add where the benchmark is obtained from.
class MissingDataError : public InputError {
 public:
  using InputError::InputError;
};

/// Throws MissingDataError "<what> not found" naming `path` unless it is a regular file (a
/// directory, for require_directory).
void require_file(const std::filesystem::path& path, std::string_view what);
void require_directory(const std::filesystem::path& path, std::string_view what);

/// A dataset read from one main file: require_file(file, what), then name = the file's stem, root =
/// its directory, files = {file}.
Dataset start_dataset(const std::filesystem::path& file, std::string_view what);

/// An image path as a dataset file wrote it, resolved under the dataset's image root.
struct ResolvedPath {
  std::filesystem::path path;       ///< root / relative, lexically normal; empty when refused.
  std::string error;                ///< Why the path was refused; empty when accepted.
  std::filesystem::path real_root;  ///< The canonical root.
  /// The path beneath real_root with every symbolic link resolved (inside the root, or refused):
  /// what read_file_beneath opens, following no link.
  std::filesystem::path beneath;
};

/// Resolves `relative` under `root` and refuses, with a message saying which rule it broke, a
/// path that could read outside the root: an absolute path, one whose normal form climbs out with
/// "..", one that resolves (through symbolic links, at any level) outside the canonical root, and
/// a symbolic link loop. A path that does not exist is accepted here (the caller reports it as
/// missing when it opens it).
ResolvedPath resolve_inside(const std::filesystem::path& root, std::string_view relative);

/// How a loader treats the images its records name. `load` false leaves samples without images
/// (re-scoring or replaying answers without the image files); `probe` checks each header at load
/// time, filling width, height and the content's MIME type, so a corrupt file becomes the
/// sample's error before any model sees it.
/// What a dataset's images may cost: options "max_image_pixels" and "image_memory_mb".
struct ImageBudget {
  /// Images with more pixels are refused (per sample) before they are decoded.
  std::uint64_t max_pixels = kDefaultMaxImagePixels;
  /// Encoded bytes kept in memory from load to the last request (ImageRef::data), in total over
  /// the dataset; images past it are read again per request and checked against their hash.
  std::uint64_t memory_bytes = std::uint64_t{1024} << 20;
};

/// Reads "max_image_pixels" (at least 1) and "image_memory_mb" (0 keeps none in memory).
ImageBudget read_image_budget(ObjectReader& options);

struct ImageOptions {
  std::filesystem::path root;
  bool load = true;
  bool probe = true;
  ImageBudget budget{};
};

/// Reads the options every loader with images shares: "image_root" (default `default_root`),
/// "load_images" (default true), "verify_images" (default true) and the ImageBudget's.
ImageOptions read_image_options(ObjectReader& options, const std::filesystem::path& default_root);
/// The same for formats whose images never sit beside the dataset file (COCO, TextVQA, GQA, ...):
/// "image_root" is required unless "load_images" is false.
ImageOptions read_image_options(ObjectReader& options);

/// Attaches a sample's images under ImageOptions::root, safely. A refused, missing or unreadable
/// image never throws: it becomes the sample's error ("<where>: <what>"), the first one wins, and
/// the sample stays in the dataset (the harness records it as that sample's failure).
///
/// Each file is opened once (read_file_beneath), its bytes hashed (ImageRef::sha256, which the
/// manifest then uses instead of reading the file again), probed, and kept (ImageRef::data) while
/// ImageOptions::memory_bytes lasts; a file that several records name is read once for all of
/// them. One loader's thread only.
class ImageAttacher {
 public:
  explicit ImageAttacher(ImageOptions options) : options_(std::move(options)) {}

  /// `relative` as the dataset record gives it; `where` names the record's file, line and field.
  /// Appends the image file to `files` when it is read.
  void attach(Sample& sample, std::string_view relative, const Location& where,
              std::vector<std::filesystem::path>& files) const;
  /// An image stored as base64 text inside `file` at [offset, offset + length).
  void attach_base64(Sample& sample, const std::filesystem::path& file, std::uint64_t offset,
                     std::uint64_t length, const Location& where) const;
  /// An image whose encoded bytes a dataset file holds in compressed pages (a parquet cell), so
  /// no byte range of the file is the image: the bytes are hashed, probed and kept like any other
  /// image, and written once to `extract_dir`/<sha256>.<ext> (content-addressed; an existing
  /// file of that size is reused), which the ImageRef names, so requests past the memory budget
  /// and reports read that file (checked against the hash). The same bytes in several cells are
  /// one image. A bad image is the sample's error at `where`; a directory that cannot be written
  /// throws InputError naming it.
  void attach_bytes(Sample& sample, std::string bytes, const std::filesystem::path& extract_dir,
                    const Location& where) const;

  [[nodiscard]] const ImageOptions& options() const { return options_; }

 private:
  /// The image (or the sample error) for a file already attached, by ResolvedPath::path (for a
  /// base64 slice: "file@offset+length").
  struct Attached {
    std::optional<ImageRef> image;
    std::string error;
  };
  /// Reads, hashes, probes and perhaps keeps the bytes of `image` (path, root, beneath set);
  /// returns the error message, empty when it is usable.
  std::string load_bytes(ImageRef& image, std::string bytes) const;

  ImageOptions options_;
  mutable std::unordered_map<std::string, Attached> attached_;
  mutable std::uint64_t kept_bytes_ = 0;
};

/// Records `message` as the sample's error unless it already has one.
void set_sample_error(Sample& sample, const Location& where, const std::string& message);

/// A multiple-choice sample's gold letter must name one of its options: a reference that is one
/// letter A-Z past the last option (e.g. "E" of four options) throws InputError at `where`.
/// Samples without options, and references that are not one capital letter, pass.
void check_gold_letter(const Sample& sample, const Location& where);

/// A JSON id (integer or string) as text; fails at the node for any other type or an empty string.
std::string id_text(const ConfigNode& node);

/// Sample ids seen so far; a repeated one fails at its node ("duplicate sample id").
class IdSet {
 public:
  void insert(const std::string& id, const ConfigNode& where);
  void insert(const std::string& id, const Location& where);

 private:
  std::unordered_set<std::string> seen_;
};

/// Gives repeated source ids distinct sample ids: the first "x" stays "x", later ones become
/// "x#2", "x#3", ... (LLaVA's MME question file repeats each image's question_id for its two
/// questions). The source id is kept in meta.question_id by the loaders that use this.
class IdDisambiguator {
 public:
  std::string next(const std::string& source_id);

 private:
  std::unordered_map<std::string, std::size_t> counts_;
};

/// One split of a benchmark that ships one file per split (POPE, ChartQA).
struct SplitFile {
  std::string name;
  std::filesystem::path path;
};

/// Reads the splits of such a benchmark: "splits" ({name: path, ...}, in name order, at least
/// one), or "path" with "split" (its name). Giving both "splits" and "path" is an error.
std::vector<SplitFile> read_split_files(ObjectReader& options);

/// Sorts and de-duplicates dataset.files.
void finish_files(Dataset& dataset);

/// Calls `on_record` for every record of a JSON document that holds many: the elements of the
/// array at top-level member `member` (or of the root array when `member` is empty), or, when
/// that value is an object, each of its members (`key` = the member name; empty for arrays). Each
/// record is a ConfigNode whose errors name the file, the line where the record starts and the
/// full field path ("/data/12/question"). The text is read once and each record is parsed alone,
/// so memory holds the file's text and one record, never a DOM of the whole file. Throws
/// InputError naming file and line for invalid JSON, and MissingDataError when `path` is absent.
void for_each_json_record(
    const std::filesystem::path& path, std::string_view member,
    const std::function<void(const ConfigNode& record, const std::string& key)>& on_record);

/// The string value of top-level member `key` of a JSON object file (e.g. VQA's "data_subtype"),
/// found without parsing the rest; nullopt when absent or not a string.
std::optional<std::string> top_level_string(const std::filesystem::path& path,
                                            std::string_view key);

/// Fills an image file-name template: "{name}" is replaced by values[name]; "{name:0N}" pads an
/// integer value with zeros to N digits (VQA's "COCO_val2014_{image_id:012}.jpg"). Fails at
/// `where` (the template's config node) for an unknown name or a malformed placeholder.
std::string expand_template(const std::string& text,
                            const std::vector<std::pair<std::string, std::string>>& values,
                            const ConfigNode& where);

/// Checks a template's placeholders against the names a loader provides, at config time.
void validate_template_names(const std::string& text, const std::vector<std::string>& names,
                             const ConfigNode& where);

/// The value at a dotted path inside `record` ("doc.question"; a number steps into an array,
/// "resps.0.0"), as a ConfigNode whose errors name that field; nullopt when a step is absent or
/// the value is null.
std::optional<ConfigNode> find_path(const ConfigNode& record, const std::string& path);

/// A whole (small) JSON file as a located ConfigNode; MissingDataError when absent.
ConfigNode read_json_file(const std::filesystem::path& path, std::string_view what);

}  // namespace lmmbench::datasets
