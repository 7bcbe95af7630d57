// Visits from a person's check-ins and check-outs (tracing §1). Pure: no I/O, no clock.
#pragma once

#include <string_view>
#include <vector>

#include "model/event.h"
#include "model/params.h"
#include "stores/state_store.h"

namespace ctrace {

// Builds the visits of one person from all of their live check-ins and check-outs (events of
// other types are ignored). Zero-length visits are left out. The result is ordered by start.
std::vector<VisitRecord> BuildVisits(std::string_view person, const std::vector<Event>& events,
                                     const TracingParams& params);

// The longest a visit can last under `params`: visits starting before (t - this) end by t.
DurationMs LongestVisit(const TracingParams& params);

}  // namespace ctrace
