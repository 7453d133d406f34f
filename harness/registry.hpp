#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "datasets/loader.hpp"
#include "harness/config.hpp"
#include "metrics/metric.hpp"
#include "models/backend.hpp"

namespace lmmbench::harness {

struct BackendEntry {
  std::string name;
  std::string description;
  models::BackendFactory create;
};

struct LoaderEntry {
  std::string name;
  std::string description;
  datasets::LoaderFactory create;
};

struct MetricEntry {
  std::string name;
  std::string description;
  std::vector<std::string> variants;  ///< The first is the default.
  std::unique_ptr<metrics::Metric> (*create)(std::string_view variant, ObjectReader& options);
};

/// Writes a dataset to disk before it is loaded; a no-op when it is already current.
struct GeneratorEntry {
  std::string name;
  std::string description;
  void (*prepare)(ObjectReader& options);
};

/// Creates backends, dataset loaders, metrics and dataset generators by the names used in configs.
/// Everything is registered explicitly in registry.cpp — the one place to add a new kind — and
/// nothing happens at static-initialisation time. Immutable after construction; thread-safe.
class Registry {
 public:
  /// The registry of everything built into this binary.
  static const Registry& builtin();

  [[nodiscard]] std::span<const BackendEntry> backends() const { return backends_; }
  [[nodiscard]] std::span<const LoaderEntry> loaders() const { return loaders_; }
  [[nodiscard]] std::span<const MetricEntry> metrics() const { return metrics_; }
  [[nodiscard]] std::span<const GeneratorEntry> generators() const { return generators_; }

  /// Each throws InputError at the config's location for an unknown name (with the nearest
  /// registered name) or for options the factory rejects.
  [[nodiscard]] std::unique_ptr<models::Backend> create_backend(
      const ModelConfig& model, const models::BackendContext& context) const;
  [[nodiscard]] std::unique_ptr<datasets::Loader> create_loader(const DatasetConfig& dataset) const;
  [[nodiscard]] std::unique_ptr<metrics::Metric> create_metric(const MetricConfig& metric) const;
  void prepare_dataset(const PrepareConfig& prepare) const;

  /// For `lmmbench score`: a metric by name and variant with default options.
  [[nodiscard]] std::unique_ptr<metrics::Metric> create_metric(std::string_view name,
                                                               std::string_view variant) const;

 private:
  Registry();

  std::vector<BackendEntry> backends_;
  std::vector<LoaderEntry> loaders_;
  std::vector<MetricEntry> metrics_;
  std::vector<GeneratorEntry> generators_;
};

}  // namespace lmmbench::harness
