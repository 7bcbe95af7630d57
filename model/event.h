// The four event types of the contract, decoded and validated.
//
// Events arrive as JSON (see ingest/event_decoder.h) and are kept in the log and the state store
// in the binary form of ingest/event_codec.h. Processors only ever see this struct.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/time.h"

namespace ctrace {

// DO NOT CHANGE the numeric values: they are stored on disk.
enum class EventType : uint8_t {
  kCheckin = 1,
  kCheckout = 2,
  kTestResult = 3,
  kDeclaration = 4,
};

// DO NOT CHANGE the numeric values: they are stored on disk.
enum class TestOutcome : uint8_t { kNegative = 0, kPositive = 1 };
enum class TestKind : uint8_t { kUnspecified = 0, kPcr = 1, kAntigen = 2 };

std::string_view EventTypeName(EventType type);      // "checkin", ...
std::string_view TestOutcomeName(TestOutcome outcome);  // "positive" / "negative"
std::string_view TestKindName(TestKind kind);        // "pcr", "antigen", "" when unspecified

struct Event {
  EventType type = EventType::kCheckin;
  std::string id;      // 1..128 bytes, printable ASCII without space
  std::string person;  // 1..64 bytes of [A-Za-z0-9_.:-]
  std::string source;  // optional, <= 64 bytes; empty when absent

  // The event's time: `ts` for check-ins, check-outs and declarations, `sampled_at` for tests.
  TimeMs time = 0;

  // checkin / checkout
  std::string venue;

  // test_result
  TestOutcome result = TestOutcome::kNegative;
  std::optional<TimeMs> resulted_at;
  TestKind kind = TestKind::kUnspecified;
  std::string lab;

  // declaration
  std::optional<TimeMs> onset;
  std::vector<std::string> symptoms;

  bool operator==(const Event&) const = default;
};

}  // namespace ctrace
