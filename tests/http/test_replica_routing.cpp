// HttpBackend's replicas, driven directly: least-in-flight routing over loopback servers, the
// per-replica counts and latency, and a replica that refuses connections taken out of the
// rotation (its failure not fatal while another replica is up).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "http_test_support.hpp"
#include "llm_server.hpp"

namespace lmmbench::testing {
namespace {

using models::http::create_openai;

TEST(ReplicaRouting, ConcurrentRequestsSpreadByLeastInFlightWithCountsAndLatency) {
  LlmServer a;
  LlmServer b;
  // b answers after 300 ms, a at once: least in flight sends most requests to a.
  auto backend = make_backend(
      &create_openai,
      {{"base_url", {a.url() + "/v1", b.url() + "/fault/slow;delay=0.3/v1"}}, {"model", "m"}});
  std::mutex mutex;
  std::condition_variable cv;
  int done = 0;
  for (int i = 0; i < 40; ++i) {
    backend->submit(vqa_request("[[answer:yes]] q" + std::to_string(i)), [&](models::Completion c) {
      EXPECT_TRUE(c.ok()) << c.error_message;
      const std::lock_guard lock(mutex);
      ++done;
      cv.notify_all();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return done == 40; }));
  }
  const auto stats = backend->replica_use();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].base_url, a.url() + "/v1");
  EXPECT_EQ(stats[0].requests + stats[1].requests, 40u);
  EXPECT_EQ(stats[0].answered + stats[1].answered, 40u);
  EXPECT_EQ(a.requests().size(), stats[0].requests);
  EXPECT_EQ(b.requests().size(), stats[1].requests);
  EXPECT_GT(stats[0].requests, 2 * stats[1].requests) << stats[1].requests;
  EXPECT_GE(stats[1].latency_sum_s / static_cast<double>(stats[1].answered), 0.3);
  EXPECT_LT(stats[0].latency_sum_s / static_cast<double>(stats[0].answered), 0.3);
}

TEST(ReplicaRouting, AReplicaRefusingConnectionsIsBackedOffAndItsFailureIsNotFatal) {
  LlmServer live;
  // Nothing listens on port 1: connection refused.
  auto backend =
      make_backend(&create_openai,
                   {{"base_url", {"http://127.0.0.1:1/v1", live.url() + "/v1"}}, {"model", "m"}});
  const auto first = ask(*backend, vqa_request("[[answer:yes]] first"));  // to replica 0
  EXPECT_EQ(first.error, models::ErrorKind::connection);
  EXPECT_FALSE(first.fatal);  // the other replica is up
  EXPECT_NE(first.error_message.find("(replica http://127.0.0.1:1/v1)"), std::string::npos)
      << first.error_message;
  for (int i = 0; i < 5; ++i) {
    const auto c = ask(*backend, vqa_request("[[answer:yes]] again"));
    EXPECT_TRUE(c.ok()) << c.error_message;  // the dead replica is backed off
  }
  const auto stats = backend->replica_use();
  EXPECT_EQ(stats[0].requests, 1u);
  EXPECT_EQ(stats[0].connection_failures, 1u);
  EXPECT_EQ(stats[1].answered, 5u);
}

TEST(ReplicaRouting, OneUrlKeepsItsFingerprintAndAListFingerprintsEveryReplica) {
  auto one = make_backend(&create_openai, {{"base_url", "http://h:1/v1"}, {"model", "m"}});
  auto listed = make_backend(&create_openai, {{"base_url", {"http://h:1/v1"}}, {"model", "m"}});
  auto two = make_backend(&create_openai,
                          {{"base_url", {"http://h:1/v1", "http://h:2/v1"}}, {"model", "m"}});
  EXPECT_EQ(one->fingerprint(), listed->fingerprint());
  EXPECT_NE(one->fingerprint().find(R"("base_url":"http://h:1/v1")"), std::string::npos);
  EXPECT_NE(two->fingerprint().find(R"("base_url":["http://h:1/v1","http://h:2/v1"])"),
            std::string::npos)
      << two->fingerprint();
}

}  // namespace
}  // namespace lmmbench::testing
