// Reads a running service's derived state through its HTTP API (api.md), for
// `ctrace replay --verify-url`: every page of GET /v1/exposed?level=K (K = 1..max_depth) and
// GET /v1/cases, and GET /v1/clusters. The case list carries no resulted_at or onset, so the
// result has case_details = false.
//
// The pages are read one after another, not from one snapshot: a service that applies events
// meanwhile gives a mixed state. Verify a service that is not ingesting.
//
// Thread-safety: one call per thread.
#pragma once

#include <string>

#include "api/http_fetch.h"
#include "processors/state_diff.h"

namespace ctrace {

// Returns false and sets *error on a failed request, an answer other than 200 (e.g. a level
// above the service's max depth) or a body that is not what api.md says.
bool ReadDerivedStateFromApi(const HttpAddress& address, const HttpFetchOptions& options, int max_depth,
                             DerivedState* state, std::string* error);

}  // namespace ctrace
