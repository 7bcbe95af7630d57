// The reference model's answers in the JSON shapes of api.md, restricted to the fields the
// tests compare (see Pick), so that expected and actual answers can be diffed as JSON.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/support/reference_model.h"

namespace ctrace::test_support {

// A time as api.md writes it, or null.
nlohmann::json TimeJson(std::optional<Millis> t);

// {"person", "exposed_at", "via"}: one entry of GET /v1/exposed.
nlohmann::json ExposedJson(const std::string& person, const RefExposure& e);
// {"person", "sampled_at", "window": {"start", "end"}, "linked_from"}: one entry of /v1/cases.
nlohmann::json CaseJson(const RefCase& c);
// {"id", "cases"}: one entry of /v1/clusters.
nlohmann::json ClusterJson(const RefCluster& c);
// {"person", "level", "exposed_at"} (+ "is_case" when with_is_case): one chain node.
nlohmann::json ChainNodeJson(const RefChainNode& n, bool with_is_case);
// {"person", "start", "end", "checked_out"}: one entry of /v1/venues/{v}/visits.
nlohmann::json VenueVisitJson(const RefVisit& v);
// {"venue", "start", "end", "checked_out"}: one entry of a person's "visits".
nlohmann::json PersonVisitJson(const RefVisit& v);

// A copy of `object` with only `fields` (absent ones stay absent), keys in JSON order. A
// non-object is returned unchanged, so a shape error still shows in the diff.
nlohmann::json Pick(const nlohmann::json& object, std::initializer_list<const char*> fields);

}  // namespace ctrace::test_support

namespace ctrace::test_support {

// {"accepted", "duplicates", "rejected": [{"line", "reason"}]}: what POST /v1/events answers,
// without the optional rejected ids.
nlohmann::json IngestJson(const RefIngestOutcome& outcome);

// The same fields picked from an actual answer (rejected entries keep only line and reason).
nlohmann::json PickIngest(const nlohmann::json& answer);

}  // namespace ctrace::test_support

namespace ctrace::test_support {

// Whole lists, as the service must list them.
nlohmann::json LevelJson(ReferenceModel& model, int level);  // GET /v1/exposed?level=K persons
nlohmann::json CasesJson(ReferenceModel& model);             // GET /v1/cases cases
nlohmann::json ClustersJson(ReferenceModel& model);          // GET /v1/clusters clusters
// GET /v1/cases/{person}/chain nodes; null when the person is not a case.
nlohmann::json ChainJson(ReferenceModel& model, const std::string& person, int depth,
                         bool with_is_case);

}  // namespace ctrace::test_support
