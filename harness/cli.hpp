#pragma once

namespace lmmbench::harness {

/// The lmmbench command line. Returns the process exit code: 0 success, 1 a check failed (a
/// cell failed, a regression), 2 usage or input error, 130 interrupted. Never calls exit().
int run_cli(int argc, char** argv);

}  // namespace lmmbench::harness
