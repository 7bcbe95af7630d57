// Turns the JSON text of one event into a validated Event, or a rejection reason code
// (events.md "Bad input"), and splits request bodies into event texts.
//
// Thread-safety: an EventDecoder keeps reusable parse buffers; use one per thread.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/event.h"
#include "model/params.h"

namespace ctrace {

struct DecodeOutcome {
  std::optional<Event> event;  // set when the event is valid
  std::string reason;          // the reason code when rejected ("bad_time:ts", ...), else empty
  std::string id;              // the event's id when it could be read, even if rejected
};

struct DecoderOptions {
  // The largest accepted event text, in bytes. Default: 16 KiB.
  size_t max_event_bytes = 16 * 1024;
};

class EventDecoder {
 public:
  explicit EventDecoder(DecoderOptions options = {});
  ~EventDecoder();
  EventDecoder(const EventDecoder&) = delete;
  EventDecoder& operator=(const EventDecoder&) = delete;

  // Decodes and validates one event, judging `too_old` / `in_future` against `now` with
  // `params.retention` and `params.max_clock_skew`. Checks, in order: too_large,
  // malformed_json, unknown_type, missing_field/bad_field/bad_time (fields in the order of the
  // contract's tables), inconsistent, too_old, in_future.
  DecodeOutcome Decode(std::string_view json, TimeMs now, const TracingParams& params);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One event's text inside a request body, with its 1-based line (NDJSON) or array index + 1.
struct BodyItem {
  size_t line = 0;
  std::string text;
};

enum class BodyFormat { kNdjson, kJsonArray };

// Splits a body into event texts. NDJSON: one item per line; lines that are empty or only
// white space are skipped (they still count for line numbers); a trailing "\r" is dropped.
// JSON array: one item per element, with its raw JSON text. Returns false (and sets *error)
// only when a JSON array body is not a well-formed array as a whole.
bool SplitBody(std::string_view body, BodyFormat format, std::vector<BodyItem>* items,
               std::string* error);

}  // namespace ctrace
