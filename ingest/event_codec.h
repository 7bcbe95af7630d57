// The binary form of an Event, as stored in the embedded log and the state store.
//
// On-disk format, DO NOT CHANGE without a version bump: a version byte (1), then the fields as
// varint-length-prefixed strings and fixed-width little-endian integers (see event_codec.cc).
#pragma once

#include <string>
#include <string_view>

#include "model/event.h"

namespace ctrace {

void EncodeEvent(const Event& event, std::string* out);  // appends to *out
std::string EncodeEvent(const Event& event);
// Returns false when `bytes` is not a well-formed encoding.
[[nodiscard]] bool DecodeEvent(std::string_view bytes, Event* event);

}  // namespace ctrace
