// The lmmbench executable: all behaviour lives in the libraries; exit codes are decided here only.
#include "harness/cli.hpp"

int main(int argc, char** argv) {
  return lmmbench::harness::run_cli(argc, argv);
}
