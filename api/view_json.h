// The JSON answers of api.md, written from the query and ingest views. Each function writes
// one complete JSON object (the whole answer) with `json`; times go through FormatUtc and
// absent values are written as null.
#pragma once

#include <optional>
#include <string>

#include "api/json_writer.h"
#include "ingest/ingest_service.h"
#include "processors/views.h"

namespace ctrace {

// {"accepted", "duplicates", "rejected": [{"line", "id" (when read), "reason"}]}
void WriteIngestResult(const IngestResult& result, JsonWriter& json);

// {"person", "level", "exposed_at", "via", "case", "visits", "tests", "contacts"}
void WritePerson(const PersonView& person, JsonWriter& json);

// {"level", "persons": [{"person", "exposed_at", "via"}], "next_cursor"}
void WriteExposedPage(int level, const ExposedPage& page,
                      const std::optional<std::string>& next_cursor, JsonWriter& json);

// {"cases": [{"person", "sampled_at", "window", "linked_from"}], "next_cursor"}
void WriteCasesPage(const CasesPage& page, const std::optional<std::string>& next_cursor,
                    JsonWriter& json);

// {"root", "nodes": [{"person", "level", "exposed_at", "is_case"}],
//  "edges": [{"from", "to", "venue", "start", "end"}]}
void WriteChain(const ChainView& chain, JsonWriter& json);

// {"clusters": [{"id", "cases", "links": [{"from", "to"}], "venues"}]}
void WriteClusters(const std::vector<ClusterView>& clusters, JsonWriter& json);

// {"venue", "visits": [{"person", "start", "end", "checked_out"}], "next_cursor"}
void WriteVenueVisits(std::string_view venue, const VenueVisitsPage& page,
                      const std::optional<std::string>& next_cursor, JsonWriter& json);

// {"hotspots": [{"venue", "cases", "since"}]}
void WriteHotspots(const std::vector<HotspotView>& hotspots, JsonWriter& json);

// One alert of api.md "Alerts": {"seq", "at", "type", ...the fields of its type}:
//   case.new (person, sampled_at); exposure.new / exposure.changed (person, level, exposed_at,
//   via); exposure.retracted (person, was_level); cluster.changed (id, cases);
//   cluster.dissolved (id); venue.hotspot (venue, cases).
void WriteAlert(const AlertView& alert, JsonWriter& json);

// {"alerts": [...], "next_seq"}
void WriteAlertsPage(const AlertsPage& page, JsonWriter& json);

// {"events": {...}, "persons_by_level": {"0": n, ...}, "cases", "visits", "log_end", "applied",
//  "lag", "uptime_seconds", "now"}
void WriteStats(const StatsView& stats, JsonWriter& json);

}  // namespace ctrace
