#pragma once

namespace lmmbench::harness {

/// Cooperative stop on SIGINT/SIGTERM: the first signal asks the runner to stop submitting, let
/// in-flight requests finish and write what it has (resume later with --resume); a second signal
/// restores the default action, so a third one kills. Install once, from main's thread.
void install_interrupt_handlers();
/// True once a stop was requested (async-signal-safe to set, cheap to poll).
bool stop_requested();
/// For tests: request or clear a stop.
void set_stop_requested(bool value);

}  // namespace lmmbench::harness
