#include "reports/sample_record.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/json_fields.hpp"
#include "core/json_source.hpp"
#include "core/jsonl.hpp"

namespace lmmbench::reports {

using json_fields::omit_empty;
using json_fields::Record;
using json_fields::required;

namespace {

/// A sample id: written as a string; read from a string or an integer (some datasets number them).
struct IdCodec {
  static nlohmann::json encode(const std::string& id) { return id; }
  static void decode(const nlohmann::json& j, std::string& id) {
    if (j.is_string()) {
      id = j.get<std::string>();
    } else if (j.is_number_integer()) {
      id = j.dump();
    } else {
      throw InputError(Location{"", 0, "/id"}, "expected a string or an integer");
    }
  }
};

/// A path alone for an image file, an object for base64 text inside a larger file.
struct ImagesCodec {
  static nlohmann::json encode(const std::vector<ImageSource>& images) {
    auto out = nlohmann::json::array();
    for (const auto& image : images) {
      if (image.base64_length == 0) {
        out.push_back(image.path.generic_string());
      } else {
        out.push_back({{"path", image.path.generic_string()},
                       {"base64_offset", image.base64_offset},
                       {"base64_length", image.base64_length}});
      }
    }
    return out;
  }
  static void decode(const nlohmann::json& j, std::vector<ImageSource>& images) {
    images.clear();
    for (const auto& image : j) {
      if (image.is_string()) {
        images.push_back(ImageSource{image.get<std::string>(), 0, 0});
      } else {
        images.push_back(ImageSource{image.at("path").get<std::string>(),
                                     image.value("base64_offset", std::uint64_t{0}),
                                     image.value("base64_length", std::uint64_t{0})});
      }
    }
  }
};

}  // namespace

template <class S, class F>
requires Record<S, ImageInfo>
void visit(S& i, F&& f) {
  f("mime_type", i.mime_type);
  f("width", i.width);
  f("height", i.height);
  f("bytes", i.bytes);
}

template <class S, class F>
requires Record<S, JudgeExchange>
void visit(S& e, F&& f) {
  f("run", e.run);
  f("ask", e.ask);
  f("request", e.request);
  f("reply", e.reply, required);
}

template <class S, class F>
requires Record<S, SampleRecord>
void visit(S& r, F&& f) {
  f("id", json_fields::with_codec<IdCodec>(r.id), required);
  f("score", r.score, required);
  f("status", r.status);
  f("extracted", r.extracted);
  f("scores", r.scores, omit_empty);
  f("prediction", r.prediction);
  f("question", r.question);
  f("answers", r.answers);
  f("options", r.options, omit_empty);
  f("images", json_fields::with_codec<ImagesCodec>(r.images), omit_empty);
  f("image_info", r.image_info, omit_empty);
  f("category", r.category, omit_empty);
  f("error_kind", r.error_kind, omit_empty);
  f("error", r.error, omit_empty);
  f("judge", r.judge, omit_empty);
}

LMMBENCH_JSON_FIELDS(ImageInfo)
LMMBENCH_JSON_FIELDS(JudgeExchange)
LMMBENCH_JSON_FIELDS(SampleRecord)

std::vector<std::string> SampleRecord::judge_replies() const {
  std::vector<std::string> out;
  if (!judge) return out;
  std::size_t last_run = 0;
  for (const auto& exchange : *judge) {
    if (!out.empty() && exchange.run == last_run) {
      out.back() = exchange.reply;
    } else {
      out.push_back(exchange.reply);
    }
    last_run = exchange.run;
  }
  return out;
}

std::string sample_line(const SampleRecord& r) {
  auto text = nlohmann::json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  text += '\n';
  return text;
}

std::vector<SampleRecord> read_sample_records(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    throw InputError(Location{path.string(), 0, ""}, "per-sample scores file not found");
  }
  std::vector<SampleRecord> out;
  for_each_jsonl_record(path, [&](const ConfigNode& node) {
    if (!node.json().is_object()) node.fail("expected a JSON object per line");
    try {
      out.push_back(node.json().get<SampleRecord>());
    } catch (const InputError& e) {
      node.fail(fmt::format("field {}: {}", e.where().field, e.detail()));
    } catch (const nlohmann::json::exception& e) {
      node.fail(fmt::format("not a sample record: {}", e.what()));
    }
  });
  return out;
}

}  // namespace lmmbench::reports
