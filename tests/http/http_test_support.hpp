#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "core/json_source.hpp"
#include "models/http/http_backend.hpp"

namespace lmmbench::testing {

inline const Clock& test_clock() {
  static const Clock clock;
  return clock;
}

/// A backend from its options, as the registry creates it from a model config.
inline std::unique_ptr<models::Backend> make_backend(models::BackendFactory factory,
                                                     const nlohmann::json& options) {
  ObjectReader reader{ConfigNode(JsonSource::from_value(options, "model.json", 1))};
  return factory(reader, models::BackendContext{test_clock(), 0});
}

inline models::http::HttpBackend& http(models::Backend& backend) {
  return dynamic_cast<models::http::HttpBackend&>(backend);
}

/// The first 8 bytes of a PNG file: base64 "iVBORw0KGgo=".
inline std::shared_ptr<const std::string> png_bytes() {
  return std::make_shared<const std::string>("\x89PNG\r\n\x1a\n", 8);
}

/// An image followed by a question, greedy decoding.
inline models::Request vqa_request(std::string text, std::string system = "") {
  models::Request r;
  r.task = "t";
  r.sample_id = "s1";
  r.system_prompt = std::move(system);
  r.content.emplace_back(models::ImagePart{png_bytes(), "image/png", "", "image.png"});
  r.content.emplace_back(models::TextPart{std::move(text)});
  r.params.max_tokens = 16;
  return r;
}

/// Submits and waits (at most 60 s) for the completion.
inline models::Completion ask(models::Backend& backend, models::Request request) {
  auto promise = std::make_shared<std::promise<models::Completion>>();
  auto future = promise->get_future();
  backend.submit(std::move(request),
                 [promise](models::Completion c) { promise->set_value(std::move(c)); });
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "no completion within 60 s";
    return models::Completion::failure(models::ErrorKind::internal, "test timed out");
  }
  return future.get();
}

}  // namespace lmmbench::testing
