// HTTP load for the end-to-end benchmark (bench/run.sh), against a running `ctrace serve`:
//
//   http_load ingest --port P --file EVENTS.ndjson [--batch 1000] [--clients 4]
//       POSTs the file's lines to /v1/events in NDJSON batches of --batch events from --clients
//       connections at once. Each answer is a durable acknowledgement (the events are in the
//       log, fsynced, before the 200 comes back). Prints one JSON object: events sent and
//       accepted, seconds, events/s, and the p50/p99 of one POST.
//
//   http_load query --port P [--samples 500] [--seconds 0]
//       Takes people and cases from the service itself (GET /v1/cases, /v1/exposed) and times
//       GET /v1/persons/{id}, GET /v1/cases/{id}/chain?depth=1 (the case's F1 list) and
//       ?depth=2, --samples of each (round robin over the sampled ids). Prints one JSON object
//       with p50/p99/max in milliseconds per query kind.
//
// Every request is a real HTTP/1.1 request over loopback (tests/support/http_client).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.h"

namespace ctrace::test_support {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

double Millis(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(rank, values.size() - 1)];
}

json Summary(const std::vector<double>& ms) {
  return {{"count", ms.size()},
          {"p50_ms", Percentile(ms, 0.50)},
          {"p99_ms", Percentile(ms, 0.99)},
          {"max_ms", ms.empty() ? 0.0 : *std::max_element(ms.begin(), ms.end())}};
}

struct Flags {
  std::string mode;
  uint16_t port = 0;
  std::string file;
  size_t batch = 1000;
  int clients = 4;
  int samples = 500;
};

int Usage() {
  std::fprintf(stderr,
               "usage: http_load ingest --port P --file EVENTS.ndjson [--batch N] [--clients N]\n"
               "       http_load query --port P [--samples N]\n");
  return 2;
}

bool ParseFlags(int argc, char** argv, Flags* flags) {
  if (argc < 2) return false;
  flags->mode = argv[1];
  for (int arg = 2; arg + 1 < argc; arg += 2) {
    const std::string name = argv[arg];
    const std::string value = argv[arg + 1];
    if (name == "--port") {
      flags->port = static_cast<uint16_t>(std::stoi(value));
    } else if (name == "--file") {
      flags->file = value;
    } else if (name == "--batch") {
      flags->batch = static_cast<size_t>(std::stoul(value));
    } else if (name == "--clients") {
      flags->clients = std::stoi(value);
    } else if (name == "--samples") {
      flags->samples = std::stoi(value);
    } else {
      return false;
    }
  }
  return flags->port != 0 && (flags->mode == "query" || (flags->mode == "ingest" && !flags->file.empty())) &&
         flags->batch > 0 && flags->clients > 0 && flags->samples > 0;
}

int RunIngest(const Flags& flags) {
  std::ifstream in(flags.file);
  if (!in) {
    std::fprintf(stderr, "http_load: cannot read %s\n", flags.file.c_str());
    return 1;
  }
  std::vector<std::string> bodies;
  std::vector<size_t> counts;
  std::string line, body;
  size_t in_body = 0, events = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    body += line;
    body += '\n';
    ++events;
    if (++in_body == flags.batch) {
      bodies.push_back(std::move(body));
      counts.push_back(in_body);
      body.clear();
      in_body = 0;
    }
  }
  if (in_body > 0) {
    bodies.push_back(std::move(body));
    counts.push_back(in_body);
  }

  std::atomic<size_t> next{0};
  std::atomic<uint64_t> accepted{0}, failed{0};
  std::mutex mu;
  std::vector<double> latencies;
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int client_idx = 0; client_idx < flags.clients; ++client_idx) {
    threads.emplace_back([&] {
      HttpClient client("127.0.0.1", flags.port);
      std::vector<double> mine;
      for (size_t idx = next++; idx < bodies.size(); idx = next++) {
        const auto sent = Clock::now();
        const auto response = client.Post("/v1/events", bodies[idx], "application/x-ndjson");
        mine.push_back(Millis(Clock::now() - sent));
        if (response.status != 200) {
          ++failed;
          continue;
        }
        const auto answer = json::parse(response.body, nullptr, false);
        if (answer.is_object() && answer.contains("accepted")) accepted += answer["accepted"].get<uint64_t>();
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& thread : threads) thread.join();
  const double seconds = Millis(Clock::now() - start) / 1000.0;
  json out = {{"events", events},         {"accepted", accepted.load()},
              {"failed_posts", failed.load()}, {"batch", flags.batch},
              {"clients", flags.clients}, {"seconds", seconds},
              {"events_per_s", seconds > 0 ? static_cast<double>(events) / seconds : 0.0},
              {"post", Summary(latencies)}};
  std::printf("%s\n", out.dump().c_str());
  return failed.load() == 0 ? 0 : 1;
}

// Up to `limit` ids from a paged list endpoint.
std::vector<std::string> SampleIds(HttpClient& client, const std::string& target, const std::string& field,
                                   size_t limit) {
  std::vector<std::string> ids;
  const auto response = client.Get(target);
  if (response.status != 200) return ids;
  const auto page = json::parse(response.body, nullptr, false);
  if (!page.is_object() || !page.contains(field)) return ids;
  for (const auto& item : page[field]) {
    if (ids.size() >= limit) break;
    if (item.contains("person")) ids.push_back(item["person"].get<std::string>());
  }
  return ids;
}

int RunQuery(const Flags& flags) {
  HttpClient client("127.0.0.1", flags.port);
  const auto cases = SampleIds(client, "/v1/cases?limit=1000", "cases", 1000);
  auto people = SampleIds(client, "/v1/exposed?level=1&limit=1000", "persons", 1000);
  people.insert(people.end(), cases.begin(), cases.end());
  if (cases.empty() || people.empty()) {
    std::fprintf(stderr, "http_load: the service has no cases or exposed people to query\n");
    return 1;
  }
  auto time_all = [&](const std::vector<std::string>& ids, const std::string& before, const std::string& after) {
    std::vector<double> ms;
    int errors = 0;
    for (int sample = 0; sample < flags.samples; ++sample) {
      const auto target = before + UrlEncode(ids[static_cast<size_t>(sample) % ids.size()]) + after;
      const auto sent = Clock::now();
      const auto response = client.Get(target);
      ms.push_back(Millis(Clock::now() - sent));
      if (response.status != 200) ++errors;
    }
    json summary = Summary(ms);
    summary["errors"] = errors;
    return summary;
  };
  json out = {{"cases_sampled", cases.size()},
              {"people_sampled", people.size()},
              {"person", time_all(people, "/v1/persons/", "")},
              {"f1_list", time_all(cases, "/v1/cases/", "/chain?depth=1")},
              {"chain_depth2", time_all(cases, "/v1/cases/", "/chain?depth=2")}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace ctrace::test_support

int main(int argc, char** argv) {
  using namespace ctrace::test_support;
  Flags flags;
  try {
    if (!ParseFlags(argc, argv, &flags)) return Usage();
  } catch (const std::exception&) {
    return Usage();
  }
  return flags.mode == "ingest" ? RunIngest(flags) : RunQuery(flags);
}
