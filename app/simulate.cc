#include "app/simulate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/sim_event_writer.h"
#include "app/simulate_random.h"
#include "app/venue_kinds.h"

namespace ctrace {
namespace {

constexpr TimeMs kNever = kTimeMax;

// How long after infection a found case is sampled, and how long results take. Kept fixed (not
// options) because the streaming order relies on them: a test or declaration always falls on a
// later day than the infection that causes it.
constexpr DurationMs kMinDetectionDelay = 2 * kDay;
constexpr DurationMs kMaxDetectionDelay = 5 * kDay;
constexpr DurationMs kMaxDeclarationLead = 6 * kHour;

// Errands are run between these local times (and within the venue's opening hours).
constexpr DurationMs kErrandsFrom = 6 * kHour;
constexpr DurationMs kErrandsUntil = 22 * kHour;

constexpr std::array<std::string_view, 3> kSources = {"pc-covid", "vneid", "hcdc-scanner"};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct Venue {
  std::string id;
  int district = 0;
  int kind = 0;           // index into VenueKinds()
  double popularity = 0;  // the weight of the venue when errands pick one
  int outbreak = -1;      // index among the outbreak venues, -1 for none
};

// Person::infection when the person has no course of infection running.
constexpr int32_t kNeverInfected = -1;
constexpr int32_t kRecovered = -2;  // over: immune, and nothing of it is left to write

// What the town keeps of every person, for every day of the span: kept small, because a city
// has millions of people. The course of an infection is kept apart while it runs.
struct Person {
  int32_t workplace = -1;   // venue index, -1 for none
  int32_t infection = kNeverInfected;  // index into Town::infections_, or one of the above
  int32_t work_start = 0;   // habitual start, ms after local midnight
  int32_t work_length = 0;  // ms
  uint8_t district = 0;
};

struct Infection {
  TimeMs infected_at = kNever;
  TimeMs infectious_from = kNever;
  TimeMs infectious_until = kNever;  // exclusive
  TimeMs sampled_at = kNever;        // the positive test of a found case, who then isolates
  TimeMs isolated_until = kNever;    // a found case stays home on the days starting before this
  TimeMs resulted_at = kNever;
  TimeMs retest_at = kNever;
  TimeMs declared_at = kNever;
  TimeMs onset = kNever;
  uint8_t symptoms = 0;  // bit i: SimSymptom(i)
  bool pcr = true;
};

// The course of someone never infected.
constexpr Infection kHealthy{};
// What is left of a course that is over: infected some time ago, no longer infectious, nothing
// more to test, declare or isolate for.
constexpr Infection kOver{.infected_at = kTimeMin, .infectious_from = kTimeMin, .infectious_until = kTimeMin};

// Whether nothing of `course` happens on or after `day_start` any more.
bool CourseOverBy(const Infection& course, TimeMs day_start) {
  const auto before = [&](TimeMs t) { return t == kNever || t < day_start; };
  const bool isolated = course.sampled_at != kNever && course.isolated_until >= day_start;
  return !isolated && course.infectious_until < day_start && before(course.sampled_at) &&
         before(course.retest_at) && before(course.declared_at);
}

// One stay somewhere as the person lives it (the service may see it differently).
struct Slot {
  TimeMs start = 0;
  TimeMs end = 0;
  int venue = 0;
};

// An infectious person's presence at a venue on the current day.
struct Presence {
  TimeMs start = 0;
  TimeMs end = 0;
};

// An event of one person's day, waiting to be ordered by time and written.
struct Pending {
  TimeMs time = 0;
  int seq = 0;
  SimEventKind kind = SimEventKind::kCheckin;
  int venue = -1;
  TimeMs resulted_at = kNever;
  TimeMs onset = kNever;
  uint8_t symptoms = 0;
  bool pcr = true;
};

// A person who could be one of the outbreak's first infections at an outbreak venue today.
struct SeedCandidate {
  int person = 0;
  TimeMs at = 0;
};

// The seeding of one outbreak venue: how many seeds it still needs, and a uniform sample of
// today's candidates (reservoir sampling, so memory stays at `quota` whatever the crowd).
struct OutbreakVenue {
  int venue = 0;
  int quota = 0;
  uint64_t seen = 0;
  std::vector<SeedCandidate> sample;
};

class Town {
 public:
  Town(const SimulateOptions& options, std::ostream& out, TownObserver* observer)
      : options_(options),
        random_(options.seed),
        observer_(observer),
        span_start_(options.SpanStart()),
        span_last_(options.SpanEnd() - kMinute),
        writer_(out, PersonWidth(options.people)) {
    BuildVenues();
    BuildPeople();
    SeedOutbreak();
  }

  uint64_t Run() {
    const int64_t first_day = FloorDiv(span_start_ + kTownLocalOffset, kDay);
    const int64_t last_day = FloorDiv(span_last_ + kTownLocalOffset, kDay);
    for (int64_t day = first_day; day <= last_day && !stopped_; ++day) RunDay(day);
    return writer_.written();
  }

 private:
  static int PersonWidth(int people) {
    int width = 6;
    for (int64_t n = 1000000; n <= people - 1; n *= 10) ++width;
    return width;
  }

  // A whole number of minutes in [lo, hi].
  DurationMs Minutes(int64_t lo, int64_t hi) { return random_.Between(lo, hi) * kMinute; }

  const OpeningHours& HoursOf(int venue) const {
    return VenueKinds()[static_cast<size_t>(venues_[static_cast<size_t>(venue)].kind)].hours;
  }
  const Infection& CourseOf(const Person& p) const {
    if (p.infection == kNeverInfected) return kHealthy;
    if (p.infection == kRecovered) return kOver;
    return infections_[static_cast<size_t>(p.infection)];
  }

  void BuildVenues() {
    const auto kinds_table = VenueKinds();
    WeightedPicker kinds;
    for (size_t k = 0; k < kinds_table.size(); ++k) kinds.Add(static_cast<int>(k), kinds_table[k].weight);

    // Popularity: venues are ranked in a random order; the venue at rank r has weight
    // 1 / (r + 1)^s.
    const int n = options_.venues;
    std::vector<int> rank(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) rank[static_cast<size_t>(i)] = i;
    for (int i = n - 1; i > 0; --i) {
      const auto j = static_cast<int>(random_.Below(static_cast<uint64_t>(i) + 1));
      std::swap(rank[static_cast<size_t>(i)], rank[static_cast<size_t>(j)]);
    }

    venues_.resize(static_cast<size_t>(n));
    by_district_.resize(static_cast<size_t>(options_.districts));
    food_by_district_.resize(static_cast<size_t>(options_.districts));
    outbreak_venues_.resize(static_cast<size_t>(options_.outbreak_venues));
    for (int v = 0; v < n; ++v) {
      Venue& venue = venues_[static_cast<size_t>(v)];
      venue.district = v % options_.districts;
      venue.kind = kinds.Pick(random_);
      const VenueKind& kind = kinds_table[static_cast<size_t>(venue.kind)];
      venue.id = "V-D";
      AppendZeroPadded(&venue.id, venue.district + 1, 2);
      venue.id.push_back('-');
      venue.id.append(kind.name);
      venue.id.push_back('-');
      AppendZeroPadded(&venue.id, v, 1);

      const int r = rank[static_cast<size_t>(v)];
      const double weight = 1.0 / std::pow(static_cast<double>(r) + 1.0, options_.zipf_exponent);
      venue.popularity = weight;
      all_venues_.Add(v, weight);
      by_district_[static_cast<size_t>(venue.district)].Add(v, weight);
      // Workplaces are not chosen by popularity: a café's crowd does not all work there.
      if (kind.workplace) workplaces_.Add(v, 1.0);
      if (kind.food) food_by_district_[static_cast<size_t>(venue.district)].Add(v, weight);
      if (r < options_.outbreak_venues) {
        venue.outbreak = r;
        outbreak_venues_[static_cast<size_t>(r)].venue = v;
      }
    }
  }

  void BuildPeople() {
    people_.resize(static_cast<size_t>(options_.people));
    for (Person& person : people_) {
      person.district = static_cast<uint8_t>(random_.Below(static_cast<uint64_t>(options_.districts)));
      if (random_.Chance(options_.worker_rate)) {
        person.workplace = workplaces_.empty() ? static_cast<int>(random_.Below(venues_.size()))
                                               : workplaces_.Pick(random_);
        // Between 07:00 and 09:00, or in the two hours after a later opening.
        const DurationMs earliest = std::max<DurationMs>(7 * kHour, HoursOf(person.workplace).open);
        person.work_start = static_cast<int32_t>(earliest + Minutes(0, 8) * 15);
        person.work_length = static_cast<int32_t>(4 * kHour + Minutes(0, 10) * 30);
      }
    }
    cache_index_.assign(people_.size(), -1);

    // The expected visitors a day at each venue, from the popularity tables and the workplaces.
    std::vector<double> expected(venues_.size(), 0.0);
    const double errands = static_cast<double>(options_.people) * options_.errands_per_day;
    const double home = options_.home_district_rate;
    for (size_t v = 0; v < venues_.size(); ++v) {
      const WeightedPicker& district = by_district_[static_cast<size_t>(venues_[v].district)];
      const double weight = venues_[v].popularity;
      expected[v] = errands * ((1 - home) * weight / all_venues_.total() +
                               home / options_.districts * weight / district.total());
    }
    for (const Person& person : people_) {
      if (person.workplace >= 0) expected[static_cast<size_t>(person.workplace)] += 5.0 / 7.0;
    }
    closeness_.resize(venues_.size());
    for (size_t v = 0; v < venues_.size(); ++v) {
      closeness_[v] = expected[v] <= options_.crowd_size ? 1.0 : options_.crowd_size / expected[v];
    }
  }

  void SeedOutbreak() {
    const int seeds = options_.outbreak_seeds;
    if (!outbreak_venues_.empty()) {
      // Shared out evenly, the most popular venues taking the remainder.
      const int per_venue = seeds / static_cast<int>(outbreak_venues_.size());
      const int remainder = seeds % static_cast<int>(outbreak_venues_.size());
      std::vector<std::string> ids;
      for (size_t k = 0; k < outbreak_venues_.size(); ++k) {
        outbreak_venues_[k].quota = per_venue + (static_cast<int>(k) < remainder ? 1 : 0);
        ids.push_back(venues_[static_cast<size_t>(outbreak_venues_[k].venue)].id);
      }
      seeding_ = true;
      if (observer_ != nullptr) observer_->OnOutbreakVenues(ids);
      return;
    }
    std::vector<int> order(people_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    for (int i = 0; i < seeds; ++i) {
      const auto j = i + static_cast<int>(random_.Below(order.size() - static_cast<size_t>(i)));
      std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
      const TimeMs infected_at = span_start_ - Minutes(6 * 60, 24 * 60);
      Infect(order[static_cast<size_t>(i)], infected_at, /*seed=*/true, /*venue=*/-1);
    }
  }

  // Plans the course of an infection: when the person is infectious, and for found cases the
  // tests and declaration, which always fall on later days than `infected_at`.
  void Infect(int person_idx, TimeMs infected_at, bool seed, int venue) {
    Person& person = people_[static_cast<size_t>(person_idx)];
    if (free_infections_.empty()) {
      person.infection = static_cast<int32_t>(infections_.size());
      infections_.emplace_back();
    } else {
      person.infection = free_infections_.back();
      free_infections_.pop_back();
    }
    Infection& p = infections_[static_cast<size_t>(person.infection)];
    p = Infection{};
    if (observer_ != nullptr) {
      SimulatedInfection report{.at = infected_at, .seed = seed};
      writer_.AppendPersonId(&report.person, person_idx);
      if (venue >= 0) report.venue = venues_[static_cast<size_t>(venue)].id;
      observer_->OnInfection(report);
    }
    p.infected_at = infected_at;
    p.infectious_from = infected_at + options_.latent_period;
    if (!seed && !random_.Chance(options_.detection_rate)) {
      p.infectious_until = infected_at + options_.infectious_period;
      return;
    }
    // Sampled in the daytime of a day 2 to 5 days after infection.
    const TimeMs around = infected_at + random_.Between(kMinDetectionDelay, kMaxDetectionDelay);
    const TimeMs local_midnight = TownMidnight(around);
    TimeMs sampled = local_midnight + 7 * kHour + Minutes(0, 10 * 60);
    // The first cases are found inside the span, so their tests are written.
    if (seed && sampled < span_start_ + kHour) sampled = span_start_ + kHour + Minutes(0, 600);
    p.sampled_at = sampled + random_.Between(0, 59) * kSecond;
    p.infectious_until = p.sampled_at;
    p.isolated_until = p.sampled_at + options_.isolation_period;
    p.resulted_at = p.sampled_at + Minutes(4 * 60, 30 * 60);
    p.pcr = random_.Chance(0.7);
    if (random_.Chance(options_.retest_rate)) {
      p.retest_at = p.sampled_at + Minutes(3 * 24 * 60, 6 * 24 * 60);
    }
    if (random_.Chance(options_.declaration_rate)) {
      TimeMs declared = p.sampled_at - Minutes(0, kMaxDeclarationLead / kMinute);
      if (seed) declared = std::max(declared, std::min(p.sampled_at, span_start_));
      p.declared_at = declared;
      p.onset = std::min(infected_at + Minutes(24 * 60, 72 * 60), declared);
      p.symptoms = static_cast<uint8_t>(1 + random_.Below((1u << kSimSymptomCount) - 1));
    }
  }

  // The person's stays on the local day starting at `day_start`, each within its venue's
  // opening hours.
  void PlanDay(const Person& p, TimeMs day_start, int weekday, std::vector<Slot>* slots) {
    slots->clear();
    const Infection& course = CourseOf(p);
    const TimeMs sampled_at = course.sampled_at;
    if (sampled_at <= day_start && day_start < course.isolated_until) return;  // isolating at home

    const bool working = p.workplace >= 0 && weekday >= 1 && weekday <= 5 &&
                         HoursOf(p.workplace).OpenOn(weekday);
    if (working) {
      const OpeningHours& hours = HoursOf(p.workplace);
      const TimeMs work_start =
          std::max(day_start + p.work_start + Minutes(-15, 15), day_start + hours.open);
      const TimeMs work_end = std::min(work_start + p.work_length + Minutes(-20, 40),
                                       day_start + hours.close - kMinute);
      const int work_district = venues_[static_cast<size_t>(p.workplace)].district;
      const WeightedPicker& food = food_by_district_[static_cast<size_t>(work_district)];
      bool split = false;
      if (random_.Chance(options_.lunch_out_rate) && !food.empty()) {
        const TimeMs lunch_start = day_start + 11 * kHour + Minutes(45, 90);
        const TimeMs lunch_end = lunch_start + Minutes(20, 60);
        const int place = food.Pick(random_);
        const OpeningHours& place_hours = HoursOf(place);
        const bool open = place_hours.OpenOn(weekday) && lunch_start >= day_start + place_hours.open &&
                          lunch_end < day_start + place_hours.close - kMinute;
        if (open && lunch_start >= work_start + 30 * kMinute && lunch_end + 30 * kMinute <= work_end) {
          slots->push_back({work_start, lunch_start - Minutes(1, 5), p.workplace});
          slots->push_back({lunch_start, lunch_end, place});
          slots->push_back({lunch_end + Minutes(3, 10), work_end, p.workplace});
          split = true;
        }
      }
      if (!split && work_end - work_start >= 30 * kMinute) {
        slots->push_back({work_start, work_end, p.workplace});
      }
    }

    const int errands = random_.Poisson(options_.errands_per_day);
    for (int e = 0; e < errands; ++e) {
      const double u = random_.Unit();
      const DurationMs length = (10 + static_cast<int64_t>(u * u * 110)) * kMinute;
      // A venue open today long enough (a few tries, then the errand is dropped).
      int chosen = -1;
      DurationMs from = 0;
      DurationMs until = 0;
      for (int pick = 0; pick < 4 && chosen < 0; ++pick) {
        const int venue = random_.Chance(options_.home_district_rate)
                              ? by_district_[static_cast<size_t>(p.district)].Pick(random_)
                              : -1;
        const int candidate = venue >= 0 ? venue : all_venues_.Pick(random_);
        const OpeningHours& hours = HoursOf(candidate);
        from = std::max(kErrandsFrom, hours.open);
        until = std::min(kErrandsUntil, hours.close - kMinute);
        if (hours.OpenOn(weekday) && until - from >= length) chosen = candidate;
      }
      if (chosen < 0) continue;
      for (int attempt = 0; attempt < 4; ++attempt) {
        const TimeMs start = day_start + from + Minutes(0, (until - from - length) / kMinute);
        const TimeMs end = start + length;
        const bool clash = std::any_of(slots->begin(), slots->end(), [&](const Slot& s) {
          return start < s.end + 5 * kMinute && s.start < end + 5 * kMinute;
        });
        if (!clash) {
          slots->push_back({start, end, chosen});
          break;
        }
      }
    }

    // Seconds, so that times are not all round; every end was planned at least a minute
    // before closing, so the stays stay within opening hours.
    for (Slot& s : *slots) {
      s.start += random_.Between(0, 59) * kSecond;
      s.end += random_.Between(0, 59) * kSecond;
    }
    std::sort(slots->begin(), slots->end(), [](const Slot& a, const Slot& b) {
      return a.start != b.start ? a.start < b.start : a.venue < b.venue;
    });
    // Stays after the positive sample do not happen: the person isolates.
    if (day_start < sampled_at) {
      while (!slots->empty() && slots->back().start >= sampled_at) slots->pop_back();
    }
  }

  void RunDay(int64_t local_day) {
    const TimeMs day_start = local_day * kDay - kTownLocalOffset;
    const TimeMs day_end = day_start + kDay;
    const int weekday = TownWeekday(day_start);

    // Phase 1: where the people already infectious today will be. Only people infected before
    // today can be infectious today (the latent period), so this is settled before anyone's day.
    for (auto& list : presence_) list.clear();
    presence_.resize(venues_.size());
    cached_slots_.clear();
    cached_ranges_.clear();
    for (size_t i = 0; i < people_.size(); ++i) {
      const Person& person = people_[i];
      cache_index_[i] = -1;
      if (person.infection < 0) continue;
      const Infection& p = CourseOf(person);
      if (CourseOverBy(p, day_start)) {
        // Memory follows the infections running, not all there were.
        free_infections_.push_back(person.infection);
        people_[i].infection = kRecovered;
        continue;
      }
      const bool infectious_today = p.infected_at < day_start && p.infectious_from < day_end &&
                                    p.infectious_until > day_start;
      if (!infectious_today) continue;
      PlanDay(person, day_start, weekday, &slots_);
      cache_index_[i] = static_cast<int>(cached_ranges_.size());
      cached_ranges_.emplace_back(cached_slots_.size(), slots_.size());
      for (const Slot& s : slots_) {
        cached_slots_.push_back(s);
        const TimeMs start = std::max(s.start, p.infectious_from);
        const TimeMs end = std::min(s.end, p.infectious_until);
        if (start < end) presence_[static_cast<size_t>(s.venue)].push_back({start, end});
      }
    }

    // Phase 2: everyone's day, person by person, written as it goes.
    for (size_t i = 0; i < people_.size() && !stopped_; ++i) {
      if (cache_index_[i] >= 0) {
        const auto [offset, count] = cached_ranges_[static_cast<size_t>(cache_index_[i])];
        slots_.assign(cached_slots_.begin() + static_cast<std::ptrdiff_t>(offset),
                      cached_slots_.begin() + static_cast<std::ptrdiff_t>(offset + count));
      } else {
        PlanDay(people_[i], day_start, weekday, &slots_);
      }
      if (people_[i].infection == kNeverInfected) Transmit(static_cast<int>(i));
      if (seeding_ && people_[i].infection == kNeverInfected) OfferSeed(static_cast<int>(i));
      CollectDay(people_[i], day_start, day_end);
      WritePending(static_cast<int>(i));
    }
    if (seeding_) PlaceSeeds();
  }

  // Whether today's stays (in slots_) infect a person who is not infected yet.
  void Transmit(int person_idx) {
    TimeMs infected_at = kNever;
    int where = -1;
    for (const Slot& s : slots_) {
      for (const Presence& other : presence_[static_cast<size_t>(s.venue)]) {
        const TimeMs start = std::max(s.start, other.start);
        const TimeMs end = std::min(s.end, other.end);
        if (end - start >= options_.transmission_overlap &&
            random_.Chance(options_.transmission_rate * closeness_[static_cast<size_t>(s.venue)]) &&
            start < infected_at) {
          infected_at = start;
          where = s.venue;
        }
      }
    }
    if (infected_at != kNever) Infect(person_idx, infected_at, /*seed=*/false, where);
  }

  // Offers the person's first long enough stay today at an outbreak venue that still needs
  // seeds, if any, to that venue's sample of candidates.
  void OfferSeed(int person_idx) {
    for (const Slot& s : slots_) {
      const int k = venues_[static_cast<size_t>(s.venue)].outbreak;
      if (k < 0 || s.start < span_start_ || s.start > span_last_) continue;
      if (s.end - s.start < options_.transmission_overlap) continue;
      OutbreakVenue& venue = outbreak_venues_[static_cast<size_t>(k)];
      if (venue.quota == 0) continue;
      const SeedCandidate candidate{person_idx, s.start};
      ++venue.seen;
      if (venue.sample.size() < static_cast<size_t>(venue.quota)) {
        venue.sample.push_back(candidate);
      } else {
        const uint64_t j = random_.Below(venue.seen);
        if (j < venue.sample.size()) venue.sample[j] = candidate;
      }
      return;
    }
  }

  // Infects today's sampled candidates. Infections decided at the end of the day change
  // nothing already written: their tests and declarations come days later.
  void PlaceSeeds() {
    seeding_ = false;
    for (OutbreakVenue& venue : outbreak_venues_) {
      for (const SeedCandidate& c : venue.sample) Infect(c.person, c.at, /*seed=*/true, venue.venue);
      venue.quota -= static_cast<int>(venue.sample.size());
      venue.sample.clear();
      venue.seen = 0;
      if (venue.quota > 0) seeding_ = true;
    }
  }

  void Add(Pending event) {
    event.seq = static_cast<int>(pending_.size());
    pending_.push_back(event);
  }

  // Today's events of one person (visits from slots_, tests, declarations) into pending_.
  void CollectDay(const Person& person, TimeMs day_start, TimeMs day_end) {
    const Infection& p = CourseOf(person);
    pending_.clear();
    for (const Slot& s : slots_) {
      Add({.time = s.start, .kind = SimEventKind::kCheckin, .venue = s.venue});
      if (!random_.Chance(options_.checkout_rate)) continue;
      if (random_.Chance(options_.late_checkout_rate)) {
        const TimeMs late = s.end + Minutes(2 * 60, 14 * 60);
        Add({.time = late, .kind = SimEventKind::kCheckout, .venue = s.venue});
        continue;
      }
      Add({.time = s.end, .kind = SimEventKind::kCheckout, .venue = s.venue});
      if (random_.Chance(options_.double_checkout_rate)) {
        const TimeMs again = s.end + Minutes(1, 30);
        Add({.time = again, .kind = SimEventKind::kCheckout, .venue = s.venue});
      }
    }

    const auto today = [&](TimeMs t) { return t >= day_start && t < day_end; };
    if (today(p.sampled_at)) {
      Add({.time = p.sampled_at,
           .kind = SimEventKind::kPositiveTest,
           .resulted_at = p.resulted_at,
           .pcr = p.pcr});
    }
    if (today(p.retest_at)) {
      const TimeMs resulted = p.retest_at + Minutes(4 * 60, 30 * 60);
      Add({.time = p.retest_at, .kind = SimEventKind::kPositiveTest, .resulted_at = resulted, .pcr = true});
    }
    if (today(p.declared_at)) {
      Add({.time = p.declared_at,
           .kind = SimEventKind::kDeclaration,
           .onset = p.onset,
           .symptoms = p.symptoms});
    }
    if (random_.Chance(options_.test_rate)) {
      // A routine test is negative: only taken before the person is infectious (or ever infected).
      const TimeMs sampled = day_start + Minutes(7 * 60, 17 * 60);
      if (sampled < p.infectious_from && sampled < p.sampled_at) {
        const TimeMs resulted = sampled + Minutes(30, 24 * 60);
        const bool pcr = random_.Chance(0.5);
        Add({.time = sampled, .kind = SimEventKind::kNegativeTest, .resulted_at = resulted, .pcr = pcr});
      }
    }
    if (random_.Chance(options_.healthy_declaration_rate) && p.infected_at == kNever) {
      Add({.time = day_start + Minutes(6 * 60, 22 * 60), .kind = SimEventKind::kDeclaration});
    }
  }

  void WritePending(int person_idx) {
    std::sort(pending_.begin(), pending_.end(), [](const Pending& a, const Pending& b) {
      return a.time != b.time ? a.time < b.time : a.seq < b.seq;
    });
    const Person& p = people_[static_cast<size_t>(person_idx)];
    for (const Pending& e : pending_) {
      if (e.time < span_start_ || e.time > span_last_) continue;
      const bool local = random_.Chance(options_.offset_rate);
      const bool with_source = random_.Chance(options_.source_rate);
      const size_t source = random_.Below(kSources.size());

      SimEvent event{.kind = e.kind, .time = e.time, .pcr = e.pcr, .lab_district = p.district,
                     .symptoms = e.symptoms};
      if (e.venue >= 0) event.venue = venues_[static_cast<size_t>(e.venue)].id;
      // A result time after the span's end is left out: the lab has not reported it yet.
      if (e.resulted_at <= span_last_) event.resulted_at = e.resulted_at;
      if (e.onset != kNever) event.onset = e.onset;
      if (!writer_.Write(person_idx, event, local, with_source ? kSources[source] : std::string_view())) {
        stopped_ = true;
        return;
      }
    }
  }

  const SimulateOptions& options_;
  SimRandom random_;
  TownObserver* observer_;
  const TimeMs span_start_;
  const TimeMs span_last_;
  SimEventWriter writer_;
  bool stopped_ = false;  // the output went bad

  std::vector<Venue> venues_;
  WeightedPicker all_venues_;
  WeightedPicker workplaces_;
  std::vector<WeightedPicker> by_district_;
  std::vector<WeightedPicker> food_by_district_;
  std::vector<Person> people_;
  std::vector<Infection> infections_;       // the courses running, and free slots
  std::vector<int32_t> free_infections_;    // indexes into infections_ of courses that are over
  std::vector<double> closeness_;  // per venue: the factor crowds put on the chance of infection

  // The outbreak venues by popularity rank; seeding_ while some still need seeds.
  std::vector<OutbreakVenue> outbreak_venues_;
  bool seeding_ = false;

  // Per day: where infectious people are, by venue, and the stays already planned for them.
  std::vector<std::vector<Presence>> presence_;
  std::vector<int> cache_index_;  // per person: index into cached_ranges_, or -1
  std::vector<std::pair<size_t, size_t>> cached_ranges_;  // (offset, count) in cached_slots_
  std::vector<Slot> cached_slots_;

  // Scratch space, reused.
  std::vector<Slot> slots_;
  std::vector<Pending> pending_;
};

}  // namespace

uint64_t WriteTown(const SimulateOptions& options, std::ostream& out, TownObserver* observer) {
  if (!options.Validate().empty()) return 0;
  Town town(options, out, observer);
  return town.Run();
}

}  // namespace ctrace
