#include "api/view_json.h"

namespace ctrace {
namespace {

void WriteOptionalString(const std::optional<std::string>& value, JsonWriter& json) {
  if (value) {
    json.String(*value);
  } else {
    json.Null();
  }
}

void WriteWindow(const Window& window, JsonWriter& json) {
  json.BeginObject();
  json.Key("start").Time(window.start);
  json.Key("end").Time(window.end);
  json.EndObject();
}

void WriteCaseInfo(const CaseInfo& info, JsonWriter& json) {
  json.BeginObject();
  json.Key("sampled_at").Time(info.sampled_at);
  json.Key("resulted_at").Time(info.resulted_at);
  json.Key("onset").Time(info.onset);
  json.Key("window");
  WriteWindow(info.window, json);
  json.EndObject();
}

}  // namespace

void WriteIngestResult(const IngestResult& result, JsonWriter& json) {
  json.BeginObject();
  json.Key("accepted").Uint(result.accepted);
  json.Key("duplicates").Uint(result.duplicates);
  json.Key("rejected").BeginArray();
  for (const Rejection& rejection : result.rejected) {
    json.BeginObject();
    json.Key("line").Uint(rejection.line);
    if (!rejection.id.empty()) json.Key("id").String(rejection.id);
    json.Key("reason").String(rejection.reason);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

void WritePerson(const PersonView& person, JsonWriter& json) {
  json.BeginObject();
  json.Key("person").String(person.person);
  json.Key("level");
  if (person.level) {
    json.Int(*person.level);
  } else {
    json.Null();
  }
  json.Key("exposed_at").Time(person.exposed_at);
  json.Key("via").StringArray(person.via);
  json.Key("case");
  if (person.case_info) {
    WriteCaseInfo(*person.case_info, json);
  } else {
    json.Null();
  }
  json.Key("visits").BeginArray();
  for (const VisitView& visit : person.visits) {
    json.BeginObject();
    json.Key("venue").String(visit.venue);
    json.Key("start").Time(visit.start);
    json.Key("end").Time(visit.end);
    json.Key("checked_out").Bool(visit.checked_out);
    json.EndObject();
  }
  json.EndArray();
  json.Key("tests").BeginArray();
  for (const TestView& test : person.tests) {
    json.BeginObject();
    json.Key("id").String(test.id);
    json.Key("sampled_at").Time(test.sampled_at);
    json.Key("resulted_at").Time(test.resulted_at);
    json.Key("result").String(TestOutcomeName(test.result));
    // An unspecified kind has no name: null rather than "".
    if (test.kind == TestKind::kUnspecified) {
      json.Key("kind").Null();
    } else {
      json.Key("kind").String(TestKindName(test.kind));
    }
    json.EndObject();
  }
  json.EndArray();
  json.Key("contacts").BeginArray();
  for (const ContactView& contact : person.contacts) {
    json.BeginObject();
    json.Key("person").String(contact.person);
    json.Key("level").Int(contact.level);
    json.Key("venue").String(contact.venue);
    json.Key("start").Time(contact.start);
    json.Key("end").Time(contact.end);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

void WriteExposedPage(int level, const ExposedPage& page,
                      const std::optional<std::string>& next_cursor, JsonWriter& json) {
  json.BeginObject();
  json.Key("level").Int(level);
  json.Key("persons").BeginArray();
  for (const ExposedEntry& entry : page.persons) {
    json.BeginObject();
    json.Key("person").String(entry.person);
    json.Key("exposed_at").Time(entry.exposed_at);
    json.Key("via").StringArray(entry.via);
    json.EndObject();
  }
  json.EndArray();
  json.Key("next_cursor");
  WriteOptionalString(next_cursor, json);
  json.EndObject();
}

void WriteCasesPage(const CasesPage& page, const std::optional<std::string>& next_cursor,
                    JsonWriter& json) {
  json.BeginObject();
  json.Key("cases").BeginArray();
  for (const CaseEntry& entry : page.cases) {
    json.BeginObject();
    json.Key("person").String(entry.person);
    json.Key("sampled_at").Time(entry.info.sampled_at);
    json.Key("window");
    WriteWindow(entry.info.window, json);
    json.Key("linked_from").StringArray(entry.linked_from);
    json.EndObject();
  }
  json.EndArray();
  json.Key("next_cursor");
  WriteOptionalString(next_cursor, json);
  json.EndObject();
}

void WriteChain(const ChainView& chain, JsonWriter& json) {
  json.BeginObject();
  json.Key("root").String(chain.root);
  json.Key("nodes").BeginArray();
  for (const ChainNode& node : chain.nodes) {
    json.BeginObject();
    json.Key("person").String(node.person);
    json.Key("level").Int(node.level);
    json.Key("exposed_at").Time(node.exposed_at);
    json.Key("is_case").Bool(node.is_case);
    json.EndObject();
  }
  json.EndArray();
  json.Key("edges").BeginArray();
  for (const ChainEdge& edge : chain.edges) {
    json.BeginObject();
    json.Key("from").String(edge.from);
    json.Key("to").String(edge.to);
    json.Key("venue").String(edge.venue);
    json.Key("start").Time(edge.start);
    json.Key("end").Time(edge.end);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

void WriteClusters(const std::vector<ClusterView>& clusters, JsonWriter& json) {
  json.BeginObject();
  json.Key("clusters").BeginArray();
  for (const ClusterView& cluster : clusters) {
    json.BeginObject();
    json.Key("id").String(cluster.id);
    json.Key("cases").StringArray(cluster.cases);
    json.Key("links").BeginArray();
    for (const ClusterLink& link : cluster.links) {
      json.BeginObject();
      json.Key("from").String(link.from);
      json.Key("to").String(link.to);
      json.EndObject();
    }
    json.EndArray();
    json.Key("venues").StringArray(cluster.venues);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

void WriteVenueVisits(std::string_view venue, const VenueVisitsPage& page,
                      const std::optional<std::string>& next_cursor, JsonWriter& json) {
  json.BeginObject();
  json.Key("venue").String(venue);
  json.Key("visits").BeginArray();
  for (const VisitView& visit : page.visits) {
    json.BeginObject();
    json.Key("person").String(visit.person);
    json.Key("start").Time(visit.start);
    json.Key("end").Time(visit.end);
    json.Key("checked_out").Bool(visit.checked_out);
    json.EndObject();
  }
  json.EndArray();
  json.Key("next_cursor");
  WriteOptionalString(next_cursor, json);
  json.EndObject();
}

void WriteHotspots(const std::vector<HotspotView>& hotspots, JsonWriter& json) {
  json.BeginObject();
  json.Key("hotspots").BeginArray();
  for (const HotspotView& hotspot : hotspots) {
    json.BeginObject();
    json.Key("venue").String(hotspot.venue);
    json.Key("cases").StringArray(hotspot.cases);
    json.Key("since").Time(hotspot.since);
    json.EndObject();
  }
  json.EndArray();
  json.EndObject();
}

void WriteAlert(const AlertView& alert, JsonWriter& json) {
  json.BeginObject();
  json.Key("seq").Uint(alert.seq);
  json.Key("at").Time(alert.at);
  json.Key("type").String(AlertTypeName(alert.type));
  switch (alert.type) {
    case AlertType::kCaseNew:
      json.Key("person").String(alert.person);
      json.Key("sampled_at").Time(alert.sampled_at);
      break;
    case AlertType::kExposureNew:
    case AlertType::kExposureChanged:
      json.Key("person").String(alert.person);
      json.Key("level").Int(alert.level);
      json.Key("exposed_at").Time(alert.exposed_at);
      json.Key("via").StringArray(alert.via);
      break;
    case AlertType::kExposureRetracted:
      json.Key("person").String(alert.person);
      json.Key("was_level").Int(alert.was_level);
      break;
    case AlertType::kClusterChanged:
      json.Key("id").String(alert.id);
      json.Key("cases").StringArray(alert.cases);
      break;
    case AlertType::kClusterDissolved:
      json.Key("id").String(alert.id);
      break;
    case AlertType::kVenueHotspot:
      json.Key("venue").String(alert.venue);
      json.Key("cases").StringArray(alert.cases);
      break;
  }
  json.EndObject();
}

void WriteAlertsPage(const AlertsPage& page, JsonWriter& json) {
  json.BeginObject();
  json.Key("alerts").BeginArray();
  for (const AlertView& alert : page.alerts) WriteAlert(alert, json);
  json.EndArray();
  json.Key("next_seq").Uint(page.next_seq);
  json.EndObject();
}

void WriteStats(const StatsView& stats, JsonWriter& json) {
  json.BeginObject();
  json.Key("events").BeginObject();
  for (const auto& [name, count] : stats.events) json.Key(name).Uint(count);
  json.EndObject();
  json.Key("persons_by_level").BeginObject();
  for (const auto& [level, count] : stats.persons_by_level) {
    json.Key(std::to_string(level)).Uint(count);
  }
  json.EndObject();
  json.Key("cases").Uint(stats.cases);
  json.Key("visits").Uint(stats.visits);
  json.Key("log_end").Uint(stats.log_end);
  json.Key("applied").Uint(stats.applied);
  json.Key("lag").Uint(stats.log_end > stats.applied ? stats.log_end - stats.applied : 0);
  json.Key("uptime_seconds").Int(stats.uptime / kSecond);
  json.Key("now").Time(stats.now);
  json.EndObject();
}

}  // namespace ctrace
