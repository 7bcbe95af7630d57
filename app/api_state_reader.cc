#include "app/api_state_reader.h"

#include <nlohmann/json.hpp>

#include <functional>

namespace ctrace {

namespace {

using nlohmann::json;

constexpr int kPageLimit = 5000;

bool Fetch(const HttpAddress& address, const HttpFetchOptions& options, const std::string& target, json* body,
           std::string* error) {
  const HttpFetchResult result = HttpGet(address.host, address.port, target, options);
  if (result.status == 0) {
    *error = "GET " + target + ": " + result.error;
    return false;
  }
  if (result.status != 200) {
    *error = "GET " + target + ": HTTP " + std::to_string(result.status) + ": " + result.body.substr(0, 200);
    return false;
  }
  *body = json::parse(result.body, nullptr, /*allow_exceptions=*/false);
  if (body->is_discarded() || !body->is_object()) {
    *error = "GET " + target + ": the answer is not a JSON object";
    return false;
  }
  return true;
}

TimeMs Time(const json& value) {
  const auto parsed = ParseRfc3339(value.get<std::string>());
  if (!parsed) throw json::other_error::create(501, "not an RFC 3339 time: " + value.get<std::string>(), &value);
  return *parsed;
}

// Follows next_cursor from `first` to the last page; `on_page` takes each page's body.
bool FetchPages(const HttpAddress& address, const HttpFetchOptions& options, const std::string& first,
                const std::function<void(const json&)>& on_page, std::string* error) {
  std::string target = first;
  while (true) {
    json body;
    if (!Fetch(address, options, target, &body, error)) return false;
    on_page(body);
    const auto cursor = body.find("next_cursor");
    if (cursor == body.end() || cursor->is_null()) return true;
    target = first + "&cursor=" + UrlEncode(cursor->get<std::string>());
  }
}

}  // namespace

bool ReadDerivedStateFromApi(const HttpAddress& address, const HttpFetchOptions& options, int max_depth,
                             DerivedState* state, std::string* error) {
  *state = {};
  state->case_details = false;
  const std::string limit = "limit=" + std::to_string(kPageLimit);
  try {
    for (int level = 1; level <= max_depth; ++level) {
      const bool ok = FetchPages(address, options, "/v1/exposed?level=" + std::to_string(level) + "&" + limit,
                                 [&](const json& page) {
                                   for (const auto& entry : page.at("persons")) {
                                     state->exposures.emplace(
                                         entry.at("person").get<std::string>(),
                                         ExposureRecord{level, Time(entry.at("exposed_at")),
                                                        entry.at("via").get<std::vector<std::string>>()});
                                   }
                                 },
                                 error);
      if (!ok) return false;
    }
    const bool ok = FetchPages(address, options, "/v1/cases?" + limit, [&](const json& page) {
      for (const auto& entry : page.at("cases")) {
        const std::string person = entry.at("person").get<std::string>();
        CaseInfo info;
        info.sampled_at = Time(entry.at("sampled_at"));
        info.window = {Time(entry.at("window").at("start")), Time(entry.at("window").at("end"))};
        state->cases.emplace(person, info);
        for (const auto& from : entry.at("linked_from")) state->links.emplace(from.get<std::string>(), person);
      }
    }, error);
    if (!ok) return false;
    json clusters;
    if (!Fetch(address, options, "/v1/clusters", &clusters, error)) return false;
    for (const auto& cluster : clusters.at("clusters")) {
      state->clusters.emplace(cluster.at("id").get<std::string>(), cluster.at("cases").get<std::vector<std::string>>());
    }
  } catch (const json::exception& e) {
    *error = std::string("the service's answer is not what api.md says: ") + e.what();
    return false;
  }
  return true;
}

}  // namespace ctrace
