// The exact request each dialect sends, compared with the providers' documented examples:
//  - OpenAI "Images and vision" (Chat Completions, "Passing a Base64 encoded image"): one user
//    message whose content is a list of {"type": "text"} and {"type": "image_url", "image_url":
//    {"url": "data:image/...;base64,..."}} parts; Authorization: Bearer.
//  - Azure OpenAI "Chat completions" REST reference: POST
//    {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=..., api-key header.
//  - Gemini "Image understanding" REST example: contents[].parts[] with {"inline_data":
//    {"mime_type": "image/jpeg", "data": "..."}} and {"text": "..."}; x-goog-api-key header;
//    generationConfig with maxOutputTokens / temperature / stopSequences ("Text generation").
//  - Anthropic "Vision" base64 example: {"type": "image", "source": {"type": "base64",
//    "media_type": "image/jpeg", "data": "..."}} then {"type": "text"}; x-api-key and
//    anthropic-version: 2023-06-01 headers; "system" top-level; "stop_sequences".
#include <cstdlib>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "http_test_support.hpp"

namespace lmmbench::testing {
namespace {

using models::http::create_anthropic;
using models::http::create_gemini;
using models::http::create_openai;

constexpr const char* kKeyEnv = "LMMBENCH_TEST_DIALECT_KEY";
constexpr const char* kKey = "sk-dialect-7e3f1a9c5b2d4e6f8a0b";

class Dialects : public ::testing::Test {
 protected:
  void SetUp() override { ::setenv(kKeyEnv, kKey, 1); }
};

models::Request full_request() {
  auto r = vqa_request("What colour is the square?", "You are a careful VQA model.");
  r.params.stop = {"\n"};
  r.params.seed = 7;
  return r;
}

bool has_header(const models::http::HttpCall& call, const std::string& header) {
  return std::find(call.headers.begin(), call.headers.end(), header) != call.headers.end();
}

TEST_F(Dialects, OpenAiBodyIsTheDocumentedVisionRequest) {
  auto backend = make_backend(
      &create_openai,
      {{"base_url", "https://api.openai.com/v1/"}, {"model", "gpt-4o"}, {"api_key_env", kKeyEnv}});
  const auto call = http(*backend).build_call(full_request());
  EXPECT_EQ(call.url, "https://api.openai.com/v1/chat/completions");
  EXPECT_TRUE(has_header(call, std::string("Authorization: Bearer ") + kKey));
  EXPECT_TRUE(has_header(call, "Content-Type: application/json"));
  const auto expected = nlohmann::json::parse(R"({
    "model": "gpt-4o",
    "messages": [
      {"role": "system", "content": "You are a careful VQA model."},
      {"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {"type": "text", "text": "What colour is the square?"}
      ]}
    ],
    "max_tokens": 16,
    "temperature": 0.0,
    "seed": 7,
    "stop": ["\n"]
  })");
  EXPECT_EQ(nlohmann::json::parse(call.body), expected) << call.body;
  EXPECT_FALSE(call.stream);
}

TEST_F(Dialects, OpenAiStreamingAsksForUsageAndExtraBodyIsMerged) {
  auto backend =
      make_backend(&create_openai, {{"base_url", "http://127.0.0.1:8000/v1"},
                                    {"model", "llava-hf/llava-1.5-7b-hf"},
                                    {"stream", true},
                                    {"max_tokens_field", "max_completion_tokens"},
                                    {"image_detail", "low"},
                                    {"extra_body", {{"ignore_eos", true}, {"top_k", 1}}}});
  auto request = vqa_request("Q?");
  request.params.top_p = 0.9;
  const auto call = http(*backend).build_call(request);
  const auto body = nlohmann::json::parse(call.body);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"], nlohmann::json({{"include_usage", true}}));
  EXPECT_EQ(body["max_completion_tokens"], 16);
  EXPECT_FALSE(body.contains("max_tokens"));
  EXPECT_EQ(body["top_p"], 0.9);
  EXPECT_EQ(body["ignore_eos"], true);
  EXPECT_EQ(body["top_k"], 1);
  EXPECT_EQ(body["messages"][0]["content"][0]["image_url"]["detail"], "low");
  EXPECT_FALSE(body.contains("seed"));
  EXPECT_TRUE(call.stream);
  // No key configured: no Authorization header (local servers).
  for (const auto& h : call.headers)
    EXPECT_EQ(h.find("Authorization"), std::string::npos) << h;
}

TEST_F(Dialects, OpenAiSendsATextOnlyMessageAsAString) {
  // llama.cpp-served GGUF chat templates concatenate message["content"] and fail on a list.
  auto backend =
      make_backend(&create_openai, {{"base_url", "http://127.0.0.1:8000/v1"}, {"model", "m"}});
  models::Request request;
  request.content.emplace_back(models::TextPart{"Describe a cat."});
  request.params.max_tokens = 8;
  const auto body = nlohmann::json::parse(http(*backend).build_call(request).body);
  EXPECT_EQ(body["messages"],
            nlohmann::json::parse(R"([{"role": "user", "content": "Describe a cat."}])"));
  // With an image the parts stay a list (the documented vision request, above).
  const auto vision = nlohmann::json::parse(http(*backend).build_call(vqa_request("Q?")).body);
  EXPECT_TRUE(vision["messages"][0]["content"].is_array());
}

// The OpenAI body is written without a DOM; its bytes must be what a DOM of the same values
// dumps (keys in order, nlohmann's numbers and escapes, invalid UTF-8 replaced), whatever the
// text, the parameters and the options.
TEST_F(Dialects, OpenAiBodyIsWrittenInTheFormADomDumps) {
  const std::vector<std::string> texts = {
      "plain",
      "",
      "quote \" backslash \\ slash /",
      "lines\nand\ttabs\r\b\f",
      std::string("control \x00\x01\x1f and DEL \x7f", 21),  // NUL included
      "caf\xc3\xa9 \xe6\x97\xa5\xf0\x9f\x98\x80",
      "invalid \xff\xfe utf-8 \xc3",
      "</script>\u2028"};
  const std::vector<nlohmann::json> options = {
      {{"model", "m"}},
      {{"model", "m \"quoted\""}, {"stream", true}, {"image_detail", "high"}},
      {{"model", "m"}, {"stream", true}, {"stream_usage", false}},
      {{"max_tokens_field", "max_completion_tokens"}, {"model", "m"}},
      {{"pass_image_urls", true}, {"model", "m"}},
      {{"azure", {{"deployment", "d"}, {"api_version", "2024-06-01"}}}}};
  int checked = 0;
  for (const auto& o : options) {
    auto config = o;
    config["base_url"] = "http://127.0.0.1:8000/v1";
    auto backend = make_backend(&create_openai, config);
    for (const auto& text : texts) {
      for (int variant = 0; variant < 4; ++variant) {
        models::Request r = variant == 0 ? vqa_request(text, text) : vqa_request(text);
        if (variant == 1) r.content.erase(r.content.begin());  // text only: a plain string
        if (variant == 2) {
          r.content.emplace_back(
              models::ImagePart{png_bytes(), "image/png", "", "https://x/a.png"});
          r.params.stop = {text, "\n\n"};
          r.params.seed = 18446744073709551615ULL;
          r.params.top_p = 0.95;
          r.params.temperature = 0.7;
          r.params.max_tokens = 0;
        }
        if (variant == 3) {
          r.params.temperature = 1e-7;
          r.params.top_p = 0.1 + 0.2;
          r.params.max_tokens = -5;
        }
        const auto body = http(*backend).build_call(r).body;
        const auto parsed = nlohmann::json::parse(body);
        EXPECT_EQ(body, parsed.dump()) << body;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 6 * 8 * 4);
  // Invalid UTF-8 becomes U+FFFD, as the DOM's dump with error_handler_t::replace wrote it.
  auto backend =
      make_backend(&create_openai, {{"base_url", "http://127.0.0.1:8000/v1"}, {"model", "m"}});
  const auto body = http(*backend).build_call(vqa_request("a\xff b")).body;
  EXPECT_NE(body.find("a\xef\xbf\xbd b"), std::string::npos) << body;
  // A URL image is passed on only with pass_image_urls; else it is sent as a data URL.
  auto r = vqa_request("Q?");
  r.content[0] = models::ImagePart{png_bytes(), "image/png", "", "https://x/a.png"};
  EXPECT_EQ(nlohmann::json::parse(
                http(*backend).build_call(r).body)["messages"][0]["content"][0]["image_url"]["url"],
            "data:image/png;base64,iVBORw0KGgo=");
}

TEST_F(Dialects, AzureUsesTheDeploymentUrlAndTheApiKeyHeader) {
  auto backend = make_backend(
      &create_openai, {{"base_url", "https://my-resource.openai.azure.com"},
                       {"api_key_env", kKeyEnv},
                       {"azure", {{"deployment", "gpt4o-eval"}, {"api_version", "2024-10-21"}}}});
  const auto call = http(*backend).build_call(full_request());
  EXPECT_EQ(call.url,
            "https://my-resource.openai.azure.com/openai/deployments/gpt4o-eval/chat/"
            "completions?api-version=2024-10-21");
  EXPECT_TRUE(has_header(call, std::string("api-key: ") + kKey));
  EXPECT_FALSE(nlohmann::json::parse(call.body).contains("model"));
}

TEST_F(Dialects, GeminiBodyIsTheDocumentedInlineDataRequest) {
  auto backend =
      make_backend(&create_gemini, {{"model", "gemini-2.0-flash"}, {"api_key_env", kKeyEnv}});
  const auto call = http(*backend).build_call(full_request());
  EXPECT_EQ(call.url,
            "https://generativelanguage.googleapis.com/v1beta/models/"
            "gemini-2.0-flash:generateContent");
  EXPECT_TRUE(has_header(call, std::string("x-goog-api-key: ") + kKey));
  const auto expected = nlohmann::json::parse(R"({
    "contents": [{"role": "user", "parts": [
      {"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgo="}},
      {"text": "What colour is the square?"}
    ]}],
    "system_instruction": {"parts": [{"text": "You are a careful VQA model."}]},
    "generationConfig": {"maxOutputTokens": 16, "temperature": 0.0, "stopSequences": ["\n"],
                         "seed": 7}
  })");
  EXPECT_EQ(nlohmann::json::parse(call.body), expected) << call.body;

  auto streaming = make_backend(
      &create_gemini, {{"model", "gemini-2.0-flash"}, {"stream", true}, {"thinking_budget", 0}});
  const auto stream_call = http(*streaming).build_call(full_request());
  EXPECT_EQ(stream_call.url,
            "https://generativelanguage.googleapis.com/v1beta/models/"
            "gemini-2.0-flash:streamGenerateContent?alt=sse");
  EXPECT_EQ(nlohmann::json::parse(stream_call.body)["generationConfig"]["thinkingConfig"],
            nlohmann::json({{"thinkingBudget", 0}}));
}

TEST_F(Dialects, AnthropicBodyIsTheDocumentedBase64ImageRequest) {
  auto backend = make_backend(
      &create_anthropic,
      {{"model", "claude-3-5-sonnet-20241022"}, {"api_key_env", kKeyEnv}, {"stream", true}});
  const auto call = http(*backend).build_call(full_request());
  EXPECT_EQ(call.url, "https://api.anthropic.com/v1/messages");
  EXPECT_TRUE(has_header(call, std::string("x-api-key: ") + kKey));
  EXPECT_TRUE(has_header(call, "anthropic-version: 2023-06-01"));
  // No seed (the API has none); top_p only when it differs from 1.
  const auto expected = nlohmann::json::parse(R"({
    "model": "claude-3-5-sonnet-20241022",
    "max_tokens": 16,
    "system": "You are a careful VQA model.",
    "messages": [{"role": "user", "content": [
      {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                   "data": "iVBORw0KGgo="}},
      {"type": "text", "text": "What colour is the square?"}
    ]}],
    "temperature": 0.0,
    "stop_sequences": ["\n"],
    "stream": true
  })");
  EXPECT_EQ(nlohmann::json::parse(call.body), expected) << call.body;
}

TEST_F(Dialects, ImageFormatsDefaultToWhatEachProviderDocumentsAndCanBeSet) {
  using Types = std::vector<std::string>;
  auto openai = make_backend(&create_openai, {{"model", "gpt-4o"}, {"api_key_env", kKeyEnv}});
  EXPECT_EQ(openai->capabilities().image_mime_types,
            (Types{"image/png", "image/jpeg", "image/webp", "image/gif"}));
  auto gemini = make_backend(&create_gemini, {{"model", "m"}, {"api_key_env", kKeyEnv}});
  EXPECT_EQ(gemini->capabilities().image_mime_types,
            (Types{"image/png", "image/jpeg", "image/webp"}));
  auto claude = make_backend(&create_anthropic, {{"model", "m"}, {"api_key_env", kKeyEnv}});
  EXPECT_EQ(claude->capabilities().image_mime_types,
            (Types{"image/jpeg", "image/png", "image/gif", "image/webp"}));
  // A local server that takes only JPEG, at most 672 px a side.
  auto local = make_backend(&create_openai, {{"base_url", "http://127.0.0.1:8000/v1"},
                                             {"model", "llava"},
                                             {"image_formats", {"jpeg"}},
                                             {"max_image_side", 672}});
  EXPECT_EQ(local->capabilities().image_mime_types, (Types{"image/jpeg"}));
  EXPECT_EQ(local->capabilities().max_image_side, 672);
  EXPECT_THROW(make_backend(&create_openai, {{"model", "m"}, {"image_formats", {"tiff"}}}),
               InputError);
}

TEST_F(Dialects, SecretsInConfigsAreRejectedWithoutRepeatingThem) {
  const std::string literal = "sk-literal-0123456789abcdef";
  for (const char* field : {"api_key", "key", "authorization"}) {
    try {
      make_backend(&create_openai, {{"model", "m"}, {field, literal}});
      FAIL() << field << " was accepted";
    } catch (const InputError& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("api_key_env"), std::string::npos) << message;
      EXPECT_EQ(message.find(literal), std::string::npos) << message;
    }
  }
  EXPECT_THROW(make_backend(&create_openai, {{"model", "m"}, {"api_key_env", "sk-abc 123"}}),
               InputError);
  ::unsetenv("LMMBENCH_TEST_UNSET_KEY");
  try {
    make_backend(&create_gemini, {{"model", "m"}, {"api_key_env", "LMMBENCH_TEST_UNSET_KEY"}});
    FAIL() << "an unset api_key_env was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("LMMBENCH_TEST_UNSET_KEY (api_key_env) is not set"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(make_backend(&create_anthropic,
                            {{"model", "m"}, {"base_url", "https://user:pw@example.com/v1"}}),
               InputError);
}

TEST_F(Dialects, CredentialsInABaseUrlAreRefusedAndKeysAreNeverEchoed) {
  // Gemini's query-parameter style, any query or fragment, and the key itself anywhere in the URL.
  const std::string secret = "AIzaSyD-canary-0123456789abcdef";
  for (const std::string& url : std::vector<std::string>{
           "https://generativelanguage.googleapis.com/v1beta?key=" + secret,
           "https://example.com/v1?api-version=1&token=" + secret,
           "https://example.com/v1#" + secret, "https://" + secret + "@example.com/v1"}) {
    try {
      make_backend(&create_gemini, {{"model", "m"}, {"base_url", url}});
      FAIL() << url << " was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("base_url"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
    }
  }
  ::setenv("LMMBENCH_TEST_URL_KEY", secret.c_str(), 1);
  try {
    make_backend(&create_openai, {{"model", "m"},
                                  {"api_key_env", "LMMBENCH_TEST_URL_KEY"},
                                  {"base_url", "https://example.com/" + secret + "/v1"}});
    FAIL() << "a base_url holding the key was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("contains the API key"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
  }
  ::unsetenv("LMMBENCH_TEST_URL_KEY");
  // A key pasted into api_key_env, of characters a variable name may have, is not repeated.
  for (const std::string pasted :
       {"sk_live_4eC39HqLyjWDarjtT1zdp7dc", "hf_aBcDeFgHiJkLmNoPqRsTuV", "AKIAIOSFODNN7EXAMPLE"}) {
    ::unsetenv(pasted.c_str());
    try {
      make_backend(&create_openai, {{"model", "m"}, {"api_key_env", pasted}});
      FAIL() << "an unset api_key_env was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("api_key_env is not set"), std::string::npos)
          << e.what();
      EXPECT_EQ(std::string(e.what()).find(pasted), std::string::npos) << e.what();
    }
  }

  EXPECT_THROW(make_backend(&create_anthropic, {{"model", "m"}, {"max_tokenz", 3}}), InputError);
  EXPECT_THROW(make_backend(&create_gemini, nlohmann::json::object()), InputError);  // no model
}

TEST_F(Dialects, FingerprintsNameWhatChangesAnswersAndNeverTheKey) {
  auto a = make_backend(&create_openai, {{"model", "m"}, {"api_key_env", kKeyEnv}});
  auto b =
      make_backend(&create_openai,
                   {{"model", "m"}, {"api_key_env", kKeyEnv}, {"timeout_s", 5}, {"stream", true}});
  auto c = make_backend(&create_openai, {{"model", "m2"}});
  EXPECT_EQ(a->fingerprint(), b->fingerprint());  // timeouts and streaming change no answer
  EXPECT_NE(a->fingerprint(), c->fingerprint());
  EXPECT_EQ(a->fingerprint().find(kKey), std::string::npos);
  EXPECT_EQ(a->pricing_model(), "m");
  EXPECT_TRUE(a->capabilities().cache_responses);
  EXPECT_TRUE(a->capabilities().reports_usage);
}

}  // namespace
}  // namespace lmmbench::testing
