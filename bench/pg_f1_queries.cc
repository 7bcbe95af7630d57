#include "bench/pg_f1_queries.h"

#include "processors/visit_builder.h"

namespace ctrace::bench {

namespace {

std::string Interval(DurationMs duration) {
  return "interval '" + std::to_string(duration) + " milliseconds'";
}

// Milliseconds since the epoch of a timestamptz, exactly (extract returns numeric).
std::string Millis(const std::string& expr) { return "(extract(epoch from " + expr + ") * 1000)::bigint"; }

// The clipped overlap of m and o inside [ws, we) is at least min_overlap (tracing §3).
std::string ContactCondition(const std::string& ws, const std::string& we, const TracingParams& params) {
  return "least(upper(m.during), upper(o.during), " + we + ") - greatest(lower(m.during), lower(o.during), " +
         ws + ") >= " + Interval(params.min_overlap);
}

// How a variant finds the visits `o` of others at m's venue that may overlap m inside [ws, we).
using JoinCondition = std::string (*)(const std::string& ws, const std::string& we, const TracingParams& params);

std::string GistJoin(const std::string& ws, const std::string& we, const TracingParams&) {
  return "o.venue = m.venue AND o.during && (m.during * tstzrange(" + ws + ", " + we + ")) AND o.person <> m.person";
}

// A visit o that shares min_overlap with m inside [ws, we) starts no earlier than
// max(m.start, ws) - longest visit, and no later than min(m.end, we) - min_overlap.
std::string BtreeJoin(const std::string& ws, const std::string& we, const TracingParams& params) {
  return "o.venue = m.venue AND lower(o.during) >= greatest(lower(m.during), " + ws + ") - " +
         Interval(LongestVisit(params)) + " AND lower(o.during) <= least(upper(m.during), " + we + ") - " +
         Interval(params.min_overlap) + " AND o.person <> m.person";
}

const std::string kWs = "$2::timestamptz";
const std::string kWe = "$3::timestamptz";

// F1 of the case $1 in [$2, $3): (person, exposed_at as timestamptz).
std::string F1Select(JoinCondition join, const TracingParams& params) {
  return "SELECT o.person, min(greatest(lower(m.during), lower(o.during), " + kWs + ")) AS exposed_at\n"
         "  FROM visits m JOIN visits o ON " + join(kWs, kWe, params) + "\n"
         "  WHERE m.person = $1 AND m.during && tstzrange(" + kWs + ", " + kWe + ")\n"
         "    AND " + ContactCondition(kWs, kWe, params) + "\n"
         "  GROUP BY o.person";
}

std::string F1Sql(JoinCondition join, const TracingParams& params) {
  return "WITH f1 AS (" + F1Select(join, params) + ")\nSELECT 1, person, " + Millis("exposed_at") + " FROM f1";
}

std::string Chain2Sql(JoinCondition join, const TracingParams& params) {
  const std::string ws = "f1.exposed_at";
  const std::string we = "(f1.exposed_at + " + Interval(params.onward_window) + ")";
  return "WITH f1 AS (" + F1Select(join, params) + "),\n"
         "f2 AS (SELECT o.person, min(greatest(lower(m.during), lower(o.during), " + ws + ")) AS exposed_at\n"
         "  FROM f1 JOIN visits m ON m.person = f1.person AND m.during && tstzrange(" + ws + ", " + we + ")\n"
         "  JOIN visits o ON " + join(ws, we, params) + "\n"
         "  WHERE o.person <> $1 AND NOT EXISTS (SELECT 1 FROM f1 AS seen WHERE seen.person = o.person)\n"
         "    AND " + ContactCondition(ws, we, params) + "\n"
         "  GROUP BY o.person)\n"
         "SELECT 1, person, " + Millis("exposed_at") + " FROM f1\n"
         "UNION ALL SELECT 2, person, " + Millis("exposed_at") + " FROM f2";
}

}  // namespace

std::string PgSchemaSql() {
  return "CREATE EXTENSION IF NOT EXISTS btree_gist;\n"
         "DROP TABLE IF EXISTS visits;\n"
         "CREATE TABLE visits (person text NOT NULL, venue text NOT NULL, during tstzrange NOT NULL);";
}

std::string PgCopySql() { return "COPY visits (person, venue, during) FROM STDIN"; }

PgVariant PgGistVariant(const TracingParams& params) {
  PgVariant variant;
  variant.name = "pg_gist";
  variant.description = "PostgreSQL GiST (venue, during) + btree (person), && self-join";
  variant.indexes = {
      {"GiST (venue, during)", "CREATE INDEX visits_venue_during_gist ON visits USING gist (venue, during)"},
      {"btree (person)", "CREATE INDEX visits_person ON visits (person)"},
  };
  variant.drop = {"DROP INDEX visits_venue_during_gist", "DROP INDEX visits_person"};
  variant.f1_sql = F1Sql(GistJoin, params);
  variant.chain2_sql = Chain2Sql(GistJoin, params);
  return variant;
}

PgVariant PgBtreeVariant(const TracingParams& params) {
  PgVariant variant;
  variant.name = "pg_btree";
  variant.description = "PostgreSQL covering btrees (venue, lower(during)) + (person), bounded scan";
  variant.indexes = {
      {"btree (venue, lower(during)) INCLUDE (person, during)",
       "CREATE INDEX visits_venue_start ON visits (venue, lower(during)) INCLUDE (person, during)"},
      {"btree (person) INCLUDE (venue, during)",
       "CREATE INDEX visits_person_covering ON visits (person) INCLUDE (venue, during)"},
  };
  variant.drop = {"DROP INDEX visits_venue_start", "DROP INDEX visits_person_covering"};
  variant.f1_sql = F1Sql(BtreeJoin, params);
  variant.chain2_sql = Chain2Sql(BtreeJoin, params);
  return variant;
}

}  // namespace ctrace::bench
