#include "model/event.h"

namespace ctrace {

// Values outside the enums (only possible through a bad cast) name themselves "unknown" rather
// than crash, so a log line about a corrupt record still prints.
std::string_view EventTypeName(EventType type) {
  switch (type) {
    case EventType::kCheckin:
      return "checkin";
    case EventType::kCheckout:
      return "checkout";
    case EventType::kTestResult:
      return "test_result";
    case EventType::kDeclaration:
      return "declaration";
  }
  return "unknown";
}

std::string_view TestOutcomeName(TestOutcome outcome) {
  switch (outcome) {
    case TestOutcome::kNegative:
      return "negative";
    case TestOutcome::kPositive:
      return "positive";
  }
  return "unknown";
}

std::string_view TestKindName(TestKind kind) {
  switch (kind) {
    case TestKind::kUnspecified:
      return "";
    case TestKind::kPcr:
      return "pcr";
    case TestKind::kAntigen:
      return "antigen";
  }
  return "unknown";
}

}  // namespace ctrace
