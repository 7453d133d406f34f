#include "harness/cell_scheduler.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "core/sha256.hpp"
#include "harness/host.hpp"
#include "harness/interrupt.hpp"
#include "harness/prompt.hpp"

namespace lmmbench::harness {

CellScheduler::CellScheduler(const CellRun& run, reports::SampleCounts& counts,
                             Environment environment)
    : run_(run),
      counts_(counts),
      now_(std::move(environment.now)),
      stop_requested_(std::move(environment.stop_requested)),
      fingerprint_(run.backend.fingerprint()),
      caps_(run.backend.capabilities()) {
  if (!now_) now_ = [clock = &run.clock] { return clock->now(); };
  if (!stop_requested_) stop_requested_ = [] { return harness::stop_requested(); };
}

bool CellScheduler::stopped() const {
  return run_.stopped_by != nullptr && run_.stopped_by->has_value();
}

models::Completion CellScheduler::stopped_failure(int attempts) const {
  const models::Completion& cause = **run_.stopped_by;
  auto c = models::Completion::failure(
      cause.error,
      fmt::format("{}: {} was stopped by a fatal failure: {}",
                  attempts == 0 ? "not sent" : "cancelled", run_.model.name, cause.error_message));
  c.http_status = cause.http_status;
  c.attempts = attempts;
  c.timings.submitted = c.timings.finished = now();
  return c;
}

void CellScheduler::plan() {
  const auto& samples = run_.task.selected;
  const auto& task = *run_.task.config;
  keys_.assign(samples.size(), {});
  sources_.assign(samples.size(), SampleSource::send);
  pending_.assign(samples.size(), std::nullopt);
  for (std::size_t i = 0; i < samples.size(); ++i) {
    auto prepared = prepare_request(task, samples[i], caps_);
    if (!prepared.request) {
      if (input_failures_++ == 0) first_input_failure_ = prepared.failure.error_message;
      // Keyed by the failure itself: it is reused on resume while the input stays as it is.
      const auto problem_hash = sha256_hex(std::string(models::to_string(prepared.failure.error)) +
                                           "\n" + prepared.failure.error_message);
      const auto params_hash = params_sha256(task.generation);
      keys_[i] = log_key(run_.model.name, task.name, samples[i].id, problem_hash, params_hash,
                         fingerprint_);
      if (run_.log.find(keys_[i]) != nullptr) {
        sources_[i] = SampleSource::resumed;
        ++counts_.resumed;
        ++done_;
        ++errors_;
        continue;
      }
      sources_[i] = SampleSource::input_failure;
      pending_[i] = Pending{problem_hash, params_hash, {}, 0, std::move(prepared.failure)};
      continue;
    }
    const auto& request = *prepared.request;
    const auto prompt_hash = prompt_sha256(request);
    const auto params_hash = params_sha256(request.params);
    keys_[i] =
        log_key(run_.model.name, task.name, samples[i].id, prompt_hash, params_hash, fingerprint_);
    const LogEntry* logged = run_.log.find(keys_[i]);
    if (logged != nullptr &&
        (logged->completion.ok() || !retry_on_resume(logged->completion.error))) {
      sources_[i] = SampleSource::resumed;
      ++counts_.resumed;
      ++done_;
      if (!logged->completion.ok()) ++errors_;
      continue;
    }
    std::string cache_key;
    if (run_.cache != nullptr && caps_.cache_responses && is_deterministic(request.params)) {
      cache_key = harness::cache_key(fingerprint_, prompt_hash, params_hash);
      sources_[i] = SampleSource::cached;
    }
    pending_[i] = Pending{prompt_hash, params_hash, std::move(cache_key), 0, std::nullopt};
  }
  // Resumed answers are counted first so progress starts at the right place.
  run_.progress.start(fmt::format("{} × {}", run_.model.name, task.name), samples.size(), done_);
}

void CellScheduler::record(std::size_t i, models::Completion completion) {
  const auto& sample = run_.task.selected[i];
  LogEntry entry;
  entry.key = keys_[i];
  entry.model = run_.model.name;
  entry.task = run_.task.config->name;
  entry.sample_id = sample.id;
  entry.prompt_sha256 = pending_[i]->prompt_hash;
  entry.params_sha256 = pending_[i]->params_hash;
  entry.backend = fingerprint_;
  if (run_.log_request_text) entry.request = sample.question;
  entry.completion = std::move(completion);
  entry.logged_at = iso8601_utc(std::chrono::system_clock::now());
  if (!entry.completion.ok()) ++errors_;
  if (entry.completion.cached) ++counts_.cached;
  if (entry.completion.attempts > 1) counts_.retries += entry.completion.attempts - 1;
  if (entry.completion.ok() && !entry.completion.cached && !pending_[i]->cache_key.empty()) {
    run_.cache->put(pending_[i]->cache_key, entry.completion);
  }
  run_.log.append(std::move(entry));
  pending_[i].reset();
  ++done_;
}

void CellScheduler::submit(std::size_t i, models::Request request) {
  const Nanos submitted = now();
  auto done_callback = [mailbox = mailbox_, i, submitted, now = now_](models::Completion c) {
    c.timings.submitted = submitted;
    c.timings.finished = now();
    {
      std::lock_guard lock(mailbox->mutex);
      mailbox->finished.emplace_back(i, std::move(c));
    }
    mailbox->ready.notify_one();
  };
  try {
    run_.backend.submit(std::move(request), done_callback);
  } catch (const std::exception& e) {
    // The contract says submit() does not throw for one request; if it does, the sample fails
    // and the run goes on.
    done_callback(models::Completion::failure(models::ErrorKind::internal, e.what()));
  }
}

void CellScheduler::fill() {
  const auto& samples = run_.task.selected;
  while (in_flight_ < run_.concurrency && next_ < samples.size() && !stopping()) {
    const std::size_t i = next_++;
    if (!pending_[i]) continue;
    if (!pending_[i]->cache_key.empty() && run_.read_cache) {
      if (auto cached = run_.cache->find(pending_[i]->cache_key)) {
        cached->timings.submitted = cached->timings.finished = now();
        record(i, std::move(*cached));
        continue;
      }
    }
    if (pending_[i]->input_failure) {
      auto c = std::move(*pending_[i]->input_failure);
      c.timings.submitted = c.timings.finished = now();
      record(i, std::move(c));
      continue;
    }
    if (stopped()) {
      record(i, stopped_failure(0));
      continue;
    }
    auto prepared = prepare_request(*run_.task.config, samples[i], caps_);
    if (!prepared.request) {  // the input changed since the keys were made
      prepared.failure.timings.submitted = prepared.failure.timings.finished = now();
      record(i, std::move(prepared.failure));
      continue;
    }
    models::Request request = std::move(*prepared.request);
    if (request.image_count() > caps_.max_images_per_request) {
      auto c = models::Completion::failure(
          models::ErrorKind::unsupported,
          fmt::format("{} images in the request; the backend accepts at most {}",
                      request.image_count(), caps_.max_images_per_request));
      c.timings.submitted = c.timings.finished = now();
      record(i, std::move(c));
      continue;
    }
    ++in_flight_;
    ++pending_[i]->attempts;
    submit(i, std::move(request));
  }
}

void CellScheduler::drain(Nanos wait) {
  if (stopping() && !cancel_sent_ && in_flight_ > retries_.size()) {
    // Requests on the wire end now, logged as cancelled (retried on --resume).
    run_.backend.cancel();
    cancel_sent_ = cut_short_ = true;
  }
  std::deque<std::pair<std::size_t, models::Completion>> finished;
  {
    std::unique_lock lock(mailbox_->mutex);
    // Wake for the next due retry, and at least every `wait` to notice a stop request (a signal
    // handler cannot notify a condition variable).
    if (!retries_.empty()) wait = std::min<Nanos>(retries_.top().due - now(), wait);
    mailbox_->ready.wait_for(lock, wait, [&] { return !mailbox_->finished.empty(); });
    finished.swap(mailbox_->finished);
  }
  for (auto& [i, completion] : finished)
    complete(i, std::move(completion));
}

void CellScheduler::complete(std::size_t i, models::Completion completion) {
  const int attempts = pending_[i]->attempts;
  completion.attempts = attempts;
  if (stopped() && completion.error == models::ErrorKind::cancelled && !stopping()) {
    completion = stopped_failure(attempts);
  }
  if (!completion.ok() && run_.retry != nullptr && !stopped()) {
    std::string why_not;
    const auto delay = run_.retry->next_delay(completion, attempts, why_not);
    if (delay && !stopping()) {
      retries_.push(Retry{now() + *delay, i, std::move(completion)});
      return;
    }
    if (!why_not.empty()) completion.error_message += "; " + why_not;
  }
  --in_flight_;
  if (completion.fatal && run_.stopped_by != nullptr && !stopped()) {
    *run_.stopped_by = completion;
    std::cerr << fmt::format(
        "error: {} stopped: {}; its remaining samples are logged as failed ({}) without being "
        "sent\n",
        run_.model.name, completion.error_message, models::to_string(completion.error));
    if (!cancel_sent_) {
      run_.backend.cancel();
      cancel_sent_ = true;
    }
  }
  record(i, std::move(completion));
}

void CellScheduler::resubmit_due() {
  while (!retries_.empty() && (stopping() || stopped() || retries_.top().due <= now())) {
    // priority_queue::top is const; the element is popped right after, so moving is safe.
    Retry retry = std::move(const_cast<Retry&>(retries_.top()));
    retries_.pop();
    if (stopping() || stopped()) {  // logged as it failed: retried on --resume
      cut_short_ = cut_short_ || stopping();
      --in_flight_;
      record(retry.index, std::move(retry.last));
      continue;
    }
    auto prepared = prepare_request(*run_.task.config, run_.task.selected[retry.index], caps_);
    if (!prepared.request) {  // the input changed since the first attempt
      --in_flight_;
      record(retry.index, std::move(prepared.failure));
      continue;
    }
    ++pending_[retry.index]->attempts;
    submit(retry.index, std::move(*prepared.request));
  }
}

bool CellScheduler::finish() {
  const bool interrupted = stopping() && (cut_short_ || next_ < run_.task.selected.size());
  run_.progress.finish(done_, errors_);
  if (input_failures_ > 0) {
    std::cerr << fmt::format(
        "warning: {} × {}: {} sample(s) could not be sent (unusable input, recorded per sample "
        "in the prediction log; the rest ran); first: {}\n",
        run_.model.name, run_.task.config->name, input_failures_, first_input_failure_);
  }
  return interrupted;
}

}  // namespace lmmbench::harness
