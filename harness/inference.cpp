#include "harness/inference.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>

#include <fmt/format.h>

#include "core/sha256.hpp"
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
  // What a sample waiting for its answer keeps: only hashes; its request is built again (images
  // read) when it is submitted, so memory per waiting sample stays small.
  struct Pending {
    std::string prompt_hash;
    std::string params_hash;
    std::string cache_key;  ///< Empty when the answer is not cached.
    int attempts = 0;
    /// The sample's input cannot become a request (prepare_request): this is recorded as its
    /// answer without asking the backend.
    std::optional<models::Completion> input_failure;
  };
  std::vector<std::optional<Pending>> pending(samples.size());
  std::size_t input_failures = 0;
  std::string first_input_failure;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    auto prepared = prepare_request(*run.task.config, samples[i], caps);
    if (!prepared.request) {
      if (input_failures++ == 0) first_input_failure = prepared.failure.error_message;
      // Keyed by the failure itself: it is reused on resume while the input stays as it is.
      const auto problem_hash = sha256_hex(std::string(models::to_string(prepared.failure.error)) +
                                           "\n" + prepared.failure.error_message);
      const auto params_hash = params_sha256(run.task.config->generation);
      keys[i] = log_key(run.model.name, run.task.config->name, samples[i].id, problem_hash,
                        params_hash, fingerprint);
      const LogEntry* logged = run.log.find(keys[i]);
      if (logged != nullptr) {
        ++counts.resumed;
        ++done;
        ++errors;
        continue;
      }
      pending[i] = Pending{problem_hash, params_hash, {}, 0, std::move(prepared.failure)};
      continue;
    }
    const auto& request = *prepared.request;
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
    std::string cache_key;
    if (run.cache != nullptr && caps.cache_responses && is_deterministic(request.params)) {
      cache_key = harness::cache_key(fingerprint, prompt_hash, params_hash);
    }
    pending[i] = Pending{prompt_hash, params_hash, std::move(cache_key), 0, std::nullopt};
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
    if (run.log_request_text) entry.request = samples[i].question;
    entry.completion = std::move(completion);
    entry.logged_at = iso8601_utc(std::chrono::system_clock::now());
    if (!entry.completion.ok()) ++errors;
    if (entry.completion.cached) ++counts.cached;
    if (entry.completion.attempts > 1) counts.retries += entry.completion.attempts - 1;
    if (entry.completion.ok() && !entry.completion.cached && !pending[i]->cache_key.empty()) {
      run.cache->put(pending[i]->cache_key, entry.completion);
    }
    run.log.append(std::move(entry));
    pending[i].reset();
    ++done;
  };

  // Sends sample i's request (again, for a retry) with the harness's submitted/finished stamps.
  auto submit = [&](std::size_t i, models::Request request) {
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
  };

  // Failed attempts waiting for their retry, earliest first (each keeps its concurrency slot).
  struct Retry {
    Nanos due;
    std::size_t index;
    models::Completion last;  ///< Logged if the run stops before the retry is sent.
    bool operator>(const Retry& other) const { return due > other.due; }
  };
  std::priority_queue<Retry, std::vector<Retry>, std::greater<>> retries;

  // The backend was stopped by a fatal failure, in this cell or an earlier one of the model.
  auto stopped = [&] { return run.stopped_by != nullptr && run.stopped_by->has_value(); };
  // What a sample gets in place of an answer once the backend is stopped: the fatal failure's
  // kind and status (never an answer), with `attempts` requests actually sent.
  auto stopped_failure = [&](int attempts) {
    const models::Completion& cause = **run.stopped_by;
    auto c = models::Completion::failure(
        cause.error,
        fmt::format("{}: {} was stopped by a fatal failure: {}",
                    attempts == 0 ? "not sent" : "cancelled", run.model.name, cause.error_message));
    c.http_status = cause.http_status;
    c.attempts = attempts;
    c.timings.submitted = c.timings.finished = run.clock.now();
    return c;
  };
  bool cancel_sent = false;  // backend.cancel() was called (interrupt or fatal failure)
  bool cut_short = false;    // the stop request left samples unanswered

  while (true) {
    while (in_flight < run.concurrency && next < samples.size() && !stop_requested()) {
      const std::size_t i = next++;
      if (!pending[i]) continue;
      if (!pending[i]->cache_key.empty() && run.read_cache) {
        if (auto cached = run.cache->find(pending[i]->cache_key)) {
          cached->timings.submitted = cached->timings.finished = run.clock.now();
          record(i, std::move(*cached));
          continue;
        }
      }
      if (pending[i]->input_failure) {
        auto c = std::move(*pending[i]->input_failure);
        c.timings.submitted = c.timings.finished = run.clock.now();
        record(i, std::move(c));
        continue;
      }
      if (stopped()) {
        record(i, stopped_failure(0));
        continue;
      }
      auto prepared = prepare_request(*run.task.config, samples[i], caps);
      if (!prepared.request) {  // the input changed since the keys were made
        prepared.failure.timings.submitted = prepared.failure.timings.finished = run.clock.now();
        record(i, std::move(prepared.failure));
        continue;
      }
      models::Request request = std::move(*prepared.request);
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
      ++pending[i]->attempts;
      submit(i, std::move(request));
    }
    if (in_flight == 0) break;
    if (stop_requested() && !cancel_sent && in_flight > retries.size()) {
      // Requests on the wire end now, logged as cancelled (retried on --resume).
      run.backend.cancel();
      cancel_sent = cut_short = true;
    }
    std::deque<std::pair<std::size_t, models::Completion>> finished;
    {
      std::unique_lock lock(mailbox->mutex);
      // Wake for the next due retry, and at least every 50 ms to notice a stop request (a signal
      // handler cannot notify a condition variable).
      Nanos wait = std::chrono::milliseconds(50);
      if (!retries.empty()) wait = std::min<Nanos>(retries.top().due - run.clock.now(), wait);
      mailbox->ready.wait_for(lock, wait, [&] { return !mailbox->finished.empty(); });
      finished.swap(mailbox->finished);
    }
    for (auto& [i, completion] : finished) {
      completion.attempts = pending[i]->attempts;
      if (stopped() && completion.error == models::ErrorKind::cancelled && !stop_requested()) {
        completion = stopped_failure(pending[i]->attempts);
      }
      if (!completion.ok() && run.retry != nullptr && !stopped()) {
        std::string why_not;
        const auto delay = run.retry->next_delay(completion, pending[i]->attempts, why_not);
        if (delay && !stop_requested()) {
          retries.push(Retry{run.clock.now() + *delay, i, std::move(completion)});
          continue;
        }
        if (!why_not.empty()) completion.error_message += "; " + why_not;
      }
      --in_flight;
      if (completion.fatal && run.stopped_by != nullptr && !stopped()) {
        *run.stopped_by = completion;
        std::cerr << fmt::format(
            "error: {} stopped: {}; its remaining samples are logged as failed ({}) without "
            "being sent\n",
            run.model.name, completion.error_message, models::to_string(completion.error));
        if (!cancel_sent) {
          run.backend.cancel();
          cancel_sent = true;
        }
      }
      record(i, std::move(completion));
    }
    while (!retries.empty() &&
           (stop_requested() || stopped() || retries.top().due <= run.clock.now())) {
      // priority_queue::top is const; the element is popped right after, so moving is safe.
      Retry retry = std::move(const_cast<Retry&>(retries.top()));
      retries.pop();
      if (stop_requested() || stopped()) {  // logged as it failed: retried on --resume
        cut_short = cut_short || stop_requested();
        --in_flight;
        record(retry.index, std::move(retry.last));
        continue;
      }
      auto prepared = prepare_request(*run.task.config, samples[retry.index], caps);
      if (!prepared.request) {  // the input changed since the first attempt
        --in_flight;
        record(retry.index, std::move(prepared.failure));
        continue;
      }
      ++pending[retry.index]->attempts;
      submit(retry.index, std::move(*prepared.request));
    }
    run.progress.update(done, errors);
  }
  interrupted = stop_requested() && (cut_short || next < samples.size());
  run.progress.finish(done, errors);
  if (input_failures > 0) {
    std::cerr << fmt::format(
        "warning: {} × {}: {} sample(s) could not be sent (unusable input, recorded per sample "
        "in the prediction log; the rest ran); first: {}\n",
        run.model.name, run.task.config->name, input_failures, first_input_failure);
  }
  return keys;
}

}  // namespace lmmbench::harness
