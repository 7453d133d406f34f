#include "harness/inference.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include "harness/host.hpp"
#include "harness/interrupt.hpp"
#include "harness/prompt.hpp"

namespace lmmbench::harness {

namespace {

/// State shared between the harness thread and backend callbacks of one cell.
struct Mailbox {
  std::mutex mutex;
  std::condition_variable ready;
  std::deque<std::pair<std::size_t, models::Completion>> finished;
};

}  // namespace

std::vector<std::string> infer_cell(const CellRun& run, reports::SampleCounts& counts,
                                    bool& interrupted) {
  const auto& samples = run.task.selected;
  const std::string fingerprint = run.backend.fingerprint();
  const auto& caps = run.backend.capabilities();
  std::vector<std::string> keys(samples.size());
  auto mailbox = std::make_shared<Mailbox>();
  std::size_t next = 0;
  std::size_t in_flight = 0;
  std::size_t done = 0;
  std::size_t errors = 0;

  // Resumed answers are counted first so progress starts at the right place.
  struct Pending {
    models::Request request;
    std::string prompt_hash;
    std::string params_hash;
  };
  std::vector<std::optional<Pending>> pending(samples.size());
  for (std::size_t i = 0; i < samples.size(); ++i) {
    auto request = build_request(*run.task.config, samples[i]);
    const auto prompt_hash = prompt_sha256(request);
    const auto params_hash = params_sha256(request.params);
    keys[i] = log_key(run.model.name, run.task.config->name, samples[i].id, prompt_hash,
                      params_hash, fingerprint);
    const LogEntry* logged = run.log.find(keys[i]);
    if (logged != nullptr &&
        (logged->completion.ok() || !retry_on_resume(logged->completion.error))) {
      ++counts.resumed;
      ++done;
      if (!logged->completion.ok()) ++errors;
      continue;
    }
    // Image bytes are re-read at submission time so only in-flight requests hold them.
    request.content.clear();
    pending[i] = Pending{std::move(request), prompt_hash, params_hash};
  }
  run.progress.start(fmt::format("{} × {}", run.model.name, run.task.config->name), samples.size(),
                     done);

  auto record = [&](std::size_t i, models::Completion completion) {
    LogEntry entry;
    entry.key = keys[i];
    entry.model = run.model.name;
    entry.task = run.task.config->name;
    entry.sample_id = samples[i].id;
    entry.prompt_sha256 = pending[i]->prompt_hash;
    entry.params_sha256 = pending[i]->params_hash;
    entry.backend = fingerprint;
    entry.completion = std::move(completion);
    entry.logged_at = iso8601_utc(std::chrono::system_clock::now());
    if (!entry.completion.ok()) ++errors;
    run.log.append(std::move(entry));
    pending[i].reset();
    ++done;
  };

  while (true) {
    while (in_flight < run.concurrency && next < samples.size() && !stop_requested()) {
      const std::size_t i = next++;
      if (!pending[i]) continue;
      models::Request request = build_request(*run.task.config, samples[i]);
      if (request.image_count() > caps.max_images_per_request) {
        auto c = models::Completion::failure(
            models::ErrorKind::unsupported,
            fmt::format("{} images in the request; the backend accepts at most {}",
                        request.image_count(), caps.max_images_per_request));
        c.timings.submitted = c.timings.finished = run.clock.now();
        record(i, std::move(c));
        continue;
      }
      ++in_flight;
      const Nanos submitted = run.clock.now();
      const Clock* clock = &run.clock;
      auto done_callback = [mailbox, i, submitted, clock](models::Completion c) {
        c.timings.submitted = submitted;
        c.timings.finished = clock->now();
        {
          std::lock_guard lock(mailbox->mutex);
          mailbox->finished.emplace_back(i, std::move(c));
        }
        mailbox->ready.notify_one();
      };
      try {
        run.backend.submit(std::move(request), done_callback);
      } catch (const std::exception& e) {
        // The contract says submit() does not throw for one request; if it does, the sample
        // fails and the run goes on.
        done_callback(models::Completion::failure(models::ErrorKind::internal, e.what()));
      }
    }
    if (in_flight == 0) break;
    std::deque<std::pair<std::size_t, models::Completion>> finished;
    {
      std::unique_lock lock(mailbox->mutex);
      mailbox->ready.wait(lock, [&] { return !mailbox->finished.empty(); });
      finished.swap(mailbox->finished);
    }
    for (auto& [i, completion] : finished) {
      --in_flight;
      record(i, std::move(completion));
    }
    run.progress.update(done, errors);
  }
  interrupted = next < samples.size() && stop_requested();
  run.progress.finish(done, errors);
  return keys;
}

}  // namespace lmmbench::harness
