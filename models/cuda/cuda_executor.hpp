#pragma once

// The CUDA module's C++ entry, for programs that link the module directly (its tests and the
// GEMM benchmarks). lmmbench itself reaches it through open_executor(), which loads the module.

#include "models/gpu/executor.hpp"

namespace lmmbench::gpu::cuda {

/// Opens CUDA device `device_index`. No device or driver is reported in the probe, not thrown;
/// throws Error (with the CUDA or cuBLASLt error text) when a present device fails to open.
ExecutorProbe open_cuda_executor(int device_index, const MeasureOptions& options);

}  // namespace lmmbench::gpu::cuda
