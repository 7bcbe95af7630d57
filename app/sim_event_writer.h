// The NDJSON text of the simulator's events (`ctrace simulate`), in the format of events.md.
//
// Event ids are unique within one writer: "c-N" for check-ins and check-outs, "t-N" for test
// results, "d-N" for declarations, N counting from 1 per prefix. Person ids are "P" and the
// person's index, zero-padded to a fixed width ("P000123").
//
// Thread-safety: none; one writer per output. `out` must outlive the writer; the writer only
// writes to it, never flushes or closes it.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

#include "model/time.h"

namespace ctrace {

enum class SimEventKind { kCheckin, kCheckout, kPositiveTest, kNegativeTest, kDeclaration };

// One event of one person, as the town decided it.
struct SimEvent {
  SimEventKind kind = SimEventKind::kCheckin;
  TimeMs time = 0;                     // ts, or sampled_at for tests
  std::string_view venue;              // check-ins and check-outs
  std::optional<TimeMs> resulted_at;   // tests; left out when not set
  bool pcr = true;                     // tests: "pcr", else "antigen"
  int lab_district = 0;                // tests: "LAB-D<lab_district + 1>"
  std::optional<TimeMs> onset;         // declarations
  uint8_t symptoms = 0;                // declarations: bit i is SimSymptom(i)
};

// The symptom names declarations use, in bit order.
std::string_view SimSymptom(int bit);
inline constexpr int kSimSymptomCount = 6;

// Appends `value` (>= 0) in decimal, zero-padded to at least `width` digits.
void AppendZeroPadded(std::string* out, int64_t value, int width);

// Appends `t` (at or after 1970) as RFC 3339 with seconds, `.mmm` only when the milliseconds
// are not zero, and `Z`, or with `local`, the town's +07:00 offset.
void AppendTownTime(std::string* out, TimeMs t, bool local);

class SimEventWriter {
 public:
  // `person_width`: the digits of a person id.
  SimEventWriter(std::ostream& out, int person_width);

  // Writes one line for `event` of the person `person_idx`, its times with the +07:00 offset
  // when `local`, with a "source" field when `source` is not empty. Returns false (and counts
  // nothing) when `out` is or goes bad.
  bool Write(int person_idx, const SimEvent& event, bool local, std::string_view source);

  // Appends "P000123" for `person_idx`.
  void AppendPersonId(std::string* out, int person_idx) const;

  // Lines handed to `out` so far.
  uint64_t written() const { return written_; }

 private:
  std::ostream& out_;
  int person_width_;
  std::string line_;
  uint64_t written_ = 0;
  uint64_t visit_events_ = 0;
  uint64_t tests_ = 0;
  uint64_t declarations_ = 0;
};

}  // namespace ctrace
