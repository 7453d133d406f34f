// Loads the CUDA module (liblmmbench_cuda.so) on demand; see models/gpu/executor.hpp.
#include <cstdlib>
#include <filesystem>

#include <dlfcn.h>
#include <fmt/format.h>

#include "models/gpu/executor.hpp"

namespace lmmbench::gpu {

namespace {

std::filesystem::path module_path() {
  if (const char* path = std::getenv(kCudaModuleVariable); path != nullptr && *path != '\0') {
    return path;
  }
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path(kCudaModuleFile) : exe.parent_path() / kCudaModuleFile;
}

}  // namespace

ExecutorProbe open_executor(int device_index, const MeasureOptions& options) {
  const std::filesystem::path path = module_path();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return {nullptr, fmt::format("this lmmbench has no CUDA executor ({} not found; build with the "
                                 "CUDA toolkit, LMMBENCH_ENABLE_CUDA=ON, or set {})",
                                 path.string(), kCudaModuleVariable)};
  }
  // Never closed: the executor's code must stay mapped while any executor lives.
  void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module == nullptr) {
    return {nullptr,
            fmt::format("the CUDA executor {} could not be loaded: {}", path.string(), dlerror())};
  }
  void* entry = dlsym(module, kCudaModuleEntry);
  if (entry == nullptr) {
    return {nullptr, fmt::format("{} has no {}: {}", path.string(), kCudaModuleEntry, dlerror())};
  }
  ExecutorProbe probe;
  reinterpret_cast<CudaModuleEntry>(entry)(device_index, &options, &probe);
  return probe;
}

}  // namespace lmmbench::gpu
