// Every typed section of a run record through its formatter (reports/views.hpp).

#include "reports/views.hpp"

#include <string>
#include <vector>

namespace lmmbench::reports {

std::vector<Section> sections_of(const LoadedRun& run) {
  std::vector<Section> out;
  if (run.record.gpu) out.push_back(gpu_view(*run.record.gpu));
  if (run.record.perf) {
    std::string server;
    const auto& config = run.record.resolved_config;
    if (config.is_object() && config.contains("model") && config["model"].is_object()) {
      const auto& model = config["model"];
      std::vector<std::string> parts;
      if (model.contains("backend") && model["backend"].is_string())
        parts.push_back(model["backend"].get<std::string>());
      if (model.contains("options") && model["options"].is_object()) {
        const auto& o = model["options"];
        if (o.contains("base_url") && o["base_url"].is_string())
          parts.push_back(public_url(o["base_url"].get<std::string>()));
        if (o.contains("base_url") && o["base_url"].is_array()) {  // replicas
          std::string urls;
          for (const auto& url : o["base_url"]) {
            if (url.is_string())
              urls += (urls.empty() ? "" : ", ") + public_url(url.get<std::string>());
          }
          parts.push_back(urls);
        }
        if (o.contains("model") && o["model"].is_string())
          parts.push_back(o["model"].get<std::string>());
      }
      for (const auto& p : parts)
        server += (server.empty() ? "" : " · ") + p;
    }
    out.push_back(perf_view(*run.record.perf, server));
  }
  if (run.record.train_cost) out.push_back(train_cost_view(*run.record.train_cost));
  return out;
}

}  // namespace lmmbench::reports
