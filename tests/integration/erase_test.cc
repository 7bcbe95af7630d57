// The 30-day erase (tracing.md §8, issue 4), end to end on the real binary ($CTRACE_BIN) and
// real RocksDB:
//   - expired data is invisible at once: a service restarted with a later `--clock fixed:`
//     answers as the reference model computed on the live events only;
//   - an erase pass (`ctrace erase` on a stopped data directory) leaves not one byte of an
//     expired identity in any file under --data, while the live identities stay readable, and
//     no live file of a time-keyed column family lies wholly before the cut;
//   - the same after the pass is SIGKILLed at random moments: the next pass completes it;
//   - disk use at steady state stays within 1.5x of one 30-day set.
//
// Every identity carries a marker saying whether it must be gone after the erase: persons
// XPIRED…, venues XVENUE…, event ids XEVENT… (expired), and LPERSN…/SPANPR… persons, LVENUE…/
// SHARED… venues, LEVENT… event ids and LDEADL… dead letters (live). The files are scanned
// byte by byte for the prefixes, so a marker anywhere (SST, WAL, MANIFEST, info LOG, dead
// letters, alerts) is found; compression is off so that nothing hides from the scan.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/metadata.h>
#include <rocksdb/options.h>

#include "tests/support/api_json.h"
#include "tests/support/json_diff.h"
#include "tests/support/reference_model.h"
#include "tests/support/serve_process.h"
#include "tests/support/service_queries.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace ctrace::test_support {
namespace {

using nlohmann::json;
using Clk = std::chrono::steady_clock;

// ---- the marked data set -----------------------------------------------------------------

// Day 0 of the event time; events span kDays days; the clock is finally moved to kFinalNow, so
// that events before kCut (days 0..kCutDay-1) are past retention.
const Millis kD0 = UtcMillis(2026, 9, 1);
constexpr int kDays = 40;
constexpr int kCutDay = 15;
const Millis kCut = kD0 + kCutDay * kMsDay;
const Millis kFinalNow = kCut + 30 * kMsDay;  // D0 + 45 days
constexpr int kBatches = 4;                   // ingested at D0+10d, +20d, +30d, +40d

const std::vector<std::string> kExpiredPrefixes = {"XPIRED", "XVENUE", "XEVENT"};
const std::vector<std::string> kLivePrefixes = {"LPERSN", "SPANPR", "LVENUE", "SHARED", "LEVENT", "LDEADL"};
constexpr size_t kMarkerLen = 6 + 16;  // prefix + 16 hex digits

std::string Clock(Millis now) { return "fixed:" + FormatRfc3339(now); }

struct MarkedOptions {
  uint64_t seed = 7;
  int expired_people = 24;  // active on days < kCutDay only
  int span_people = 24;     // active on every day
  int live_people = 24;     // active on days >= kCutDay only
  int expired_venues = 6;   // visited on days < kCutDay only
  int live_venues = 6;      // visited on days >= kCutDay only
  int shared_venues = 4;    // visited on every day
  double positives_per_day = 0.6;
  int days = kDays;
  bool bad_lines = true;    // the malformed and too_old lines (and a live dead letter)
};

struct MarkedData {
  std::vector<std::vector<std::string>> days;  // good lines per event day
  std::vector<std::string> bad_first;          // sent with the first batch
  std::vector<std::string> bad_last;           // sent with the last batch
  std::set<std::string> expired;               // every identity that must be gone
  std::set<std::string> live;                  // every identity that must remain
  size_t expired_events = 0;                   // accepted events with a time before kCut
  size_t events = 0;                           // accepted events
};

class MarkedBuilder {
 public:
  explicit MarkedBuilder(const MarkedOptions& o) : o_(o), rng_(o.seed) {}

  MarkedData Build() {
    for (int i = 0; i < o_.expired_people; ++i) expired_people_.push_back(Marker("XPIRED"));
    for (int i = 0; i < o_.span_people; ++i) span_people_.push_back(Marker("SPANPR"));
    for (int i = 0; i < o_.live_people; ++i) live_people_.push_back(Marker("LPERSN"));
    for (int i = 0; i < o_.expired_venues; ++i) expired_venues_.push_back(Marker("XVENUE"));
    for (int i = 0; i < o_.live_venues; ++i) live_venues_.push_back(Marker("LVENUE"));
    for (int i = 0; i < o_.shared_venues; ++i) shared_venues_.push_back(Marker("SHARED"));
    data_.days.resize(static_cast<size_t>(o_.days));
    for (int d = 0; d < o_.days; ++d) Day(d);
    // Visits across the cut: the check-in expires, the check-out stays live.
    for (size_t i = 0; i < 2 && i < span_people_.size() && o_.days > kCutDay; ++i) {
      const std::string& venue = shared_venues_.empty() ? live_venues_.front() : shared_venues_.front();
      Visit(kCutDay - 1, span_people_[i], venue, kCut - 30 * kMsMinute, kCut + 40 * kMsMinute, true);
    }
    if (o_.bad_lines) BadLines();
    for (const std::string& id : maybe_expired_) {
      if (data_.live.count(id) == 0) data_.expired.insert(id);
    }
    return std::move(data_);
  }

 private:
  std::string Marker(const std::string& prefix) {
    static const char* kHex = "0123456789abcdef";
    std::string out = prefix;
    const uint64_t v = rng_();
    for (int i = 0; i < 16; ++i) out.push_back(kHex[(v >> (4 * i)) & 15]);
    return out;
  }
  int64_t Range(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[static_cast<size_t>(Range(0, static_cast<int64_t>(v.size()) - 1))]; }

  // Records an accepted event and returns its id.
  std::string Emit(int day, json event, Millis time, const std::string& person, const std::string& venue) {
    const bool expired = time < kCut;
    const std::string id = Marker(expired ? "XEVENT" : "LEVENT");
    event["id"] = id;
    event["person"] = person;
    if (!venue.empty()) event["venue"] = venue;
    data_.days[static_cast<size_t>(day)].push_back(event.dump());
    ++data_.events;
    if (expired) {
      ++data_.expired_events;
      data_.expired.insert(id);
      maybe_expired_.insert(person);
      if (!venue.empty()) maybe_expired_.insert(venue);
    } else {
      data_.live.insert(id);
      data_.live.insert(person);
      if (!venue.empty()) data_.live.insert(venue);
    }
    return id;
  }

  void Visit(int day, const std::string& person, const std::string& venue, Millis start, Millis end,
             bool checkout) {
    Emit(day, json{{"type", "checkin"}, {"ts", FormatRfc3339(start)}}, start, person, venue);
    if (checkout) Emit(day, json{{"type", "checkout"}, {"ts", FormatRfc3339(end)}}, end, person, venue);
  }

  void Day(int d) {
    const Millis day = kD0 + d * kMsDay;
    const bool before_cut = d < kCutDay;
    std::vector<std::string> people = span_people_;
    const auto& own = before_cut ? expired_people_ : live_people_;
    people.insert(people.end(), own.begin(), own.end());
    std::vector<std::string> venues = shared_venues_;
    const auto& own_venues = before_cut ? expired_venues_ : live_venues_;
    venues.insert(venues.end(), own_venues.begin(), own_venues.end());
    if (people.empty() || venues.empty()) return;
    for (const std::string& person : people) {
      const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
      const int visits = r < 0.25 ? 0 : r < 0.8 ? 1 : 2;
      for (int k = 0; k < visits; ++k) {
        // Ends by 19:30, so that a day's events are never ahead of its batch's clock.
        const Millis start = day + 8 * kMsHour + k * 6 * kMsHour + Range(0, 180) * kMsMinute;
        const Millis end = start + Range(20, 150) * kMsMinute;
        Visit(d, person, Pick(venues), start, end, Chance(0.8));
      }
    }
    if (Chance(o_.positives_per_day)) {
      std::string person;
      for (int tries = 0; tries < 10 && person.empty(); ++tries) {
        const std::string& p = Pick(people);
        if (cases_.insert(p).second) person = p;
      }
      if (!person.empty()) {
        const Millis sampled = day + 9 * kMsHour + Range(0, 120) * kMsMinute;
        if (Chance(0.5)) {
          const Millis ts = sampled - kMsHour;
          Emit(d, json{{"type", "declaration"}, {"ts", FormatRfc3339(ts)},
                       {"onset", FormatRfc3339(sampled - 30 * kMsHour)}, {"symptoms", {"fever"}}},
               ts, person, "");
        }
        Emit(d, json{{"type", "test_result"}, {"sampled_at", FormatRfc3339(sampled)},
                     {"resulted_at", FormatRfc3339(sampled + 6 * kMsHour)}, {"result", "positive"},
                     {"kind", "pcr"}},
             sampled, person, "");
      }
    }
    if (Chance(0.5)) {
      const Millis sampled = day + 10 * kMsHour;
      Emit(d, json{{"type", "test_result"}, {"sampled_at", FormatRfc3339(sampled)}, {"result", "negative"}},
           sampled, Pick(people), "");
    }
  }

  void BadLines() {
    // Malformed (cut off), received at D0+10d: its dead letter expires with the first days.
    const std::string p1 = Marker("XPIRED"), e1 = Marker("XEVENT");
    data_.bad_first.push_back(R"({"type":"checkin","id":")" + e1 + R"(","person":")" + p1 +
                              R"(","venue":"V1","ts":"2026-09-03T10:00:00Z")");
    data_.expired.insert(p1);
    data_.expired.insert(e1);
    // too_old at D0+40d (event time D0+5d): its dead letter goes at the next pass.
    const std::string p2 = Marker("XPIRED"), e2 = Marker("XEVENT"), v2 = Marker("XVENUE");
    data_.bad_last.push_back(json{{"type", "checkin"}, {"id", e2}, {"person", p2}, {"venue", v2},
                                  {"ts", FormatRfc3339(kD0 + 5 * kMsDay + 9 * kMsHour)}}.dump());
    data_.expired.insert(p2);
    data_.expired.insert(e2);
    data_.expired.insert(v2);
    // Malformed, received at D0+40d: a live dead letter (the scan must see it).
    const std::string p3 = Marker("LDEADL");
    data_.bad_last.push_back(R"({"type":"checkin","id":"bad-2","person":")" + p3 + R"(",)");
    data_.live.insert(p3);
  }

  MarkedOptions o_;
  std::mt19937_64 rng_;
  MarkedData data_;
  std::vector<std::string> expired_people_, span_people_, live_people_;
  std::vector<std::string> expired_venues_, live_venues_, shared_venues_;
  std::set<std::string> cases_;
  std::set<std::string> maybe_expired_;
};

MarkedData MakeMarkedData(const MarkedOptions& options) { return MarkedBuilder(options).Build(); }

// The batches of `data` (days [10b, 10b+10)) and the clock each is ingested at.
std::vector<std::vector<std::string>> Batches(const MarkedData& data) {
  std::vector<std::vector<std::string>> batches(kBatches);
  for (size_t d = 0; d < data.days.size(); ++d) {
    auto& batch = batches[std::min<size_t>(d / 10, kBatches - 1)];
    batch.insert(batch.end(), data.days[d].begin(), data.days[d].end());
  }
  batches.front().insert(batches.front().begin() + 1, data.bad_first.begin(), data.bad_first.end());
  batches.back().insert(batches.back().begin() + 1, data.bad_last.begin(), data.bad_last.end());
  return batches;
}
Millis BatchClock(size_t b) { return kD0 + static_cast<Millis>(10 * (b + 1)) * kMsDay; }

// The reference at `now`, fed every batch: events before now - retention are then too_old, so
// it holds exactly the events live at `now`.
std::unique_ptr<ReferenceModel> ModelAt(const MarkedData& data, Millis now) {
  auto model = std::make_unique<ReferenceModel>(ReferenceParams{}, now);
  for (const auto& batch : Batches(data)) (void)model->Ingest(batch);
  return model;
}

// ---- running the binary ------------------------------------------------------------------

std::string Binary() {
  const char* bin = std::getenv("CTRACE_BIN");
  return bin == nullptr ? "" : bin;
}

// Starts `ctrace ARGS...` with stdout and stderr to files; returns the pid (-1 on failure).
pid_t Spawn(const std::vector<std::string>& args, const std::string& out_path, const std::string& err_path) {
  std::vector<std::string> full = {Binary()};
  full.insert(full.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> env_strings;
  std::vector<char*> envp;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string_view(*e).starts_with("CTRACE_")) continue;  // flags from a developer's shell
    env_strings.emplace_back(*e);
  }
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, full[0].c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct CommandResult {
  int status = -1;  // waitpid status
  std::string out, err;
  double seconds = 0;
  bool ok() const { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }
  std::string Describe() const { return DescribeExit(status) + "\nstdout:\n" + out + "\nstderr:\n" + err; }
};

CommandResult RunCtrace(const std::vector<std::string>& args) {
  TempDir io("ctrace-erase-io-");
  CommandResult result;
  const auto started = Clk::now();
  const pid_t pid = Spawn(args, io.Sub("out").string(), io.Sub("err").string());
  if (pid > 0) waitpid(pid, &result.status, 0);
  result.seconds = std::chrono::duration<double>(Clk::now() - started).count();
  result.out = ReadFile(io.Sub("out"));
  result.err = ReadFile(io.Sub("err"));
  return result;
}

// `ctrace erase` on a stopped data directory; the answer's JSON line in *report.
CommandResult RunErase(const std::string& dir, Millis now, bool compression, json* report) {
  CommandResult r = RunCtrace({"erase", "--data", dir, "--clock", Clock(now), "--compression",
                               compression ? "true" : "false"});
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("{")) *report = json::parse(line, nullptr, false);
  }
  return r;
}

ServeOptions ServeAt(const std::string& dir, Millis now, bool compression) {
  return {.data_dir = dir,
          .clock = Clock(now),
          .extra_flags = {"--compression", compression ? "true" : "false", "--erase-interval", "0"}};
}

// Feeds the batches through `ctrace serve`, each at its own clock (a restart per batch); the
// answers must be the reference's.
void FeedLive(const MarkedData& data, const std::string& dir, bool compression) {
  const auto batches = Batches(data);
  for (size_t b = 0; b < batches.size(); ++b) {
    SCOPED_TRACE("batch " + std::to_string(b) + " at " + FormatRfc3339(BatchClock(b)));
    ServeProcess serve(ServeAt(dir, BatchClock(b), compression));
    const Status started = serve.Start();
    ASSERT_TRUE(started.ok()) << started.message();
    ReferenceModel model(ReferenceParams{}, BatchClock(b));
    const RefIngestOutcome want = model.Ingest(batches[b]);
    json answer;
    const Status posted = PostNdjson(serve.client(), batches[b], /*wait_applied=*/true, &answer);
    ASSERT_TRUE(posted.ok()) << posted.message() << "\n" << serve.LogTail();
    EXPECT_EQ(JsonDiff(IngestJson(want), PickIngest(answer), "ingest"), "");
    const Status stopped = serve.Stop();
    ASSERT_TRUE(stopped.ok()) << stopped.message();
  }
}

// Feeds the batches with `ctrace ingest` into the stopped directory, then lets `ctrace serve`
// (at the last batch's clock) apply them all.
void FeedOffline(const MarkedData& data, const std::string& dir, bool compression) {
  const auto batches = Batches(data);
  TempDir files("ctrace-erase-feed-");
  for (size_t b = 0; b < batches.size(); ++b) {
    const auto path = files.Sub("batch" + std::to_string(b) + ".ndjson");
    {
      std::ofstream out(path, std::ios::binary);
      for (const auto& line : batches[b]) out << line << '\n';
    }
    const CommandResult r = RunCtrace({"ingest", "--data", dir, "--clock", Clock(BatchClock(b)),
                                       "--compression", compression ? "true" : "false", path.string()});
    ASSERT_TRUE(r.ok()) << r.Describe();
  }
  ServeProcess serve(ServeAt(dir, BatchClock(batches.size() - 1), compression));
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  const auto deadline = Clk::now() + std::chrono::seconds(120);
  while (true) {
    json stats;
    const Status s = GetJson(serve.client(), "/v1/stats", &stats);
    ASSERT_TRUE(s.ok()) << s.message();
    if (stats.value("lag", -1) == 0 && stats.value("applied", 0) == stats.value("log_end", -1)) break;
    ASSERT_LT(Clk::now(), deadline) << "not applied in time: " << stats.dump();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const Status stopped = serve.Stop();
  ASSERT_TRUE(stopped.ok()) << stopped.message();
}

// ---- comparing the service with the reference --------------------------------------------

// Every expired marker in `text` (prefix and the 16 digits after it), at most `max`.
std::vector<std::string> ExpiredMarkersIn(std::string_view text, size_t max = 20) {
  std::vector<std::string> found;
  for (const std::string& prefix : kExpiredPrefixes) {
    for (size_t at = text.find(prefix); at != std::string_view::npos && found.size() < max;
         at = text.find(prefix, at + 1)) {
      found.emplace_back(text.substr(at, kMarkerLen));
    }
  }
  return found;
}

class Comparison {
 public:
  Comparison(HttpClient& client, ReferenceModel& model) : client_(client), model_(model) {}

  std::string Run(const MarkedData& data, ReferenceModel* before) {
    for (int k = 1; k <= model_.params().max_depth; ++k) {
      json got;
      const std::string base = "/v1/exposed?level=" + std::to_string(k) + "&";
      if (!Pages(base, "persons", &got)) continue;
      for (json& p : got) p = Pick(p, {"person", "exposed_at", "via"});
      Add("GET " + base, JsonDiff(LevelJson(model_, k), got, "persons"));
    }
    json cases;
    if (Pages("/v1/cases?", "cases", &cases)) {
      for (json& c : cases) {
        c = Pick(c, {"person", "sampled_at", "window", "linked_from"});
        if (c.contains("window")) c["window"] = Pick(c["window"], {"start", "end"});
      }
      Add("GET /v1/cases", JsonDiff(CasesJson(model_), cases, "cases"));
    }
    json clusters;
    if (Get("/v1/clusters", &clusters)) {
      json got = clusters.value("clusters", json());
      if (got.is_array()) {
        for (json& c : got) c = Pick(c, {"id", "cases"});
      }
      Add("GET /v1/clusters", JsonDiff(ClustersJson(model_), got, "clusters"));
    }
    for (const RefCase& c : model_.Cases()) Chain(c.person);
    // The cases that expired have no chain, and the people who expired no data.
    if (before != nullptr) {
      for (const RefCase& c : before->Cases()) {
        if (model_.FindCase(c.person) == nullptr) {
          Check(ExpectStatus(client_, "/v1/cases/" + UrlEncode(c.person) + "/chain", 404), "chain of an expired case");
        }
      }
    }
    const std::set<std::string> persons = model_.Persons();
    for (const std::string& id : data.expired) {
      if (id.starts_with("XPIRED")) Check(ExpectStatus(client_, "/v1/persons/" + UrlEncode(id), 404), id);
    }
    for (const std::string& person : persons) Person(person);
    const std::string from = UrlEncode(FormatRfc3339(kD0 - kMsDay));
    const std::string to = UrlEncode(FormatRfc3339(kFinalNow + kMsDay));
    std::set<std::string> venues = model_.Venues();
    for (const std::string& id : data.expired) {
      if (id.starts_with("XVENUE")) venues.insert(id);
    }
    for (const std::string& venue : venues) {
      const std::string base = "/v1/venues/" + UrlEncode(venue) + "/visits?from=" + from + "&to=" + to + "&";
      json got;
      if (!Pages(base, "visits", &got)) continue;
      for (json& v : got) v = Pick(v, {"person", "start", "end", "checked_out"});
      json want = json::array();
      for (const RefVisit& v : model_.VenueVisits(venue, kD0 - kMsDay, kFinalNow + kMsDay)) {
        want.push_back(VenueVisitJson(v));
      }
      Add("GET " + base, JsonDiff(want, got, "visits"));
    }
    Stats();
    return diffs_;
  }

 private:
  void Add(const std::string& what, const std::string& diff) {
    if (!diff.empty()) diffs_ += what + ":\n" + diff;
  }
  void Check(const Status& s, const std::string& what) {
    if (!s.ok()) diffs_ += what + ": " + s.message() + "\n";
  }
  void NoExpired(const json& answer, const std::string& what) {
    const auto found = ExpiredMarkersIn(answer.dump(), 3);
    for (const auto& m : found) diffs_ += what + ": answer holds expired identity " + m + "\n";
  }
  bool Get(const std::string& target, json* out) {
    const Status s = GetJson(client_, target, out);
    Check(s, "GET " + target);
    if (s.ok()) NoExpired(*out, "GET " + target);
    return s.ok();
  }
  bool Pages(const std::string& base, const std::string& field, json* out) {
    const Status s = GetAllPages(client_, base, field, 50, out);
    Check(s, "GET " + base);
    if (s.ok()) NoExpired(*out, "GET " + base);
    return s.ok();
  }

  void Chain(const std::string& root) {
    const int depth = model_.params().max_depth;
    json answer;
    const std::string target = "/v1/cases/" + UrlEncode(root) + "/chain";
    if (!Get(target, &answer)) return;
    json nodes = answer.value("nodes", json());
    if (!nodes.is_array()) return Add("GET " + target, "nodes: not an array\n");
    for (json& n : nodes) n = Pick(n, {"person", "level", "exposed_at", "is_case"});
    std::sort(nodes.begin(), nodes.end(),
              [](const json& a, const json& b) { return a.value("person", "") < b.value("person", ""); });
    Add("GET " + target, JsonDiff(ChainJson(model_, root, depth, true), nodes, "nodes"));
  }

  void Person(const std::string& person) {
    const std::string target = "/v1/persons/" + UrlEncode(person);
    json answer;
    if (!Get(target, &answer)) return;
    json got = Pick(answer, {"person", "level", "exposed_at", "via", "case", "visits"});
    if (!got.contains("exposed_at")) got["exposed_at"] = nullptr;
    if (!got.contains("via") || got["via"].is_null()) got["via"] = json::array();
    if (got["case"].is_object()) {
      got["case"] = Pick(got["case"], {"sampled_at", "resulted_at", "onset", "window"});
      for (const char* f : {"resulted_at", "onset"}) {
        if (!got["case"].contains(f)) got["case"][f] = nullptr;
      }
      if (got["case"].contains("window")) got["case"]["window"] = Pick(got["case"]["window"], {"start", "end"});
    }
    if (got["visits"].is_array()) {
      for (json& v : got["visits"]) v = Pick(v, {"venue", "start", "end", "checked_out"});
    }
    const auto& levels = model_.Levels();
    const auto it = levels.find(person);
    json want;
    want["person"] = person;
    want["level"] = it == levels.end() ? json(nullptr) : json(it->second.level);
    want["exposed_at"] = it == levels.end() ? json(nullptr) : TimeJson(it->second.exposed_at);
    want["via"] = it == levels.end() ? json::array() : json(it->second.via);
    const RefCase* c = model_.FindCase(person);
    if (c == nullptr) {
      want["case"] = nullptr;
    } else {
      want["case"] = {{"sampled_at", FormatRfc3339(c->sampled_at)},
                      {"resulted_at", TimeJson(c->resulted_at)},
                      {"onset", TimeJson(c->onset)},
                      {"window", {{"start", FormatRfc3339(c->window.start)}, {"end", FormatRfc3339(c->window.end)}}}};
    }
    want["visits"] = json::array();
    for (const RefVisit& v : model_.PersonVisits(person)) want["visits"].push_back(PersonVisitJson(v));
    Add("GET " + target, JsonDiff(want, got, "person"));
  }

  void Stats() {
    json stats;
    if (!Get("/v1/stats", &stats)) return;
    std::map<int, int> by_level;
    for (const auto& [person, e] : model_.Levels()) ++by_level[e.level];
    json want = {{"cases", model_.Cases().size()}, {"visits", model_.Visits().size()}};
    json got = {{"cases", stats.value("cases", json())}, {"visits", stats.value("visits", json())}};
    for (int k = 0; k <= model_.params().max_depth; ++k) {
      want["level" + std::to_string(k)] = by_level[k];
      got["level" + std::to_string(k)] = stats["persons_by_level"].value(std::to_string(k), json());
    }
    Add("GET /v1/stats", JsonDiff(want, got, "stats"));
  }

  HttpClient& client_;
  ReferenceModel& model_;
  std::string diffs_;
};

// ---- scanning the data directory ---------------------------------------------------------

struct Scan {
  std::map<std::string, std::set<std::string>> expired_hits;  // file -> markers found
  std::set<std::string> live_found;                           // full live markers found
  size_t files = 0;
  int64_t bytes = 0;

  std::string DescribeExpired() const {
    std::string out;
    for (const auto& [file, markers] : expired_hits) {
      out += "  " + file + ":";
      size_t shown = 0;
      for (const auto& m : markers) {
        if (shown++ == 5) {
          out += " ... (" + std::to_string(markers.size()) + " in all)";
          break;
        }
        out += " " + m;
      }
      out += "\n";
    }
    return out;
  }
};

// Reads every byte of every file under `dir`.
Scan ScanDirectory(const std::filesystem::path& dir) {
  Scan scan;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string content = ReadFile(entry.path());
    ++scan.files;
    scan.bytes += static_cast<int64_t>(content.size());
    const std::string rel = std::filesystem::relative(entry.path(), dir).string();
    for (const std::string& m : ExpiredMarkersIn(content, SIZE_MAX)) scan.expired_hits[rel].insert(m);
    for (const std::string& prefix : kLivePrefixes) {
      for (size_t at = content.find(prefix); at != std::string::npos; at = content.find(prefix, at + 1)) {
        if (at + kMarkerLen <= content.size()) scan.live_found.insert(content.substr(at, kMarkerLen));
      }
    }
  }
  return scan;
}

std::vector<std::string> Missing(const std::set<std::string>& want, const std::set<std::string>& found) {
  std::vector<std::string> missing;
  std::set_difference(want.begin(), want.end(), found.begin(), found.end(), std::back_inserter(missing));
  return missing;
}

// ---- RocksDB metadata --------------------------------------------------------------------

Millis KeyTime(const std::string& key) {
  uint64_t be = 0;
  for (size_t i = 0; i < 8; ++i) be = (be << 8) | static_cast<unsigned char>(key[i]);
  return static_cast<Millis>(be ^ (uint64_t{1} << 63));
}

// Opens the RocksDB instance in `dir` read-only and describes every live file of the column
// families `cfs` (keys starting with an 8-byte sign-flipped big-endian time) that holds a time
// before `cut`. Sets *files to the number of files seen.
std::string FilesBefore(const std::string& dir, const std::vector<std::string>& cfs, Millis cut, size_t* files) {
  *files = 0;
  std::vector<std::string> names;
  rocksdb::DBOptions options;
  auto status = rocksdb::DB::ListColumnFamilies(options, dir, &names);
  if (!status.ok()) return "list column families of " + dir + ": " + status.ToString() + "\n";
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  status = rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &handles, &raw);
  if (!status.ok()) return "open " + dir + " read-only: " + status.ToString() + "\n";
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string problems;
  for (const std::string& cf_name : cfs) {
    const auto it = std::find(names.begin(), names.end(), cf_name);
    if (it == names.end()) {
      problems += dir + ": no column family " + cf_name + "\n";
      continue;
    }
    rocksdb::ColumnFamilyMetaData meta;
    db->GetColumnFamilyMetaData(handles[static_cast<size_t>(it - names.begin())], &meta);
    for (const auto& level : meta.levels) {
      for (const auto& file : level.files) {
        ++*files;
        if (file.smallestkey.size() < 8 || file.largestkey.size() < 8) {
          problems += dir + " " + cf_name + " " + file.name + ": key shorter than a time\n";
          continue;
        }
        const Millis smallest = KeyTime(file.smallestkey), largest = KeyTime(file.largestkey);
        if (largest < cut) {
          problems += dir + " " + cf_name + " " + file.name + " (L" + std::to_string(level.level) +
                      ") lies wholly before the cut: " + FormatRfc3339(smallest) + " .. " +
                      FormatRfc3339(largest) + "\n";
        } else if (smallest < cut) {
          problems += dir + " " + cf_name + " " + file.name + " (L" + std::to_string(level.level) +
                      ") still starts before the cut: " + FormatRfc3339(smallest) + "\n";
        }
      }
    }
  }
  for (auto* h : handles) db->DestroyColumnFamilyHandle(h);
  db->Close();
  return problems;
}

// The bytes of live SST files per column family of the RocksDB instance in `dir` (read-only).
std::map<std::string, uint64_t> CfBytes(const std::string& dir) {
  std::map<std::string, uint64_t> out;
  std::vector<std::string> names;
  rocksdb::DBOptions options;
  if (!rocksdb::DB::ListColumnFamilies(options, dir, &names).ok()) return out;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const auto& name : names) descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  if (!rocksdb::DB::OpenForReadOnly(options, dir, descriptors, &handles, &raw).ok()) return out;
  for (size_t i = 0; i < handles.size(); ++i) {
    rocksdb::ColumnFamilyMetaData meta;
    raw->GetColumnFamilyMetaData(handles[i], &meta);
    out[names[i]] = meta.size;
  }
  for (auto* h : handles) raw->DestroyColumnFamilyHandle(h);
  delete raw;
  return out;
}

// Everything an erased directory must show: no expired marker in any byte, every live marker
// still there, no time-keyed file before the cut.
void ExpectErased(const MarkedData& data, const std::filesystem::path& dir) {
  const Scan scan = ScanDirectory(dir);
  EXPECT_TRUE(scan.expired_hits.empty()) << "expired identities left in " << scan.expired_hits.size()
                                         << " file(s):\n" << scan.DescribeExpired();
  const auto missing = Missing(data.live, scan.live_found);
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << data.live.size()
                               << " live identities not found, e.g. " << missing.front();
  size_t state_files = 0, log_files = 0;
  EXPECT_EQ(FilesBefore((dir / "state").string(), {"expiry"}, kCut, &state_files), "");
  EXPECT_EQ(FilesBefore((dir / "log").string(), {"by_time", "deadletter"}, kCut, &log_files), "");
  EXPECT_GE(state_files, 1u);
  EXPECT_GE(log_files, 1u);
}

// The data set must exercise what it is meant to: cases, levels and links before the cut,
// and derived state that changes when the first days expire.
void CheckDataSet(const MarkedData& data, ReferenceModel& all, ReferenceModel& live) {
  size_t links = 0;
  for (const RefCase& c : all.Cases()) links += c.linked_from.size();
  ASSERT_GE(links, 1u) << "no case links";
  ASSERT_FALSE(all.AtLevel(2).empty()) << "no F2";
  size_t expired_cases = 0;
  for (const RefCase& c : all.Cases()) expired_cases += c.person.starts_with("XPIRED");
  ASSERT_GE(expired_cases, 1u) << "no case among the expired people";
  ASSERT_GE(live.Cases().size(), 2u);
  ASSERT_FALSE(live.AtLevel(1).empty()) << "no live F1";
  size_t changed = 0;
  for (const std::string& p : live.Persons()) {
    const auto a = all.Levels().find(p), b = live.Levels().find(p);
    const int la = a == all.Levels().end() ? -1 : a->second.level;
    const int lb = b == live.Levels().end() ? -1 : b->second.level;
    changed += la != lb || (a != all.Levels().end() && b != live.Levels().end() && a->second.via != b->second.via);
  }
  ASSERT_GE(changed, 1u) << "no live person's level depends on expired events";
  std::cout << "[ data     ] " << data.events << " events (" << data.expired_events << " expire), "
            << all.Cases().size() << " cases / " << all.AtLevel(1).size() << " F1 / " << all.AtLevel(2).size()
            << " F2 / " << links << " links before; " << live.Cases().size() << " / " << live.AtLevel(1).size()
            << " / " << live.AtLevel(2).size() << " live; " << changed << " live people's level or via changed\n";
  for (const auto& id : data.expired) {
    ASSERT_TRUE(ExpiredMarkersIn(id).size() == 1) << id;
  }
  for (const auto& id : data.live) {
    ASSERT_TRUE(ExpiredMarkersIn(id).empty()) << id;
  }
}

class EraseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Binary().empty()) GTEST_SKIP() << "CTRACE_BIN is not set";
  }
};

// 1. Expired data is invisible at once: no erase pass has run (--erase-interval 0).
TEST_F(EraseTest, ExpiredDataIsInvisibleAtOnceAndLevelsEqualTheReferenceOnLiveEvents) {
  const MarkedData data = MakeMarkedData({});
  auto all = ModelAt(data, BatchClock(kBatches - 1));
  auto live = ModelAt(data, kFinalNow);
  CheckDataSet(data, *all, *live);
  TempDir dir;
  FeedLive(data, dir.path().string(), false);
  if (HasFatalFailure()) return;
  {
    // Before the clock moves, the service holds everything (a check of the check).
    ServeProcess serve(ServeAt(dir.path().string(), BatchClock(kBatches - 1), false));
    ASSERT_TRUE(serve.Start().ok());
    json stats;
    ASSERT_TRUE(GetJson(serve.client(), "/v1/stats", &stats).ok());
    EXPECT_EQ(stats.value("cases", -1), static_cast<int>(all->Cases().size()));
    ASSERT_TRUE(serve.Stop().ok());
  }
  ServeProcess serve(ServeAt(dir.path().string(), kFinalNow, false));
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  Comparison comparison(serve.client(), *live);
  EXPECT_EQ(comparison.Run(data, all.get()), "") << serve.LogTail();
  ASSERT_TRUE(serve.Stop().ok());
}

// 2. After `ctrace erase`, not one byte of an expired identity is left under --data.
TEST_F(EraseTest, EraseLeavesNoByteOfAnExpiredIdentity) {
  const MarkedData data = MakeMarkedData({});
  auto all = ModelAt(data, BatchClock(kBatches - 1));
  auto live = ModelAt(data, kFinalNow);
  CheckDataSet(data, *all, *live);
  TempDir dir;
  FeedLive(data, dir.path().string(), false);
  if (HasFatalFailure()) return;
  {
    // The service at the later clock expires what is past retention (not yet erased).
    ServeProcess serve(ServeAt(dir.path().string(), kFinalNow, false));
    ASSERT_TRUE(serve.Start().ok());
    ASSERT_TRUE(serve.Stop().ok());
  }
  // The scan sees both kinds of marker before the erase (or it would prove nothing).
  const Scan before = ScanDirectory(dir.path());
  ASSERT_FALSE(before.expired_hits.empty()) << "the scan finds no expired identity before the erase";
  std::cout << "[ scan     ] before the erase, expired identities in:";
  for (const auto& [file, markers] : before.expired_hits) std::cout << " " << file << " (" << markers.size() << ")";
  std::cout << "\n";
  const auto missing_before = Missing(data.live, before.live_found);
  ASSERT_TRUE(missing_before.empty()) << missing_before.size() << " live identities not found";

  json report;
  const CommandResult erased = RunErase(dir.path().string(), kFinalNow, false, &report);
  ASSERT_TRUE(erased.ok()) << erased.Describe();
  ASSERT_TRUE(report.is_object()) << erased.Describe();
  std::cout << "[ erase    ] " << report.dump() << " in " << erased.seconds << " s; " << before.files
            << " files, " << before.bytes << " bytes before\n";
  EXPECT_EQ(report.value("erased_log_events", 0u), data.expired_events);
  EXPECT_GT(report.value("bytes_reclaimed", 0), 0);
  ExpectErased(data, dir.path());

  // The live data is intact: the service still answers as the reference.
  ServeProcess serve(ServeAt(dir.path().string(), kFinalNow, false));
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  Comparison comparison(serve.client(), *live);
  EXPECT_EQ(comparison.Run(data, all.get()), "") << serve.LogTail();
  ASSERT_TRUE(serve.Stop().ok());
  // A second pass finds nothing more to erase.
  json again;
  const CommandResult second = RunErase(dir.path().string(), kFinalNow, false, &again);
  ASSERT_TRUE(second.ok()) << second.Describe();
  EXPECT_EQ(again.value("erased_events", 1u), 0u);
  EXPECT_EQ(again.value("erased_log_events", 1u), 0u);
  ExpectErased(data, dir.path());
}

// 2b. The same through the running service: POST /v1/admin/erase.
TEST_F(EraseTest, AdminEraseOnTheRunningServiceLeavesNoByteOfAnExpiredIdentity) {
  const MarkedData data = MakeMarkedData({});
  auto all = ModelAt(data, BatchClock(kBatches - 1));
  auto live = ModelAt(data, kFinalNow);
  TempDir dir;
  FeedLive(data, dir.path().string(), false);
  if (HasFatalFailure()) return;
  ServeProcess serve(ServeAt(dir.path().string(), kFinalNow, false));
  const Status started = serve.Start();
  ASSERT_TRUE(started.ok()) << started.message();
  const HttpResponse erased = serve.client().Post("/v1/admin/erase", "", "application/json");
  ASSERT_EQ(erased.status, 200) << erased.body << erased.error << "\n" << serve.LogTail();
  const json report = json::parse(erased.body, nullptr, false);
  std::cout << "[ erase    ] POST /v1/admin/erase: " << report.dump() << "\n";
  EXPECT_EQ(report.value("erased_log_events", 0u), data.expired_events);
  EXPECT_GT(report.value("bytes_reclaimed", 0), 0);
  // The service goes on answering as the reference.
  Comparison comparison(serve.client(), *live);
  EXPECT_EQ(comparison.Run(data, all.get()), "") << serve.LogTail();
  ASSERT_TRUE(serve.Stop().ok());
  ExpectErased(data, dir.path());
}

// 3. An erase pass SIGKILLed at random moments; the next pass completes it.
TEST_F(EraseTest, ErasePassKilledAtRandomMomentsIsCompletedByTheNextPass) {
  MarkedOptions options;
  options.seed = 11;
  options.expired_people = options.span_people = options.live_people = 60;
  options.expired_venues = options.live_venues = 10;
  options.shared_venues = 6;
  options.positives_per_day = 1.0;
  const MarkedData data = MakeMarkedData(options);
  auto live = ModelAt(data, kFinalNow);
  {
    auto all = ModelAt(data, BatchClock(kBatches - 1));
    CheckDataSet(data, *all, *live);
  }
  TempDir pristine;
  FeedOffline(data, pristine.Sub("data").string(), false);
  if (HasFatalFailure()) return;
  const auto copy = [&](const TempDir& to) {
    std::filesystem::copy(pristine.Sub("data"), to.Sub("data"), std::filesystem::copy_options::recursive);
    return to.Sub("data").string();
  };

  // An uninterrupted pass, to know how long one takes.
  TempDir control;
  const std::string control_dir = copy(control);
  json report;
  const CommandResult full = RunErase(control_dir, kFinalNow, false, &report);
  ASSERT_TRUE(full.ok()) << full.Describe();
  std::cout << "[ erase    ] " << data.events << " events, " << data.expired_events << " expired: "
            << report.dump() << " in " << full.seconds << " s (process)\n";
  EXPECT_EQ(report.value("erased_log_events", 0u), data.expired_events);
  ExpectErased(data, control.Sub("data"));

  std::mt19937_64 rng(2024);
  int killed_running = 0;
  constexpr int kTrials = 4;
  for (int trial = 0; trial < kTrials; ++trial) {
    // Spread over the pass: trial k in [k/kTrials, (k+1)/kTrials) of its duration.
    const double fraction =
        (trial + std::uniform_real_distribution<double>(0.05, 0.95)(rng)) / kTrials;
    const auto delay = std::chrono::microseconds(static_cast<int64_t>(full.seconds * fraction * 1e6));
    SCOPED_TRACE("trial " + std::to_string(trial) + ": SIGKILL after " +
                 std::to_string(delay.count() / 1000) + " ms");
    TempDir trial_dir;
    const std::string dir = copy(trial_dir);
    const pid_t pid = Spawn({"erase", "--data", dir, "--clock", Clock(kFinalNow), "--compression", "false"},
                            trial_dir.Sub("out").string(), trial_dir.Sub("err").string());
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(delay);
    int status = 0;
    const bool still_running = waitpid(pid, &status, WNOHANG) == 0;
    if (still_running) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ++killed_running;
    }
    std::cout << "[ crash    ] trial " << trial << ": " << (still_running ? "killed" : "had finished")
              << " after " << delay.count() / 1000 << " ms of " << static_cast<int>(full.seconds * 1000)
              << " ms\n";
    json next;
    const CommandResult completed = RunErase(dir, kFinalNow, false, &next);
    ASSERT_TRUE(completed.ok()) << completed.Describe();
    ExpectErased(data, trial_dir.Sub("data"));
    ServeProcess serve(ServeAt(dir, kFinalNow, false));
    const Status started = serve.Start();
    ASSERT_TRUE(started.ok()) << started.message();
    std::string diffs;
    for (int k = 1; k <= 2; ++k) {
      json got;
      const Status s = GetAllPages(serve.client(), "/v1/exposed?level=" + std::to_string(k) + "&", "persons", 500, &got);
      ASSERT_TRUE(s.ok()) << s.message();
      for (json& p : got) p = Pick(p, {"person", "exposed_at", "via"});
      diffs += JsonDiff(LevelJson(*live, k), got, "level" + std::to_string(k));
    }
    json cases;
    ASSERT_TRUE(GetAllPages(serve.client(), "/v1/cases?", "cases", 500, &cases).ok());
    for (json& c : cases) {
      c = Pick(c, {"person", "sampled_at", "window", "linked_from"});
      if (c.contains("window")) c["window"] = Pick(c["window"], {"start", "end"});
    }
    diffs += JsonDiff(CasesJson(*live), cases, "cases");
    json stats;
    ASSERT_TRUE(GetJson(serve.client(), "/v1/stats", &stats).ok());
    EXPECT_EQ(stats.value("visits", -1), static_cast<int>(live->Visits().size()));
    EXPECT_EQ(diffs, "");
    ASSERT_TRUE(serve.Stop().ok());
  }
  EXPECT_GE(killed_running, kTrials / 2) << "most kills should land while the pass runs";
}

// 4. Disk use at steady state: 30 days retained, then one day added and one expired per step.
TEST_F(EraseTest, DiskUseAtSteadyStateStaysWithinOneAndAHalfThirtyDaySets) {
  MarkedOptions options;
  options.seed = 5;
  options.expired_people = options.live_people = 0;
  options.span_people = 200;
  options.expired_venues = options.live_venues = 0;
  options.shared_venues = 12;
  options.positives_per_day = 1.0;
  options.bad_lines = false;
  const MarkedData data = MakeMarkedData(options);
  TempDir dir;
  const std::string data_dir = dir.Sub("data").string();
  const auto step = [&](Millis now, int first_day, int last_day, int64_t* size) {
    ServeProcess serve({.data_dir = data_dir, .clock = Clock(now), .extra_flags = {"--erase-interval", "0"}});
    const Status started = serve.Start();
    ASSERT_TRUE(started.ok()) << started.message();
    std::vector<std::string> lines;
    for (int d = first_day; d <= last_day; ++d) {
      lines.insert(lines.end(), data.days[static_cast<size_t>(d)].begin(), data.days[static_cast<size_t>(d)].end());
    }
    json answer;
    const Status posted = PostNdjson(serve.client(), lines, true, &answer);
    ASSERT_TRUE(posted.ok()) << posted.message();
    EXPECT_EQ(answer.value("accepted", 0u), lines.size());
    ASSERT_TRUE(serve.Stop().ok());
    json report;
    const CommandResult erased = RunErase(data_dir, now, true, &report);
    ASSERT_TRUE(erased.ok()) << erased.Describe();
    *size = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(data_dir)) {
      if (e.is_regular_file()) *size += static_cast<int64_t>(e.file_size());
    }
    std::cout << "[ disk     ] now " << FormatRfc3339(now) << ": days " << first_day << ".." << last_day
              << " added, " << report.dump() << ", " << *size << " bytes\n";
  };
  int64_t base = 0;
  step(kD0 + 30 * kMsDay, 0, 29, &base);
  if (HasFatalFailure()) return;
  ASSERT_GT(base, 0);
  const auto state_base = CfBytes(data_dir + "/state"), log_base = CfBytes(data_dir + "/log");
  int64_t largest = 0;
  for (int i = 1; i <= 10; ++i) {
    int64_t size = 0;
    step(kD0 + (30 + i) * kMsDay, 29 + i, 29 + i, &size);
    if (HasFatalFailure()) return;
    largest = std::max(largest, size);
    EXPECT_LE(size, base * 3 / 2) << "step " << i << ": " << size << " bytes vs one 30-day set of " << base;
  }
  const auto state_end = CfBytes(data_dir + "/state"), log_end = CfBytes(data_dir + "/log");
  std::cout << "[ disk     ] column families that grew (bytes at the first and the last step):";
  for (const auto& [which, before, after] : {std::tuple{"state/", &state_base, &state_end},
                                              std::tuple{"log/", &log_base, &log_end}}) {
    for (const auto& [cf, bytes] : *after) {
      const uint64_t was = before->count(cf) ? before->at(cf) : 0;
      if (bytes > was + 4096) std::cout << " " << which << cf << " " << was << " -> " << bytes;
    }
  }
  std::cout << "\n";
  std::cout << "[ disk     ] one 30-day set: " << base << " bytes; largest at steady state: " << largest
            << " bytes (" << static_cast<double>(largest) / static_cast<double>(base) << "x)\n";
}

}  // namespace
}  // namespace ctrace::test_support
