// The calls the end-to-end tests make on a running service (api.md), with every protocol
// check they imply (status, JSON body, paging), returning plain JSON for comparison.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/http_client.h"
#include "tests/support/status.h"

namespace ctrace::test_support {

// GET `target`; ok when the answer is 200 with a JSON body, stored in *out.
Status GetJson(HttpClient& client, const std::string& target, nlohmann::json* out);

// GET `target` and expect status `want` (e.g. 404 for a missing resource).
Status ExpectStatus(HttpClient& client, const std::string& target, int want);

// Pages through a list answer: GET base + "limit=N" (+ "&cursor=C"), collecting the array
// `list_field` of each page until "next_cursor" is null. Checks that no page exceeds `limit`
// and that the paging ends (at most 100,000 pages). `base` ends with '?' or '&'.
Status GetAllPages(HttpClient& client, const std::string& base, const std::string& list_field,
                   int limit, nlohmann::json* items);

// POST the lines as one NDJSON body ("\n"-joined, with a final "\n") to /v1/events, with
// ?wait=applied when asked; ok when the answer is 200 with a JSON body, stored in *answer.
Status PostNdjson(HttpClient& client, const std::vector<std::string>& lines, bool wait_applied,
                  nlohmann::json* answer);

// The same as a JSON array body (application/json); every line must be a JSON object.
Status PostJsonArray(HttpClient& client, const std::vector<std::string>& lines,
                     bool wait_applied, nlohmann::json* answer);

}  // namespace ctrace::test_support
