// `lmmbench gpu`: GPU throughput and cost of a model from its shapes: the roofline everywhere,
// cuBLASLt measurements where a GPU is present (docs/gpu.md).
#include <chrono>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/file_io.hpp"
#include "core/resource_paths.hpp"
#include "core/sha256.hpp"
#include "core/text.hpp"
#include "harness/cli_commands.hpp"
#include "harness/gpu_benchmark.hpp"
#include "harness/host.hpp"
#include "harness/run_directory.hpp"
#include "harness/runner.hpp"
#include "models/gpu/gpu_table.hpp"
#include "models/gpu/model_spec.hpp"
#include "reports/markdown.hpp"
#include "reports/run_record.hpp"
#include "reports/views.hpp"

namespace lmmbench::harness {

namespace {

struct GpuCliOptions {
  std::vector<std::string> models;
  std::string gpu = "auto";
  std::int64_t gpu_count = 1;
  std::string batches = "1";
  std::int64_t images = 1;
  std::string image_size = "336x336";
  std::int64_t prompt_tokens = 64;
  std::int64_t output_tokens = 128;
  std::string price;  ///< Empty: the table's first quote.
  std::string dtype = "fp16";
  double memory_fraction = 0.9;
  std::string config_dir;  ///< Empty: the config search path alone.
  std::string gpu_table;
  bool no_measure = false;
  bool cold = false;
  std::string l2 = "cold-decode";
  bool reduced_precision_reduction = false;
  bool no_sequence = false;
  double max_spread = 0.02;
  int max_runs = 200;
  int device = 0;
  bool json = false;
  std::string out;
  bool list = false;
};

std::int64_t parse_count(const std::string& text, const char* option) {
  std::size_t used = 0;
  std::int64_t v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) {
    throw InputError(Location{option, 0, ""}, fmt::format("'{}' is not an integer", text));
  }
  return v;
}

/// "336" (square) or "WIDTHxHEIGHT".
std::pair<std::int64_t, std::int64_t> parse_image_size(const std::string& text) {
  const auto parts = split(ascii_lower(text), 'x');
  if (parts.size() == 1) {
    const auto side = parse_count(parts[0], "--image-size");
    return {side, side};
  }
  if (parts.size() == 2) {
    return {parse_count(parts[0], "--image-size"), parse_count(parts[1], "--image-size")};
  }
  throw InputError(Location{"--image-size", 0, ""},
                   fmt::format("'{}' is not SIDE or WIDTHxHEIGHT", text));
}

GpuBenchmarkOptions benchmark_options(const GpuCliOptions& cli) {
  GpuBenchmarkOptions o;
  for (const auto& m : cli.models) {
    for (auto& name : split_list(m))
      o.models.push_back(std::move(name));
  }
  o.gpu = cli.gpu;
  o.gpu_count = cli.gpu_count;
  o.batches.clear();
  for (const auto& b : split_list(cli.batches)) {
    const auto batch = parse_count(b, "--batch");
    if (batch < 1) throw InputError(Location{"--batch", 0, ""}, "batch sizes must be >= 1");
    o.batches.push_back(batch);
  }
  o.request.images = cli.images;
  std::tie(o.request.image_width, o.request.image_height) = parse_image_size(cli.image_size);
  if (o.request.image_width < 1 || o.request.image_height < 1) {
    throw InputError(Location{"--image-size", 0, ""}, "image sides must be >= 1 pixel");
  }
  o.request.prompt_tokens = cli.prompt_tokens;
  o.request.output_tokens = cli.output_tokens;
  const auto dtype = gpu::parse_dtype(cli.dtype);
  if (!dtype) throw InputError(Location{"--dtype", 0, ""}, "must be fp16 or bf16");
  o.dtype = *dtype;
  if (!cli.price.empty()) {
    std::size_t used = 0;
    double price = 0;
    try {
      price = std::stod(cli.price, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != cli.price.size()) {
      throw InputError(Location{"--price", 0, ""}, fmt::format("'{}' is not a number", cli.price));
    }
    o.usd_per_gpu_hour = price;
  }
  o.memory_fraction = cli.memory_fraction;
  o.config_dir = cli.config_dir;
  o.gpu_table = cli.gpu_table;
  o.measure = !cli.no_measure;
  o.device = cli.device;
  const auto l2 = gpu::parse_l2_policy(cli.l2);
  if (!l2) throw InputError(Location{"--l2", 0, ""}, "must be cold-decode, warm or cold");
  o.timing.l2 = cli.cold ? gpu::L2Policy::cold : *l2;
  o.timing.reduced_precision_reduction = cli.reduced_precision_reduction;
  o.timing.time_sequence = !cli.no_sequence;
  o.timing.max_relative_spread = cli.max_spread;
  o.timing.max_runs = cli.max_runs;
  o.timing.min_runs = std::min(o.timing.min_runs, cli.max_runs);
  return o;
}

/// The options as the run record keeps them (their hash identifies the workload).
nlohmann::json resolved(const GpuBenchmarkOptions& o) {
  return {{"models", o.models},
          {"gpu", o.gpu},
          {"gpu_count", o.gpu_count},
          {"batches", o.batches},
          {"request",
           {{"images", o.request.images},
            {"image_width", o.request.image_width},
            {"image_height", o.request.image_height},
            {"prompt_tokens", o.request.prompt_tokens},
            {"output_tokens", o.request.output_tokens}}},
          {"dtype", gpu::to_string(o.dtype)},
          {"usd_per_gpu_hour",
           o.usd_per_gpu_hour ? nlohmann::json(*o.usd_per_gpu_hour) : nlohmann::json()},
          {"memory_fraction", o.memory_fraction},
          {"measure", o.measure},
          {"device", o.device},
          {"timing",
           {{"l2", gpu::to_string(o.timing.l2)},
            {"reduced_precision_reduction", o.timing.reduced_precision_reduction},
            {"time_sequence", o.timing.time_sequence},
            {"max_relative_spread", o.timing.max_relative_spread},
            {"min_runs", o.timing.min_runs},
            {"max_runs", o.timing.max_runs}}}};
}

int list_gpu_inputs(const GpuCliOptions& cli) {
  const std::filesystem::path dir =
      config_dir_holding("models/gpu", cli.config_dir).value_or(cli.config_dir);
  const auto table =
      gpu::GpuTable::load(cli.gpu_table.empty() ? find_config("gpus.json", cli.config_dir)
                                                : std::filesystem::path(cli.gpu_table));
  std::cout << "Model specs in " << (dir / "models" / "gpu").string() << ":\n";
  for (const auto& name : gpu::shipped_model_specs(dir)) {
    const auto spec = gpu::load_model_spec(name, dir);
    std::cout << fmt::format("  {:<22} {} ({} vision, {} LM, {} layers)\n", name, spec.model_type,
                             spec.vision.model_type, spec.lm.model_type, spec.lm.layers);
  }
  std::cout << "\nGPU kinds in " << table.source() << ":\n";
  for (const auto& k : table.kinds()) {
    const auto fp16 = k.dense_tflops.fp16;
    std::cout << fmt::format(
        "  {:<16} {:<28} {:>7} TFLOPS fp16 {:>6g} GB/s {:>5g} GB  {}\n", k.name, k.description,
        fp16 ? fmt::format("{:g}", *fp16) : "-", k.bandwidth_gb_per_s, k.memory_gb,
        k.prices.empty() ? "no price"
                         : fmt::format("${:g}/h ({}, {})", k.prices.front().usd_per_gpu_hour,
                                       k.prices.front().provider, k.prices.front().date));
  }
  return kExitOk;
}

int gpu_command(const GpuCliOptions& cli) {
  if (cli.list) return list_gpu_inputs(cli);
  if (cli.models.empty()) {
    throw InputError(Location{"--model", 0, ""},
                     "give a model (a shipped spec name or a config.json path); --list shows them");
  }
  const GpuBenchmarkOptions options = benchmark_options(cli);
  // Taken before measuring: two runs never write one --out directory.
  std::optional<RunDirectory> out_dir;
  if (!cli.out.empty()) out_dir.emplace(cli.out, "gpu");
  const GpuBenchmarkResult result = run_gpu_benchmark(options, std::cerr);

  if (cli.json) {
    std::cout << nlohmann::json(result.section).dump(2) << '\n';
  } else {
    reports::render_section_markdown(reports::gpu_view(result.section), std::cout);
  }
  if (!result.section.measured) std::cerr << "note: " << result.section.measurement << '\n';

  if (out_dir) {
    auto& record = out_dir->record();
    record.resolved_config = resolved(options);
    record.config_sha256 = sha256_hex(record.resolved_config.dump());
    record.gpu = result.section;
    out_dir->finish("complete");
    std::cerr << "Results: " << (out_dir->dir() / kRecordFile).string() << '\n';
  }
  if (!result.failures.empty()) {
    std::cerr << fmt::format("{} stage measurement(s) failed; their rows show the bound only\n",
                             result.failures.size());
    return kExitCheckFailed;
  }
  return kExitOk;
}

}  // namespace

Command add_gpu_command(CLI::App& app) {
  auto o = std::make_shared<GpuCliOptions>();
  auto* cmd = app.add_subcommand(
      "gpu",
      "GPU throughput and cost from a model's shapes: roofline, and cuBLASLt timings on a GPU");
  cmd->add_option("--model", o->models,
                  "Shipped spec name (see --list) or Hugging Face config.json; repeat or "
                  "comma-separate for several");
  cmd->add_option("--gpu", o->gpu, "GPU kind from the GPU table, or auto (the device found)")
      ->capture_default_str();
  cmd->add_option("--gpu-count", o->gpu_count, "GPUs, each serving a replica (for the cost)")
      ->capture_default_str();
  cmd->add_option("--batch", o->batches, "Batch sizes, comma-separated")->capture_default_str();
  cmd->add_option("--images", o->images, "Images per request")->capture_default_str();
  cmd->add_option("--image-size", o->image_size, "Image size before the processor: SIDE or WxH")
      ->capture_default_str();
  cmd->add_option("--prompt-tokens", o->prompt_tokens,
                  "Text tokens per prompt (image tokens are added from the spec)")
      ->capture_default_str();
  cmd->add_option("--output-tokens", o->output_tokens, "Generated tokens per request")
      ->capture_default_str();
  cmd->add_option("--price", o->price,
                  "US dollars per GPU-hour (default: the first quote in the GPU table)");
  cmd->add_option("--dtype", o->dtype, "fp16 or bf16")->capture_default_str();
  cmd->add_option("--memory-fraction", o->memory_fraction,
                  "Share of GPU memory for weights + KV cache when sizing the batch")
      ->capture_default_str();
  cmd->add_option("--config-dir", o->config_dir,
                  "Directory holding models/gpu/ and gpus.json, searched first (then "
                  "$LMMBENCH_HOME/configs, the installed configs, the source tree's)");
  cmd->add_option("--gpu-table", o->gpu_table, "GPU table (default: gpus.json of the config dirs)");
  cmd->add_flag("--no-measure", o->no_measure, "Roofline only, even with a GPU present");
  cmd->add_option("--l2", o->l2,
                  "L2 cache before each timed run: cold-decode (decode stages flushed), warm, or "
                  "cold (every stage flushed)")
      ->capture_default_str();
  cmd->add_flag("--cold", o->cold, "Same as --l2 cold");
  cmd->add_flag("--reduced-precision-reduction", o->reduced_precision_reduction,
                "Let cuBLASLt reduce split-K partial sums in FP16/BF16 (default: FP32 only, as "
                "torch with allow_*_reduced_precision_reduction = False)");
  cmd->add_flag("--no-sequence", o->no_sequence,
                "Do not also time each decode stage's L-layer sequence as one CUDA graph");
  cmd->add_option("--max-spread", o->max_spread,
                  "Stop timing an op when stdev/mean of its runs falls below this")
      ->capture_default_str();
  cmd->add_option("--max-runs", o->max_runs, "Most timed runs per op")->capture_default_str();
  cmd->add_option("--device", o->device, "CUDA device index")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print the results as JSON on stdout");
  cmd->add_option("--out", o->out, "Write DIR/run.json with the GPU section");
  cmd->add_flag("--list", o->list, "List the shipped model specs and GPU kinds");
  return Command{cmd, [o] { return gpu_command(*o); }};
}

}  // namespace lmmbench::harness
