// What it takes for a RocksDB instance to forget: options under which deleted records leave
// no copy behind once compacted, and the compaction that makes deletions physical.
//
// RocksDB keeps bytes of deleted records in four places: SST files (until compaction rewrites
// them), write-ahead logs (until every memtable they fed is flushed), the MANIFEST (file
// boundary keys, until it is rewritten) and the info LOG (if it prints keys). The options
// below roll the MANIFEST over on every change and keep the info log to warnings; the
// compaction flushes all column families and rewrites every file down to the bottom level.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/time.h"

#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/status.h>

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
}  // namespace rocksdb

namespace ctrace {

void ApplyEraseFriendlyOptions(rocksdb::DBOptions* options);

// Opens (read-write, creating what is missing; or read-only) the database in `dir` with the
// column families `names`, all with `cf_options`, under the erase-friendly options above.
// On success *db owns the database and `handles` has one handle per name, in order.
// `tune`, when set, may adjust the options of each column family by name.
rocksdb::Status OpenWithColumnFamilies(
    const std::string& dir, const std::vector<const char*>& names, const rocksdb::ColumnFamilyOptions& cf_options,
    bool read_only, std::vector<rocksdb::ColumnFamilyHandle*>* handles, rocksdb::DB** db,
    const std::function<void(std::string_view name, rocksdb::ColumnFamilyOptions*)>& tune = {});

// Gives a column family whose point lookups mostly miss (a new id) Bloom filters, in its files
// (over `table`, the table options it would have otherwise) and in its memtable, so a miss
// reads no block and walks no skip list.
void UsePointLookupFilters(const rocksdb::BlockBasedTableOptions& table, rocksdb::ColumnFamilyOptions* options);

// Flushes `cfs` and compacts each of them fully (bottommost level forced).
[[nodiscard]] bool CompactDb(rocksdb::DB* db, const std::vector<rocksdb::ColumnFamilyHandle*>& cfs,
                             std::string* error);

// For a column family whose keys start with an 8-byte time (sign-flipped big-endian): whether
// some live file's largest key is before `cut`.
bool AnyFileKeyedWhollyBefore(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, TimeMs cut);

}  // namespace ctrace
