#include "harness/interrupt.hpp"

#include <atomic>
#include <csignal>

namespace lmmbench::harness {

namespace {
std::atomic<bool> g_stop{false};

extern "C" void on_signal(int signal_number) {
  if (g_stop.exchange(true)) std::signal(signal_number, SIG_DFL);
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
