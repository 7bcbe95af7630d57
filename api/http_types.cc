#include "api/http_types.h"

#include "api/json_writer.h"

namespace ctrace {

std::string_view ErrorCodeForStatus(int status) {
  switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 413: return "too_large";
    case 415: return "unsupported_media_type";
    case 429: return "overloaded";
    case 503: return "not_ready";
    default: return status >= 500 ? "internal" : "bad_request";
  }
}

HttpResponse ErrorResponse(int status, std::string_view message) {
  HttpResponse response;
  response.status = status;
  JsonWriter json(&response.body);
  json.BeginObject();
  json.Key("error").String(ErrorCodeForStatus(status));
  json.Key("message").String(message);
  json.EndObject();
  return response;
}

}  // namespace ctrace
