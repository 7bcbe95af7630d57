// The town generator of `ctrace simulate` (app/simulate.h, app/venue_kinds.h): determinism,
// opening hours, the span's start, and an outbreak that starts at the chosen venues.
#include "app/simulate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/venue_kinds.h"
#include "model/time.h"

namespace ctrace {
namespace {

using nlohmann::json;

constexpr TimeMs kEnd = 1805068800000;  // 2027-03-15T00:00:00Z, a Monday

TimeMs At(const char* text) {
  const auto t = ParseRfc3339(text);
  EXPECT_TRUE(t.has_value()) << text;
  return t.value_or(0);
}

SimulateOptions SmallTown() {
  SimulateOptions options;
  options.seed = 11;
  options.people = 1500;
  options.venues = 150;
  options.days = 10;
  options.end = kEnd;
  return options;
}

std::string Generate(const SimulateOptions& options, TownObserver* observer = nullptr) {
  std::ostringstream out;
  const uint64_t written = WriteTown(options, out, observer);
  EXPECT_GT(written, 0u) << options.Validate();
  return out.str();
}

std::vector<json> Parse(const std::string& text) {
  std::vector<json> events;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) events.push_back(json::parse(line));
  return events;
}

// The event time: `ts`, or `sampled_at` for test results.
TimeMs EventTime(const json& event) {
  const std::string field = event["type"] == "test_result" ? "sampled_at" : "ts";
  return At(event[field].get<std::string>().c_str());
}

class Recorder final : public TownObserver {
 public:
  void OnOutbreakVenues(const std::vector<std::string>& venues) override {
    ++venue_calls;
    outbreak_venues = venues;
  }
  void OnInfection(const SimulatedInfection& infection) override { infections.push_back(infection); }

  int venue_calls = 0;
  std::vector<std::string> outbreak_venues;
  std::vector<SimulatedInfection> infections;
};

TEST(VenueKinds, FindsTheKindInAVenueId) {
  const VenueKind* cafe = FindVenueKind("V-D03-CAFE-12");
  ASSERT_NE(cafe, nullptr);
  EXPECT_EQ(cafe->name, "CAFE");
  ASSERT_NE(FindVenueKind("V-D10-RESTAURANT-0"), nullptr);
  EXPECT_EQ(FindVenueKind("V-D10-RESTAURANT-0")->name, "RESTAURANT");
  EXPECT_EQ(FindVenueKind("V-D03-CASINO-1"), nullptr);
  EXPECT_EQ(FindVenueKind("CAFE"), nullptr);
  EXPECT_EQ(FindVenueKind(""), nullptr);
}

TEST(VenueKinds, OpeningHoursAreLocalTime) {
  const VenueKind* office = FindVenueKind("V-D01-OFFICE-1");
  ASSERT_NE(office, nullptr);
  // Monday 2027-03-15: 07:00 local is 00:00Z.
  EXPECT_EQ(TownWeekday(At("2027-03-15T00:00:00Z")), 1);
  EXPECT_TRUE(office->hours.IsOpenAt(At("2027-03-15T00:00:00Z")));
  EXPECT_FALSE(office->hours.IsOpenAt(At("2027-03-14T23:59:59Z")));  // 06:59:59 local
  EXPECT_FALSE(office->hours.IsOpenAt(At("2027-03-15T12:00:00Z")));  // 19:00 local: closed
  // Sunday 2027-03-14 at 10:00 local: offices are closed, cafés open.
  EXPECT_EQ(TownWeekday(At("2027-03-14T03:00:00Z")), 0);
  EXPECT_FALSE(office->hours.IsOpenAt(At("2027-03-14T03:00:00Z")));
  EXPECT_TRUE(FindVenueKind("V-D01-CAFE-1")->hours.IsOpenAt(At("2027-03-14T03:00:00Z")));
  EXPECT_EQ(TownMidnight(At("2027-03-15T16:59:59Z")), At("2027-03-14T17:00:00Z"));
  EXPECT_EQ(TownMidnight(At("2027-03-15T17:00:00Z")), At("2027-03-15T17:00:00Z"));
}

TEST(Simulate, TheSameOptionsGiveTheSameBytes) {
  SimulateOptions options = SmallTown();
  options.outbreak_seeds = 4;
  options.outbreak_venues = 2;
  const std::string first = Generate(options);
  EXPECT_EQ(Generate(options), first);
  options.seed += 1;
  EXPECT_NE(Generate(options), first);
}

TEST(Simulate, NoCheckinOutsideOpeningHours) {
  SimulateOptions options = SmallTown();
  options.days = 14;  // two of every weekday
  std::map<std::string, int> checkins_by_kind;
  int on_sunday = 0;
  for (const json& event : Parse(Generate(options))) {
    if (event["type"] != "checkin") continue;
    const std::string venue = event["venue"];
    const VenueKind* kind = FindVenueKind(venue);
    ASSERT_NE(kind, nullptr) << venue;
    const TimeMs t = EventTime(event);
    EXPECT_TRUE(kind->hours.IsOpenAt(t)) << event.dump();
    ++checkins_by_kind[std::string(kind->name)];
    if (TownWeekday(t) == 0) ++on_sunday;
  }
  // Every kind is visited, and people go out on Sundays too (to what is open).
  EXPECT_EQ(checkins_by_kind.size(), VenueKinds().size());
  EXPECT_GT(on_sunday, 0);
}

TEST(Simulate, OnTimeCheckoutsAreWithinOpeningHoursToo) {
  SimulateOptions options = SmallTown();
  options.late_checkout_rate = 0;
  options.double_checkout_rate = 0;
  int checkouts = 0;
  for (const json& event : Parse(Generate(options))) {
    if (event["type"] != "checkout") continue;
    const VenueKind* kind = FindVenueKind(event["venue"].get<std::string>());
    ASSERT_NE(kind, nullptr);
    EXPECT_TRUE(kind->hours.IsOpenAt(EventTime(event))) << event.dump();
    ++checkouts;
  }
  EXPECT_GT(checkouts, 1000);
}

TEST(Simulate, StartSetsTheSpan) {
  SimulateOptions options = SmallTown();
  options.days = 3;
  options.start = At("2026-01-05T10:30:00Z");
  const TimeMs first = *options.start;
  const TimeMs last = first + 3 * kDay - kMinute;
  TimeMs earliest = kTimeMax;
  TimeMs latest = kTimeMin;
  for (const json& event : Parse(Generate(options))) {
    const TimeMs t = EventTime(event);
    ASSERT_GE(t, first) << event.dump();
    ASSERT_LE(t, last) << event.dump();
    earliest = std::min(earliest, t);
    latest = std::max(latest, t);
    if (event.contains("resulted_at")) {
      EXPECT_LE(At(event["resulted_at"].get<std::string>().c_str()), last);
    }
  }
  // The whole span is used: events on its first and its last day.
  EXPECT_LT(earliest, first + kDay);
  EXPECT_GT(latest, last - kDay);
}

TEST(Simulate, StartIsTheSameTownAsTheEndDaysLater) {
  SimulateOptions by_end = SmallTown();
  SimulateOptions by_start = SmallTown();
  by_start.end = 0;
  by_start.start = kEnd - static_cast<int64_t>(by_end.days) * kDay;
  EXPECT_EQ(by_start.SpanStart(), by_end.SpanStart());
  EXPECT_EQ(by_start.SpanEnd(), by_end.SpanEnd());
  EXPECT_EQ(Generate(by_start), Generate(by_end));
}

TEST(Simulate, OutbreakStartsAtTheChosenVenues) {
  SimulateOptions options = SmallTown();
  options.outbreak_seeds = 6;
  options.outbreak_venues = 3;
  Recorder recorder;
  const std::vector<json> events = Parse(Generate(options, &recorder));

  ASSERT_EQ(recorder.venue_calls, 1);
  ASSERT_EQ(recorder.outbreak_venues.size(), 3u);
  const std::set<std::string> chosen(recorder.outbreak_venues.begin(), recorder.outbreak_venues.end());
  EXPECT_EQ(chosen.size(), 3u);

  // The chosen venues are popular: each among the ten with the most check-ins.
  std::map<std::string, int> checkins;
  for (const json& event : events) {
    if (event["type"] == "checkin") ++checkins[event["venue"].get<std::string>()];
  }
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [venue, count] : checkins) ranked.emplace_back(-count, venue);
  std::sort(ranked.begin(), ranked.end());
  std::set<std::string> top;
  for (size_t i = 0; i < 10 && i < ranked.size(); ++i) top.insert(ranked[i].second);
  for (const std::string& venue : chosen) EXPECT_EQ(top.count(venue), 1u) << venue;

  // Six seeds, two per venue, each infected at the start of a stay there that is in the events.
  std::map<std::string, int> seeds_per_venue;
  TimeMs first_seed = kTimeMax;
  std::set<std::string> seed_people;
  for (const SimulatedInfection& infection : recorder.infections) {
    if (!infection.seed) continue;
    ++seeds_per_venue[infection.venue];
    first_seed = std::min(first_seed, infection.at);
    seed_people.insert(infection.person);
    const bool checked_in = std::any_of(events.begin(), events.end(), [&](const json& event) {
      return event["type"] == "checkin" && event["person"] == infection.person &&
             event["venue"] == infection.venue && EventTime(event) == infection.at;
    });
    EXPECT_TRUE(checked_in) << infection.person << " at " << infection.venue << " "
                            << FormatUtc(infection.at);
  }
  EXPECT_EQ(seed_people.size(), 6u);
  ASSERT_EQ(seeds_per_venue.size(), 3u);
  for (const auto& [venue, count] : seeds_per_venue) {
    EXPECT_EQ(chosen.count(venue), 1u) << venue;
    EXPECT_EQ(count, 2) << venue;
  }
  EXPECT_GE(first_seed, options.SpanStart());

  // Everyone else caught it later, from someone infectious, somewhere in the town.
  int onward = 0;
  for (const SimulatedInfection& infection : recorder.infections) {
    if (infection.seed) continue;
    ++onward;
    EXPECT_GE(infection.at, first_seed + options.latent_period) << infection.person;
    EXPECT_FALSE(infection.venue.empty());
  }
  EXPECT_GT(onward, 0) << "the outbreak should spread in ten days";

  // The seeds are found: positive tests name them.
  int positive_seeds = 0;
  for (const json& event : events) {
    if (event["type"] == "test_result" && event["result"] == "positive" &&
        seed_people.count(event["person"].get<std::string>()) != 0) {
      ++positive_seeds;
    }
  }
  EXPECT_GT(positive_seeds, 0);
}

TEST(Simulate, WithoutOutbreakVenuesSeedsAreInfectedBeforeTheSpan) {
  SimulateOptions options = SmallTown();
  Recorder recorder;
  Generate(options, &recorder);
  EXPECT_EQ(recorder.venue_calls, 0);
  int seeds = 0;
  for (const SimulatedInfection& infection : recorder.infections) {
    if (!infection.seed) continue;
    ++seeds;
    EXPECT_LT(infection.at, options.SpanStart());
    EXPECT_TRUE(infection.venue.empty());
  }
  EXPECT_EQ(seeds, options.outbreak_seeds);
}

TEST(Simulate, FoundCasesStayHomeForTheIsolationPeriodThenComeBack) {
  SimulateOptions options = SmallTown();
  options.days = 30;
  options.isolation_period = 5 * kDay;
  const std::vector<json> events = Parse(Generate(options));
  std::map<std::string, TimeMs> first_positive;
  for (const json& event : events) {
    if (event["type"] != "test_result" || event["result"] != "positive") continue;
    const std::string person = event["person"];
    if (first_positive.count(person) == 0) first_positive[person] = EventTime(event);
  }
  ASSERT_GT(first_positive.size(), 5u);
  int back = 0;
  for (const json& event : events) {
    if (event["type"] != "checkin") continue;
    const auto it = first_positive.find(event["person"].get<std::string>());
    if (it == first_positive.end()) continue;
    const TimeMs t = EventTime(event);
    // Home from the sample until the first local midnight 5 days later.
    const TimeMs home_until = TownMidnight(it->second + 5 * kDay - 1) + kDay;
    EXPECT_FALSE(t >= it->second && t < home_until) << event.dump();
    if (t >= home_until) ++back;
  }
  EXPECT_GT(back, 0) << "recovered cases resume their routine";
}

TEST(Simulate, ValidateNamesTheProblem) {
  SimulateOptions options = SmallTown();
  EXPECT_EQ(options.Validate(), "");
  options.outbreak_venues = options.outbreak_seeds + 1;
  EXPECT_NE(options.Validate().find("outbreak_venues"), std::string::npos);
  options.outbreak_venues = 0;
  options.end = 0;
  EXPECT_NE(options.Validate().find("end (or start)"), std::string::npos);
  options.start = -1;
  EXPECT_NE(options.Validate().find("start"), std::string::npos);
  options.start = 0;
  EXPECT_EQ(options.Validate(), "");
}

}  // namespace
}  // namespace ctrace
