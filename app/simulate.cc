#include "app/simulate.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctrace {
namespace {

// The town's local time is Vietnam's (UTC+07:00, no daylight saving): routines follow it.
constexpr DurationMs kLocalOffset = 7 * kHour;
constexpr TimeMs kNever = kTimeMax;

// How long after infection a found case is sampled, and how long results take. Kept fixed (not
// options) because the streaming order relies on them: a test or declaration always falls on a
// later day than the infection that causes it.
constexpr DurationMs kMinDetectionDelay = 2 * kDay;
constexpr DurationMs kMaxDetectionDelay = 5 * kDay;
constexpr DurationMs kMaxDeclarationLead = 6 * kHour;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Random numbers from raw 64-bit draws, so the output does not depend on how a standard library
// implements its distributions.
class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1).
  double Unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Unit() < p; }
  // Uniform in [0, n); n >= 1.
  uint64_t Below(uint64_t n) {
    const auto v = static_cast<uint64_t>(Unit() * static_cast<double>(n));
    return v < n ? v : n - 1;
  }
  // Uniform in [lo, hi]; lo <= hi.
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // Poisson-distributed count (Knuth's method; fine for the small means used here).
  int Poisson(double mean) {
    if (mean <= 0) return 0;
    const double limit = std::exp(-mean);
    double product = Unit();
    int count = 0;
    while (product > limit) {
      ++count;
      product *= Unit();
    }
    return count;
  }

 private:
  std::mt19937_64 engine_;
};

// Picks an index from a fixed list with fixed weights (cumulative table + binary search).
class Picker {
 public:
  void Add(int item, double weight) {
    total_ += weight;
    items_.push_back(item);
    cumulative_.push_back(total_);
  }
  bool empty() const { return items_.empty(); }
  double total() const { return total_; }
  // -1 when empty.
  int Pick(Random& random) const {
    if (items_.empty()) return -1;
    const double x = random.Unit() * total_;
    auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), x);
    if (it == cumulative_.end()) --it;
    return items_[static_cast<size_t>(it - cumulative_.begin())];
  }

 private:
  std::vector<int> items_;
  std::vector<double> cumulative_;
  double total_ = 0;
};

struct VenueKind {
  std::string_view name;
  double weight;   // how common the kind is
  bool workplace;  // people work there
  bool food;       // people go there for lunch
};

constexpr std::array<VenueKind, 12> kVenueKinds = {{
    {"CAFE", 3, false, true},
    {"MARKET", 2, true, true},
    {"SHOP", 3, true, false},
    {"RESTAURANT", 2, true, true},
    {"PHARMACY", 1, false, false},
    {"GYM", 1, false, false},
    {"BANK", 1, true, false},
    {"SCHOOL", 1, true, false},
    {"OFFICE", 2, true, false},
    {"FACTORY", 1, true, false},
    {"CLINIC", 1, true, false},
    {"PAGODA", 1, false, false},
}};

constexpr std::array<std::string_view, 3> kSources = {"pc-covid", "vneid", "hcdc-scanner"};
constexpr std::array<std::string_view, 6> kSymptoms = {"fever",    "cough",         "sore_throat",
                                                       "fatigue",  "loss_of_smell", "headache"};

struct Venue {
  std::string id;
  int district = 0;
  double popularity = 0;  // the weight of the venue when errands pick one
};

struct Person {
  int district = 0;
  int workplace = -1;            // venue index, -1 for none
  DurationMs work_start = 0;     // habitual start, after local midnight
  DurationMs work_length = 0;
  TimeMs infected_at = kNever;
  TimeMs infectious_from = kNever;
  TimeMs infectious_until = kNever;  // exclusive
  TimeMs sampled_at = kNever;        // the positive test of a found case; isolated from then on
  TimeMs resulted_at = kNever;
  TimeMs retest_at = kNever;
  TimeMs declared_at = kNever;
  TimeMs onset = kNever;
  uint8_t symptoms = 0;  // bit i: kSymptoms[i]
  bool pcr = true;
};

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

enum class Kind { kCheckin, kCheckout, kPositiveTest, kNegativeTest, kDeclaration };

// An event of one person's day, waiting to be ordered by time and written.
struct Pending {
  TimeMs time = 0;
  int seq = 0;
  Kind kind = Kind::kCheckin;
  int venue = -1;
  TimeMs resulted_at = kNever;
  TimeMs onset = kNever;
  uint8_t symptoms = 0;
  bool pcr = true;
};

void AppendDigits(std::string* out, int64_t value, int width) {
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(buf[--n]);
}

// RFC 3339 with seconds, `.mmm` only when the milliseconds are not zero, and either `Z` or the
// local +07:00 offset. `t` must be at or after 1970.
void AppendTime(std::string* out, TimeMs t, bool local) {
  if (local) t += kLocalOffset;
  const int64_t days = FloorDiv(t, kDay);
  int64_t ms_of_day = t - days * kDay;
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  const int64_t z = days + 719468;
  const int64_t era = FloorDiv(z, 146097);
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t day = doy - (153 * mp + 2) / 5 + 1;
  const int64_t month = mp < 10 ? mp + 3 : mp - 9;
  const int64_t year = yoe + era * 400 + (month <= 2 ? 1 : 0);

  AppendDigits(out, year, 4);
  out->push_back('-');
  AppendDigits(out, month, 2);
  out->push_back('-');
  AppendDigits(out, day, 2);
  out->push_back('T');
  AppendDigits(out, ms_of_day / kHour, 2);
  ms_of_day %= kHour;
  out->push_back(':');
  AppendDigits(out, ms_of_day / kMinute, 2);
  ms_of_day %= kMinute;
  out->push_back(':');
  AppendDigits(out, ms_of_day / kSecond, 2);
  ms_of_day %= kSecond;
  if (ms_of_day != 0) {
    out->push_back('.');
    AppendDigits(out, ms_of_day, 3);
  }
  out->append(local ? "+07:00" : "Z");
}

class Town {
 public:
  Town(const SimulateOptions& options, std::ostream& out)
      : options_(options), out_(out), random_(options.seed) {
    span_start_ = options_.end - static_cast<int64_t>(options_.days) * kDay;
    span_last_ = options_.end - kMinute;
    person_width_ = 6;
    for (int64_t n = 1000000; n <= options_.people - 1; n *= 10) ++person_width_;
    BuildVenues();
    BuildPeople();
    SeedOutbreak();
  }

  uint64_t Run() {
    const int64_t first_day = FloorDiv(span_start_ + kLocalOffset, kDay);
    const int64_t last_day = FloorDiv(span_last_ + kLocalOffset, kDay);
    for (int64_t day = first_day; day <= last_day && out_.good(); ++day) RunDay(day);
    return written_;
  }

 private:
  // A whole number of minutes in [lo, hi].
  DurationMs Minutes(int64_t lo, int64_t hi) { return random_.Between(lo, hi) * kMinute; }

  void BuildVenues() {
    Picker kinds;
    for (size_t k = 0; k < kVenueKinds.size(); ++k) {
      kinds.Add(static_cast<int>(k), kVenueKinds[k].weight);
    }

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
    for (int v = 0; v < n; ++v) {
      Venue& venue = venues_[static_cast<size_t>(v)];
      venue.district = v % options_.districts;
      const VenueKind& kind = kVenueKinds[static_cast<size_t>(kinds.Pick(random_))];
      venue.id = "V-D";
      AppendDigits(&venue.id, venue.district + 1, 2);
      venue.id.push_back('-');
      venue.id.append(kind.name);
      venue.id.push_back('-');
      AppendDigits(&venue.id, v, 1);

      const auto r = static_cast<double>(rank[static_cast<size_t>(v)]);
      const double weight = 1.0 / std::pow(r + 1.0, options_.zipf_exponent);
      venue.popularity = weight;
      all_venues_.Add(v, weight);
      by_district_[static_cast<size_t>(venue.district)].Add(v, weight);
      // Workplaces are not chosen by popularity: a café's crowd does not all work there.
      if (kind.workplace) workplaces_.Add(v, 1.0);
      if (kind.food) food_by_district_[static_cast<size_t>(venue.district)].Add(v, weight);
    }
  }

  void BuildPeople() {
    people_.resize(static_cast<size_t>(options_.people));
    for (Person& person : people_) {
      person.district = static_cast<int>(random_.Below(static_cast<uint64_t>(options_.districts)));
      if (random_.Chance(options_.worker_rate)) {
        person.workplace = workplaces_.empty() ? static_cast<int>(random_.Below(venues_.size()))
                                               : workplaces_.Pick(random_);
        person.work_start = 7 * kHour + Minutes(0, 8) * 15;
        person.work_length = 4 * kHour + Minutes(0, 10) * 30;
      }
    }
    cache_index_.assign(people_.size(), -1);

    // The expected visitors a day at each venue, from the popularity tables and the workplaces.
    std::vector<double> expected(venues_.size(), 0.0);
    const double errands = static_cast<double>(options_.people) * options_.errands_per_day;
    const double home = options_.home_district_rate;
    for (size_t v = 0; v < venues_.size(); ++v) {
      const Picker& district = by_district_[static_cast<size_t>(venues_[v].district)];
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
    std::vector<int> order(people_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
    for (int i = 0; i < seeds; ++i) {
      const auto j = i + static_cast<int>(random_.Below(order.size() - static_cast<size_t>(i)));
      std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
      const TimeMs infected_at = span_start_ - Minutes(6 * 60, 24 * 60);
      Infect(order[static_cast<size_t>(i)], infected_at, /*seed=*/true);
    }
  }

  // Plans the course of an infection: when the person is infectious, and for found cases the
  // tests and declaration, which always fall on later days than `infected_at`.
  void Infect(int person_idx, TimeMs infected_at, bool seed) {
    Person& p = people_[static_cast<size_t>(person_idx)];
    p.infected_at = infected_at;
    p.infectious_from = infected_at + options_.latent_period;
    if (!seed && !random_.Chance(options_.detection_rate)) {
      p.infectious_until = infected_at + options_.infectious_period;
      return;
    }
    // Sampled in the daytime of a day 2 to 5 days after infection.
    const TimeMs around = infected_at + random_.Between(kMinDetectionDelay, kMaxDetectionDelay);
    const TimeMs local_midnight = FloorDiv(around + kLocalOffset, kDay) * kDay - kLocalOffset;
    TimeMs sampled = local_midnight + 7 * kHour + Minutes(0, 10 * 60);
    // The first cases are found inside the span, so their tests are written.
    if (seed && sampled < span_start_ + kHour) sampled = span_start_ + kHour + Minutes(0, 600);
    p.sampled_at = sampled + random_.Between(0, 59) * kSecond;
    p.infectious_until = p.sampled_at;
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
      p.symptoms = static_cast<uint8_t>(1 + random_.Below((1u << kSymptoms.size()) - 1));
    }
  }

  // The person's stays on the local day starting at `day_start`.
  void PlanDay(const Person& p, TimeMs day_start, int weekday, std::vector<Slot>* slots) {
    slots->clear();
    if (p.sampled_at <= day_start) return;  // isolating at home

    const bool working = p.workplace >= 0 && weekday >= 1 && weekday <= 5;
    if (working) {
      const TimeMs work_start = day_start + p.work_start + Minutes(-15, 15);
      const TimeMs work_end = work_start + p.work_length + Minutes(-20, 40);
      const int work_district = venues_[static_cast<size_t>(p.workplace)].district;
      const Picker& food = food_by_district_[static_cast<size_t>(work_district)];
      bool split = false;
      if (random_.Chance(options_.lunch_out_rate) && !food.empty()) {
        const TimeMs lunch_start = day_start + 11 * kHour + Minutes(45, 90);
        const TimeMs lunch_end = lunch_start + Minutes(20, 60);
        if (lunch_start >= work_start + 30 * kMinute && lunch_end + 30 * kMinute <= work_end) {
          slots->push_back({work_start, lunch_start - Minutes(1, 5), p.workplace});
          slots->push_back({lunch_start, lunch_end, food.Pick(random_)});
          slots->push_back({lunch_end + Minutes(3, 10), work_end, p.workplace});
          split = true;
        }
      }
      if (!split) slots->push_back({work_start, work_end, p.workplace});
    }

    const int errands = random_.Poisson(options_.errands_per_day);
    for (int e = 0; e < errands; ++e) {
      const double u = random_.Unit();
      const DurationMs length = (10 + static_cast<int64_t>(u * u * 110)) * kMinute;
      const int venue = random_.Chance(options_.home_district_rate)
                            ? by_district_[static_cast<size_t>(p.district)].Pick(random_)
                            : -1;
      const int chosen = venue >= 0 ? venue : all_venues_.Pick(random_);
      for (int attempt = 0; attempt < 4; ++attempt) {
        // Errands between 06:00 and 22:00 local time.
        const TimeMs start = day_start + 6 * kHour + Minutes(0, (16 * kHour - length) / kMinute);
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

    for (Slot& s : *slots) {
      s.start += random_.Between(0, 59) * kSecond;
      s.end += random_.Between(0, 59) * kSecond;
    }
    std::sort(slots->begin(), slots->end(), [](const Slot& a, const Slot& b) {
      return a.start != b.start ? a.start < b.start : a.venue < b.venue;
    });
    // Stays after the positive sample do not happen: the person isolates.
    while (!slots->empty() && slots->back().start >= p.sampled_at) slots->pop_back();
  }

  void RunDay(int64_t local_day) {
    const TimeMs day_start = local_day * kDay - kLocalOffset;
    const TimeMs day_end = day_start + kDay;
    const int weekday = static_cast<int>(((local_day + 4) % 7 + 7) % 7);  // 0 = Sunday

    // Phase 1: where the people already infectious today will be. Only people infected before
    // today can be infectious today (the latent period), so this is settled before anyone's day.
    for (auto& list : presence_) list.clear();
    presence_.resize(venues_.size());
    cached_slots_.clear();
    cached_ranges_.clear();
    for (size_t i = 0; i < people_.size(); ++i) {
      const Person& p = people_[i];
      cache_index_[i] = -1;
      const bool infectious_today = p.infected_at < day_start && p.infectious_from < day_end &&
                                    p.infectious_until > day_start;
      if (!infectious_today) continue;
      PlanDay(p, day_start, weekday, &slots_);
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
    for (size_t i = 0; i < people_.size() && out_.good(); ++i) {
      if (cache_index_[i] >= 0) {
        const auto [offset, count] = cached_ranges_[static_cast<size_t>(cache_index_[i])];
        slots_.assign(cached_slots_.begin() + static_cast<std::ptrdiff_t>(offset),
                      cached_slots_.begin() + static_cast<std::ptrdiff_t>(offset + count));
      } else {
        PlanDay(people_[i], day_start, weekday, &slots_);
      }
      if (people_[i].infected_at == kNever) Transmit(static_cast<int>(i));
      CollectDay(people_[i], day_start, day_end);
      WritePending(static_cast<int>(i));
    }
  }

  // Whether today's stays (in slots_) infect a person who is not infected yet.
  void Transmit(int person_idx) {
    TimeMs infected_at = kNever;
    for (const Slot& s : slots_) {
      for (const Presence& other : presence_[static_cast<size_t>(s.venue)]) {
        const TimeMs start = std::max(s.start, other.start);
        const TimeMs end = std::min(s.end, other.end);
        if (end - start >= options_.transmission_overlap &&
            random_.Chance(options_.transmission_rate * closeness_[static_cast<size_t>(s.venue)])) {
          infected_at = std::min(infected_at, start);
        }
      }
    }
    if (infected_at != kNever) Infect(person_idx, infected_at, /*seed=*/false);
  }

  void Add(Pending event) {
    event.seq = static_cast<int>(pending_.size());
    pending_.push_back(event);
  }

  // Today's events of one person (visits from slots_, tests, declarations) into pending_.
  void CollectDay(const Person& p, TimeMs day_start, TimeMs day_end) {
    pending_.clear();
    for (const Slot& s : slots_) {
      Add({.time = s.start, .kind = Kind::kCheckin, .venue = s.venue});
      if (!random_.Chance(options_.checkout_rate)) continue;
      if (random_.Chance(options_.late_checkout_rate)) {
        const TimeMs late = s.end + Minutes(2 * 60, 14 * 60);
        Add({.time = late, .kind = Kind::kCheckout, .venue = s.venue});
        continue;
      }
      Add({.time = s.end, .kind = Kind::kCheckout, .venue = s.venue});
      if (random_.Chance(options_.double_checkout_rate)) {
        const TimeMs again = s.end + Minutes(1, 30);
        Add({.time = again, .kind = Kind::kCheckout, .venue = s.venue});
      }
    }

    const auto today = [&](TimeMs t) { return t >= day_start && t < day_end; };
    if (today(p.sampled_at)) {
      Add({.time = p.sampled_at,
           .kind = Kind::kPositiveTest,
           .resulted_at = p.resulted_at,
           .pcr = p.pcr});
    }
    if (today(p.retest_at)) {
      const TimeMs resulted = p.retest_at + Minutes(4 * 60, 30 * 60);
      Add({.time = p.retest_at, .kind = Kind::kPositiveTest, .resulted_at = resulted, .pcr = true});
    }
    if (today(p.declared_at)) {
      Add({.time = p.declared_at,
           .kind = Kind::kDeclaration,
           .onset = p.onset,
           .symptoms = p.symptoms});
    }
    if (random_.Chance(options_.test_rate)) {
      // A routine test is negative: only taken before the person is infectious (or ever infected).
      const TimeMs sampled = day_start + Minutes(7 * 60, 17 * 60);
      if (sampled < p.infectious_from && sampled < p.sampled_at) {
        const TimeMs resulted = sampled + Minutes(30, 24 * 60);
        const bool pcr = random_.Chance(0.5);
        Add({.time = sampled, .kind = Kind::kNegativeTest, .resulted_at = resulted, .pcr = pcr});
      }
    }
    if (random_.Chance(options_.healthy_declaration_rate) && p.infected_at == kNever) {
      Add({.time = day_start + Minutes(6 * 60, 22 * 60), .kind = Kind::kDeclaration});
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

      line_.clear();
      switch (e.kind) {
        case Kind::kCheckin:
        case Kind::kCheckout:
          line_.append(e.kind == Kind::kCheckin ? R"({"type":"checkin","id":"c-)"
                                                : R"({"type":"checkout","id":"c-)");
          AppendDigits(&line_, static_cast<int64_t>(++visit_events_), 1);
          AppendPerson(person_idx);
          line_.append(R"(,"venue":")");
          line_.append(venues_[static_cast<size_t>(e.venue)].id);
          line_.append(R"(","ts":")");
          AppendTime(&line_, e.time, local);
          line_.push_back('"');
          break;
        case Kind::kPositiveTest:
        case Kind::kNegativeTest:
          line_.append(R"({"type":"test_result","id":"t-)");
          AppendDigits(&line_, static_cast<int64_t>(++tests_), 1);
          AppendPerson(person_idx);
          line_.append(R"(,"sampled_at":")");
          AppendTime(&line_, e.time, local);
          line_.push_back('"');
          // A result time after the span's end is left out: the lab has not reported it yet.
          if (e.resulted_at <= span_last_) {
            line_.append(R"(,"resulted_at":")");
            AppendTime(&line_, e.resulted_at, local);
            line_.push_back('"');
          }
          line_.append(e.kind == Kind::kPositiveTest ? R"(,"result":"positive")"
                                                     : R"(,"result":"negative")");
          line_.append(e.pcr ? R"(,"kind":"pcr","lab":"LAB-D)"
                             : R"(,"kind":"antigen","lab":"LAB-D)");
          AppendDigits(&line_, p.district + 1, 2);
          line_.push_back('"');
          break;
        case Kind::kDeclaration:
          line_.append(R"({"type":"declaration","id":"d-)");
          AppendDigits(&line_, static_cast<int64_t>(++declarations_), 1);
          AppendPerson(person_idx);
          line_.append(R"(,"ts":")");
          AppendTime(&line_, e.time, local);
          line_.push_back('"');
          if (e.onset != kNever) {
            line_.append(R"(,"onset":")");
            AppendTime(&line_, e.onset, local);
            line_.push_back('"');
          }
          if (e.symptoms != 0) {
            line_.append(R"(,"symptoms":[)");
            bool first = true;
            for (size_t s = 0; s < kSymptoms.size(); ++s) {
              if ((e.symptoms & (1u << s)) == 0) continue;
              if (!first) line_.push_back(',');
              first = false;
              line_.push_back('"');
              line_.append(kSymptoms[s]);
              line_.push_back('"');
            }
            line_.push_back(']');
          }
          break;
      }
      if (with_source) {
        line_.append(R"(,"source":")");
        line_.append(kSources[source]);
        line_.push_back('"');
      }
      line_.append("}\n");
      out_.write(line_.data(), static_cast<std::streamsize>(line_.size()));
      if (!out_.good()) return;
      ++written_;
    }
  }

  // ,"person":"P000123"
  void AppendPerson(int person_idx) {
    line_.append(R"(","person":"P)");
    AppendDigits(&line_, person_idx, person_width_);
    line_.push_back('"');
  }

  const SimulateOptions& options_;
  std::ostream& out_;
  Random random_;
  TimeMs span_start_ = 0;
  TimeMs span_last_ = 0;
  int person_width_ = 6;

  std::vector<Venue> venues_;
  Picker all_venues_;
  Picker workplaces_;
  std::vector<Picker> by_district_;
  std::vector<Picker> food_by_district_;
  std::vector<Person> people_;
  std::vector<double> closeness_;  // per venue: the factor crowds put on the chance of infection

  // Per day: where infectious people are, by venue, and the stays already planned for them.
  std::vector<std::vector<Presence>> presence_;
  std::vector<int> cache_index_;  // per person: index into cached_ranges_, or -1
  std::vector<std::pair<size_t, size_t>> cached_ranges_;  // (offset, count) in cached_slots_
  std::vector<Slot> cached_slots_;

  // Scratch space, reused.
  std::vector<Slot> slots_;
  std::vector<Pending> pending_;
  std::string line_;

  uint64_t written_ = 0;
  uint64_t visit_events_ = 0;
  uint64_t tests_ = 0;
  uint64_t declarations_ = 0;
};

bool IsRate(double x) { return x >= 0.0 && x <= 1.0; }  // false for NaN too

}  // namespace

std::string SimulateOptions::Validate() const {
  // The last representable RFC 3339 time of a 4-digit year: 9999-12-31T23:59:59.999Z.
  constexpr TimeMs kLatest = 253402300799999;
  if (people < 1) return "people must be at least 1 (got " + std::to_string(people) + ")";
  if (venues < 1) return "venues must be at least 1 (got " + std::to_string(venues) + ")";
  if (districts < 1 || districts > 99) {
    return "districts must be in 1..99 (got " + std::to_string(districts) + ")";
  }
  if (days < 1 || days > 3650) return "days must be in 1..3650 (got " + std::to_string(days) + ")";
  if (end <= 0 || end > kLatest) {
    return "end must be set to a time after 1970 and before the year 10000";
  }
  if (end - static_cast<int64_t>(days) * kDay < 0) return "end - days must not be before 1970";
  const std::pair<const char*, double> rates[] = {
      {"checkout_rate", checkout_rate},
      {"late_checkout_rate", late_checkout_rate},
      {"double_checkout_rate", double_checkout_rate},
      {"offset_rate", offset_rate},
      {"source_rate", source_rate},
      {"worker_rate", worker_rate},
      {"lunch_out_rate", lunch_out_rate},
      {"home_district_rate", home_district_rate},
      {"transmission_rate", transmission_rate},
      {"detection_rate", detection_rate},
      {"retest_rate", retest_rate},
      {"declaration_rate", declaration_rate},
      {"test_rate", test_rate},
      {"healthy_declaration_rate", healthy_declaration_rate},
  };
  for (const auto& [name, value] : rates) {
    if (!IsRate(value)) {
      return std::string(name) + " must be in 0..1 (got " + std::to_string(value) + ")";
    }
  }
  if (!(errands_per_day >= 0.0 && errands_per_day <= 20.0)) {
    return "errands_per_day must be in 0..20 (got " + std::to_string(errands_per_day) + ")";
  }
  if (!(zipf_exponent >= 0.0 && zipf_exponent <= 10.0)) {
    return "zipf_exponent must be in 0..10 (got " + std::to_string(zipf_exponent) + ")";
  }
  if (!(crowd_size > 0.0)) return "crowd_size must be positive";
  if (outbreak_seeds < 0 || outbreak_seeds > people) {
    return "outbreak_seeds must be in 0..people (got " + std::to_string(outbreak_seeds) + ")";
  }
  if (transmission_overlap < 0) return "transmission_overlap must not be negative";
  if (latent_period < 0 || latent_period > 365 * kDay) {
    return "latent_period must be in 0..365 days";
  }
  if (infectious_period < 0 || infectious_period > 365 * kDay) {
    return "infectious_period must be in 0..365 days";
  }
  return "";
}

uint64_t WriteTown(const SimulateOptions& options, std::ostream& out) {
  if (!options.Validate().empty()) return 0;
  Town town(options, out);
  return town.Run();
}

}  // namespace ctrace
