// What queries answer: plain structs the API turns into JSON (api.md). Times are TimeMs;
// "no value" is std::nullopt. Person and venue ids are the raw ids.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/event.h"
#include "model/time.h"

namespace ctrace {

struct Window {
  TimeMs start = 0;
  TimeMs end = 0;
  bool operator==(const Window&) const = default;
};

struct CaseInfo {
  TimeMs sampled_at = 0;                // of the index test
  std::optional<TimeMs> resulted_at;    // of the index test
  std::optional<TimeMs> onset;          // the onset that counted, if any
  Window window;                        // W0
  bool operator==(const CaseInfo&) const = default;
};

struct VisitView {
  std::string person;
  std::string venue;
  TimeMs start = 0;
  TimeMs end = 0;
  bool checked_out = false;
};

struct TestView {
  std::string id;
  TimeMs sampled_at = 0;
  std::optional<TimeMs> resulted_at;
  TestOutcome result = TestOutcome::kNegative;
  TestKind kind = TestKind::kUnspecified;
};

// One qualifying contact: `person` (at `level`) met the subject at `venue` during
// [start, end), the clipped overlap; `start` is the contact time.
struct ContactView {
  std::string person;
  int level = 0;
  std::string venue;
  TimeMs start = 0;
  TimeMs end = 0;
};

struct PersonView {
  std::string person;
  std::optional<int> level;            // nullopt: no level
  std::optional<TimeMs> exposed_at;    // for levels >= 1
  std::vector<std::string> via;        // sorted by person id
  std::optional<CaseInfo> case_info;   // set for cases
  std::vector<VisitView> visits;       // ordered by start
  std::vector<TestView> tests;         // ordered by sampled_at, then id
  std::vector<ContactView> contacts;   // ordered by start, then person
};

struct ExposedEntry {
  std::string person;
  TimeMs exposed_at = 0;
  std::vector<std::string> via;  // sorted
};

struct ExposedPage {
  std::vector<ExposedEntry> persons;     // ordered by person id
  std::optional<std::string> next_after; // the last person id of this page when more follow
};

struct CaseEntry {
  std::string person;
  CaseInfo info;
  std::vector<std::string> linked_from;  // sorted
};

struct CasesPage {
  std::vector<CaseEntry> cases;          // ordered by person id
  std::optional<std::string> next_after;
};

struct ChainNode {
  std::string person;
  int level = 0;
  std::optional<TimeMs> exposed_at;  // nullopt for the root
  bool is_case = false;
};

struct ChainEdge {
  std::string from;
  std::string to;
  std::string venue;
  TimeMs start = 0;
  TimeMs end = 0;
};

struct ChainView {
  std::string root;
  std::vector<ChainNode> nodes;  // ordered by person id
  std::vector<ChainEdge> edges;  // ordered by to's level, to, start, from
};

struct ClusterLink {
  std::string from;
  std::string to;
};

struct ClusterView {
  std::string id;                  // the smallest case id in it
  std::vector<std::string> cases;  // sorted
  std::vector<ClusterLink> links;  // sorted by (from, to)
  std::vector<std::string> venues; // where the linking contacts happened, sorted
};

struct VenueVisitsPage {
  std::string venue;
  std::vector<VisitView> visits;          // ordered by start, then person
  std::optional<std::string> next_after;  // opaque resume key when more follow
};

// The figures of one erase pass that /metrics shows (processors/erase_pass.h has the rest).
struct EraseStats {
  TimeMs finished_at = 0;
  DurationMs duration = 0;
  uint64_t erased_events = 0;
  int64_t bytes_reclaimed = 0;
};

struct StatsView {
  std::map<std::string, uint64_t> events;  // "checkin.accepted", "test_result.duplicate", "rejected.too_old", ...
  std::map<int, uint64_t> persons_by_level;  // level -> count (0 = cases)
  uint64_t cases = 0;
  uint64_t visits = 0;
  uint64_t log_end = 0;   // the next log position to be written
  uint64_t applied = 0;   // the next log position to be applied
  TimeMs now = 0;
  DurationMs uptime = 0;
  // Service figures the state does not hold (filled from StatsSources; absent when unknown).
  std::optional<TimeMs> oldest_event_time;  // the oldest live event time in the state or the log
  std::optional<EraseStats> last_erase;     // the last erase pass of this process
  uint64_t alerts_next_seq = 0;             // the seq the next alert will get (0: unknown)
};

}  // namespace ctrace

namespace ctrace {

// DO NOT CHANGE the numeric values: they are stored on disk.
enum class AlertType : uint8_t {
  kCaseNew = 1,
  kExposureNew = 2,
  kExposureChanged = 3,
  kExposureRetracted = 4,
  kClusterChanged = 5,
  kClusterDissolved = 6,
  kVenueHotspot = 7,
};

std::string_view AlertTypeName(AlertType type);  // "case.new", ...

// One change of derived state (api.md "Alerts"). Which fields are set depends on the type:
//   case.new            person, sampled_at
//   exposure.new        person, level, exposed_at, via
//   exposure.changed    person, level, exposed_at, via
//   exposure.retracted  person, was_level
//   cluster.changed     id, cases
//   cluster.dissolved   id
//   venue.hotspot       venue, cases
struct AlertView {
  uint64_t seq = 0;
  TimeMs at = 0;
  AlertType type = AlertType::kCaseNew;
  std::string person;
  int level = 0;
  int was_level = 0;
  TimeMs exposed_at = 0;
  TimeMs sampled_at = 0;
  std::vector<std::string> via;
  std::string id;                   // cluster id
  std::vector<std::string> cases;   // cluster or hotspot cases
  std::string venue;
  bool operator==(const AlertView&) const = default;
};

struct AlertsPage {
  std::vector<AlertView> alerts;  // seq ascending
  uint64_t next_seq = 0;          // pass as `since` for the next page (the last seq returned, or `since`)
};

struct HotspotView {
  std::string venue;
  std::vector<std::string> cases;  // sorted
  TimeMs since = 0;                // when it became a hotspot
};

}  // namespace ctrace
