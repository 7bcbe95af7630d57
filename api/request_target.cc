#include "api/request_target.h"

#include <charconv>

namespace ctrace {
namespace {

constexpr size_t kMaxEntityIdBytes = 64;
constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int Base64UrlValue(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

}  // namespace

const std::string* RequestTarget::Find(std::string_view name) const {
  for (const auto& [key, value] : query) {
    if (key == name) return &value;
  }
  return nullptr;
}

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexValue(in[i + 1]);
      const int lo = HexValue(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

bool ParseRequestTarget(std::string_view target, RequestTarget* out, std::string* error) {
  out->segments.clear();
  out->query.clear();
  if (target.empty() || target.front() != '/') {
    *error = "the request target must start with '/'";
    return false;
  }
  const size_t question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

  size_t begin = 1;
  while (true) {
    const size_t slash = path.find('/', begin);
    const std::string_view raw = path.substr(begin, slash == std::string_view::npos
                                                        ? std::string_view::npos
                                                        : slash - begin);
    std::string decoded;
    if (!PercentDecode(raw, /*plus_is_space=*/false, &decoded)) {
      *error = "bad percent-encoding in the path";
      return false;
    }
    out->segments.push_back(std::move(decoded));
    if (slash == std::string_view::npos) break;
    begin = slash + 1;
  }

  size_t pos = 0;
  while (pos < query.size()) {
    size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view pair = query.substr(pos, amp - pos);
    pos = amp + 1;
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    std::string name;
    std::string value;
    if (!PercentDecode(pair.substr(0, eq), /*plus_is_space=*/true, &name) ||
        (eq != std::string_view::npos &&
         !PercentDecode(pair.substr(eq + 1), /*plus_is_space=*/true, &value))) {
      *error = "bad percent-encoding in the query";
      return false;
    }
    if (out->Find(name) != nullptr) {
      *error = "a query parameter is repeated";
      return false;
    }
    out->query.emplace_back(std::move(name), std::move(value));
  }
  return true;
}

bool IsValidEntityId(std::string_view id) {
  if (id.empty() || id.size() > kMaxEntityIdBytes) return false;
  for (const char c : id) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::optional<int64_t> ParseDecimal(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  int64_t value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const uint32_t n = (static_cast<uint8_t>(data[i]) << 16) |
                       (static_cast<uint8_t>(data[i + 1]) << 8) | static_cast<uint8_t>(data[i + 2]);
    out.push_back(kBase64UrlAlphabet[(n >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(n >> 12) & 63]);
    out.push_back(kBase64UrlAlphabet[(n >> 6) & 63]);
    out.push_back(kBase64UrlAlphabet[n & 63]);
  }
  const size_t rest = data.size() - i;
  if (rest == 1) {
    const uint32_t n = static_cast<uint8_t>(data[i]) << 16;
    out.push_back(kBase64UrlAlphabet[(n >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(n >> 12) & 63]);
  } else if (rest == 2) {
    const uint32_t n = (static_cast<uint8_t>(data[i]) << 16) | (static_cast<uint8_t>(data[i + 1]) << 8);
    out.push_back(kBase64UrlAlphabet[(n >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(n >> 12) & 63]);
    out.push_back(kBase64UrlAlphabet[(n >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int bit_count = 0;
  for (const char c : text) {
    const int v = Base64UrlValue(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    bit_count += 6;
    if (bit_count >= 8) {
      bit_count -= 8;
      out.push_back(static_cast<char>((bits >> bit_count) & 0xFF));
    }
  }
  // The leftover bits (2 or 4) must be zero, so every byte string has exactly one spelling.
  if ((bits & ((1u << bit_count) - 1)) != 0) return std::nullopt;
  return out;
}

std::string EncodeCursor(std::string_view scope, std::string_view after) {
  std::string raw;
  raw.reserve(scope.size() + 1 + after.size());
  raw.append(scope);
  raw.push_back('\n');
  raw.append(after);
  return Base64UrlEncode(raw);
}

std::optional<std::string> DecodeCursor(std::string_view cursor, std::string_view scope) {
  std::optional<std::string> raw = Base64UrlDecode(cursor);
  if (!raw || raw->size() <= scope.size() + 1) return std::nullopt;
  if (std::string_view(*raw).substr(0, scope.size()) != scope || (*raw)[scope.size()] != '\n') {
    return std::nullopt;
  }
  return raw->substr(scope.size() + 1);
}

}  // namespace ctrace
