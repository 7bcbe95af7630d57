// A small streaming JSON writer: appends compact JSON text (no white space) to a string.
//
// Usage: JsonWriter w(&out); w.BeginObject().Key("a").Int(1).Key("b").BeginArray()...
// The writer inserts commas itself; calls must form a well-formed document (a Key before each
// value inside an object, none inside an array), which debug builds assert.
//
// Strings are written with `"`, `\` and control characters escaped and valid UTF-8 passed
// through unchanged; each byte that does not start a valid UTF-8 sequence becomes U+FFFD, so the
// output is always valid UTF-8 and valid JSON. Times are written as strings with FormatUtc.
//
// Thread-safety: a JsonWriter is used by one thread at a time. "*out" must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/time.h"

namespace ctrace {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out);
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();

  // The name of the next value; only inside an object.
  JsonWriter& Key(std::string_view name);

  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  // `json` must be one complete, valid JSON value; it is copied as is.
  JsonWriter& Raw(std::string_view json);
  JsonWriter& Time(TimeMs value);
  // A time, or null.
  JsonWriter& Time(const std::optional<TimeMs>& value);
  JsonWriter& StringArray(const std::vector<std::string>& values);

  // True once exactly one top-level value is complete and every container is closed.
  bool Complete() const { return stack_.empty() && wrote_top_level_; }

 private:
  // Writes the comma (if any) due before a value or key, and checks the value is allowed.
  void BeforeValue();

  struct Level {
    bool is_object = false;
    bool first = true;
    bool after_key = false;  // objects: a key was written and its value is due
  };

  std::string* out_;
  std::vector<Level> stack_;
  bool wrote_top_level_ = false;
};

// Appends `value` as a quoted, escaped JSON string (the escaping rules of JsonWriter).
void AppendJsonString(std::string_view value, std::string* out);

}  // namespace ctrace
