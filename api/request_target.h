// Reading the parts of a request target (api.md): percent-decoded path segments and query
// parameters, ids, numbers, and the opaque paging cursor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctrace {

struct RequestTarget {
  // "/v1/persons/P%2F7" -> {"v1", "persons", "P/7"}: split at '/' first, then decoded, so an
  // encoded slash stays inside its segment. "/" -> {""}.
  std::vector<std::string> segments;
  // Decoded names and values in the order sent ('+' decodes to a space); a name without '='
  // has an empty value. Names are unique.
  std::vector<std::pair<std::string, std::string>> query;

  // The value of `name`, or nullptr when absent.
  const std::string* Find(std::string_view name) const;
};

// Parses an origin-form target ("/path?query"). Returns false and sets *error (free of the
// target's contents) when it does not start with '/', has a bad %-escape, or repeats a query
// parameter.
bool ParseRequestTarget(std::string_view target, RequestTarget* out, std::string* error);

// Decodes %XX escapes (and '+' as a space when `plus_is_space`). False on a bad escape.
bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out);

// A person or venue id of events.md: 1-64 bytes of [A-Za-z0-9_.:-].
bool IsValidEntityId(std::string_view id);

// A decimal integer of digits only (no sign, no spaces) that fits in int64; else nullopt.
std::optional<int64_t> ParseDecimal(std::string_view text);

// Paging cursors are opaque to clients: base64url (no padding) of "<scope>\n<after>", where
// `after` is the query service's resume key and `scope` names the list it belongs to, so a
// cursor of one list is refused by another.
std::string EncodeCursor(std::string_view scope, std::string_view after);
// The `after` key of a cursor made by EncodeCursor with the same `scope`; nullopt otherwise.
std::optional<std::string> DecodeCursor(std::string_view cursor, std::string_view scope);

std::string Base64UrlEncode(std::string_view data);
// Strict: the alphabet [A-Za-z0-9_-], no padding, unused bits zero.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace ctrace
