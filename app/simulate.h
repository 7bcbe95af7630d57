// `ctrace simulate`: a synthetic town's events as NDJSON, for demos, tests and benchmarks.
//
// The town has people living in districts and venues of several kinds whose popularity is
// skewed (Zipf-like) and which keep opening hours by kind (app/venue_kinds.h): every stay lies
// within its venue's hours. Every simulated day each person follows a routine: on weekdays most
// go to their workplace (some step out for lunch and check in again), and everyone runs a few
// errands, mostly in their own district. Visits are check-ins, usually with a check-out; some
// have none, some a late one and some two. A few times are written with a +07:00 offset
// instead of `Z`. An outbreak starts at a few chosen people: either infected just before the
// span, or (with outbreak_venues) infected during their visits to the most popular venues on
// the span's first days. Infected people later test positive; people who share a venue long
// enough with an infectious person may be infected, and most of them later test positive too
// (so F1/F2 chains, case links and clusters appear). Healthy people take some negative tests;
// some cases declare symptoms with an onset.
//
// All event times lie in [span start, span end - 1 minute], where the span is the `days` days
// ending at `end` or, when `start` is set, starting at `start`. A service whose clock reads
// the span's end accepts every event (as long as `days` is within its retention). Event ids
// are unique: "c-N" for check-ins and check-outs, "t-N" for test results, "d-N" for
// declarations. Person ids are "P000123"; venue ids are "V-D03-CAFE-12" (district, kind, venue
// number).
//
// Determinism: the output is a function of the options alone. All randomness comes from one
// std::mt19937_64 seeded with `seed`, turned into numbers by our own helpers (not the
// implementation-defined std:: distributions), and nothing depends on the iteration order of
// an unordered container. The same options give byte-identical output run after run (and
// across standard libraries, up to last-bit differences of std::pow/std::exp in the libm).
//
// Memory: events are written as they are made, day by day and person by person. Memory is
// about 25 bytes per person, 100 per venue and 80 per infection still running (a course that
// is over is dropped), and the infectious people's stays of the current day; nothing grows
// with the days or the events (bench/README.md "Simulator" has measurements).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "model/time.h"

namespace ctrace {

struct SimulateOptions {
  // The random seed; the same options give the same events. Default: 1.
  uint64_t seed = 1;
  // The number of people. Default: 2000.
  int people = 2000;
  // The number of venues. Default: 200.
  int venues = 200;
  // The number of districts people live in and venues belong to (at most 99). Default: 10.
  int districts = 10;
  // The length of the simulated span, in days (the service keeps 30 by default). Default: 7.
  int days = 7;
  // The simulated span ends here: events lie in [end - days, end - 1 minute]. Ignored when
  // `start` is set. Default: none; set `end` or `start` (`ctrace simulate` passes its clock's
  // now unless given --start or --end).
  TimeMs end = 0;
  // When set, the simulated span starts here: events lie in [start, start + days - 1 minute].
  // Default: not set (the span ends at `end`).
  std::optional<TimeMs> start;

  // The share of visits that end with a check-out. Default: 0.8.
  double checkout_rate = 0.8;
  // The share of checked-out visits whose check-out comes hours late (it may then match no
  // check-in, or stretch the visit). Default: 0.03.
  double late_checkout_rate = 0.03;
  // The share of checked-out visits with a second check-out a few minutes after the first.
  // Default: 0.02.
  double double_checkout_rate = 0.02;
  // The share of timestamps written with a +07:00 offset instead of `Z`. Default: 0.05.
  double offset_rate = 0.05;
  // The share of events that carry a `source` field. Default: 0.3.
  double source_rate = 0.3;

  // The share of people with a workplace (visited Monday to Friday, local time). Default: 0.7.
  double worker_rate = 0.7;
  // The share of working days on which a worker goes out for lunch. Default: 0.3.
  double lunch_out_rate = 0.3;
  // The mean number of errands per person per day (Poisson). Default: 1.5.
  double errands_per_day = 1.5;
  // The share of errands made in the person's home district. Default: 0.7.
  double home_district_rate = 0.7;
  // The Zipf exponent of venue popularity (0: uniform; larger: more skewed). Default: 1.0.
  double zipf_exponent = 1.0;

  // The number of people infected at the start of the outbreak. Default: 3.
  int outbreak_seeds = 3;
  // When above 0, the outbreak starts at this many venues, the most popular ones: its
  // outbreak_seeds first infections (shared out evenly among them, at least one each) are
  // people infected during a stay of at least transmission_overlap at one of those venues,
  // from the span's first day on (by a visitor from outside the town, who leaves no event).
  // Seeds not placed by the span's end are dropped. At 0 the seeds are people infected just
  // before the span. At most outbreak_seeds and venues. Default: 0.
  int outbreak_venues = 0;
  // The chance that one long-enough overlap with an infectious person infects. Default: 0.1.
  double transmission_rate = 0.1;
  // Visitors a day beyond which a venue's crowd thins out close contact: at a venue expecting
  // more visitors a day than this, the chance of infection is scaled by crowd_size / expected
  // visitors (so big markets do not infect the whole town). Default: 50.
  double crowd_size = 50;
  // The shortest overlap with an infectious person that can infect. Default: 15 minutes.
  DurationMs transmission_overlap = 15 * kMinute;
  // The time from infection to being infectious; at least a day keeps a day's infections
  // from spreading on the same day. Default: 24 hours.
  DurationMs latent_period = 24 * kHour;
  // How long an infected person who is never tested stays infectious. Default: 7 days.
  DurationMs infectious_period = 7 * kDay;
  // How long a found case stays home from the positive sample on (then, recovered and immune,
  // they resume their routine on the next day). Default: 14 days.
  DurationMs isolation_period = 14 * kDay;
  // The share of infected people who get a positive test (the others are never found).
  // Default: 0.85.
  double detection_rate = 0.85;
  // The share of found cases with a second, later positive test. Default: 0.2.
  double retest_rate = 0.2;
  // The share of found cases who declare symptoms with an onset. Default: 0.5.
  double declaration_rate = 0.5;
  // The chance per person per day of a routine test, which comes back negative. Default: 0.02.
  double test_rate = 0.02;
  // The chance per person per day of a declaration without symptoms. Default: 0.01.
  double healthy_declaration_rate = 0.01;

  // Empty when the options are usable, else a one-line description of the first problem.
  std::string Validate() const;
  // The first instant of the span (`start`, or `end - days`).
  TimeMs SpanStart() const;
  // The end of the span, exclusive (`end`, or `start + days`).
  TimeMs SpanEnd() const;
};

// One infection as the simulator decided it; the events show only its consequences.
struct SimulatedInfection {
  std::string person;  // "P000123"
  std::string venue;   // where it happened; empty for a seed infected before the span
  TimeMs at = 0;       // for a venue, the start of the stay (or overlap) that infected
  bool seed = false;   // one of the outbreak's first infections
};

// What the simulator knows beyond its events, for tests and for benchmarks that compare what
// tracing finds with the truth. Called on the thread running WriteTown, as things happen.
class TownObserver {
 public:
  virtual ~TownObserver() = default;
  // The venues chosen for the outbreak (SimulateOptions::outbreak_venues), most popular first.
  // Called once, before any event is written, when outbreak_venues > 0.
  virtual void OnOutbreakVenues(const std::vector<std::string>& venues) { (void)venues; }
  virtual void OnInfection(const SimulatedInfection& infection) { (void)infection; }
};

// Writes the town's events to `out` as NDJSON, one event per line, and returns how many it
// wrote. Writes nothing and returns 0 when options.Validate() is not empty. Stops early when
// `out` goes bad (the count then says how many lines were handed to it). `out` is only written
// to, never flushed or closed. `observer`, when not null, hears about the outbreak; it must
// outlive the call.
uint64_t WriteTown(const SimulateOptions& options, std::ostream& out,
                   TownObserver* observer = nullptr);

}  // namespace ctrace
