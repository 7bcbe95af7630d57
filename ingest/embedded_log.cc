#include "ingest/embedded_log.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <array>
#include <set>
#include <unordered_set>

#include "ingest/event_codec.h"
#include "stores/key_codec.h"
#include "stores/rocksdb_erase.h"

namespace ctrace {

namespace {

enum Cf : size_t { kDefault = 0, kLog, kIds, kByTime, kDeadLetter, kCfCount };
constexpr std::array<const char*, kCfCount> kCfNames = {"default", "log", "ids", "by_time", "deadletter"};

constexpr std::string_view kEndKey = "end";
constexpr std::string_view kDeadLetterSeqKey = "dlseq";
constexpr std::string_view kCounterPrefix = "count/";

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

std::string PositionKey(uint64_t position) {
  std::string key;
  PutFixed64BE(&key, position);
  return key;
}

}  // namespace

struct EmbeddedLog::Handles {
  std::array<rocksdb::ColumnFamilyHandle*, kCfCount> cf{};
};

std::unique_ptr<EmbeddedLog> EmbeddedLog::Open(const std::string& dir, const LogOptions& options,
                                               std::string* error) {
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.compression = options.compression ? rocksdb::kLZ4Compression : rocksdb::kNoCompression;
  cf_options.bottommost_compression = cf_options.compression;
  cf_options.write_buffer_size = 16 << 20;
  std::vector<rocksdb::ColumnFamilyHandle*> cf_handles;
  rocksdb::DB* raw_db = nullptr;
  auto tune = [](std::string_view name, rocksdb::ColumnFamilyOptions* cf) {
    if (name == kCfNames[kIds]) UsePointLookupFilters(rocksdb::BlockBasedTableOptions(), cf);
  };
  const auto status = OpenWithColumnFamilies(dir, {kCfNames.begin(), kCfNames.end()}, cf_options,
                                             options.read_only, &cf_handles, &raw_db, tune);
  if (!status.ok()) {
    *error = "cannot open the event log in " + dir + ": " + status.ToString();
    return nullptr;
  }
  std::unique_ptr<EmbeddedLog> log(new EmbeddedLog());
  log->db_.reset(raw_db);
  log->handles_ = std::make_unique<Handles>();
  for (size_t cf_idx = 0; cf_idx < kCfCount; ++cf_idx) log->handles_->cf[cf_idx] = cf_handles[cf_idx];
  log->options_ = options;

  auto& meta = log->handles_->cf[kDefault];
  std::string value;
  if (raw_db->Get(rocksdb::ReadOptions(), meta, ToSlice(kEndKey), &value).ok() && value.size() == 8) {
    log->end_ = GetFixed64BE(value);
  }
  if (raw_db->Get(rocksdb::ReadOptions(), meta, ToSlice(kDeadLetterSeqKey), &value).ok() && value.size() == 8) {
    log->dead_letter_seq_ = GetFixed64BE(value);
  }
  std::unique_ptr<rocksdb::Iterator> it(raw_db->NewIterator(rocksdb::ReadOptions(), meta));
  for (it->Seek(ToSlice(kCounterPrefix)); it->Valid() && it->key().starts_with(ToSlice(kCounterPrefix)); it->Next()) {
    ValueReader reader({it->value().data(), it->value().size()});
    uint64_t count = 0;
    if (!reader.GetFixed64LE(&count)) continue;
    log->counters_[it->key().ToString().substr(kCounterPrefix.size())] = count;
  }
  return log;
}

EmbeddedLog::~EmbeddedLog() {
  if (!db_) return;
  for (auto* handle : handles_->cf) {
    if (handle != nullptr) db_->DestroyColumnFamilyHandle(handle);
  }
  db_->Close();
}

bool EmbeddedLog::Append(const std::vector<Event>& events, const std::vector<DeadLetter>& dead_letters,
                         TimeMs receive_time, std::vector<AppendOutcome>* outcomes, uint64_t* end,
                         std::string* error) {
  std::lock_guard<std::mutex> lock(mutex_);
  outcomes->assign(events.size(), AppendOutcome::kAccepted);
  rocksdb::WriteBatch batch;
  std::unordered_set<std::string_view> ids_in_batch;
  std::map<std::string, uint64_t> counter_deltas;
  uint64_t position = end_;
  std::string value;
  // Index entries go into the batch in key order, column family by column family: each
  // memtable insert then starts its skip-list search where the previous one ended.
  std::vector<std::pair<std::string_view, std::string>> id_entries;  // id -> position key
  std::vector<std::string> time_keys;
  id_entries.reserve(events.size());
  time_keys.reserve(events.size());
  for (size_t event_idx = 0; event_idx < events.size(); ++event_idx) {
    const Event& event = events[event_idx];
    const std::string type(EventTypeName(event.type));
    const bool seen = ids_in_batch.count(event.id) != 0 ||
                      db_->Get(rocksdb::ReadOptions(), handles_->cf[kIds], ToSlice(event.id), &value).ok();
    if (seen) {
      (*outcomes)[event_idx] = AppendOutcome::kDuplicate;
      ++counter_deltas[type + ".duplicate"];
      continue;
    }
    ids_in_batch.insert(event.id);
    std::string key = PositionKey(position);
    batch.Put(handles_->cf[kLog], ToSlice(key), ToSlice(EncodeEvent(event)));
    std::string time_key;
    PutTimeBE(&time_key, event.time);
    time_key.append(key);
    time_keys.push_back(std::move(time_key));
    id_entries.emplace_back(event.id, std::move(key));
    ++counter_deltas[type + ".accepted"];
    ++position;
  }
  std::sort(id_entries.begin(), id_entries.end());
  for (const auto& [id, key] : id_entries) batch.Put(handles_->cf[kIds], ToSlice(id), ToSlice(key));
  std::sort(time_keys.begin(), time_keys.end());
  for (const auto& time_key : time_keys) batch.Put(handles_->cf[kByTime], ToSlice(time_key), rocksdb::Slice());
  uint64_t dead_letter_seq = dead_letter_seq_;
  for (const auto& letter : dead_letters) {
    std::string key;
    PutTimeBE(&key, letter.retain_from.value_or(receive_time));
    PutFixed64BE(&key, dead_letter_seq++);
    std::string record = letter.reason;
    record.push_back('\0');
    record.append(letter.raw.substr(0, kDeadLetterRawLimit));
    batch.Put(handles_->cf[kDeadLetter], ToSlice(key), ToSlice(record));
    ++counter_deltas["rejected." + letter.reason];
  }
  std::map<std::string, uint64_t> new_counters = counters_;
  for (const auto& [name, delta] : counter_deltas) {
    new_counters[name] += delta;
    std::string count;
    PutFixed64LE(&count, new_counters[name]);
    batch.Put(handles_->cf[kDefault], ToSlice(std::string(kCounterPrefix) + name), ToSlice(count));
  }
  batch.Put(handles_->cf[kDefault], ToSlice(kEndKey), ToSlice(PositionKey(position)));
  batch.Put(handles_->cf[kDefault], ToSlice(kDeadLetterSeqKey), ToSlice(PositionKey(dead_letter_seq)));
  rocksdb::WriteOptions write_options;
  write_options.sync = options_.sync;
  const auto status = db_->Write(write_options, &batch);
  if (!status.ok()) {
    *error = "event log write failed: " + status.ToString();
    return false;
  }
  counters_ = std::move(new_counters);
  dead_letter_seq_ = dead_letter_seq;
  const bool grew = position != end_;
  end_ = position;
  *end = position;
  if (grew) appended_.notify_all();
  return true;
}

SinkResult EmbeddedLog::Write(const SinkBatch& batch) {
  SinkResult result;
  if (!Append(batch.events, batch.dead_letters, batch.receive_time, &result.outcomes, &result.ticket,
              &result.error)) {
    result.status = SinkStatus::kError;
  }
  return result;
}

bool EmbeddedLog::TicketPositions(uint64_t ticket, LogPositions* positions) {
  *positions = {{0, static_cast<int64_t>(ticket)}};
  return true;
}

bool EmbeddedLog::Read(const LogPositions& applied, size_t max, std::vector<LogRecord>* records,
                       std::string* error) {
  records->clear();
  const auto applied_it = applied.find(0);
  const uint64_t from = applied_it == applied.end() ? 0 : static_cast<uint64_t>(applied_it->second);
  const uint64_t end = NextPosition();
  if (from >= end) return true;
  const std::string lower = PositionKey(from);
  const std::string upper = PositionKey(end);
  rocksdb::ReadOptions read_options;
  rocksdb::Slice upper_slice(upper);
  read_options.iterate_upper_bound = &upper_slice;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_->cf[kLog]));
  for (it->Seek(lower); it->Valid() && records->size() < max; it->Next()) {
    LogRecord record;
    record.offset = static_cast<int64_t>(GetFixed64BE({it->key().data(), it->key().size()}));
    if (!DecodeEvent({it->value().data(), it->value().size()}, &record.event)) {
      *error = "event log record at position " + std::to_string(record.offset) + " does not decode";
      return false;
    }
    records->push_back(std::move(record));
  }
  if (!it->status().ok()) {
    *error = "event log read failed: " + it->status().ToString();
    return false;
  }
  return true;
}

uint64_t EmbeddedLog::NextPosition() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return end_;
}

void EmbeddedLog::WaitForMore(const LogPositions& applied, std::chrono::milliseconds timeout) {
  const auto applied_it = applied.find(0);
  const int64_t from = applied_it == applied.end() ? 0 : applied_it->second;
  std::unique_lock<std::mutex> lock(mutex_);
  appended_.wait_for(lock, timeout, [&] { return static_cast<int64_t>(end_) > from; });
}

std::map<std::string, uint64_t> EmbeddedLog::Counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return counters_;
}

std::vector<DeadLetter> EmbeddedLog::DeadLetters() {
  std::vector<DeadLetter> letters;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_->cf[kDeadLetter]));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string record = it->value().ToString();
    const auto sep = record.find('\0');
    if (sep == std::string::npos) continue;
    letters.push_back({record.substr(0, sep), record.substr(sep + 1)});
  }
  return letters;
}

bool EmbeddedLog::EraseBefore(TimeMs cut, uint64_t* erased, std::string* error) {
  *erased = 0;
  std::string upper;
  PutTimeBE(&upper, cut);
  constexpr size_t kEraseBatch = 10'000;
  while (true) {
    // Appends may run meanwhile: they only add keys, and ids of erased events are removed with
    // their events, so the batch below never deletes what an append just wrote.
    rocksdb::WriteBatch batch;
    size_t in_batch = 0;
    rocksdb::ReadOptions read_options;
    rocksdb::Slice upper_slice(upper);
    read_options.iterate_upper_bound = &upper_slice;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_->cf[kByTime]));
    for (it->SeekToFirst(); it->Valid() && in_batch < kEraseBatch; it->Next()) {
      const auto key = it->key();
      if (key.size() != 16) continue;
      const std::string position = key.ToString().substr(8);
      std::string value;
      if (db_->Get(rocksdb::ReadOptions(), handles_->cf[kLog], position, &value).ok()) {
        Event event;
        if (DecodeEvent(value, &event)) batch.Delete(handles_->cf[kIds], event.id);
        batch.Delete(handles_->cf[kLog], position);
      }
      batch.Delete(handles_->cf[kByTime], key);
      ++in_batch;
    }
    if (!it->status().ok()) {
      *error = "event log erase scan failed: " + it->status().ToString();
      return false;
    }
    if (in_batch == 0) break;
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.sync;
    const auto status = db_->Write(write_options, &batch);
    if (!status.ok()) {
      *error = "event log erase failed: " + status.ToString();
      return false;
    }
    *erased += in_batch;
  }
  std::string lower;
  PutTimeBE(&lower, kTimeMin);
  auto status = db_->DeleteRange(rocksdb::WriteOptions(), handles_->cf[kDeadLetter], lower, upper);
  if (!status.ok()) {
    *error = "dead letter erase failed: " + status.ToString();
    return false;
  }
  std::vector<rocksdb::ColumnFamilyHandle*> all(handles_->cf.begin(), handles_->cf.end());
  return CompactDb(db_.get(), all, error);
}

std::optional<TimeMs> EmbeddedLog::OldestEventTime() {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handles_->cf[kByTime]));
  it->SeekToFirst();
  if (!it->Valid() || it->key().size() < 8) return std::nullopt;
  return GetTimeBE({it->key().data(), it->key().size()});
}

bool EmbeddedLog::AnyFileWhollyBefore(TimeMs cut) {
  return AnyFileKeyedWhollyBefore(db_.get(), handles_->cf[kByTime], cut);
}

}  // namespace ctrace
