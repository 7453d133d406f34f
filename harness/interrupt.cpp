#include "harness/interrupt.hpp"

#include <atomic>
#include <csignal>

#include <unistd.h>

namespace lmmbench::harness {

namespace {
std::atomic<bool> g_stop{false};

extern "C" void on_signal(int) {
  // _exit is async-signal-safe; the prediction log is written one whole line per write(2) and
  // run.json by rename, so neither is left half-written.
  if (g_stop.exchange(true)) ::_exit(130);
}
}  // namespace

void install_interrupt_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

bool stop_requested() {
  return g_stop.load(std::memory_order_relaxed);
}

void set_stop_requested(bool value) {
  g_stop.store(value);
}

}  // namespace lmmbench::harness
