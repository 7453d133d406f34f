// The worker backend against a real child process: tests/servers/fake_worker.py, which speaks the
// worker protocol and produces each fault on request (its flags and prompt directives).
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "core/base64.hpp"
#include "core/sha256.hpp"
#include "models/worker/protocol.hpp"
#include "models/worker/subprocess.hpp"
#include "models/worker/worker_backend.hpp"

namespace lmmbench::models::worker {
namespace {

using namespace std::chrono_literals;

const std::string kFakeWorker = std::string(LMMBENCH_SOURCE_DIR) + "/tests/servers/fake_worker.py";

/// Completions by sample id, delivered on the backend's thread.
class Collector {
 public:
  CompletionCallback callback(const std::string& id) {
    return [this, id](Completion c) {
      std::lock_guard lock(mutex_);
      ++calls_[id];
      done_[id] = std::move(c);
      ready_.notify_all();
    };
  }
  /// Waits until `n` completions have arrived (fails the test after `limit`).
  bool wait(std::size_t n, std::chrono::milliseconds limit = 20s) {
    std::unique_lock lock(mutex_);
    return ready_.wait_for(lock, limit, [&] { return done_.size() >= n; });
  }
  Completion get(const std::string& id) {
    std::lock_guard lock(mutex_);
    return done_.at(id);
  }
  int calls(const std::string& id) {
    std::lock_guard lock(mutex_);
    return calls_[id];
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::map<std::string, Completion> done_;
  std::map<std::string, int> calls_;
};

Request text_request(const std::string& id, const std::string& text) {
  Request r;
  r.sample_id = id;
  r.content.push_back(TextPart{text});
  r.params.max_tokens = 16;
  return r;
}

ImagePart image(const std::string& bytes) {
  ImagePart p;
  p.bytes = std::make_shared<const std::string>(bytes);
  p.mime_type = "image/png";
  p.sha256 = sha256_hex(bytes);
  p.source = "memory";
  return p;
}

WorkerOptions fake(std::vector<std::string> flags) {
  WorkerOptions o;
  o.spawn.command = "python3";
  o.spawn.args = {kFakeWorker};
  o.spawn.args.insert(o.spawn.args.end(), flags.begin(), flags.end());
  o.timeout = 20s;
  o.startup_timeout = 20s;
  o.shutdown_grace = 2s;
  return o;
}

class TempDir {
 public:
  TempDir() {
    auto pattern = (std::filesystem::temp_directory_path() / "worker-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::vector<nlohmann::json> read_log(const std::filesystem::path& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    out.push_back(nlohmann::json::parse(line));
  return out;
}

TEST(WorkerProtocol, ReadsEachMessageAndRefusesWhatIsNotTheProtocol) {
  auto hello = std::get<Hello>(parse_worker_line(
      R"({"type":"hello","protocol":1,"model":"m","capabilities":{"max_in_flight":8,)"
      R"("images":["path"],"max_images":2,"streaming":true}})"));
  EXPECT_EQ(hello.protocol, 1);
  EXPECT_EQ(hello.capabilities.max_in_flight, 8);
  EXPECT_EQ(hello.capabilities.images, std::vector<std::string>{"path"});
  EXPECT_TRUE(hello.capabilities.streaming);
  auto done = std::get<Done>(parse_worker_line(
      R"({"type":"done","id":7,"text":"red","usage":{"prompt_tokens":600,"completion_tokens":1}})"));
  EXPECT_EQ(done.id, 7U);
  EXPECT_EQ(done.usage.prompt_tokens, 600);
  auto error =
      std::get<ErrorEvent>(parse_worker_line(R"({"type":"error","id":3,"kind":"overloaded"})"));
  EXPECT_EQ(error.kind, WorkerErrorKind::overloaded);
  EXPECT_EQ(completion_of(error).error, ErrorKind::http);
  EXPECT_EQ(completion_of(error).http_status, 503);
  EXPECT_EQ(completion_of(ErrorEvent{1, WorkerErrorKind::bad_request, "x"}).error,
            ErrorKind::unsupported);
  EXPECT_EQ(completion_of(ErrorEvent{1, WorkerErrorKind::model_error, "x"}).error,
            ErrorKind::internal);

  const auto refused = [](const std::string& line) {
    try {
      (void)parse_worker_line(line);
    } catch (const ProtocolError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused("Loading checkpoint shards: 100%").find("not JSON"), std::string::npos);
  EXPECT_NE(refused("[1,2]").find("not a JSON object"), std::string::npos);
  EXPECT_NE(refused(R"({"id":1})").find("without a \"type\""), std::string::npos);
  EXPECT_NE(refused(R"({"type":"progress"})").find("unknown message type 'progress'"),
            std::string::npos);
  EXPECT_NE(refused(R"({"type":"done","id":"seven","text":"a"})").find("/id"), std::string::npos);
  EXPECT_NE(refused(R"({"type":"done","id":1})").find("text"), std::string::npos);
  EXPECT_NE(refused(R"({"type":"error","id":1,"kind":"oops"})").find("bad_request"),
            std::string::npos);
  // Control bytes are shown escaped, long lines cut.
  EXPECT_EQ(excerpt(std::string("a\x01") + std::string(200, 'b'), 4), "'a\\x01bb' ... (202 bytes)");
}

TEST(WorkerProtocol, RequestCarriesTextImagesAndGenerationOptions) {
  Request r = text_request("s1", "What colour?");
  r.system_prompt = "Be brief.";
  r.content.insert(r.content.begin(), image("PNGDATA"));
  r.params.stop = {"\n"};
  r.params.seed = 5;
  const auto bytes = request_message(9, r, ImageTransport::bytes, nullptr);
  EXPECT_EQ(bytes["type"], "request");
  EXPECT_EQ(bytes["id"], 9);
  EXPECT_EQ(bytes["system"], "Be brief.");
  EXPECT_EQ(bytes["content"][0]["type"], "image");
  EXPECT_EQ(bytes["content"][0]["data"], base64_encode("PNGDATA"));
  EXPECT_EQ(bytes["content"][1], (nlohmann::json{{"type", "text"}, {"text", "What colour?"}}));
  EXPECT_EQ(bytes["generation"]["max_tokens"], 16);
  EXPECT_EQ(bytes["generation"]["seed"], 5);
  EXPECT_EQ(bytes["generation"]["stop"], nlohmann::json::array({"\n"}));
  const auto path = request_message(9, r, ImageTransport::path,
                                    [](const ImagePart& p) { return "/tmp/" + p.sha256; });
  EXPECT_EQ(path["content"][0]["path"], "/tmp/" + sha256_hex("PNGDATA"));
  EXPECT_FALSE(path["content"][0].contains("data"));
}

TEST(WorkerProtocol, LineBufferHoldsAtMostItsLimit) {
  LineBuffer buffer(8);
  std::vector<std::string> lines;
  EXPECT_TRUE(buffer.append("ab\ncd", lines));
  EXPECT_TRUE(buffer.append("ef\n\n", lines));
  EXPECT_EQ(lines, (std::vector<std::string>{"ab", "cdef", ""}));
  EXPECT_FALSE(buffer.append("123456789", lines));
  EXPECT_LE(buffer.partial().size(), 8U);
  TailBuffer tail(4);
  tail.append("abcdef");
  EXPECT_EQ(tail.text(), "...cdef");
}

TEST(WorkerBackend, AnswersWithUsageAndTheWorkersTokenTimes) {
  Clock clock;
  WorkerBackend backend(fake({"--streaming"}), clock);
  EXPECT_EQ(backend.hello().model, "fake-worker");
  EXPECT_TRUE(backend.capabilities().streaming);
  EXPECT_TRUE(backend.capabilities().cache_responses);
  EXPECT_EQ(backend.capabilities().max_images_per_request, 8U);
  EXPECT_NE(backend.fingerprint().find("fake-worker v1"), std::string::npos);
  Collector got;
  const Nanos before = clock.now();
  for (int i = 0; i < 10; ++i) {
    Request r =
        text_request("s" + std::to_string(i), "Q " + std::to_string(i) + " [[answer:a red ball]]");
    r.content.push_back(image("IMG" + std::to_string(i)));
    backend.submit(std::move(r), got.callback("s" + std::to_string(i)));
  }
  ASSERT_TRUE(got.wait(10));
  const Nanos after = clock.now();
  for (int i = 0; i < 10; ++i) {
    const auto c = got.get("s" + std::to_string(i));
    ASSERT_TRUE(c.ok()) << c.error_message;
    EXPECT_EQ(c.text, "a red ball");
    EXPECT_EQ(c.usage.prompt_tokens, 5 + 576);  // 5 words of text and one image
    EXPECT_EQ(c.usage.completion_tokens, 3);
    ASSERT_EQ(c.timings.token_events.size(), 3U);
    EXPECT_EQ(c.timings.first_token, c.timings.token_events[0]);
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_GE(c.timings.token_events[k], before);
      EXPECT_LE(c.timings.token_events[k], after);
      if (k > 0) {
        EXPECT_GE(c.timings.token_events[k], c.timings.token_events[k - 1]);
      }
    }
  }
}

TEST(WorkerBackend, ImagesGoByPathWhenTheWorkerOnlyReadsFiles) {
  TempDir dir;
  Clock clock;
  WorkerBackend backend(fake({"--images", "path", "--log", (dir.path() / "log").string()}), clock);
  Collector got;
  Request r = text_request("s", "[[answer:x]]");
  r.content.push_back(image("PIXELS"));
  backend.submit(std::move(r), got.callback("s"));
  ASSERT_TRUE(got.wait(1));
  EXPECT_TRUE(got.get("s").ok()) << got.get("s").error_message;
  const auto log = read_log(dir.path() / "log");
  ASSERT_EQ(log.size(), 1U);
  const std::string path = log[0]["content"][1]["path"];
  std::ifstream in(path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "PIXELS");
}

TEST(WorkerBackend, ErrorKindsOfTheWorkerBecomeCompletionErrors) {
  Clock clock;
  WorkerOptions o = fake({});
  o.truncation_is_error = true;
  WorkerBackend backend(std::move(o), clock);
  Collector got;
  for (const std::string kind : {"bad_request", "model_error", "overloaded", "refused"})
    backend.submit(text_request(kind, "[[error:" + kind + "]]"), got.callback(kind));
  backend.submit(text_request("length", "[[length]]"), got.callback("length"));
  ASSERT_TRUE(got.wait(5));
  EXPECT_EQ(got.get("bad_request").error, ErrorKind::unsupported);
  EXPECT_EQ(got.get("model_error").error, ErrorKind::internal);
  EXPECT_EQ(got.get("overloaded").error, ErrorKind::http);
  EXPECT_EQ(got.get("overloaded").http_status, 503);
  EXPECT_EQ(got.get("refused").error, ErrorKind::refused);
  EXPECT_EQ(got.get("length").error, ErrorKind::truncated);
  EXPECT_NE(got.get("model_error").error_message.find("as asked"), std::string::npos);
}

TEST(WorkerBackend, RefusesAnotherProtocolVersionAtTheHello) {
  Clock clock;
  try {
    WorkerBackend backend(fake({"--protocol", "2"}), clock);
    FAIL() << "accepted protocol version 2";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("protocol version 2; this lmmbench speaks version 1"),
              std::string::npos)
        << e.what();
  }
}

TEST(WorkerBackend, AWorkerThatDiesBeforeItsHelloIsExplainedByItsStderr) {
  Clock clock;
  try {
    WorkerBackend backend(fake({"--stderr-bytes", "200000", "--exit-before-hello", "7"}), clock);
    FAIL() << "started";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("exited (exit status 7) before its hello"), std::string::npos) << what;
    EXPECT_NE(what.find("cannot load the model"), std::string::npos) << what;
    EXPECT_LT(what.size(), 6000U);  // the stderr tail is bounded
  }
  WorkerOptions missing = fake({});
  missing.spawn.command = "/nonexistent/worker";
  EXPECT_THROW(WorkerBackend(std::move(missing), clock), Error);
}

TEST(WorkerBackend, ACrashFailsWhatWasInFlightAndEveryLaterRequestFatally) {
  Clock clock;
  WorkerBackend backend(fake({"--crash-after", "3", "--delay", "0.05"}), clock);
  Collector got;
  for (int i = 0; i < 8; ++i)
    backend.submit(text_request("s" + std::to_string(i), "[[answer:x]]"),
                   got.callback("s" + std::to_string(i)));
  ASSERT_TRUE(got.wait(8));
  int ok = 0;
  for (int i = 0; i < 8; ++i) {
    const auto c = got.get("s" + std::to_string(i));
    EXPECT_EQ(got.calls("s" + std::to_string(i)), 1);
    if (c.ok()) {
      ++ok;
      continue;
    }
    EXPECT_EQ(c.error, ErrorKind::connection) << c.error_message;
    EXPECT_TRUE(c.fatal);
    EXPECT_NE(c.error_message.find("crashing (--crash-after)"), std::string::npos)
        << c.error_message;
  }
  EXPECT_EQ(ok, 3);
  backend.submit(text_request("later", "[[answer:x]]"), got.callback("later"));
  ASSERT_TRUE(got.wait(9));
  EXPECT_EQ(got.get("later").error, ErrorKind::connection);
  EXPECT_EQ(got.get("later").attempts, 0);
  EXPECT_NE(got.get("later").error_message.find("exit status 3"), std::string::npos)
      << got.get("later").error_message;
}

TEST(WorkerBackend, ACrashedWorkerIsRestartedWithinItsLimit) {
  TempDir dir;
  Clock clock;
  WorkerOptions o = fake({"--crash-after", "2", "--crash-marker", (dir.path() / "m").string()});
  o.max_restarts = 1;
  WorkerBackend backend(std::move(o), clock);
  Collector got;
  for (int i = 0; i < 3; ++i)
    backend.submit(text_request("s" + std::to_string(i), "[[answer:x]]"),
                   got.callback("s" + std::to_string(i)));
  ASSERT_TRUE(got.wait(3));
  EXPECT_EQ(got.get("s2").error, ErrorKind::connection);
  EXPECT_FALSE(got.get("s2").fatal);  // a restart is left: the harness retries it
  backend.submit(text_request("retry", "[[answer:y]]"), got.callback("retry"));
  ASSERT_TRUE(got.wait(4));
  EXPECT_EQ(got.get("retry").text, "y") << got.get("retry").error_message;
  EXPECT_EQ(backend.processes_started(), 2);
}

TEST(WorkerBackend, AHungRequestTimesOutAndIsCancelledWhileOthersAreAnswered) {
  TempDir dir;
  Clock clock;
  WorkerOptions o = fake({"--log", (dir.path() / "log").string()});
  o.timeout = 500ms;
  WorkerBackend backend(std::move(o), clock);
  Collector got;
  const auto start = std::chrono::steady_clock::now();
  backend.submit(text_request("hang", "[[hang]]"), got.callback("hang"));
  backend.submit(text_request("ok", "[[answer:fine]]"), got.callback("ok"));
  ASSERT_TRUE(got.wait(2, 5s));
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(got.get("ok").text, "fine");
  EXPECT_EQ(got.get("hang").error, ErrorKind::timeout);
  EXPECT_GE(took, 500ms);
  EXPECT_LT(took, 3s);
  std::this_thread::sleep_for(100ms);
  const auto log = read_log(dir.path() / "log");
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.back()["type"], "cancel");
}

TEST(WorkerBackend, AWorkerSilentForTimeoutIsStoppedAsHungAndRestarted) {
  Clock clock;
  WorkerOptions o = fake({"--hang-on", "FREEZE"});  // freezes the whole worker, as a stuck model
  o.timeout = 500ms;
  o.shutdown_grace = 500ms;
  o.max_restarts = 1;
  WorkerBackend backend(std::move(o), clock);
  Collector got;
  const auto start = std::chrono::steady_clock::now();
  backend.submit(text_request("frozen", "FREEZE [[answer:x]]"), got.callback("frozen"));
  backend.submit(text_request("behind", "[[answer:y]]"), got.callback("behind"));
  ASSERT_TRUE(got.wait(2, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  for (const std::string id : {"frozen", "behind"}) {
    EXPECT_EQ(got.get(id).error, ErrorKind::timeout) << id;
    EXPECT_NE(got.get(id).error_message.find("stopped as hung"), std::string::npos)
        << got.get(id).error_message;
    EXPECT_FALSE(got.get(id).fatal);  // a restart is left
  }
  backend.submit(text_request("after", "[[answer:z]]"), got.callback("after"));
  ASSERT_TRUE(got.wait(3));
  EXPECT_EQ(got.get("after").text, "z") << got.get("after").error_message;
  EXPECT_EQ(backend.processes_started(), 2);
}

TEST(WorkerBackend, GarbageOnStdoutIsAMalformedReplyNamingTheLine) {
  Clock clock;
  WorkerBackend backend(fake({"--garbage-after", "1", "--delay", "0.05"}), clock);
  Collector got;
  backend.submit(text_request("a", "[[answer:x]]"), got.callback("a"));
  ASSERT_TRUE(got.wait(1));
  backend.submit(text_request("b", "[[answer:x]]"), got.callback("b"));
  ASSERT_TRUE(got.wait(2));
  EXPECT_TRUE(got.get("a").ok());
  const auto b = got.get("b");
  EXPECT_EQ(b.error, ErrorKind::malformed_reply);
  EXPECT_NE(b.error_message.find("not JSON: 'Traceback"), std::string::npos) << b.error_message;
  EXPECT_TRUE(b.fatal);
}

TEST(WorkerBackend, AnOversizedLineIsRefusedWithinItsLimit) {
  Clock clock;
  WorkerOptions o = fake({"--huge-line-after", "0", "--huge-bytes", "3000000"});
  o.max_line_bytes = 1 << 20;
  WorkerBackend backend(std::move(o), clock);
  Collector got;
  backend.submit(text_request("a", "[[answer:x]]"), got.callback("a"));
  ASSERT_TRUE(got.wait(1));
  EXPECT_EQ(got.get("a").error, ErrorKind::malformed_reply);
  EXPECT_NE(got.get("a").error_message.find("longer than max_line_bytes (1048576 bytes)"),
            std::string::npos)
      << got.get("a").error_message;
}

TEST(WorkerBackend, AnErrorWithoutAnIdStopsTheWorker) {
  Clock clock;
  WorkerBackend backend(fake({"--error-without-id-after", "0"}), clock);
  Collector got;
  backend.submit(text_request("a", "[[answer:x]]"), got.callback("a"));
  ASSERT_TRUE(got.wait(1));
  // The error comes before the answer: the request in flight fails with the worker's message.
  EXPECT_EQ(got.get("a").error, ErrorKind::connection);
  EXPECT_NE(got.get("a").error_message.find("CUDA out of memory"), std::string::npos);
}

TEST(WorkerBackend, CancelEndsEveryRequestAtOnceAndLaterOnesAreServed) {
  Clock clock;
  WorkerOptions o = fake({"--max-in-flight", "2"});
  WorkerBackend backend(std::move(o), clock);
  Collector got;
  for (int i = 0; i < 5; ++i)  // two in the worker, three waiting in lmmbench
    backend.submit(text_request("s" + std::to_string(i), "[[hang]]"),
                   got.callback("s" + std::to_string(i)));
  std::this_thread::sleep_for(200ms);
  const auto start = std::chrono::steady_clock::now();
  backend.cancel();
  ASSERT_TRUE(got.wait(5, 2s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(got.get("s" + std::to_string(i)).error, ErrorKind::cancelled);
  backend.submit(text_request("after", "[[answer:z]]"), got.callback("after"));
  ASSERT_TRUE(got.wait(6));
  EXPECT_EQ(got.get("after").text, "z");
}

TEST(WorkerBackend, FactoryReadsOptionsAndLocatesAStartFailureAtCommand) {
  Clock clock;
  const BackendContext context{clock, 0};
  const auto make = [&](const std::string& json) {
    ObjectReader reader = ConfigNode(JsonSource::from_text(json, "model.json")).object();
    return create_worker(reader, context);
  };
  const auto backend = make(R"({"command": "python3", "args": [")" + kFakeWorker +
                            R"(", "--max-in-flight", "16"], "max_in_flight": 3, "max_images": 1,
      "env": {"LMMBENCH_TEST": "1"}, "timeout_s": 5, "image_formats": ["png"]})");
  EXPECT_EQ(backend->capabilities().max_images_per_request, 1U);
  EXPECT_EQ(backend->capabilities().image_mime_types, std::vector<std::string>{"image/png"});
  try {
    (void)make(R"({"command": "python3", "args": [")" + kFakeWorker + R"(", "--protocol", "0"]})");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.where().file, "model.json");
    EXPECT_EQ(e.where().field, "/command");
    EXPECT_NE(e.detail().find("protocol version 0"), std::string::npos);
  }
  try {
    (void)make(R"({"command": "python3", "images": "path", "args": [")" + kFakeWorker +
               R"(", "--images", "bytes"]})");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(e.detail().find("does not take images by path"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)make(R"({"command": "python3", "timeout": 5})"), InputError);
  EXPECT_THROW((void)make(R"({"command": "python3", "images": "url"})"), InputError);
  EXPECT_THROW((void)make(R"({"args": []})"), InputError);
}

}  // namespace
}  // namespace lmmbench::models::worker
