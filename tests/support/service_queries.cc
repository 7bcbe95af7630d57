#include "tests/support/service_queries.h"

namespace ctrace::test_support {

using nlohmann::json;

namespace {

std::string Clip(const std::string& text) {
  return text.size() > 2000 ? text.substr(0, 2000) + "..." : text;
}

Status ParseAnswer(const std::string& what, const HttpResponse& r, json* out) {
  if (r.status == 0) return Status::Error(what + ": no answer: " + r.error);
  if (r.status != 200) {
    return Status::Error(what + ": status " + std::to_string(r.status) + ", body " + Clip(r.body));
  }
  *out = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (out->is_discarded()) return Status::Error(what + ": body is not JSON: " + Clip(r.body));
  return Status::Ok();
}

}  // namespace

Status GetJson(HttpClient& client, const std::string& target, json* out) {
  return ParseAnswer("GET " + target, client.Get(target), out);
}

Status ExpectStatus(HttpClient& client, const std::string& target, int want) {
  const HttpResponse r = client.Get(target);
  if (r.status == want) return Status::Ok();
  return Status::Error("GET " + target + ": want status " + std::to_string(want) + ", got " +
                       (r.status == 0 ? r.error : std::to_string(r.status) + " " + Clip(r.body)));
}

Status GetAllPages(HttpClient& client, const std::string& base, const std::string& list_field,
                   int limit, json* items) {
  *items = json::array();
  std::string cursor;
  for (int page = 0; page < 100000; ++page) {
    std::string target = base + "limit=" + std::to_string(limit);
    if (!cursor.empty()) target += "&cursor=" + UrlEncode(cursor);
    json answer;
    if (Status s = GetJson(client, target, &answer); !s.ok()) return s;
    if (!answer.is_object() || !answer.contains(list_field) || !answer[list_field].is_array()) {
      return Status::Error("GET " + target + ": no array \"" + list_field + "\" in " +
                           Clip(answer.dump()));
    }
    const json& list = answer[list_field];
    if (list.size() > static_cast<size_t>(limit)) {
      return Status::Error("GET " + target + ": page of " + std::to_string(list.size()) +
                           " > limit " + std::to_string(limit));
    }
    for (const json& item : list) items->push_back(item);
    const auto next = answer.find("next_cursor");
    if (next == answer.end()) {
      return Status::Error("GET " + target + ": no \"next_cursor\" (want null on the last page)");
    }
    if (next->is_null()) return Status::Ok();
    if (!next->is_string()) {
      return Status::Error("GET " + target + ": next_cursor is not a string or null: " +
                           next->dump());
    }
    if (next->get<std::string>() == cursor) {
      return Status::Error("GET " + target + ": next_cursor did not move: " + cursor);
    }
    cursor = next->get<std::string>();
  }
  return Status::Error("GET " + base + ": paging did not end after 100000 pages");
}

Status PostNdjson(HttpClient& client, const std::vector<std::string>& lines, bool wait_applied,
                  json* answer) {
  std::string body;
  for (const std::string& line : lines) body += line + "\n";
  const std::string target = wait_applied ? "/v1/events?wait=applied" : "/v1/events";
  return ParseAnswer("POST " + target + " (" + std::to_string(lines.size()) + " lines)",
                     client.Post(target, std::move(body), "application/x-ndjson"), answer);
}

Status PostJsonArray(HttpClient& client, const std::vector<std::string>& lines,
                     bool wait_applied, json* answer) {
  json array = json::array();
  for (const std::string& line : lines) array.push_back(json::parse(line));
  const std::string target = wait_applied ? "/v1/events?wait=applied" : "/v1/events";
  return ParseAnswer("POST " + target + " (JSON array of " + std::to_string(lines.size()) + ")",
                     client.Post(target, array.dump(), "application/json"), answer);
}

}  // namespace ctrace::test_support
