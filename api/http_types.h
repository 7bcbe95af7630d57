// The request and response the Router works on: plain values, no Beast types, so that request
// handling is a function of a request (api/router.h) and the server (api/http_server.h) only
// moves bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctrace {

struct HttpRequest {
  std::string method;         // "GET", "POST", ... as sent (methods are case-sensitive)
  std::string target;         // origin-form: path and optional "?query", still percent-encoded
  std::string authorization;  // the Authorization header; empty when absent
  std::string content_type;   // the Content-Type header; empty when absent
  std::optional<uint64_t> content_length;  // the Content-Length header, when sent
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Further headers ("Allow", "Retry-After", ...); Content-Type, Content-Length and Connection
  // are set by the server.
  std::vector<std::pair<std::string, std::string>> headers;
};

// An error answer of api.md "Errors": `{"error": CODE, "message": MESSAGE}` where CODE follows
// from `status` (400 bad_request, 401 unauthorized, 403 forbidden, 404 not_found,
// 405 method_not_allowed, 413 too_large, 415 unsupported_media_type, 429 overloaded,
// 503 not_ready; 500 internal). `message` must not contain personal data.
HttpResponse ErrorResponse(int status, std::string_view message);

// The error code api.md gives `status` ("not_found" for 404, ...).
std::string_view ErrorCodeForStatus(int status);

}  // namespace ctrace
