// Whether a person is a case, and their infectious window (tracing §2). Pure.
#pragma once

#include <optional>
#include <vector>

#include "model/event.h"
#include "model/params.h"
#include "processors/views.h"

namespace ctrace {

// From all of one person's live events (only tests and declarations are looked at): the case
// facts when they have a positive test, else nullopt.
std::optional<CaseInfo> ComputeCase(const std::vector<Event>& events, const TracingParams& params);

}  // namespace ctrace
