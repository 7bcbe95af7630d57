// In-memory QueryService and IngestService for the API tests: answers set by the test, calls
// recorded, and real paging over sorted lists so cursors can be followed to the end.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "ingest/ingest_service.h"
#include "processors/query_service.h"

namespace ctrace::testing {

class FakeQueryService : public QueryService {
 public:
  std::optional<PersonView> GetPerson(std::string_view person) override {
    std::lock_guard<std::mutex> lock(mu_);
    last_person = std::string(person);
    if (throw_on_get_person) throw std::runtime_error("boom P1");
    const auto it = persons.find(std::string(person));
    if (it == persons.end()) return std::nullopt;
    return it->second;
  }

  ExposedPage ListExposed(int level, std::optional<TimeMs> since, std::string_view after,
                          size_t limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    last_level = level;
    last_since = since;
    last_after = std::string(after);
    last_limit = limit;
    ExposedPage page;
    for (const ExposedEntry& entry : exposed[level]) {  // sorted by person
      if (!after.empty() && entry.person <= after) continue;
      if (since && entry.exposed_at < *since) continue;
      if (page.persons.size() == limit) {
        page.next_after = page.persons.back().person;
        break;
      }
      page.persons.push_back(entry);
    }
    return page;
  }

  CasesPage ListCases(std::string_view after, size_t limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    last_after = std::string(after);
    last_limit = limit;
    CasesPage page;
    for (const CaseEntry& entry : cases) {
      if (!after.empty() && entry.person <= after) continue;
      if (page.cases.size() == limit) {
        page.next_after = page.cases.back().person;
        break;
      }
      page.cases.push_back(entry);
    }
    return page;
  }

  std::optional<ChainView> GetChain(std::string_view person, int depth) override {
    std::lock_guard<std::mutex> lock(mu_);
    last_person = std::string(person);
    last_depth = depth;
    const auto it = chains.find(std::string(person));
    if (it == chains.end()) return std::nullopt;
    return it->second;
  }

  std::vector<ClusterView> ListClusters() override {
    std::lock_guard<std::mutex> lock(mu_);
    return clusters;
  }

  // The resume key is binary on purpose (a big-endian start, a NUL, the person), like a store
  // key, to show cursors carry any bytes.
  static std::string VisitKey(const VisitView& visit) {
    std::string key;
    for (int shift = 56; shift >= 0; shift -= 8) {
      key.push_back(static_cast<char>((static_cast<uint64_t>(visit.start) >> shift) & 0xFF));
    }
    key.push_back('\0');
    key.append(visit.person);
    return key;
  }

  VenueVisitsPage ListVenueVisits(std::string_view venue, TimeMs from, TimeMs to,
                                  std::string_view after, size_t limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    last_venue = std::string(venue);
    last_from = from;
    last_to = to;
    last_after = std::string(after);
    last_limit = limit;
    VenueVisitsPage page;
    page.venue = std::string(venue);
    for (const VisitView& visit : venue_visits[std::string(venue)]) {  // sorted by (start, person)
      if (visit.end <= from || visit.start >= to) continue;
      if (!after.empty() && VisitKey(visit) <= after) continue;
      if (page.visits.size() == limit) {
        page.next_after = VisitKey(page.visits.back());
        break;
      }
      page.visits.push_back(visit);
    }
    return page;
  }

  StatsView GetStats() override {
    std::lock_guard<std::mutex> lock(mu_);
    return stats;
  }

  // Real paging over `alerts` (kept in seq order by AppendAlert).
  AlertsPage ListAlerts(uint64_t since, size_t limit) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++alert_reads;
    max_alert_limit = std::max(max_alert_limit, limit);
    if (throw_on_list_alerts) throw std::runtime_error("boom alerts");
    AlertsPage page;
    page.next_seq = since;
    auto it = std::upper_bound(alerts.begin(), alerts.end(), since,
                               [](uint64_t seq, const AlertView& a) { return seq < a.seq; });
    for (; it != alerts.end() && page.alerts.size() < limit; ++it) {
      page.alerts.push_back(*it);
      page.next_seq = it->seq;
    }
    return page;
  }

  // Appends an alert with the next seq (alerts.back().seq + 1, or 1); returns its seq.
  // Thread-safe, so a test can append while streams read.
  uint64_t AppendAlert(AlertView alert) {
    std::lock_guard<std::mutex> lock(mu_);
    alert.seq = alerts.empty() ? 1 : alerts.back().seq + 1;
    alerts.push_back(alert);
    return alert.seq;
  }

  uint64_t NextAlertSeq() {
    std::lock_guard<std::mutex> lock(mu_);
    return alerts.empty() ? 1 : alerts.back().seq + 1;
  }

  std::vector<HotspotView> ListHotspots() override {
    std::lock_guard<std::mutex> lock(mu_);
    return hotspots;
  }

  int MaxDepth() const override { return max_depth; }

  // Set by the test before use.
  std::map<std::string, PersonView> persons;
  std::map<int, std::vector<ExposedEntry>> exposed;
  std::vector<CaseEntry> cases;
  std::map<std::string, ChainView> chains;
  std::vector<ClusterView> clusters;
  std::map<std::string, std::vector<VisitView>> venue_visits;
  StatsView stats;
  std::vector<AlertView> alerts;  // seq ascending
  std::vector<HotspotView> hotspots;
  int max_depth = 2;
  bool throw_on_list_alerts = false;
  size_t alert_reads = 0;
  size_t max_alert_limit = 0;
  bool throw_on_get_person = false;

  // Recorded from the last call.
  std::string last_person;
  int last_level = 0;
  std::optional<TimeMs> last_since;
  std::string last_after;
  size_t last_limit = 0;
  int last_depth = 0;
  std::string last_venue;
  TimeMs last_from = 0;
  TimeMs last_to = 0;

 private:
  std::mutex mu_;
};

class FakeIngestService : public IngestService {
 public:
  IngestResult Ingest(std::string_view body, BodyFormat format) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++ingest_calls;
    last_body = std::string(body);
    last_format = format;
    return result;
  }

  // Blocks while `block_wait_applied` is set (until Release or the timeout) when
  // `wait_blocks` is set; else answers `wait_applied_result` at once.
  bool WaitApplied(uint64_t position, std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> lock(mu_);
    ++wait_calls;
    last_wait_position = position;
    last_wait_timeout = timeout;
    if (wait_blocks) {
      waiting.fetch_add(1);
      waiting_cv_.notify_all();
      release_cv_.wait(lock, [this] { return released_; });
      waiting.fetch_sub(1);
    }
    return wait_applied_result;
  }

  // Waits (really, with a bound) until `n` calls are blocked in WaitApplied.
  bool AwaitWaiting(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    return waiting_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return waiting.load() >= n; });
  }

  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    release_cv_.notify_all();
  }

  IngestResult result;
  bool wait_applied_result = true;
  bool wait_blocks = false;

  int ingest_calls = 0;
  int wait_calls = 0;
  std::string last_body;
  BodyFormat last_format = BodyFormat::kNdjson;
  uint64_t last_wait_position = 0;
  std::chrono::milliseconds last_wait_timeout{0};
  std::atomic<int> waiting{0};

 private:
  std::mutex mu_;
  std::condition_variable waiting_cv_;
  std::condition_variable release_cv_;
  bool released_ = false;
};

}  // namespace ctrace::testing
