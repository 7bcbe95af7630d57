// The derived-state store: a RocksDB instance under DATA/state holding each person's live
// events and everything derived from them, plus the log position applied so far.
//
// Column families and key layouts (on-disk format, DO NOT CHANGE; T = 8-byte big-endian time
// with the sign bit flipped, `|` = concatenation, `\0` = kKeySep):
//   default       "applied"                         -> LogPositions: count, then (partition, next offset) varints
//                 "counter/<name>"                  -> uint64 LE
//   events        person \0 type(1) T(time) id      -> EncodeEvent(event)   (a person's live events)
//   event_ids     id                                -> person               (apply-side duplicates)
//   expiry        T(time) person \0 id              -> type(1)              (events by event time)
//   visits        person \0 T(start) venue          -> T(end) checked_out(1) (person-time index)
//   venue_visits  venue \0 T(start) person          -> T(end) checked_out(1) (venue-time index)
//   support_visits venue \0 T(start) person         -> T(end) checked_out(1) (the same, only for
//                                                     people who can pass exposure on)
//   persons       person                            -> PersonState           (level, case)
//   levels        level(1) person                   -> T(exposed_at) via     (call lists, level >= 1)
//   cases         person                            -> CaseInfo
//   links_in      to \0 from                        -> venues                (linked_from)
//   links_out     from \0 to                        -> venues
//   alerts        seq(8 BE)                         -> encoded AlertView     (the alert changelog)
//   alert_persons person \0 seq(8 BE)               -> ""                    (alerts naming a person,
//                                                     except in `via`)
//   forget        person                            -> ""                    (fully expired: drop their alerts)
//   clusters      id                                -> cases
//   cluster_of    person                            -> cluster id
//   hotspots      venue                             -> T(since) cases
//   default       "alert_seq"                       -> the next alert seq (8 bytes BE)
//
// Reads go through StateView, implemented by a StateTxn (its own writes included) and by a
// snapshot for queries. Writes go through a StateTxn, committed atomically with the position.
//
// Thread-safety: StateStore and its snapshots may be used from any thread; a StateTxn belongs
// to one thread (the apply loop).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/event_source.h"
#include "model/event.h"
#include "model/time.h"
#include "processors/views.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace ctrace {

struct VisitRecord {
  std::string person;
  std::string venue;
  TimeMs start = 0;
  TimeMs end = 0;
  bool checked_out = false;
  bool operator==(const VisitRecord&) const = default;
};

// What the engine keeps per person.
struct PersonState {
  std::optional<int> level;          // 0 for a case, 1..max_depth when exposed
  TimeMs exposed_at = 0;             // meaningful for level >= 1
  std::vector<std::string> via;      // sorted, for level >= 1
  std::optional<CaseInfo> case_info; // set for cases
  bool operator==(const PersonState&) const = default;
  bool empty() const { return !level && !case_info; }
};

struct StoreOptions {
  // Compress SST files (lz4). Default: true. Off makes raw bytes visible to a file scan.
  bool compression = true;
  // Write buffer per column family, bytes. Default: 16 MiB.
  size_t write_buffer_size = 16 << 20;
  // Block cache shared by all column families, bytes. Default: 64 MiB.
  size_t block_cache_size = 64 << 20;
  // Open an existing store read-only (audits of a stopped data directory): nothing is written
  // to the directory, every write method fails or does nothing. Default: false.
  bool read_only = false;
};

// Callbacks return true to continue the scan, false to stop.
class StateView {
 public:
  virtual ~StateView() = default;
  virtual std::optional<PersonState> GetPerson(std::string_view person) = 0;
  // The same without a copy: nullptr when the person has no state. The pointer stays valid
  // until the next write through this view.
  virtual const PersonState* FindPerson(std::string_view person) = 0;
  // Whether the person is a case (one lookup in the cases index, which has a Bloom filter:
  // cheaper than GetPerson for the many who are not).
  virtual bool IsCase(std::string_view person) = 0;
  virtual bool HasEventId(std::string_view id) = 0;
  virtual void ForEachPersonEvent(std::string_view person,
                                  const std::function<bool(const Event&)>& fn) = 0;
  virtual void ForEachPersonVisit(std::string_view person,
                                  const std::function<bool(const VisitRecord&)>& fn) = 0;
  // The person's live events of `type` whose time lies in [from, to), by (time, id).
  virtual void ForEachPersonEventBetween(std::string_view person, EventType type, TimeMs from, TimeMs to,
                                         const std::function<bool(const Event&)>& fn) = 0;
  // The person's visits whose start lies in [from, to), by start.
  virtual void ForEachPersonVisitBetween(std::string_view person, TimeMs from, TimeMs to,
                                         const std::function<bool(const VisitRecord&)>& fn) = 0;
  // Visits at `venue` whose start lies in [start_from, start_to), in (start, person) order.
  // `resume_after`, when not empty, is a key returned by VenueVisitKey: the scan starts after it.
  virtual void ForEachVenueVisit(std::string_view venue, TimeMs start_from, TimeMs start_to,
                                 std::string_view resume_after,
                                 const std::function<bool(const VisitRecord&)>& fn) = 0;
  // The same over the visits of people who can pass exposure on (see PutSupportVisit).
  virtual void ForEachSupportVisit(std::string_view venue, TimeMs start_from, TimeMs start_to,
                                   const std::function<bool(const VisitRecord&)>& fn) = 0;
  // An upper bound of the length of every support visit at `venue` (so a scan for visits
  // overlapping a time need look back no further), or nullopt when the view keeps none.
  virtual std::optional<DurationMs> LongestSupportVisit(std::string_view /*venue*/) { return std::nullopt; }
  virtual void ForEachLevel(int level, std::string_view after,
                            const std::function<bool(const std::string& person, TimeMs exposed_at,
                                                     const std::vector<std::string>& via)>& fn) = 0;
  virtual void ForEachCase(std::string_view after,
                           const std::function<bool(const std::string& person, const CaseInfo&)>& fn) = 0;
  virtual void ForEachLinkIn(std::string_view to,
                             const std::function<bool(const std::string& from,
                                                      const std::vector<std::string>& venues)>& fn) = 0;
  virtual void ForEachLinkOut(std::string_view from,
                              const std::function<bool(const std::string& to,
                                                       const std::vector<std::string>& venues)>& fn) = 0;
  virtual void ForEachLink(const std::function<bool(const std::string& from, const std::string& to,
                                                    const std::vector<std::string>& venues)>& fn) = 0;
  // Events with time < before, in time order: (time, person, id, type).
  virtual void ForEachExpiring(TimeMs before,
                               const std::function<bool(TimeMs time, const std::string& person,
                                                        const std::string& id, EventType type)>& fn) = 0;
  virtual uint64_t GetCounter(std::string_view name) = 0;

  // Alerts with seq > after, ascending.
  virtual void ForEachAlert(uint64_t after, const std::function<bool(const AlertView&)>& fn) = 0;
  // The seq the next alert gets (1 for a new store).
  virtual uint64_t NextAlertSeq() = 0;
  virtual std::optional<std::vector<std::string>> GetCluster(std::string_view id) = 0;
  virtual std::optional<std::string> GetClusterOf(std::string_view person) = 0;
  // Every stored cluster, in id order: (id, cases sorted).
  virtual void ForEachCluster(const std::function<bool(const std::string& id,
                                                       const std::vector<std::string>& cases)>& fn) = 0;
  virtual std::optional<HotspotView> GetHotspot(std::string_view venue) = 0;
  virtual void ForEachHotspot(const std::function<bool(const HotspotView&)>& fn) = 0;
  virtual void ForEachForget(const std::function<bool(const std::string& person)>& fn) = 0;
};

// The key of a visit in the venue-time index, usable as a `resume_after` cursor.
std::string VenueVisitKey(const VisitRecord& visit);

class StateTxn : public StateView {
 public:
  virtual void PutEvent(const Event& event) = 0;
  virtual void DeleteEvent(const Event& event) = 0;
  virtual void PutVisit(const VisitRecord& visit) = 0;     // both indexes
  virtual void DeleteVisit(const VisitRecord& visit) = 0;  // both indexes
  // The support index holds the visits of the people whose level is below max_depth (cases
  // included): the only ones who can put others at a level. The engine keeps it in step.
  virtual void PutSupportVisit(const VisitRecord& visit) = 0;
  virtual void DeleteSupportVisit(const VisitRecord& visit) = 0;
  // Writes `now_state` for `person`, keeping the levels and cases indexes in step with
  // `old_state` (what GetPerson returned before).
  virtual void PutPerson(std::string_view person, const PersonState& old_state,
                         const PersonState& now_state) = 0;
  virtual void PutLink(std::string_view from, std::string_view to,
                       const std::vector<std::string>& venues) = 0;
  virtual void DeleteLink(std::string_view from, std::string_view to) = 0;
  virtual void AddCounter(std::string_view name, int64_t delta) = 0;

  // Stores `alert` with the next seq (which it returns), indexed by every person it names.
  virtual uint64_t AppendAlert(AlertView alert) = 0;
  // Marks a person whose events have all expired, so the next erase pass drops their alerts.
  virtual void PutForget(std::string_view person) = 0;
  // Deletes every alert naming one of `persons` and their forget marks. Returns how many
  // alerts went. Reads every alert once (names in `via` are not indexed).
  virtual uint64_t ForgetPersons(const std::vector<std::string>& persons) = 0;
  uint64_t ForgetPerson(const std::string& person) { return ForgetPersons({person}); }
  // Deletes the alerts made before `cut` (their `at`), with their index entries. Returns how
  // many went.
  virtual uint64_t DeleteAlertsBefore(TimeMs cut) = 0;
  virtual void PutCluster(std::string_view id, const std::vector<std::string>& cases) = 0;
  virtual void DeleteCluster(std::string_view id) = 0;
  virtual void PutClusterOf(std::string_view person, std::string_view id) = 0;
  virtual void DeleteClusterOf(std::string_view person) = 0;
  virtual void PutHotspot(const HotspotView& hotspot) = 0;
  virtual void DeleteHotspot(std::string_view venue) = 0;
};

class StateStore {
 public:
  // Opens (creating if needed; with options.read_only: an existing store, without writing to
  // it) the store in `dir`. Returns nullptr and sets *error on failure.
  static std::unique_ptr<StateStore> Open(const std::string& dir, const StoreOptions& options,
                                          std::string* error);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // The log positions applied so far (empty for a new store).
  LogPositions Applied();

  std::unique_ptr<StateTxn> Begin();
  // Commits the transaction and the new applied position in one atomic write.
  // Returns false and sets *error on failure (nothing is written then).
  [[nodiscard]] bool Commit(StateTxn& txn, const LogPositions& applied, std::string* error);

  // A consistent read-only view as of now.
  std::unique_ptr<StateView> Snapshot();

  // Flushes memtables to files (shutdown, tests).
  void Flush();

  // Makes deletions physical: flushes every column family, so the write-ahead logs that held
  // the deleted records are dropped, and rewrites every file down to the bottom level, so no
  // deleted record survives in an older file. Returns false and sets *error on failure.
  [[nodiscard]] bool CompactAll(std::string* error);

  // The earliest event time among the live events; nullopt when there are none.
  std::optional<TimeMs> OldestEventTime();

  // Whether some live file of the time-keyed `expiry` column family holds only event times
  // before `cut` (it should not once an erase pass has run).
  bool AnyFileWhollyBefore(TimeMs cut);

  // Small named values kept beside the derived state, outside any transaction (default column
  // family, key "mark/<name>"): bookkeeping such as how far alerts were produced to Kafka
  // (processors/alert_publisher.h). PutMark is one synced write, so it also makes every commit
  // before it durable. GetMark: nullopt when never written.
  std::optional<std::string> GetMark(std::string_view name);
  [[nodiscard]] bool PutMark(std::string_view name, std::string_view value, std::string* error);

  struct Handles;

 private:
  StateStore() = default;
  std::unique_ptr<rocksdb::DB> db_;
  std::unique_ptr<Handles> handles_;
};

}  // namespace ctrace
