// GEMM microbenchmarks of a model's stage shapes on the GPU: one Google Benchmark per distinct
// GEMM of every stage at each batch size, each run through cuBLASLt with its fastest heuristic
// algorithm after a check against the host reference. Times are CUDA-event times (manual time).
//
//   bench_gpu_gemm [--model=NAME|config.json] [--batches=1,8,32] [--dtype=fp16|bf16]
//                  [--config-dir=DIR] [Google Benchmark flags]
//
// Without a CUDA device it prints why and exits 0.
#include <cstring>
#include <iostream>
#include <map>
#include <set>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "core/text.hpp"
#include "models/gpu/executor.hpp"
#include "models/gpu/plan.hpp"

namespace {

using namespace lmmbench;

struct Args {
  std::string model = "llava-1.5-7b";
  std::vector<std::int64_t> batches = {1, 8, 32};
  gpu::DType dtype = gpu::DType::f16;
  std::string config_dir = std::string(LMMBENCH_SOURCE_DIR) + "/configs";
};

/// Takes this program's own --key=value flags out of argv (Google Benchmark rejects unknown ones).
Args parse_args(int& argc, char** argv) {
  Args a;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const char* key) -> std::optional<std::string> {
      const std::string prefix = std::string(key) + "=";
      if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
      return std::nullopt;
    };
    if (const auto model = value("--model")) {
      a.model = *model;
    } else if (const auto batches = value("--batches")) {
      a.batches.clear();
      for (const auto& b : split(*batches, ','))
        a.batches.push_back(std::stoll(b));
    } else if (const auto name = value("--dtype")) {
      const auto dtype = gpu::parse_dtype(*name);
      if (!dtype) throw InputError(Location{"--dtype", 0, ""}, "must be fp16 or bf16");
      a.dtype = *dtype;
    } else if (const auto dir = value("--config-dir")) {
      a.config_dir = *dir;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  return a;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args args = parse_args(argc, argv);
    benchmark::Initialize(&argc, argv);
    // The input is checked before the device is probed: a bad --model is an error (exit 2) on
    // every machine, not a skip on the ones without a GPU.
    const gpu::ModelSpec spec = gpu::load_model_spec(args.model, args.config_dir);
    gpu::MeasureOptions options;
    gpu::ExecutorProbe probe = gpu::open_executor(0, options, LMMBENCH_CUDA_MODULE_FILE);
    if (!probe.executor) {
      std::cout << "bench_gpu_gemm: skipped, no GPU to measure on: " << probe.unavailable << '\n';
      return 0;
    }
    gpu::Executor* executor = probe.executor.get();
    std::cout << fmt::format("bench_gpu_gemm: {} on {}, {}\n", spec.name, executor->device().name,
                             gpu::to_string(args.dtype));
    std::set<std::tuple<std::int64_t, std::int64_t, std::int64_t>> seen;
    for (const std::int64_t batch : args.batches) {
      const gpu::Plan plan = gpu::build_plan(spec, gpu::RequestShape{}, batch, args.dtype);
      for (const gpu::Stage& stage : plan.stages) {
        for (const gpu::Gemm& gemm : stage.gemms) {
          if (!seen.insert({gemm.m, gemm.n, gemm.k}).second) continue;
          const std::string name = fmt::format("{}/b{}/{}/{}/M={}/N={}/K={}", spec.name, batch,
                                               stage.name, gemm.name, gemm.m, gemm.n, gemm.k);
          const gpu::DType dtype = args.dtype;
          benchmark::RegisterBenchmark(
              name.c_str(),
              [executor, gemm, dtype](benchmark::State& state) {
                const auto run = executor->prepare_gemm(gemm, dtype);
                double seconds = 0;
                for (auto _ : state) {
                  const double t = run();
                  seconds += t;
                  state.SetIterationTime(t);
                }
                const auto iterations = static_cast<double>(state.iterations());
                state.counters["TFLOP/s"] = gemm.flops() * iterations / seconds / 1e12;
                state.counters["GB/s"] = gemm.bytes(dtype) * iterations / seconds / 1e9;
              })
              ->UseManualTime()
              ->Iterations(100)
              ->Unit(benchmark::kMicrosecond);
        }
      }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_gpu_gemm: " << e.what() << '\n';
    return 2;
  }
}
