// The PostgreSQL side of the side-by-side benchmark (bench/pg_side_by_side.cc): the table, the
// two index variants and the F1 and depth-2 chain queries in SQL, written from tracing.md so
// that they return exactly what ctrace answers.
//
//   visits(person text, venue text, during tstzrange)   -- one row per derived visit [start, end)
//
// Every query takes the case as $1 (person), $2 and $3 (its window W0 as timestamptz text) and
// returns (level, person, contact time in ms since the epoch), contact time being the earliest
// start of a clipped overlap [max(a1, a2, ws), min(e1, e2, we)) of at least min_overlap with
// another person at the same venue (tracing §3). The depth-2 query is the chain of tracing §6
// cut at depth 2: F1 as above, then everyone else met inside [exposed_at, exposed_at +
// onward_window) of an F1 person.
#pragma once

#include <string>
#include <vector>

#include "model/params.h"

namespace ctrace::bench {

struct PgIndex {
  std::string label;  // "gist (venue, during)"
  std::string sql;    // CREATE INDEX ...
};

struct PgVariant {
  std::string name;         // "pg_gist", "pg_btree": keys of the JSON report
  std::string description;  // one line for the table
  std::vector<PgIndex> indexes;
  std::vector<std::string> drop;  // DROP INDEX statements undoing `indexes`
  std::string f1_sql;             // level 1 only
  std::string chain2_sql;         // levels 1 and 2
};

// CREATE EXTENSION btree_gist and the empty visits table.
std::string PgSchemaSql();
// The COPY statement that fills it from text lines "person \t venue \t [start,end)".
std::string PgCopySql();

// Variant 1, the plain design: GiST (venue, during) via btree_gist, a btree on person, and a
// range-overlap self-join (&&).
PgVariant PgGistVariant(const TracingParams& params);

// Variant 2, what a DBA tuning for this query would build: a covering btree
// (venue, lower(during)) INCLUDE (person, during) probed with a bounded range on the start
// (no visit lasts longer than max_stay, so an overlapping visit starts at most that much
// earlier), and a covering btree (person) INCLUDE (venue, during): both sides index-only.
PgVariant PgBtreeVariant(const TracingParams& params);

}  // namespace ctrace::bench
