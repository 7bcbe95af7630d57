#include "ingest/event_decoder.h"

#include <algorithm>
#include <simdjson.h>

namespace ctrace {
namespace {

// Decisions beyond events.md, in one place:
// - A top-level key that appears twice makes the event `malformed_json`: RFC 8259 leaves the
//   meaning of repeated names open, and a sender must not be able to make two readers of the
//   same raw text (this decoder, a dead-letter reader, an auditor) see different values.
//   Repeated keys inside nested values of ignored extra fields are not looked at.
// - A field whose value is JSON `null` counts as absent: an optional field then takes its
//   default, a required one is `missing_field:NAME`.
// - `id` is reported in DecodeOutcome::id whenever the object has exactly one `id` that obeys
//   the id rule, whatever else is wrong with the event.

constexpr std::string_view kMalformedJson = "malformed_json";
constexpr std::string_view kTooLarge = "too_large";
constexpr std::string_view kUnknownType = "unknown_type";
constexpr std::string_view kInconsistent = "inconsistent";
constexpr std::string_view kTooOld = "too_old";
constexpr std::string_view kInFuture = "in_future";

constexpr size_t kMaxIdBytes = 128;
constexpr size_t kMaxKeyBytes = 64;  // person and venue
constexpr size_t kMaxSourceBytes = 64;
constexpr size_t kMaxLabBytes = 64;
constexpr size_t kMaxSymptomBytes = 32;
constexpr size_t kMaxSymptoms = 16;

// 1..128 bytes of printable ASCII without space.
bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c <= '~'; });
}

// 1..64 bytes of [A-Za-z0-9_.:-]: person and venue.
bool IsValidKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == ':' || c == '-';
  });
}

bool IsValidSource(std::string_view source) { return source.size() <= kMaxSourceBytes; }
bool IsValidLab(std::string_view lab) { return lab.size() <= kMaxLabBytes; }

TimeMs SaturatingAdd(TimeMs a, DurationMs b) {
  TimeMs sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? kTimeMax : kTimeMin;
  return sum;
}

TimeMs SaturatingSub(TimeMs a, DurationMs b) {
  TimeMs difference = 0;
  if (__builtin_sub_overflow(a, b, &difference)) return b > 0 ? kTimeMin : kTimeMax;
  return difference;
}

// Reads the fields of one top-level object. Each method returns false after recording the
// rejection reason; the first failure wins because callers stop at it.
class FieldReader {
 public:
  explicit FieldReader(simdjson::dom::object object) : object_(object) {}

  const std::string& reason() const { return reason_; }

  // The field's value, or nullopt when it is absent or null.
  std::optional<simdjson::dom::element> Find(std::string_view name) const {
    simdjson::dom::element value;
    if (object_.at_key(name).get(value) != simdjson::SUCCESS) return std::nullopt;
    if (value.is_null()) return std::nullopt;
    return value;
  }

  bool String(std::string_view name, bool required, bool (*is_valid)(std::string_view),
              std::string* out) {
    const std::optional<simdjson::dom::element> value = Find(name);
    if (!value) return !required || Fail("missing_field:", name);
    std::string_view text;
    if (value->get_string().get(text) != simdjson::SUCCESS || !is_valid(text)) {
      return Fail("bad_field:", name);
    }
    out->assign(text);
    return true;
  }

  bool Time(std::string_view name, bool required, std::optional<TimeMs>* out) {
    const std::optional<simdjson::dom::element> value = Find(name);
    if (!value) return !required || Fail("missing_field:", name);
    std::string_view text;
    if (value->get_string().get(text) != simdjson::SUCCESS) return Fail("bad_time:", name);
    *out = ParseRfc3339(text);
    return out->has_value() || Fail("bad_time:", name);
  }

  bool RequiredTime(std::string_view name, TimeMs* out) {
    std::optional<TimeMs> time;
    if (!Time(name, /*required=*/true, &time)) return false;
    *out = *time;
    return true;
  }

  bool Symptoms(std::vector<std::string>* out) {
    constexpr std::string_view kName = "symptoms";
    const std::optional<simdjson::dom::element> value = Find(kName);
    if (!value) return true;
    simdjson::dom::array array;
    if (value->get_array().get(array) != simdjson::SUCCESS || array.size() > kMaxSymptoms) {
      return Fail("bad_field:", kName);
    }
    std::vector<std::string> symptoms;
    for (simdjson::dom::element entry : array) {
      std::string_view text;
      if (entry.get_string().get(text) != simdjson::SUCCESS || text.size() > kMaxSymptomBytes) {
        return Fail("bad_field:", kName);
      }
      symptoms.emplace_back(text);
    }
    *out = std::move(symptoms);
    return true;
  }

  bool Fail(std::string_view prefix, std::string_view name) {
    reason_.assign(prefix);
    reason_.append(name);
    return false;
  }

 private:
  simdjson::dom::object object_;
  std::string reason_;
};

std::optional<EventType> ParseEventType(const FieldReader& reader) {
  const std::optional<simdjson::dom::element> value = reader.Find("type");
  std::string_view name;
  if (!value || value->get_string().get(name) != simdjson::SUCCESS) return std::nullopt;
  if (name == "checkin") return EventType::kCheckin;
  if (name == "checkout") return EventType::kCheckout;
  if (name == "test_result") return EventType::kTestResult;
  if (name == "declaration") return EventType::kDeclaration;
  return std::nullopt;
}

// The fields beyond the common ones, in the order of the contract's table.
bool ReadTypeFields(FieldReader* reader, Event* event) {
  switch (event->type) {
    case EventType::kCheckin:
    case EventType::kCheckout:
      return reader->String("venue", /*required=*/true, IsValidKey, &event->venue) &&
             reader->RequiredTime("ts", &event->time);

    case EventType::kTestResult: {
      if (!reader->RequiredTime("sampled_at", &event->time)) return false;
      std::string result;
      if (!reader->String("result", /*required=*/true,
                          [](std::string_view v) { return v == "positive" || v == "negative"; },
                          &result)) {
        return false;
      }
      event->result = result == "positive" ? TestOutcome::kPositive : TestOutcome::kNegative;
      if (!reader->Time("resulted_at", /*required=*/false, &event->resulted_at)) return false;
      std::string kind;
      if (!reader->String("kind", /*required=*/false,
                          [](std::string_view v) { return v == "pcr" || v == "antigen"; },
                          &kind)) {
        return false;
      }
      if (kind == "pcr") event->kind = TestKind::kPcr;
      if (kind == "antigen") event->kind = TestKind::kAntigen;
      return reader->String("lab", /*required=*/false, IsValidLab, &event->lab);
    }

    case EventType::kDeclaration:
      return reader->RequiredTime("ts", &event->time) &&
             reader->Time("onset", /*required=*/false, &event->onset) &&
             reader->Symptoms(&event->symptoms);
  }
  return false;
}

}  // namespace

struct EventDecoder::Impl {
  explicit Impl(DecoderOptions opts) : options(opts) {}

  DecoderOptions options;
  simdjson::dom::parser parser;
  // The event text copied with SIMDJSON_PADDING bytes after it; grows, never shrinks.
  std::string padded;
  // The top-level keys of the current event, for the repeated-key check.
  std::vector<std::string_view> keys;
};

EventDecoder::EventDecoder(DecoderOptions options) : impl_(std::make_unique<Impl>(options)) {}

EventDecoder::~EventDecoder() = default;

DecodeOutcome EventDecoder::Decode(std::string_view json, TimeMs now,
                                   const TracingParams& params) {
  DecodeOutcome outcome;
  if (json.size() > impl_->options.max_event_bytes) {
    outcome.reason = kTooLarge;
    return outcome;
  }

  std::string& padded = impl_->padded;
  if (padded.size() < json.size() + simdjson::SIMDJSON_PADDING) {
    padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
  }
  std::copy(json.begin(), json.end(), padded.begin());

  // simdjson checks UTF-8, the JSON grammar and unescaped control characters in strings.
  simdjson::dom::element root;
  simdjson::dom::object object;
  if (impl_->parser.parse(padded.data(), json.size(), /*realloc_if_needed=*/false).get(root) !=
          simdjson::SUCCESS ||
      root.get_object().get(object) != simdjson::SUCCESS) {
    outcome.reason = kMalformedJson;
    return outcome;
  }

  std::vector<std::string_view>& keys = impl_->keys;
  keys.clear();
  for (const simdjson::dom::key_value_pair field : object) keys.push_back(field.key);
  std::sort(keys.begin(), keys.end());
  const bool has_repeated_key = std::adjacent_find(keys.begin(), keys.end()) != keys.end();
  const auto id_keys = std::equal_range(keys.begin(), keys.end(), std::string_view("id"));

  FieldReader reader(object);
  if (id_keys.second - id_keys.first == 1) {
    std::string id;
    if (reader.String("id", /*required=*/true, IsValidId, &id)) outcome.id = std::move(id);
  }
  if (has_repeated_key) {
    outcome.reason = kMalformedJson;
    return outcome;
  }

  Event event;
  const std::optional<EventType> type = ParseEventType(reader);
  if (!type) {
    outcome.reason = kUnknownType;
    return outcome;
  }
  event.type = *type;
  if (!reader.String("id", /*required=*/true, IsValidId, &event.id) ||
      !reader.String("person", /*required=*/true, IsValidKey, &event.person) ||
      !reader.String("source", /*required=*/false, IsValidSource, &event.source) ||
      !ReadTypeFields(&reader, &event)) {
    outcome.reason = reader.reason();
    return outcome;
  }

  if ((event.resulted_at && *event.resulted_at < event.time) ||
      (event.onset && *event.onset > event.time)) {
    outcome.reason = kInconsistent;
    return outcome;
  }
  if (event.time < SaturatingSub(now, params.retention)) {
    outcome.reason = kTooOld;
    return outcome;
  }
  if (event.time > SaturatingAdd(now, params.max_clock_skew)) {
    outcome.reason = kInFuture;
    return outcome;
  }
  outcome.event = std::move(event);
  return outcome;
}

namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view TrimJsonSpace(std::string_view text) {
  while (!text.empty() && IsJsonSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsJsonSpace(text.back())) text.remove_suffix(1);
  return text;
}

void SplitNdjson(std::string_view body, std::vector<BodyItem>* items) {
  size_t line_start = 0;
  size_t line_number = 0;
  while (line_start < body.size()) {
    size_t line_end = body.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = body.size();
    ++line_number;
    std::string_view line = body.substr(line_start, line_end - line_start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (!TrimJsonSpace(line).empty()) items->push_back({line_number, std::string(line)});
    line_start = line_end + 1;
  }
}

// Splits a JSON array by scanning its structure only (strings, escapes, nesting of [] and {}),
// so that each element keeps its exact raw text and a syntax error inside one element (a bad
// number, invalid UTF-8, a missing colon) rejects that element alone, in Decode. The body as a
// whole is malformed when it is not `[` ... `]` (with only white space around), a bracket is
// unmatched, a string is unterminated, or an element is empty (`[1,,2]`, `[1,]`).
bool SplitJsonArray(std::string_view body, std::vector<BodyItem>* items, std::string* error) {
  auto fail = [&](std::string message) {
    items->clear();
    if (error) *error = std::move(message);
    return false;
  };
  const std::string_view trimmed = TrimJsonSpace(body);
  if (trimmed.empty() || trimmed.front() != '[') return fail("the body is not a JSON array");

  std::vector<char> closers;  // the closing brackets expected inside the current element
  bool in_string = false;
  bool escaped = false;
  size_t element_start = 1;
  for (size_t pos = 1; pos < trimmed.size(); ++pos) {
    const char c = trimmed[pos];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[') {
      closers.push_back(']');
    } else if (c == '{') {
      closers.push_back('}');
    } else if ((c == ']' || c == '}') && !closers.empty()) {
      if (closers.back() != c) {
        return fail("mismatched bracket in JSON array element " + std::to_string(items->size() + 1));
      }
      closers.pop_back();
    } else if ((c == ',' || c == ']') && closers.empty()) {
      const std::string_view element =
          TrimJsonSpace(trimmed.substr(element_start, pos - element_start));
      const bool empty_array = c == ']' && element.empty() && items->empty();
      if (!empty_array) {
        if (element.empty()) {
          return fail("empty element " + std::to_string(items->size() + 1) + " in JSON array");
        }
        items->push_back({items->size() + 1, std::string(element)});
      }
      element_start = pos + 1;
      if (c == ']') {
        if (pos + 1 != trimmed.size()) return fail("unexpected text after the JSON array");
        return true;
      }
    } else if (c == '}') {
      return fail("mismatched bracket in JSON array element " + std::to_string(items->size() + 1));
    }
  }
  return fail("the JSON array is not terminated");
}

}  // namespace

// *items is cleared first, and left empty when false is returned.
bool SplitBody(std::string_view body, BodyFormat format, std::vector<BodyItem>* items,
               std::string* error) {
  items->clear();
  switch (format) {
    case BodyFormat::kNdjson:
      SplitNdjson(body, items);
      return true;
    case BodyFormat::kJsonArray:
      return SplitJsonArray(body, items, error);
  }
  return false;
}

}  // namespace ctrace
