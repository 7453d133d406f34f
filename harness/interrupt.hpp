#pragma once

namespace lmmbench::harness {

/// Stop on SIGINT/SIGTERM: the first signal asks the runner to stop submitting, cancel the
/// requests in flight (Backend::cancel) and write what it has (resume later with --resume); a
/// second signal exits at once with status 130. Install once, from main's thread.
void install_interrupt_handlers();
/// True once a stop was requested (async-signal-safe to set, cheap to poll).
bool stop_requested();
/// For tests: request or clear a stop.
void set_stop_requested(bool value);

}  // namespace lmmbench::harness
