#include "tests/support/api_json.h"

namespace ctrace::test_support {

using nlohmann::json;

json TimeJson(std::optional<Millis> t) { return t ? json(FormatRfc3339(*t)) : json(nullptr); }

json ExposedJson(const std::string& person, const RefExposure& e) {
  return json{{"person", person}, {"exposed_at", TimeJson(e.exposed_at)}, {"via", e.via}};
}

json CaseJson(const RefCase& c) {
  return json{{"person", c.person},
              {"sampled_at", FormatRfc3339(c.sampled_at)},
              {"window",
               {{"start", FormatRfc3339(c.window.start)}, {"end", FormatRfc3339(c.window.end)}}},
              {"linked_from", c.linked_from}};
}

json ClusterJson(const RefCluster& c) { return json{{"id", c.id}, {"cases", c.cases}}; }

json ChainNodeJson(const RefChainNode& n, bool with_is_case) {
  json out{{"person", n.person}, {"level", n.level}, {"exposed_at", TimeJson(n.exposed_at)}};
  if (with_is_case) out["is_case"] = n.is_case;
  return out;
}

json VenueVisitJson(const RefVisit& v) {
  return json{{"person", v.person},
              {"start", FormatRfc3339(v.start)},
              {"end", FormatRfc3339(v.end)},
              {"checked_out", v.checked_out}};
}

json PersonVisitJson(const RefVisit& v) {
  return json{{"venue", v.venue},
              {"start", FormatRfc3339(v.start)},
              {"end", FormatRfc3339(v.end)},
              {"checked_out", v.checked_out}};
}

json Pick(const json& object, std::initializer_list<const char*> fields) {
  if (!object.is_object()) return object;
  json out = json::object();
  for (const char* field : fields) {
    if (const auto it = object.find(field); it != object.end()) out[field] = *it;
  }
  return out;
}

}  // namespace ctrace::test_support

namespace ctrace::test_support {

nlohmann::json IngestJson(const RefIngestOutcome& outcome) {
  nlohmann::json rejected = nlohmann::json::array();
  for (const RefRejection& r : outcome.rejected) {
    rejected.push_back({{"line", r.line}, {"reason", r.reason}});
  }
  return {{"accepted", outcome.accepted},
          {"duplicates", outcome.duplicates},
          {"rejected", rejected}};
}

nlohmann::json PickIngest(const nlohmann::json& answer) {
  nlohmann::json out = Pick(answer, {"accepted", "duplicates", "rejected"});
  if (out.contains("rejected") && out["rejected"].is_array()) {
    for (auto& r : out["rejected"]) r = Pick(r, {"line", "reason"});
  }
  return out;
}

}  // namespace ctrace::test_support

namespace ctrace::test_support {

nlohmann::json LevelJson(ReferenceModel& model, int level) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [person, e] : model.AtLevel(level)) out.push_back(ExposedJson(person, e));
  return out;
}

nlohmann::json CasesJson(ReferenceModel& model) {
  nlohmann::json out = nlohmann::json::array();
  for (const RefCase& c : model.Cases()) out.push_back(CaseJson(c));
  return out;
}

nlohmann::json ClustersJson(ReferenceModel& model) {
  nlohmann::json out = nlohmann::json::array();
  for (const RefCluster& c : model.Clusters()) out.push_back(ClusterJson(c));
  return out;
}

nlohmann::json ChainJson(ReferenceModel& model, const std::string& person, int depth,
                         bool with_is_case) {
  const auto nodes = model.Chain(person, depth);
  if (!nodes) return nullptr;
  nlohmann::json out = nlohmann::json::array();
  for (const RefChainNode& n : *nodes) out.push_back(ChainNodeJson(n, with_is_case));
  return out;
}

}  // namespace ctrace::test_support
