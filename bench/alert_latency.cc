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
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.h"
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

struct Result {
  std::vector<double> positive_ms;
  std::vector<double> late_checkin_ms;
  int background_events = 0;
  double background_seconds = 0;
};

bool Run(const Flags& flags, int rate, Result* result) {
  TempDir data;
  ServeOptions options{.data_dir = data.path().string(), .clock = "fixed:" + FormatRfc3339(kNow), .binary = flags.bin};
  options.extra_flags = {"--erase-interval", "0"};
  if (!flags.kafka.empty()) {
    const std::string prefix = "bench" + std::to_string(::getpid()) + "r" + std::to_string(rate);
    options.extra_flags.insert(options.extra_flags.end(), {"--kafka", flags.kafka, "--topic-prefix", prefix, "--group", prefix});
  }
  ServeProcess serve(options);
  if (Status s = serve.Start(); !s.ok()) {
    std::fprintf(stderr, "serve: %s\n", s.message().c_str());
    return false;
  }
  const uint16_t port = serve.port();

  FrameClock frames;
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
    const Millis visit = kNow - 2 * kMsDay + i * 10 * kMsMinute;
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
    // Late check-in (and its check-out) overlapping A at V.
    posted = PostNdjson(client, {Checkin("ci-c" + n, c, venue, visit + 30 * kMsMinute)}, false, &answer);
    acked = Clock::now();
    if (!posted.ok() || !frames.Wait("exposure.new " + c, &at)) {
      std::fprintf(stderr, "sample %d: no exposure.new (%s)\n", i, posted.message().c_str());
      ok = false;
      break;
    }
    result->late_checkin_ms.push_back(std::chrono::duration<double, std::milli>(at - acked).count());
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
  std::printf("| %-13s | %-24s | %4zu | %10ld | %7.2f | %7.2f | %7.2f | %7.2f |\n", scenario, load, ms.size(), before_ack,
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
  std::printf("| scenario      | background check-ins     |    n | before ack |     p50 |     p90 |     p99 |     max |\n");
  std::printf("| ---           | ---                      | ---: |       ---: |    ---: |    ---: |    ---: |    ---: |\n");
  int failures = 0;
  for (const int rate : flags.rates) {
    Result result;
    if (!Run(flags, rate, &result)) ++failures;
    Print("positive test", rate, result.positive_ms, result);
    Print("late check-in", rate, result.late_checkin_ms, result);
  }
  return failures == 0 ? 0 : 1;
}
