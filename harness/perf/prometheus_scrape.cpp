// The HTTP half of the Prometheus scrape (built with LMMBENCH_WITH_HTTP): one blocking libcurl
// GET on the harness thread, between load levels, so it never competes with the backend's
// transport thread for a measured request.
#include <memory>
#include <stdexcept>

#include <curl/curl.h>
#include <fmt/format.h>

#include "harness/perf/prometheus.hpp"

namespace lmmbench::harness::perf {

namespace {

/// A scrape larger than this is refused (vLLM's is tens of kilobytes).
constexpr std::size_t kMaxBytes = std::size_t{64} << 20;

std::size_t append(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * count > kMaxBytes) return 0;  // curl fails with a write error
  body->append(data, size * count);
  return size * count;
}

}  // namespace

std::string scrape_prometheus(const std::string& url, std::chrono::milliseconds timeout) {
  static const CURLcode init = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (init != CURLE_OK) {
    throw std::runtime_error(fmt::format("curl_global_init: {}", curl_easy_strerror(init)));
  }
  const std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(),
                                                                 &curl_easy_cleanup);
  if (!curl) throw std::runtime_error("curl_easy_init failed");
  // Ask for the text format: a server that also speaks OpenMetrics or protobuf picks it then.
  const std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, "Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1"),
      &curl_slist_free_all);
  std::string body;
  char error[CURL_ERROR_SIZE] = {};
  CURL* h = curl.get();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // gzip if the server offers it
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 3L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "lmmbench");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    throw std::runtime_error(error[0] != '\0' ? std::string(error) : curl_easy_strerror(rc));
  }
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) throw std::runtime_error(fmt::format("HTTP status {}", status));
  return body;
}

}  // namespace lmmbench::harness::perf
