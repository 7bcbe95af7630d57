// Alert latency (issue 5): from the moment `POST /v1/events` is acknowledged for a positive test
// or a late check-in to the moment the resulting alert frame arrives at a WebSocket client on
// GET /v1/alerts/stream. Runs a real `ctrace serve` (embedded log, or Kafka with --kafka) on a
// fresh data directory and prints p50/p90/p99/max, alone and under a steady background load of
// check-ins (at venues no case visits, so they make no alerts of their own).
//
// Per sample i (person ids unique to the sample):
//   setup (not timed, wait=applied): A_i and B_i check in at venue V_i and check out 2 h later;
//   timed: A_i's positive test            -> the frame "case.new" for A_i;
//   timed: C_i's late check-in at V_i, in the past, overlapping A_i -> "exposure.new" for C_i.
//
// With --kafka, serve runs on Kafka (fresh topics, 6 partitions each, made with `ctrace topics
// --create`): a POST is answered once Kafka acknowledged the events; the consumer then reads them
// and the apply loop applies them. Besides the WebSocket frame, the bench then also times the
// alert's arrival on PREFIX.alerts at a librdkafka consumer (the "-> alerts topic" rows).
//
// Usage: alert_latency [--bin PATH] [--samples N] [--rates R1,R2,...] [--kafka BROKERS]
//   --bin      the ctrace binary (default $CTRACE_BIN, else ./app/ctrace)
//   --samples  samples per scenario and rate (default 200)
//   --rates    background check-ins per second; 0 means alone (default 0,1000)
//   --kafka    run serve on Kafka (brokers host:port); default the embedded log
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.h"
#include "tests/support/kafka_support.h"
#include "tests/support/rfc3339.h"
#include "tests/support/serve_process.h"
#include "tests/support/service_queries.h"
#include "tests/support/temp_dir.h"
#include "tests/support/ws_client.h"

namespace ctrace::test_support {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const Millis kNow = UtcMillis(2026, 11, 27);

struct Flags {
  std::string bin;
  int samples = 200;
  std::vector<int> rates = {0, 1000};
  std::string kafka;
};

// Arrival times of alert frames by "type person", filled by a reader thread.
class FrameClock {
 public:
  void Arrived(const std::string& key) {
    const auto now = Clock::now();
    std::lock_guard<std::mutex> lock(mu_);
    arrived_.emplace(key, now);
    cv_.notify_all();
  }
  // Waits for `key` (at most 30 s); false on timeout.
  bool Wait(const std::string& key, Clock::time_point* at) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(30), [&] { return arrived_.count(key) > 0; })) return false;
    *at = arrived_[key];
    return true;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Clock::time_point> arrived_;
};

std::string Event(const json& e) { return e.dump(); }

std::string Checkin(const std::string& id, const std::string& person, const std::string& venue, Millis t) {
  return Event({{"type", "checkin"}, {"id", id}, {"person", person}, {"venue", venue}, {"ts", FormatRfc3339(t)}});
}
std::string Checkout(const std::string& id, const std::string& person, const std::string& venue, Millis t) {
  return Event({{"type", "checkout"}, {"id", id}, {"person", person}, {"venue", venue}, {"ts", FormatRfc3339(t)}});
}
std::string Positive(const std::string& id, const std::string& person, Millis sampled) {
  return Event({{"type", "test_result"}, {"id", id}, {"person", person}, {"sampled_at", FormatRfc3339(sampled)},
                {"resulted_at", FormatRfc3339(sampled + kMsHour)}, {"result", "positive"}, {"kind", "pcr"}});
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t index = std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
  return values[index];
}

// Reads PREFIX.alerts from the beginning on a thread of its own (Kafka mode) and tells
// `arrivals` of each alert, as "type person", when the consumer gets it.
class AlertTopicReader {
 public:
  AlertTopicReader(const std::string& brokers, const std::string& topic, FrameClock* arrivals)
      : topic_(topic), arrivals_(arrivals) {
    char reason[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"bootstrap.servers", brokers},
             {"group.id", topic + ".bench"},
             {"enable.auto.commit", "false"},
             {"auto.offset.reset", "earliest"},
             {"fetch.wait.max.ms", "100"}}) {
      rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof(reason));
    }
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, reason, sizeof(reason));
    if (rk_ == nullptr) {
      std::fprintf(stderr, "alerts topic consumer: %s\n", reason);
      return;
    }
    rd_kafka_poll_set_consumer(rk_);
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, topic.c_str(), nullptr);
    int partitions = 0;
    if (rd_kafka_metadata(rk_, 0, rkt, &metadata, 30'000) == RD_KAFKA_RESP_ERR_NO_ERROR && metadata->topic_cnt == 1) {
      partitions = metadata->topics[0].partition_cnt;
    }
    if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; ++p) {
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_assign(rk_, list);
    rd_kafka_topic_partition_list_destroy(list);
    thread_ = std::thread([this] { Run(); });
  }
  ~AlertTopicReader() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (rk_ != nullptr) {
      rd_kafka_consumer_close(rk_);
      rd_kafka_destroy(rk_);
    }
  }

 private:
  void Run() {
    while (!stop_.load()) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(rk_, 100);
      if (message == nullptr) continue;
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR && message->payload != nullptr) {
        const json alert =
            json::parse(std::string(static_cast<const char*>(message->payload), message->len), nullptr, false);
        if (alert.is_object() && alert.contains("person")) {
          arrivals_->Arrived(alert.value("type", "") + " " + alert.value("person", ""));
        }
      }
      rd_kafka_message_destroy(message);
    }
  }

  std::string topic_;
  FrameClock* arrivals_;
  rd_kafka_t* rk_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct Result {
  std::vector<double> positive_ms;
  std::vector<double> late_checkin_ms;
  std::vector<double> positive_topic_ms;      // Kafka mode: to the alerts topic
  std::vector<double> late_checkin_topic_ms;  // Kafka mode: to the alerts topic
  int background_events = 0;
  double background_seconds = 0;
};

bool Run(const Flags& flags, int rate, Result* result) {
  TempDir data;
  ServeOptions options{.data_dir = data.path().string(), .clock = "fixed:" + FormatRfc3339(kNow), .binary = flags.bin};
  options.extra_flags = {"--erase-interval", "0"};
  std::string prefix;
  if (!flags.kafka.empty()) {
    prefix = "bench" + std::to_string(::getpid()) + "r" + std::to_string(rate);
    const CommandResult topics = RunCommand({flags.bin, "topics", "--create", "--kafka", flags.kafka, "--topic-prefix",
                                             prefix, "--partitions", "6"});
    if (!topics.exited_ok()) {
      std::fprintf(stderr, "ctrace topics --create: %s\n", topics.output.c_str());
      return false;
    }
    options.extra_flags.insert(options.extra_flags.end(), {"--kafka", flags.kafka, "--topic-prefix", prefix, "--group", prefix});
    options.ready_timeout = std::chrono::seconds(90);
  }
  ServeProcess serve(options);
  if (Status s = serve.Start(); !s.ok()) {
    std::fprintf(stderr, "serve: %s\n", s.message().c_str());
    return false;
  }
  const uint16_t port = serve.port();

  FrameClock frames;
  FrameClock topic_arrivals;
  std::unique_ptr<AlertTopicReader> topic_reader;
  if (!prefix.empty()) topic_reader = std::make_unique<AlertTopicReader>(flags.kafka, prefix + ".alerts", &topic_arrivals);
  WsClient stream;
  if (Status s = stream.Connect("127.0.0.1", port, "/v1/alerts/stream?since=0"); !s.ok()) {
    std::fprintf(stderr, "stream: %s\n", s.message().c_str());
    return false;
  }
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      std::string text;
      if (!stream.Read(&text, std::chrono::seconds(2)).ok()) {
        if (stream.closed()) return;
        continue;  // a read timeout (no alerts for a while) closes nothing here: reconnect
      }
      const json alert = json::parse(text, nullptr, false);
      if (alert.is_object() && alert.contains("person")) {
        frames.Arrived(alert.value("type", "") + " " + alert.value("person", ""));
      }
    }
  });

  // Background check-ins at `rate` per second, in batches every 20 ms, each on its own
  // connection (HttpClient posts on a fresh one).
  std::atomic<int> background_events{0};
  std::thread background;
  const auto background_start = Clock::now();
  if (rate > 0) {
    background = std::thread([&] {
      HttpClient client("127.0.0.1", port);
      const int per_batch = std::max(1, rate / 50);
      auto next = Clock::now();
      for (int batch = 0; !stop.load(); ++batch) {
        std::vector<std::string> lines;
        for (int k = 0; k < per_batch; ++k) {
          const int n = batch * per_batch + k;
          lines.push_back(Checkin("bg-" + std::to_string(n), "BG" + std::to_string(n % 5000),
                                  "BGV" + std::to_string(n % 300), kNow - 20 * kMsHour + (n % 36000) * 1000));
        }
        json answer;
        if (PostNdjson(client, lines, /*wait_applied=*/false, &answer).ok()) background_events += per_batch;
        next += std::chrono::milliseconds(20);
        std::this_thread::sleep_until(next);  // a paced load generator, not a test
      }
    });
    std::this_thread::sleep_for(std::chrono::seconds(1));  // reach the steady state
  }

  HttpClient client("127.0.0.1", port);
  bool ok = true;
  for (int i = 0; i < flags.samples && ok; ++i) {
    const std::string n = std::to_string(i);
    const std::string a = "A" + n, b = "B" + n, c = "C" + n, venue = "V" + n;
    // Every sample has its own people and venue, so visits may repeat times; they must stay
    // far enough in the past that the test result (3 h later) is not in the future.
    const Millis visit = kNow - 2 * kMsDay + (i % 200) * 10 * kMsMinute;
    json answer;
    if (!PostNdjson(client, {Checkin("ci-a" + n, a, venue, visit), Checkin("ci-b" + n, b, venue, visit),
                             Checkout("co-a" + n, a, venue, visit + 2 * kMsHour),
                             Checkout("co-b" + n, b, venue, visit + 2 * kMsHour)},
                    /*wait_applied=*/true, &answer)
             .ok()) {
      ok = false;
      break;
    }
    // Positive test.
    Status posted = PostNdjson(client, {Positive("t-a" + n, a, visit + 3 * kMsHour)}, false, &answer);
    auto acked = Clock::now();
    Clock::time_point at;
    if (!posted.ok() || !frames.Wait("case.new " + a, &at)) {
      std::fprintf(stderr, "sample %d: no case.new (%s)\n", i, posted.message().c_str());
      ok = false;
      break;
    }
    result->positive_ms.push_back(std::chrono::duration<double, std::milli>(at - acked).count());
    if (topic_reader) {
      if (!topic_arrivals.Wait("case.new " + a, &at)) {
        std::fprintf(stderr, "sample %d: no case.new on the alerts topic\n", i);
        ok = false;
        break;
      }
      result->positive_topic_ms.push_back(std::chrono::duration<double, std::milli>(at - acked).count());
    }
    // Late check-in (and its check-out) overlapping A at V.
    posted = PostNdjson(client, {Checkin("ci-c" + n, c, venue, visit + 30 * kMsMinute)}, false, &answer);
    acked = Clock::now();
    if (!posted.ok() || !frames.Wait("exposure.new " + c, &at)) {
      std::fprintf(stderr, "sample %d: no exposure.new (%s)\n", i, posted.message().c_str());
      ok = false;
      break;
    }
    result->late_checkin_ms.push_back(std::chrono::duration<double, std::milli>(at - acked).count());
    if (topic_reader) {
      if (!topic_arrivals.Wait("exposure.new " + c, &at)) {
        std::fprintf(stderr, "sample %d: no exposure.new on the alerts topic\n", i);
        ok = false;
        break;
      }
      result->late_checkin_topic_ms.push_back(std::chrono::duration<double, std::milli>(at - acked).count());
    }
  }
  result->background_seconds = std::chrono::duration<double>(Clock::now() - background_start).count();
  stop = true;
  if (background.joinable()) background.join();
  result->background_events = background_events.load();
  (void)serve.Stop();
  reader.join();
  return ok;
}

// A frame can arrive before the client has read the POST's answer (the apply loop is that
// quick): such samples count as 0 ms and are counted in the "before ack" column.
void Print(const char* scenario, int rate, std::vector<double> ms, const Result& r) {
  const long before_ack = std::count_if(ms.begin(), ms.end(), [](double v) { return v < 0; });
  for (double& v : ms) v = std::max(0.0, v);
  char load[64];
  if (rate == 0) {
    std::snprintf(load, sizeof(load), "alone");
  } else {
    std::snprintf(load, sizeof(load), "%d/s (achieved %.0f/s)", rate,
                  r.background_seconds > 0 ? r.background_events / r.background_seconds : 0.0);
  }
  std::printf("| %-22s | %-24s | %4zu | %10ld | %7.2f | %7.2f | %7.2f | %7.2f |\n", scenario, load, ms.size(), before_ack,
              Percentile(ms, 0.50), Percentile(ms, 0.90), Percentile(ms, 0.99),
              ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end()));
}

}  // namespace
}  // namespace ctrace::test_support

int main(int argc, char** argv) {
  using namespace ctrace::test_support;
  Flags flags;
  if (const char* bin = std::getenv("CTRACE_BIN")) flags.bin = bin;
  if (flags.bin.empty()) flags.bin = "./app/ctrace";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i], value = argv[i + 1];
    if (name == "--bin") {
      flags.bin = value;
    } else if (name == "--samples") {
      flags.samples = std::atoi(value.c_str());
    } else if (name == "--kafka") {
      flags.kafka = value;
    } else if (name == "--rates") {
      flags.rates.clear();
      std::stringstream in(value);
      for (std::string item; std::getline(in, item, ',');) flags.rates.push_back(std::atoi(item.c_str()));
    } else {
      std::fprintf(stderr, "unknown flag %s\n", name.c_str());
      return 2;
    }
  }
  std::printf("alert latency, %s, %d samples per row (ms from the POST's answer to the frame)\n",
              flags.kafka.empty() ? "embedded log" : "Kafka", flags.samples);
  std::printf("| scenario               | background check-ins     |    n | before ack |     p50 |     p90 |     p99 |     max |\n");
  std::printf("| ---                    | ---                      | ---: |       ---: |    ---: |    ---: |    ---: |    ---: |\n");
  int failures = 0;
  for (const int rate : flags.rates) {
    Result result;
    if (!Run(flags, rate, &result)) ++failures;
    Print("positive test", rate, result.positive_ms, result);
    Print("late check-in", rate, result.late_checkin_ms, result);
    if (!flags.kafka.empty()) {
      Print("positive test -> topic", rate, result.positive_topic_ms, result);
      Print("late check-in -> topic", rate, result.late_checkin_topic_ms, result);
    }
  }
  return failures == 0 ? 0 : 1;
}
