#include "stores/rocksdb_erase.h"

#include <rocksdb/filter_policy.h>

#include <rocksdb/db.h>
#include <rocksdb/metadata.h>
#include <rocksdb/options.h>

#include "stores/key_codec.h"

namespace ctrace {

void ApplyEraseFriendlyOptions(rocksdb::DBOptions* options) {
  // A new MANIFEST (with only the live files) on every change; the old one is deleted.
  options->max_manifest_file_size = 1;
  options->info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  options->keep_log_file_num = 2;
  options->WAL_ttl_seconds = 0;
  options->WAL_size_limit_MB = 0;
  options->recycle_log_file_num = 0;  // a recycled WAL would keep old records' bytes
}

rocksdb::Status OpenWithColumnFamilies(
    const std::string& dir, const std::vector<const char*>& names, const rocksdb::ColumnFamilyOptions& cf_options,
    bool read_only, std::vector<rocksdb::ColumnFamilyHandle*>* handles, rocksdb::DB** db,
    const std::function<void(std::string_view name, rocksdb::ColumnFamilyOptions*)>& tune) {
  rocksdb::DBOptions db_options;
  db_options.create_if_missing = !read_only;
  db_options.create_missing_column_families = true;
  db_options.max_background_jobs = 2;
  // Write-ahead logs are dropped once every column family holding their records has flushed;
  // a column family written rarely would otherwise keep gigabytes of them (and the bytes of
  // records deleted since) until the default limit of four times all write buffers.
  db_options.max_total_wal_size = 128 << 20;
  ApplyEraseFriendlyOptions(&db_options);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (const char* name : names) {
    descriptors.emplace_back(name, cf_options);
    if (tune) tune(name, &descriptors.back().options);
  }
  if (read_only) return rocksdb::DB::OpenForReadOnly(db_options, dir, descriptors, handles, db);
  return rocksdb::DB::Open(db_options, dir, descriptors, handles, db);
}

void UsePointLookupFilters(const rocksdb::BlockBasedTableOptions& table, rocksdb::ColumnFamilyOptions* options) {
  rocksdb::BlockBasedTableOptions filtered = table;
  filtered.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  options->table_factory.reset(rocksdb::NewBlockBasedTableFactory(filtered));
  options->memtable_whole_key_filtering = true;
  options->memtable_prefix_bloom_size_ratio = 0.05;
}

bool CompactDb(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs, std::string* error) {
  rocksdb::FlushOptions flush_options;
  flush_options.wait = true;
  auto status = db->Flush(flush_options, cfs);
  if (!status.ok()) {
    *error = "flush failed: " + status.ToString();
    return false;
  }
  rocksdb::CompactRangeOptions compact_options;
  compact_options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  compact_options.exclusive_manual_compaction = false;
  for (auto* cf : cfs) {
    status = db->CompactRange(compact_options, cf, nullptr, nullptr);
    if (!status.ok()) {
      *error = "compaction failed: " + status.ToString();
      return false;
    }
  }
  // A MANIFEST that rolls over starts with the file list from before the edit that made it
  // roll, boundary keys included: one more small edit (a flushed marker) makes the current
  // MANIFEST start from the compacted list.
  status = db->Put(rocksdb::WriteOptions(), cfs.front(), "erase/marker", "");
  if (status.ok()) status = db->Flush(flush_options, cfs.front());
  if (!status.ok()) {
    *error = "flush after compaction failed: " + status.ToString();
    return false;
  }
  return true;
}

bool AnyFileKeyedWhollyBefore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, TimeMs cut) {
  rocksdb::ColumnFamilyMetaData meta;
  db->GetColumnFamilyMetaData(cf, &meta);
  for (const auto& level : meta.levels) {
    for (const auto& file : level.files) {
      if (file.largestkey.size() < 8) continue;
      if (GetTimeBE(file.largestkey) < cut) return true;
    }
  }
  return false;
}

}  // namespace ctrace
