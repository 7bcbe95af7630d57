#include "stores/state_store.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/slice.h>
#include <rocksdb/table.h>
#include <rocksdb/cache.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <set>
#include <unordered_map>

#include "ingest/event_codec.h"
#include "stores/key_codec.h"
#include "stores/rocksdb_erase.h"

namespace ctrace {

namespace {

enum Cf : size_t {
  kDefault = 0,
  kEvents,
  kEventIds,
  kExpiry,
  kVisits,
  kVenueVisits,
  kPersons,
  kLevels,
  kCases,
  kLinksIn,
  kLinksOut,
  kAlerts,
  kAlertPersons,
  kForget,
  kClusters,
  kClusterOf,
  kHotspots,
  kSupportVisits,
  kCfCount,
};

constexpr std::array<const char*, kCfCount> kCfNames = {
    "default", "events", "event_ids", "expiry", "visits", "venue_visits",
    "persons", "levels", "cases", "links_in", "links_out",
    "alerts", "alert_persons", "forget", "clusters", "cluster_of", "hotspots", "support_visits",
};

constexpr std::string_view kAppliedKey = "applied";
constexpr std::string_view kAlertSeqKey = "alert_seq";
constexpr std::string_view kCounterPrefix = "counter/";

std::string PersonPrefix(std::string_view id) {
  std::string key(id);
  key.push_back(kKeySep);
  return key;
}

std::string EventKey(const Event& event) {
  std::string key = PersonPrefix(event.person);
  key.push_back(static_cast<char>(event.type));
  PutTimeBE(&key, event.time);
  key.append(event.id);
  return key;
}

std::string ExpiryKey(const Event& event) {
  std::string key;
  PutTimeBE(&key, event.time);
  key.append(event.person);
  key.push_back(kKeySep);
  key.append(event.id);
  return key;
}

std::string PersonVisitKey(const VisitRecord& visit) {
  std::string key = PersonPrefix(visit.person);
  PutTimeBE(&key, visit.start);
  key.append(visit.venue);
  return key;
}

std::string VisitValue(const VisitRecord& visit) {
  std::string value;
  PutTimeBE(&value, visit.end);
  value.push_back(visit.checked_out ? 1 : 0);
  return value;
}

bool DecodeVisitValue(std::string_view value, VisitRecord* visit) {
  if (value.size() != 9) return false;
  visit->end = GetTimeBE(value);
  visit->checked_out = value[8] != 0;
  return true;
}

void PutOptionalTime(std::string* out, const std::optional<TimeMs>& t) {
  out->push_back(t ? 1 : 0);
  if (t) PutFixed64LE(out, static_cast<uint64_t>(*t));
}

bool GetOptionalTime(ValueReader* reader, std::optional<TimeMs>* t) {
  uint8_t present = 0;
  if (!reader->GetByte(&present)) return false;
  if (present == 0) {
    t->reset();
    return true;
  }
  uint64_t v = 0;
  if (!reader->GetFixed64LE(&v)) return false;
  *t = static_cast<TimeMs>(v);
  return true;
}

void EncodeCaseInfo(const CaseInfo& info, std::string* out) {
  PutFixed64LE(out, static_cast<uint64_t>(info.sampled_at));
  PutOptionalTime(out, info.resulted_at);
  PutOptionalTime(out, info.onset);
  PutFixed64LE(out, static_cast<uint64_t>(info.window.start));
  PutFixed64LE(out, static_cast<uint64_t>(info.window.end));
}

bool DecodeCaseInfo(ValueReader* reader, CaseInfo* info) {
  uint64_t sampled = 0, start = 0, end = 0;
  if (!reader->GetFixed64LE(&sampled)) return false;
  if (!GetOptionalTime(reader, &info->resulted_at)) return false;
  if (!GetOptionalTime(reader, &info->onset)) return false;
  if (!reader->GetFixed64LE(&start) || !reader->GetFixed64LE(&end)) return false;
  info->sampled_at = static_cast<TimeMs>(sampled);
  info->window = {static_cast<TimeMs>(start), static_cast<TimeMs>(end)};
  return true;
}

void EncodeStrings(const std::vector<std::string>& items, std::string* out) {
  PutVarint64(out, items.size());
  for (const auto& item : items) PutLengthPrefixed(out, item);
}

bool DecodeStrings(ValueReader* reader, std::vector<std::string>* items) {
  uint64_t count = 0;
  if (!reader->GetVarint64(&count)) return false;
  items->clear();
  for (uint64_t item_idx = 0; item_idx < count; ++item_idx) {
    std::string_view item;
    if (!reader->GetLengthPrefixed(&item)) return false;
    items->emplace_back(item);
  }
  return true;
}

// PersonState: level(1, 0xff = none) exposed_at(8 LE) via(strings) has_case(1) [CaseInfo]
std::string EncodePersonState(const PersonState& state) {
  std::string out;
  out.push_back(static_cast<char>(state.level ? *state.level : 0xff));
  PutFixed64LE(&out, static_cast<uint64_t>(state.exposed_at));
  EncodeStrings(state.via, &out);
  out.push_back(state.case_info ? 1 : 0);
  if (state.case_info) EncodeCaseInfo(*state.case_info, &out);
  return out;
}

bool DecodePersonState(std::string_view bytes, PersonState* state) {
  ValueReader reader(bytes);
  uint8_t level = 0, has_case = 0;
  uint64_t exposed = 0;
  if (!reader.GetByte(&level) || !reader.GetFixed64LE(&exposed)) return false;
  if (!DecodeStrings(&reader, &state->via) || !reader.GetByte(&has_case)) return false;
  state->level = level == 0xff ? std::nullopt : std::optional<int>(level);
  state->exposed_at = static_cast<TimeMs>(exposed);
  state->case_info.reset();
  if (has_case) {
    CaseInfo info;
    if (!DecodeCaseInfo(&reader, &info)) return false;
    state->case_info = info;
  }
  return true;
}

bool DecodeHotspot(std::string_view venue, std::string_view value, HotspotView* hotspot) {
  if (value.size() < 8) return false;
  ValueReader reader(value.substr(8));
  hotspot->venue = venue;
  hotspot->since = GetTimeBE(value);
  return DecodeStrings(&reader, &hotspot->cases);
}

std::string LevelKey(int level, std::string_view person) {
  std::string key(1, static_cast<char>(level));
  key.append(person);
  return key;
}

std::string LinkKey(std::string_view a, std::string_view b) {
  std::string key(a);
  key.push_back(kKeySep);
  key.append(b);
  return key;
}

std::string EncodeAlert(const AlertView& alert) {
  std::string out;
  out.push_back(static_cast<char>(alert.type));
  PutFixed64LE(&out, static_cast<uint64_t>(alert.at));
  PutLengthPrefixed(&out, alert.person);
  PutVarint64(&out, static_cast<uint64_t>(alert.level));
  PutVarint64(&out, static_cast<uint64_t>(alert.was_level));
  PutFixed64LE(&out, static_cast<uint64_t>(alert.exposed_at));
  PutFixed64LE(&out, static_cast<uint64_t>(alert.sampled_at));
  EncodeStrings(alert.via, &out);
  PutLengthPrefixed(&out, alert.id);
  EncodeStrings(alert.cases, &out);
  PutLengthPrefixed(&out, alert.venue);
  return out;
}

bool DecodeAlert(std::string_view bytes, AlertView* alert) {
  ValueReader reader(bytes);
  uint8_t type = 0;
  uint64_t at = 0, level = 0, was_level = 0, exposed = 0, sampled = 0;
  std::string_view person, id, venue;
  if (!reader.GetByte(&type) || !reader.GetFixed64LE(&at) || !reader.GetLengthPrefixed(&person) ||
      !reader.GetVarint64(&level) || !reader.GetVarint64(&was_level) || !reader.GetFixed64LE(&exposed) ||
      !reader.GetFixed64LE(&sampled) || !DecodeStrings(&reader, &alert->via) || !reader.GetLengthPrefixed(&id) ||
      !DecodeStrings(&reader, &alert->cases) || !reader.GetLengthPrefixed(&venue)) {
    return false;
  }
  if (type < 1 || type > 7) return false;
  alert->type = static_cast<AlertType>(type);
  alert->at = static_cast<TimeMs>(at);
  alert->person = person;
  alert->level = static_cast<int>(level);
  alert->was_level = static_cast<int>(was_level);
  alert->exposed_at = static_cast<TimeMs>(exposed);
  alert->sampled_at = static_cast<TimeMs>(sampled);
  alert->id = id;
  alert->venue = venue;
  return true;
}

// The people an alert is indexed under in alert_persons: everyone it names but its `via`. An
// exposure alert names every supporter in `via` (dozens for an F2 in a busy city, and again at
// every change), so those names are found by one scan of the alerts when someone is forgotten
// instead (ForgetPersons).
std::vector<std::string> IndexedNames(const AlertView& alert) {
  std::vector<std::string> persons;
  if (!alert.person.empty()) persons.push_back(alert.person);
  persons.insert(persons.end(), alert.cases.begin(), alert.cases.end());
  if (alert.type == AlertType::kClusterChanged || alert.type == AlertType::kClusterDissolved) persons.push_back(alert.id);
  std::sort(persons.begin(), persons.end());
  persons.erase(std::unique(persons.begin(), persons.end()), persons.end());
  return persons;
}

std::string SeqKey(uint64_t seq) {
  std::string key;
  PutFixed64BE(&key, seq);
  return key;
}

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }
std::string_view ToView(const rocksdb::Slice& s) { return {s.data(), s.size()}; }

}  // namespace

using MemoryIndex = std::map<std::string, std::string, std::less<>>;

struct StateStore::Handles {
  std::array<rocksdb::ColumnFamilyHandle*, kCfCount> cf{};
  std::shared_ptr<rocksdb::Cache> cache;
  // The committed support_visits column family, mirrored in memory (it holds only the visits
  // of cases and of people below max_depth, and level evaluation reads it for every visit of
  // every person it looks at). Used by the apply thread only: loaded at open, updated after
  // each successful commit.
  MemoryIndex support;
  // Per venue, an upper bound of the length of its support visits (raised as visits are
  // added, never lowered until the next open).
  std::map<std::string, DurationMs, std::less<>> longest_support;

  void NoteSupportVisit(std::string_view venue, DurationMs length) {
    auto it = longest_support.find(venue);
    if (it == longest_support.end()) {
      longest_support.emplace(std::string(venue), length);
    } else if (it->second < length) {
      it->second = length;
    }
  }
};

std::string VenueVisitKey(const VisitRecord& visit) {
  std::string key = PersonPrefix(visit.venue);
  PutTimeBE(&key, visit.start);
  key.append(visit.person);
  return key;
}

namespace {

// The scans, written once over two primitives that a snapshot and a transaction each provide.
class ViewBase : public StateTxn {
 public:
  explicit ViewBase(StateStore::Handles* handles) : handles_(handles) {}

  std::optional<PersonState> GetPerson(std::string_view person) override {
    std::string value;
    if (!Get(kPersons, person, &value)) return std::nullopt;
    PersonState state;
    if (!DecodePersonState(value, &state)) return std::nullopt;
    return state;
  }

  bool IsCase(std::string_view person) override {
    std::string value;
    return Get(kCases, person, &value);
  }

  // Decoded states are kept for the life of the view (a snapshot never changes; a transaction
  // keeps its own in step with its writes).
  const PersonState* FindPerson(std::string_view person) override {
    auto it = person_cache_.find(person);
    if (it == person_cache_.end()) it = person_cache_.emplace(std::string(person), ViewBase::GetPerson(person)).first;
    return it->second ? &*it->second : nullptr;
  }

  bool HasEventId(std::string_view id) override {
    std::string value;
    return Get(kEventIds, id, &value);
  }

  void ForEachPersonEvent(std::string_view person, const std::function<bool(const Event&)>& fn) override {
    Scan(kEvents, PersonPrefix(person), [&](std::string_view, std::string_view value) {
      Event event;
      if (!DecodeEvent(value, &event)) return true;
      return fn(event);
    });
  }

  void ForEachPersonEventBetween(std::string_view person, EventType type, TimeMs from, TimeMs to,
                                 const std::function<bool(const Event&)>& fn) override {
    std::string lower = PersonPrefix(person);
    lower.push_back(static_cast<char>(type));
    std::string upper = lower;
    PutTimeBE(&lower, from);
    PutTimeBE(&upper, to);
    ScanRange(kEvents, lower, upper, [&](std::string_view, std::string_view value) {
      Event event;
      if (!DecodeEvent(value, &event)) return true;
      return fn(event);
    });
  }

  void ForEachPersonVisitBetween(std::string_view person, TimeMs from, TimeMs to,
                                 const std::function<bool(const VisitRecord&)>& fn) override {
    std::string lower = PersonPrefix(person);
    std::string upper = lower;
    PutTimeBE(&lower, from);
    PutTimeBE(&upper, to);
    ScanPersonVisits(person, lower, upper, fn);
  }

  void ForEachPersonVisit(std::string_view person,
                          const std::function<bool(const VisitRecord&)>& fn) override {
    const std::string prefix = PersonPrefix(person);
    ScanPersonVisits(person, prefix, PrefixSuccessor(prefix), fn);
  }

  // The person's visits with keys in [lower, upper) (both within the person's prefix).
  void ScanPersonVisits(std::string_view person, std::string_view lower, std::string_view upper,
                        const std::function<bool(const VisitRecord&)>& fn) {
    const size_t prefix_size = person.size() + 1;
    ScanRange(kVisits, lower, upper, [&](std::string_view key, std::string_view value) {
      VisitRecord visit;
      visit.person = person;
      visit.start = GetTimeBE(key.substr(prefix_size));
      visit.venue = key.substr(prefix_size + 8);
      if (!DecodeVisitValue(value, &visit)) return true;
      return fn(visit);
    });
  }

  void ForEachVenueVisit(std::string_view venue, TimeMs start_from, TimeMs start_to,
                         std::string_view resume_after,
                         const std::function<bool(const VisitRecord&)>& fn) override {
    ScanVenueIndex(kVenueVisits, venue, start_from, start_to, resume_after, fn);
  }

  void ForEachSupportVisit(std::string_view venue, TimeMs start_from, TimeMs start_to,
                           const std::function<bool(const VisitRecord&)>& fn) override {
    ScanVenueIndex(kSupportVisits, venue, start_from, start_to, {}, fn);
  }

  void ScanVenueIndex(Cf cf, std::string_view venue, TimeMs start_from, TimeMs start_to,
                      std::string_view resume_after, const std::function<bool(const VisitRecord&)>& fn) {
    const std::string prefix = PersonPrefix(venue);
    std::string lower = prefix;
    PutTimeBE(&lower, start_from);
    std::string upper = prefix;
    PutTimeBE(&upper, start_to);
    bool skip_equal = false;
    if (!resume_after.empty() && resume_after > std::string_view(lower)) {
      lower = resume_after;
      skip_equal = true;
    }
    ScanRange(cf, lower, upper, [&](std::string_view key, std::string_view value) {
      if (skip_equal && key == resume_after) return true;
      VisitRecord visit;
      visit.venue = venue;
      visit.start = GetTimeBE(key.substr(prefix.size()));
      visit.person = key.substr(prefix.size() + 8);
      if (!DecodeVisitValue(value, &visit)) return true;
      return fn(visit);
    });
  }

  void ForEachLevel(int level, std::string_view after,
                    const std::function<bool(const std::string&, TimeMs,
                                             const std::vector<std::string>&)>& fn) override {
    const std::string prefix(1, static_cast<char>(level));
    std::string lower = prefix;
    if (!after.empty()) {
      lower.append(after);
      lower.push_back('\0');  // strictly after `after`
    }
    ScanRange(kLevels, lower, PrefixSuccessor(prefix), [&](std::string_view key, std::string_view value) {
      ValueReader reader(value.substr(std::min<size_t>(8, value.size())));
      std::vector<std::string> via;
      if (value.size() < 8 || !DecodeStrings(&reader, &via)) return true;
      return fn(std::string(key.substr(1)), GetTimeBE(value), via);
    });
  }

  void ForEachCase(std::string_view after,
                   const std::function<bool(const std::string&, const CaseInfo&)>& fn) override {
    std::string lower;
    if (!after.empty()) {
      lower.assign(after);
      lower.push_back('\0');
    }
    ScanRange(kCases, lower, "", [&](std::string_view key, std::string_view value) {
      ValueReader reader(value);
      CaseInfo info;
      if (!DecodeCaseInfo(&reader, &info)) return true;
      return fn(std::string(key), info);
    });
  }

  void ForEachLinkIn(std::string_view to,
                     const std::function<bool(const std::string&, const std::vector<std::string>&)>& fn) override {
    ScanLinks(kLinksIn, to, fn);
  }

  void ForEachLinkOut(std::string_view from,
                      const std::function<bool(const std::string&, const std::vector<std::string>&)>& fn) override {
    ScanLinks(kLinksOut, from, fn);
  }

  void ForEachLink(const std::function<bool(const std::string&, const std::string&,
                                            const std::vector<std::string>&)>& fn) override {
    ScanRange(kLinksOut, "", "", [&](std::string_view key, std::string_view value) {
      const auto sep = key.find(kKeySep);
      if (sep == std::string_view::npos) return true;
      ValueReader reader(value);
      std::vector<std::string> venues;
      if (!DecodeStrings(&reader, &venues)) return true;
      return fn(std::string(key.substr(0, sep)), std::string(key.substr(sep + 1)), venues);
    });
  }

  void ForEachExpiring(TimeMs before,
                       const std::function<bool(TimeMs, const std::string&, const std::string&, EventType)>& fn) override {
    std::string upper;
    PutTimeBE(&upper, before);
    ScanRange(kExpiry, "", upper, [&](std::string_view key, std::string_view value) {
      if (key.size() < 8 || value.size() != 1) return true;
      const auto rest = key.substr(8);
      const auto sep = rest.find(kKeySep);
      if (sep == std::string_view::npos) return true;
      return fn(GetTimeBE(key), std::string(rest.substr(0, sep)), std::string(rest.substr(sep + 1)),
                static_cast<EventType>(value[0]));
    });
  }

  uint64_t GetCounter(std::string_view name) override {
    std::string key(kCounterPrefix);
    key.append(name);
    int64_t base = 0;
    std::string value;
    if (Get(kDefault, key, &value)) {
      ValueReader reader(value);
      uint64_t v = 0;
      if (reader.GetFixed64LE(&v)) base = static_cast<int64_t>(v);
    }
    const auto it = counter_deltas_.find(std::string(name));
    if (it != counter_deltas_.end()) base += it->second;
    return base < 0 ? 0 : static_cast<uint64_t>(base);
  }

  void ForEachAlert(uint64_t after, const std::function<bool(const AlertView&)>& fn) override {
    ScanRange(kAlerts, SeqKey(after + 1), "", [&](std::string_view key, std::string_view value) {
      AlertView alert;
      if (key.size() != 8 || !DecodeAlert(value, &alert)) return true;
      alert.seq = GetFixed64BE(key);
      return fn(alert);
    });
  }

  uint64_t NextAlertSeq() override {
    std::string value;
    if (!Get(kDefault, kAlertSeqKey, &value) || value.size() != 8) return 1;
    return GetFixed64BE(value);
  }

  std::optional<std::vector<std::string>> GetCluster(std::string_view id) override {
    std::string value;
    if (!Get(kClusters, id, &value)) return std::nullopt;
    ValueReader reader(value);
    std::vector<std::string> cases;
    if (!DecodeStrings(&reader, &cases)) return std::nullopt;
    return cases;
  }

  std::optional<std::string> GetClusterOf(std::string_view person) override {
    std::string value;
    if (!Get(kClusterOf, person, &value)) return std::nullopt;
    return value;
  }

  void ForEachCluster(const std::function<bool(const std::string&, const std::vector<std::string>&)>& fn) override {
    ScanRange(kClusters, "", "", [&](std::string_view key, std::string_view value) {
      ValueReader reader(value);
      std::vector<std::string> cases;
      if (!DecodeStrings(&reader, &cases)) return true;
      return fn(std::string(key), cases);
    });
  }

  std::optional<HotspotView> GetHotspot(std::string_view venue) override {
    std::string value;
    if (!Get(kHotspots, venue, &value)) return std::nullopt;
    HotspotView hotspot;
    if (!DecodeHotspot(venue, value, &hotspot)) return std::nullopt;
    return hotspot;
  }

  void ForEachHotspot(const std::function<bool(const HotspotView&)>& fn) override {
    ScanRange(kHotspots, "", "", [&](std::string_view key, std::string_view value) {
      HotspotView hotspot;
      if (!DecodeHotspot(key, value, &hotspot)) return true;
      return fn(hotspot);
    });
  }

  void ForEachForget(const std::function<bool(const std::string&)>& fn) override {
    ScanRange(kForget, "", "", [&](std::string_view key, std::string_view) { return fn(std::string(key)); });
  }

  uint64_t AppendAlert(AlertView alert) override {
    alert.seq = NextAlertSeq();
    const std::string key = SeqKey(alert.seq);
    Append(kAlerts, key, EncodeAlert(alert));
    for (const auto& person : IndexedNames(alert)) Append(kAlertPersons, PersonPrefix(person) + key, "");
    Put(kDefault, kAlertSeqKey, SeqKey(alert.seq + 1));
    return alert.seq;
  }

  void PutForget(std::string_view person) override { Put(kForget, person, ""); }

  uint64_t ForgetPersons(const std::vector<std::string>& persons) override {
    uint64_t forgotten = 0;
    auto forget_alert = [&](const std::string& key, const AlertView& alert) {
      for (const auto& named : IndexedNames(alert)) Delete(kAlertPersons, PersonPrefix(named) + key);
      Delete(kAlerts, key);
      ++forgotten;
    };
    for (const auto& person : persons) {
      // Every index entry of the person goes, whatever it points at (stores written before
      // `via` left the index hold entries for `via` names too).
      std::vector<std::string> keys;
      Scan(kAlertPersons, PersonPrefix(person), [&](std::string_view key, std::string_view) {
        keys.emplace_back(key.substr(key.size() - 8));
        return true;
      });
      for (const auto& key : keys) {
        std::string value;
        AlertView alert;
        if (Get(kAlerts, key, &value) && DecodeAlert(value, &alert)) forget_alert(key, alert);
        Delete(kAlertPersons, PersonPrefix(person) + key);
      }
      Delete(kForget, person);
    }
    if (persons.empty()) return forgotten;
    // The alerts that name one of them in `via`.
    const std::set<std::string, std::less<>> gone(persons.begin(), persons.end());
    std::vector<std::pair<std::string, AlertView>> naming;
    ScanRange(kAlerts, "", "", [&](std::string_view key, std::string_view value) {
      AlertView alert;
      if (!DecodeAlert(value, &alert)) return true;
      for (const auto& via : alert.via) {
        if (gone.count(via) != 0) {
          naming.emplace_back(std::string(key), std::move(alert));
          break;
        }
      }
      return true;
    });
    for (const auto& [key, alert] : naming) forget_alert(key, alert);
    return forgotten;
  }

  uint64_t DeleteAlertsBefore(TimeMs cut) override {
    std::vector<AlertView> old_alerts;
    ForEachAlert(0, [&](const AlertView& alert) {
      if (alert.at >= cut) return false;  // seqs are given in apply order, and `at` is apply time
      old_alerts.push_back(alert);
      return true;
    });
    for (const auto& alert : old_alerts) {
      const std::string key = SeqKey(alert.seq);
      for (const auto& named : IndexedNames(alert)) Delete(kAlertPersons, PersonPrefix(named) + key);
      Delete(kAlerts, key);
    }
    return old_alerts.size();
  }

  void PutCluster(std::string_view id, const std::vector<std::string>& cases) override {
    std::string value;
    EncodeStrings(cases, &value);
    Put(kClusters, id, value);
  }
  void DeleteCluster(std::string_view id) override { Delete(kClusters, id); }
  void PutClusterOf(std::string_view person, std::string_view id) override { Put(kClusterOf, person, id); }
  void DeleteClusterOf(std::string_view person) override { Delete(kClusterOf, person); }

  void PutHotspot(const HotspotView& hotspot) override {
    std::string value;
    PutTimeBE(&value, hotspot.since);
    EncodeStrings(hotspot.cases, &value);
    Put(kHotspots, hotspot.venue, value);
  }
  void DeleteHotspot(std::string_view venue) override { Delete(kHotspots, venue); }

  // Writes: only a transaction has a batch; a snapshot never calls these.
  void PutEvent(const Event& event) override {
    Put(kEvents, EventKey(event), EncodeEvent(event));
    Put(kEventIds, event.id, event.person);
    Put(kExpiry, ExpiryKey(event), std::string(1, static_cast<char>(event.type)));
  }

  void DeleteEvent(const Event& event) override {
    Delete(kEvents, EventKey(event));
    Delete(kEventIds, event.id);
    Delete(kExpiry, ExpiryKey(event));
  }

  void PutVisit(const VisitRecord& visit) override {
    const std::string value = VisitValue(visit);
    Put(kVisits, PersonVisitKey(visit), value);
    Put(kVenueVisits, VenueVisitKey(visit), value);
  }

  void DeleteVisit(const VisitRecord& visit) override {
    Delete(kVisits, PersonVisitKey(visit));
    Delete(kVenueVisits, VenueVisitKey(visit));
  }

  void PutSupportVisit(const VisitRecord& visit) override {
    Put(kSupportVisits, VenueVisitKey(visit), VisitValue(visit));
  }

  void DeleteSupportVisit(const VisitRecord& visit) override { Delete(kSupportVisits, VenueVisitKey(visit)); }

  void PutPerson(std::string_view person, const PersonState& old_state, const PersonState& now_state) override {
    if (now_state.empty()) {
      Delete(kPersons, person);
    } else {
      Put(kPersons, person, EncodePersonState(now_state));
    }
    if (old_state.level && *old_state.level >= 1) Delete(kLevels, LevelKey(*old_state.level, person));
    if (now_state.level && *now_state.level >= 1) {
      std::string value;
      PutTimeBE(&value, now_state.exposed_at);
      EncodeStrings(now_state.via, &value);
      Put(kLevels, LevelKey(*now_state.level, person), value);
    }
    if (now_state.case_info) {
      std::string value;
      EncodeCaseInfo(*now_state.case_info, &value);
      Put(kCases, person, value);
    } else if (old_state.case_info) {
      Delete(kCases, person);
    }
  }

  void PutLink(std::string_view from, std::string_view to, const std::vector<std::string>& venues) override {
    std::string value;
    EncodeStrings(venues, &value);
    Put(kLinksOut, LinkKey(from, to), value);
    Put(kLinksIn, LinkKey(to, from), value);
  }

  void DeleteLink(std::string_view from, std::string_view to) override {
    Delete(kLinksOut, LinkKey(from, to));
    Delete(kLinksIn, LinkKey(to, from));
  }

  void AddCounter(std::string_view name, int64_t delta) override {
    if (delta != 0) counter_deltas_[std::string(name)] += delta;
  }

  const std::map<std::string, int64_t>& counter_deltas() const { return counter_deltas_; }

 protected:
  virtual bool Get(Cf cf, std::string_view key, std::string* value) = 0;
  virtual std::unique_ptr<rocksdb::Iterator> NewIterator(Cf cf, const rocksdb::ReadOptions& options) = 0;
  virtual void Put(Cf cf, std::string_view key, std::string_view value) = 0;
  virtual void Delete(Cf cf, std::string_view key) = 0;
  // A write of a key nothing in the transaction wrote before (a new alert): may skip the
  // transaction's sorted overlay until something reads that column family.
  virtual void Append(Cf cf, std::string key, std::string value) { Put(cf, key, value); }

  // Visits keys in [lower, upper) (upper empty: to the end) in order until fn returns false.
  virtual void ScanRange(Cf cf, std::string_view lower, std::string_view upper,
                         const std::function<bool(std::string_view key, std::string_view value)>& fn) {
    rocksdb::ReadOptions options;
    rocksdb::Slice upper_slice = ToSlice(upper);
    if (!upper.empty()) options.iterate_upper_bound = &upper_slice;
    auto it = NewIterator(cf, options);
    for (it->Seek(ToSlice(lower)); it->Valid(); it->Next()) {
      const auto key = ToView(it->key());
      if (!upper.empty() && key >= upper) break;
      if (!fn(key, ToView(it->value()))) break;
    }
  }

  void Scan(Cf cf, const std::string& prefix,
            const std::function<bool(std::string_view key, std::string_view value)>& fn) {
    ScanRange(cf, prefix, PrefixSuccessor(prefix), fn);
  }

  void ScanLinks(Cf cf, std::string_view id,
                 const std::function<bool(const std::string&, const std::vector<std::string>&)>& fn) {
    const std::string prefix = PersonPrefix(id);
    Scan(cf, prefix, [&](std::string_view key, std::string_view value) {
      ValueReader reader(value);
      std::vector<std::string> venues;
      if (!DecodeStrings(&reader, &venues)) return true;
      return fn(std::string(key.substr(prefix.size())), venues);
    });
  }

  rocksdb::ColumnFamilyHandle* handle(Cf cf) const { return handles_->cf[cf]; }

  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  StateStore::Handles* handles_;
  std::map<std::string, int64_t> counter_deltas_;
  std::unordered_map<std::string, std::optional<PersonState>, StringHash, std::equal_to<>> person_cache_;
};

class SnapshotView final : public ViewBase {
 public:
  SnapshotView(rocksdb::DB* db, StateStore::Handles* handles)
      : ViewBase(handles), db_(db), snapshot_(db->GetSnapshot()) {}
  ~SnapshotView() override {
    for (auto& pool : iterators_) pool.clear();
    db_->ReleaseSnapshot(snapshot_);
  }

  // Iterators are reused across scans (a pool per column family, so that a scan nested in
  // another's callback gets its own): a query makes many small scans.
  void ScanRange(Cf cf, std::string_view lower, std::string_view upper,
                 const std::function<bool(std::string_view key, std::string_view value)>& fn) override {
    auto& pool = iterators_[cf];
    std::unique_ptr<rocksdb::Iterator> it;
    if (pool.empty()) {
      it = NewIterator(cf, rocksdb::ReadOptions());
    } else {
      it = std::move(pool.back());
      pool.pop_back();
    }
    for (it->Seek(ToSlice(lower)); it->Valid(); it->Next()) {
      const auto key = ToView(it->key());
      if (!upper.empty() && key >= upper) break;
      if (!fn(key, ToView(it->value()))) break;
    }
    pool.push_back(std::move(it));
  }

 protected:
  bool Get(Cf cf, std::string_view key, std::string* value) override {
    rocksdb::ReadOptions options;
    options.snapshot = snapshot_;
    return db_->Get(options, handle(cf), ToSlice(key), value).ok();
  }
  std::unique_ptr<rocksdb::Iterator> NewIterator(Cf cf, const rocksdb::ReadOptions& base) override {
    rocksdb::ReadOptions options = base;
    options.snapshot = snapshot_;
    return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(options, handle(cf)));
  }
  void Put(Cf, std::string_view, std::string_view) override {}
  void Delete(Cf, std::string_view) override {}

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
  std::array<std::vector<std::unique_ptr<rocksdb::Iterator>>, kCfCount> iterators_;
};

// A transaction keeps its own writes in memory, one sorted map per column family (a deleted
// key maps to nullopt), and reads merge them over the database as it was when the transaction
// began. At commit the maps become one WriteBatch written in key order.
class BatchTxn final : public ViewBase {
 public:
  BatchTxn(rocksdb::DB* db, StateStore::Handles* handles)
      : ViewBase(handles), db_(db), snapshot_(db->GetSnapshot()) {}
  ~BatchTxn() override { Release(); }

  // Gives back the snapshot and the iterators; done at commit, so that a committed transaction
  // holds nothing of the database (it may then outlive the store).
  void Release() {
    for (auto& pool : iterators_) pool.clear();
    if (snapshot_ != nullptr) db_->ReleaseSnapshot(snapshot_);
    snapshot_ = nullptr;
  }

  // People's states are read far more often than written: keep the batch's view of them
  // decoded in memory.
  std::optional<PersonState> GetPerson(std::string_view person) override {
    auto it = person_cache_.find(person);
    if (it == person_cache_.end()) it = person_cache_.emplace(std::string(person), ViewBase::GetPerson(person)).first;
    return it->second;
  }

  void PutPerson(std::string_view person, const PersonState& old_state, const PersonState& now_state) override {
    ViewBase::PutPerson(person, old_state, now_state);
    auto it = person_cache_.find(person);
    if (it == person_cache_.end()) it = person_cache_.emplace(std::string(person), std::nullopt).first;
    auto& cached = it->second;
    if (now_state.empty()) {
      cached.reset();
    } else {
      cached = now_state;
    }
  }

  void PutSupportVisit(const VisitRecord& visit) override {
    ViewBase::PutSupportVisit(visit);
    handles_->NoteSupportVisit(visit.venue, visit.end - visit.start);
  }

  std::optional<DurationMs> LongestSupportVisit(std::string_view venue) override {
    const auto it = handles_->longest_support.find(venue);
    return it == handles_->longest_support.end() ? DurationMs{0} : it->second;
  }

  void PutRaw(Cf cf, std::string_view key, std::string_view value) { Put(cf, key, value); }

  // Adds the transaction's writes to `batch`, column family by column family, in key order.
  void WriteTo(rocksdb::WriteBatch* batch) {
    for (size_t cf_idx = 0; cf_idx < kCfCount; ++cf_idx) {
      auto* cf_handle = handle(static_cast<Cf>(cf_idx));
      for (const auto& [key, value] : writes_[cf_idx]) {
        if (value) {
          batch->Put(cf_handle, ToSlice(key), ToSlice(*value));
        } else {
          batch->Delete(cf_handle, ToSlice(key));
        }
      }
      // Appended keys are new to the transaction (Settle ran before any other access), so
      // they never meet an overlay key; in key order for the memtable.
      auto& appended = appended_[cf_idx];
      std::sort(appended.begin(), appended.end());
      for (const auto& [key, value] : appended) batch->Put(cf_handle, ToSlice(key), ToSlice(value));
    }
  }

  // After a successful commit: the in-memory mirror takes the transaction's writes.
  void Committed() {
    auto& support = handles_->support;
    for (const auto& [key, value] : writes_[kSupportVisits]) {
      if (value) {
        support.insert_or_assign(key, *value);
      } else if (const auto it = support.find(key); it != support.end()) {
        support.erase(it);
      }
    }
  }

 protected:
  bool Get(Cf cf, std::string_view key, std::string* value) override {
    Settle(cf);
    const auto& writes = writes_[cf];
    const auto it = writes.find(key);
    if (it != writes.end()) {
      if (!it->second) return false;
      *value = *it->second;
      return true;
    }
    rocksdb::ReadOptions options;
    options.snapshot = snapshot_;
    return db_->Get(options, handle(cf), ToSlice(key), value).ok();
  }
  std::unique_ptr<rocksdb::Iterator> NewIterator(Cf cf, const rocksdb::ReadOptions& base) override {
    rocksdb::ReadOptions options = base;
    options.snapshot = snapshot_;
    return std::unique_ptr<rocksdb::Iterator>(db_->NewIterator(options, handle(cf)));
  }
  void Put(Cf cf, std::string_view key, std::string_view value) override {
    Settle(cf);
    writes_[cf][std::string(key)].emplace(value);
  }
  void Delete(Cf cf, std::string_view key) override {
    Settle(cf);
    writes_[cf][std::string(key)].reset();
  }
  void Append(Cf cf, std::string key, std::string value) override {
    appended_[cf].emplace_back(std::move(key), std::move(value));
  }

  // Moves the appended writes of `cf` into the sorted overlay, before anything reads or
  // overwrites that column family.
  void Settle(Cf cf) {
    auto& appended = appended_[cf];
    if (appended.empty()) return;
    auto& writes = writes_[cf];
    for (auto& [key, value] : appended) writes[std::move(key)].emplace(std::move(value));
    appended.clear();
  }

  // Database iterators are reused across scans (a pool per column family, so a scan nested in
  // another's callback gets its own); support_visits is read from its in-memory mirror.
  void ScanRange(Cf cf, std::string_view lower, std::string_view upper,
                 const std::function<bool(std::string_view key, std::string_view value)>& fn) override {
    Settle(cf);
    if (cf == kSupportVisits) {
      MemoryCursor base{&handles_->support, handles_->support.end()};
      Merge(&base, cf, lower, upper, fn);
      return;
    }
    auto& pool = iterators_[cf];
    std::unique_ptr<rocksdb::Iterator> iterator;
    if (pool.empty()) {
      iterator = NewIterator(cf, rocksdb::ReadOptions());
    } else {
      iterator = std::move(pool.back());
      pool.pop_back();
    }
    DbCursor base{iterator.get()};
    Merge(&base, cf, lower, upper, fn);
    pool.push_back(std::move(iterator));
  }

 private:
  struct DbCursor {
    rocksdb::Iterator* it;
    void Seek(std::string_view key) { it->Seek(ToSlice(key)); }
    bool Valid() const { return it->Valid(); }
    std::string_view key() const { return ToView(it->key()); }
    std::string_view value() const { return ToView(it->value()); }
    void Next() { it->Next(); }
  };
  struct MemoryCursor {
    const MemoryIndex* index;
    MemoryIndex::const_iterator it;
    void Seek(std::string_view key) { it = index->lower_bound(key); }
    bool Valid() const { return it != index->end(); }
    std::string_view key() const { return it->first; }
    std::string_view value() const { return it->second; }
    void Next() { ++it; }
  };

  // Merges the committed keys under `base` with the transaction's writes in [lower, upper).
  // The writes map is only ever added to, so its iterators stay valid while `fn` writes.
  template <typename Cursor>
  void Merge(Cursor* base, Cf cf, std::string_view lower, std::string_view upper,
             const std::function<bool(std::string_view key, std::string_view value)>& fn) {
    const auto& writes = writes_[cf];
    auto mine = writes.lower_bound(lower);
    const auto mine_end = upper.empty() ? writes.end() : writes.lower_bound(upper);
    base->Seek(lower);
    while (true) {
      const bool base_ok = base->Valid() && (upper.empty() || base->key() < upper);
      const bool mine_ok = mine != mine_end;
      if (!base_ok && !mine_ok) break;
      const int order = !base_ok ? 1 : !mine_ok ? -1 : base->key().compare(mine->first);
      if (order < 0) {
        if (!fn(base->key(), base->value())) break;
        base->Next();
        continue;
      }
      if (order == 0) base->Next();
      const auto& [key, value] = *mine;
      ++mine;
      if (value && !fn(key, *value)) break;
    }
  }

  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
  std::array<std::map<std::string, std::optional<std::string>, std::less<>>, kCfCount> writes_;
  std::array<std::vector<std::pair<std::string, std::string>>, kCfCount> appended_;  // see Append
  std::array<std::vector<std::unique_ptr<rocksdb::Iterator>>, kCfCount> iterators_;
};

}  // namespace

std::unique_ptr<StateStore> StateStore::Open(const std::string& dir, const StoreOptions& store_options,
                                             std::string* error) {
  auto handles = std::make_unique<Handles>();
  handles->cache = rocksdb::NewLRUCache(store_options.block_cache_size);
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = handles->cache;
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = store_options.write_buffer_size;
  cf_options.compression = store_options.compression ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  cf_options.bottommost_compression = cf_options.compression;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  std::vector<rocksdb::ColumnFamilyHandle*> cf_handles;
  rocksdb::DB* raw_db = nullptr;
  // Point lookups that mostly miss (a new event id, a person never met before) are answered
  // by Bloom filters, in files and in the memtable, without reading a block.
  auto tune = [&](std::string_view name, rocksdb::ColumnFamilyOptions* options) {
    if (name == "event_ids" || name == "persons" || name == "cases") UsePointLookupFilters(table, options);
  };
  const auto status = OpenWithColumnFamilies(dir, {kCfNames.begin(), kCfNames.end()}, cf_options,
                                             store_options.read_only, &cf_handles, &raw_db, tune);
  if (!status.ok()) {
    *error = "cannot open the state store in " + dir + ": " + status.ToString();
    return nullptr;
  }
  std::unique_ptr<StateStore> store(new StateStore());
  store->db_.reset(raw_db);
  for (size_t cf_idx = 0; cf_idx < kCfCount; ++cf_idx) handles->cf[cf_idx] = cf_handles[cf_idx];
  store->handles_ = std::move(handles);
  auto& support = store->handles_->support;
  std::unique_ptr<rocksdb::Iterator> it(
      store->db_->NewIterator(rocksdb::ReadOptions(), store->handles_->cf[kSupportVisits]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const auto key = ToView(it->key());
    const auto value = ToView(it->value());
    support.emplace_hint(support.end(), key, value);
    const auto sep = key.find(kKeySep);
    if (sep == std::string_view::npos || key.size() < sep + 9 || value.size() != 9) continue;
    store->handles_->NoteSupportVisit(key.substr(0, sep), GetTimeBE(value) - GetTimeBE(key.substr(sep + 1)));
  }
  if (!it->status().ok()) {
    *error = "cannot read the state store in " + dir + ": " + it->status().ToString();
    return nullptr;
  }
  return store;
}

StateStore::~StateStore() {
  if (!db_) return;
  for (auto* handle : handles_->cf) {
    if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close();
}

LogPositions StateStore::Applied() {
  LogPositions positions;
  std::string value;
  if (!db_->Get(rocksdb::ReadOptions(), handles_->cf[kDefault], ToSlice(kAppliedKey), &value).ok()) {
    return positions;
  }
  ValueReader reader(value);
  uint64_t count = 0;
  if (!reader.GetVarint64(&count)) return positions;
  for (uint64_t entry_idx = 0; entry_idx < count; ++entry_idx) {
    uint64_t partition = 0, offset = 0;
    if (!reader.GetVarint64(&partition) || !reader.GetVarint64(&offset)) return {};
    positions[static_cast<int32_t>(partition)] = static_cast<int64_t>(offset);
  }
  return positions;
}

std::unique_ptr<StateTxn> StateStore::Begin() {
  return std::make_unique<BatchTxn>(db_.get(), handles_.get());
}

bool StateStore::Commit(StateTxn& txn, const LogPositions& applied, std::string* error) {
  auto& batch_txn = static_cast<BatchTxn&>(txn);
  for (const auto& [name, delta] : batch_txn.counter_deltas()) {
    const uint64_t total = batch_txn.GetCounter(name);
    (void)delta;
    std::string key(kCounterPrefix);
    key.append(name);
    std::string value;
    PutFixed64LE(&value, total);
    batch_txn.PutRaw(kDefault, key, value);
  }
  std::string position;
  PutVarint64(&position, applied.size());
  for (const auto& [partition, offset] : applied) {
    PutVarint64(&position, static_cast<uint64_t>(partition));
    PutVarint64(&position, static_cast<uint64_t>(offset));
  }
  batch_txn.PutRaw(kDefault, kAppliedKey, position);
  rocksdb::WriteBatch batch;
  batch_txn.WriteTo(&batch);
  batch_txn.Release();
  rocksdb::WriteOptions options;
  const auto status = db_->Write(options, &batch);
  if (!status.ok()) {
    *error = "state store write failed: " + status.ToString();
    return false;
  }
  batch_txn.Committed();
  return true;
}

std::unique_ptr<StateView> StateStore::Snapshot() {
  return std::make_unique<SnapshotView>(db_.get(), handles_.get());
}

bool StateStore::CompactAll(std::string* error) {
  std::vector<rocksdb::ColumnFamilyHandle*> all(handles_->cf.begin(), handles_->cf.end());
  return CompactDb(db_.get(), all, error);
}

std::optional<TimeMs> StateStore::OldestEventTime() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_->cf[kExpiry]));
  it->SeekToFirst();
  if (!it->Valid() || it->key().size() < 8) return std::nullopt;
  return GetTimeBE({it->key().data(), it->key().size()});
}

bool StateStore::AnyFileWhollyBefore(TimeMs cut) {
  return AnyFileKeyedWhollyBefore(db_.get(), handles_->cf[kExpiry], cut);
}

void StateStore::Flush() {
  rocksdb::FlushOptions options;
  std::vector<rocksdb::ColumnFamilyHandle*> all(handles_->cf.begin(), handles_->cf.end());
  db_->Flush(options, all);
}

// Marks: default column family, key "mark/<name>" -> the caller's bytes (on-disk format).
std::optional<std::string> StateStore::GetMark(std::string_view name) {
  std::string key("mark/");
  key.append(name);
  std::string value;
  if (!db_->Get(rocksdb::ReadOptions(), handles_->cf[kDefault], rocksdb::Slice(key.data(), key.size()), &value).ok()) {
    return std::nullopt;
  }
  return value;
}

bool StateStore::PutMark(std::string_view name, std::string_view value, std::string* error) {
  std::string key("mark/");
  key.append(name);
  rocksdb::WriteOptions options;
  options.sync = true;
  const auto status = db_->Put(options, handles_->cf[kDefault], rocksdb::Slice(key.data(), key.size()),
                               rocksdb::Slice(value.data(), value.size()));
  if (!status.ok()) {
    *error = "state store mark write failed: " + status.ToString();
    return false;
  }
  return true;
}

}  // namespace ctrace
