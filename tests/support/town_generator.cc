#include "tests/support/town_generator.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include <nlohmann/json.hpp>

namespace ctrace::test_support {
namespace {

using Json = nlohmann::ordered_json;

class Builder {
 public:
  explicit Builder(const TownOptions& o) : o_(o), rng_(o.seed) {}

  Town Build() {
    MakeIds();
    for (int p = 0; p < o_.people; ++p) favourites_.push_back(PickFavourites());
    for (int d = 0; d < o_.days; ++d) {
      for (int p = 0; p < o_.people; ++p) Routine(p, d);
    }
    for (int g = 0; g < o_.gatherings; ++g) Gathering(g);
    RoutineTests();
    EdgeEvents();
    // Some check-outs arrive late: move them to the end of the feed.
    std::vector<std::string> late;
    std::vector<std::string> ordered;
    for (size_t i = 0; i < good_.size(); ++i) {
      (is_checkout_[i] && Chance(0.1) ? late : ordered).push_back(good_[i]);
    }
    ordered.insert(ordered.end(), late.begin(), late.end());
    // Exact duplicates, inserted anywhere after their original.
    const size_t good_count = ordered.size();
    for (size_t i = 0; i < good_count; ++i) {
      if (!Chance(o_.duplicate_share)) continue;
      const size_t at = Uniform(i + 1, ordered.size());
      ordered.insert(ordered.begin() + static_cast<std::ptrdiff_t>(at), ordered[i]);
    }
    BadLines(&ordered);
    Town town;
    town.lines = std::move(ordered);
    town.people = people_;
    town.venues = venues_;
    return town;
  }

 private:
  // --- randomness -------------------------------------------------------------------------
  size_t Uniform(size_t lo, size_t hi) {  // [lo, hi]
    return std::uniform_int_distribution<size_t>(lo, hi)(rng_);
  }
  int64_t Range(int64_t lo, int64_t hi) {  // [lo, hi]
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  // Skewed towards small indexes: popular venues.
  int Skewed(int n) {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    return std::min(n - 1, static_cast<int>(n * std::pow(u, 1.5)));
  }

  // --- ids and times ----------------------------------------------------------------------
  void MakeIds() {
    for (int p = 0; p < o_.people; ++p) {
      const std::string n = std::to_string(p);
      switch (p % 4) {
        case 0: people_.push_back("P" + std::string(4 - std::min<size_t>(4, n.size()), '0') + n); break;
        case 1: people_.push_back("hcm.q1:" + n); break;
        case 2: people_.push_back("p_" + n + "-x"); break;
        default: people_.push_back("VN-" + n); break;
      }
    }
    static const char* kKinds[] = {"V-MARKET-", "cafe.d3:", "office_", "GYM-", "school.", "bar:"};
    for (int v = 0; v < o_.venues; ++v) {
      venues_.push_back(kKinds[v % 6] + std::to_string(v));
    }
  }

  std::string NextId() {
    ++id_counter_;
    if (id_counter_ % 17 == 0) return "id/" + std::to_string(id_counter_) + "#q~";
    return "ev" + std::to_string(id_counter_);
  }

  // Sometimes non-round: seconds and milliseconds.
  Millis Jitter(Millis t) {
    if (Chance(0.15)) t += Range(0, 59) * kMsSecond + Range(0, 999);
    return t;
  }

  // A spelling of t: mostly Z, sometimes with an offset, sometimes with extra fraction digits.
  std::string Stamp(Millis t) {
    int offset = 0;
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.2) {
      offset = 7 * 60;
    } else if (r < 0.25) {
      offset = -(5 * 60 + 30);
    } else if (r < 0.28) {
      offset = 5 * 60 + 45;
    }
    int digits = 0;
    std::string extra;
    if (Chance(0.1)) {
      digits = static_cast<int>(Range(1, 9));
      for (int i = 3; i < digits; ++i) extra += static_cast<char>('0' + Range(0, 9));
    }
    return FormatWithOffset(t, offset, digits, extra);
  }

  void Emit(const Json& event) {
    good_.push_back(event.dump());
    is_checkout_.push_back(event["type"] == "checkout");
  }

  // Routine events later than now would be rejected (in_future): they are not generated, so
  // that the only rejected lines are the deliberate ones, each with a single fault.
  void Checkin(int p, int v, Millis t, const std::string& id = "") {
    if (t > o_.now + o_.max_clock_skew) return;
    Emit(Json{{"type", "checkin"},
              {"id", id.empty() ? NextId() : id},
              {"person", people_[p]},
              {"venue", venues_[v]},
              {"ts", Stamp(t)}});
  }
  void Checkout(int p, int v, Millis t) {
    if (t > o_.now) return;
    Json e{{"type", "checkout"},
           {"id", NextId()},
           {"person", people_[p]},
           {"venue", venues_[v]},
           {"ts", Stamp(t)}};
    if (Chance(0.2)) e["source"] = "qr-app-2";
    Emit(e);
  }

  // --- visits -----------------------------------------------------------------------------
  std::vector<int> PickFavourites() {
    std::vector<int> favs;
    for (int i = 0; i < 3; ++i) favs.push_back(Skewed(o_.venues));
    return favs;
  }

  int PickVenue(int p) {
    if (Chance(0.8)) return favourites_[p][Uniform(0, favourites_[p].size() - 1)];
    return Skewed(o_.venues);
  }

  Millis DayStart(int d) const { return o_.now - (o_.days - d) * kMsDay; }

  // One visit with one of the check-out shapes of §1.
  void Visit(int p, int v, Millis start, Millis end) {
    Checkin(p, v, start);
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.60) {
      Checkout(p, v, end);
    } else if (r < 0.80) {
      // no check-out: default stay
    } else if (r < 0.85) {
      Checkout(p, v, end);  // double check-out: the earliest matching one wins
      Checkout(p, v, end + Range(1, 90) * kMsMinute);
    } else if (r < 0.88) {
      Checkout(p, v, start + o_.max_stay + Range(1, 300) * kMsMinute);  // beyond max_stay
    } else if (r < 0.89) {
      Checkout(p, v, start + o_.max_stay);  // exactly max_stay: still matches
    } else if (r < 0.92) {
      Checkout(p, (v + 1) % o_.venues, end);  // at another venue: matches nothing
    } else if (r < 0.94) {
      Checkout(p, v, start - Range(1, 60) * kMsMinute);  // before the check-in: no match
    } else {
      Checkout(p, v, end);
    }
  }

  void Routine(int p, int d) {
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    const int count = r < 0.25 ? 0 : (r < 0.55 ? 1 : (r < 0.85 ? 2 : 3));  // 1.35 a day
    Millis t = DayStart(d) + Range(6 * 60, 19 * 60) * kMsMinute;
    for (int i = 0; i < count; ++i) {
      const int v = PickVenue(p);
      const Millis start = Jitter(t);
      const Millis end = Jitter(start + Range(10, 180) * kMsMinute);
      Visit(p, v, start, end);
      if (Chance(0.005)) Checkin(p, (v + 3) % o_.venues, start);  // same instant elsewhere
      if (Chance(0.01)) Checkout(p, Skewed(o_.venues), Jitter(t + Range(0, 600) * kMsMinute));
      // The next visit may start before this one's check-out: it cuts this one short.
      t = end + Range(-40, 150) * kMsMinute;
    }
  }

  // A planted meeting: several people together for an hour or two; one of them is a case a
  // day or two later, and one or two others test positive afterwards (links from the first).
  void Gathering(int g) {
    const int v = Skewed(o_.venues);
    const Millis t = DayStart(1 + g % std::max(1, o_.days - 3)) + Range(9 * 60, 18 * 60) * kMsMinute;
    const int size = static_cast<int>(Range(4, 8));
    std::vector<int> who;
    while (static_cast<int>(who.size()) < size) {
      const int p = static_cast<int>(Uniform(0, people_.size() - 1));
      if (std::find(who.begin(), who.end(), p) == who.end()) who.push_back(p);
    }
    for (const int p : who) {
      const Millis start = Jitter(t + Range(-10, 10) * kMsMinute);
      Checkin(p, v, start);
      if (Chance(0.8)) Checkout(p, v, Jitter(start + Range(60, 120) * kMsMinute));
    }
    Positive(who[0], t + Range(20, 44) * kMsHour);
    Positive(who[1], t + Range(50, 90) * kMsHour);
    if (Chance(0.5)) Positive(who[2], t + Range(50, 90) * kMsHour);
  }

  // --- tests and declarations ------------------------------------------------------------
  void TestResult(int p, Millis sampled, bool positive, std::optional<Millis> resulted) {
    Json e{{"type", "test_result"},
           {"id", NextId()},
           {"person", people_[p]},
           {"sampled_at", Stamp(sampled)},
           {"result", positive ? "positive" : "negative"}};
    if (resulted) e["resulted_at"] = Stamp(*resulted);
    if (Chance(0.7)) e["kind"] = Chance(0.5) ? "pcr" : "antigen";
    if (Chance(0.3)) e["lab"] = "HCDC-LAB-" + std::to_string(Range(1, 4));
    Emit(e);
  }

  std::optional<Millis> MaybeResulted(Millis sampled) {
    if (Chance(0.4)) return std::nullopt;
    return std::min(o_.now, sampled + Range(2 * 60, 40 * 60) * kMsMinute);
  }

  void Positive(int p, Millis sampled) {
    sampled = std::min(sampled, o_.now - kMsHour);
    TestResult(p, sampled, true, MaybeResulted(sampled));
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.15) {
      const Millis later = std::min(sampled + Range(1, 3) * kMsDay, o_.now - 30 * kMsMinute);
      TestResult(p, later, true, MaybeResulted(later));
    } else if (r < 0.25) {
      TestResult(p, sampled - Range(6, 30) * kMsHour, true, std::nullopt);  // earlier: index
    } else if (r < 0.30) {
      TestResult(p, sampled, true, std::min(o_.now, sampled + Range(1, 9) * kMsHour));  // tie
    }
    if (Chance(0.2)) TestResult(p, sampled - Range(1, 4) * kMsDay, false, std::nullopt);
    Declaration(p, sampled);
  }

  void Declaration(int p, Millis sampled) {
    sampled = std::min(sampled, o_.now - 2 * kMsHour);
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.3) return;
    Millis ts = sampled - Range(0, 24 * 60) * kMsMinute;
    std::optional<Millis> onset;
    if (r < 0.6) {
      onset = ts - Range(1, 5 * 24) * kMsHour;  // usually inside the lookback
    } else if (r < 0.72) {
      onset = sampled - Range(15, 20) * kMsDay;  // outside the lookback
    } else if (r < 0.8) {
      ts = sampled + Range(2, 10) * kMsHour;  // declared later, onset after sampling
      onset = sampled + kMsHour;
    } else if (r < 0.85) {
      onset = sampled - 14 * kMsDay;  // exactly at the lookback limit: counts
    }
    ts = std::min(ts, o_.now);
    Json e{{"type", "declaration"}, {"id", NextId()}, {"person", people_[p]}, {"ts", Stamp(ts)}};
    if (onset) e["onset"] = Stamp(*onset);
    if (Chance(0.7)) e["symptoms"] = Json::array({"fever", "cough"});
    Emit(e);
  }

  void RoutineTests() {
    for (int p = 0; p < o_.people; ++p) {
      const Millis sampled = Jitter(DayStart(2) + Range(0, (o_.days - 2) * 24 * 60) * kMsMinute);
      if (Chance(o_.positive_share)) Positive(p, sampled);
      if (Chance(o_.negative_share)) TestResult(p, sampled, false, MaybeResulted(sampled));
      if (Chance(0.03)) Declaration(p, sampled + kMsDay);  // a declaration without a case
    }
  }

  // Accepted events exactly at the limits of retention and clock skew.
  void EdgeEvents() {
    Checkin(0, 0, o_.now - o_.retention);
    Checkout(0, 0, o_.now - o_.retention + 20 * kMsMinute);
    Checkin(1, 0, o_.now - o_.retention + 5 * kMsMinute);
    Checkin(2, 1, o_.now + o_.max_clock_skew);
  }

  // --- bad lines --------------------------------------------------------------------------
  void BadLines(std::vector<std::string>* lines) {
    const std::string day = "2026-11-24T10:00:00Z";
    std::vector<std::string> bad;
    auto checkin = [&](const std::string& id) {
      return Json{{"type", "checkin"}, {"id", id}, {"person", "P0001"}, {"venue", "GYM-3"},
                  {"ts", day}};
    };
    int n = 0;
    auto id = [&]() { return "bad-" + std::to_string(o_.seed) + "-" + std::to_string(++n); };
    std::string truncated = checkin(id()).dump();
    truncated.pop_back();
    bad.push_back(truncated);                                          // malformed_json
    bad.push_back("[1,2,3]");                                          // malformed_json
    bad.push_back("{\"type\":\"checkin\",\"id\":\"" + id() +
                  "\",\"person\":\"P\xff\",\"venue\":\"GYM-3\",\"ts\":\"" + day + "\"}");  // UTF-8
    Json j = checkin(id()); j["person"] = "A B"; bad.push_back(j.dump());     // bad_field:person
    j = checkin(id()); j["person"] = std::string(65, 'p'); bad.push_back(j.dump());
    j = checkin(id()); j.erase("venue"); bad.push_back(j.dump());      // missing_field:venue
    j = checkin(id()); j.erase("ts"); bad.push_back(j.dump());         // missing_field:ts
    j = checkin(id()); j.erase("person"); bad.push_back(j.dump());     // missing_field:person
    j = checkin(id()); j["venue"] = "caf\xc3\xa9"; bad.push_back(j.dump());  // bad_field:venue
    j = checkin(id()); j["ts"] = "2026-11-20 08:00"; bad.push_back(j.dump());   // bad_time:ts
    j = checkin(id()); j["ts"] = "2026-11-20T08:00:00"; bad.push_back(j.dump());
    j = checkin(id()); j["ts"] = "2026-02-30T08:00:00Z"; bad.push_back(j.dump());
    j = checkin(id()); j["ts"] = "2026-11-20T24:00:00Z"; bad.push_back(j.dump());
    j = checkin(id()); j["ts"] = 1763625600; bad.push_back(j.dump());
    j = checkin(id()); j["ts"] = FormatRfc3339(o_.now - o_.retention - 1); bad.push_back(j.dump());
    j = checkin(id()); j["ts"] = FormatRfc3339(o_.now - 40 * kMsDay); bad.push_back(j.dump());
    j = checkin(id()); j["ts"] = FormatRfc3339(o_.now + o_.max_clock_skew + 1);
    bad.push_back(j.dump());                                           // in_future
    j = checkin(id()); j["ts"] = FormatWithOffset(o_.now + 2 * kMsHour, 7 * 60);
    bad.push_back(j.dump());
    j = checkin(id()); j["type"] = "teleport"; bad.push_back(j.dump());  // unknown_type
    j = checkin(id()); j.erase("type"); bad.push_back(j.dump());
    j = checkin(""); j.erase("id"); bad.push_back(j.dump());           // missing_field:id
    j = checkin("bad id"); bad.push_back(j.dump());                    // bad_field:id
    j = checkin(std::string(129, 'i')); bad.push_back(j.dump());
    j = checkin(id()); j["source"] = std::string(65, 's'); bad.push_back(j.dump());
    j = checkin(id()); j["pad"] = std::string(17000, 'x'); bad.push_back(j.dump());  // too_large
    Json t{{"type", "test_result"}, {"id", id()}, {"person", "P0004"},
           {"sampled_at", "2026-11-22T10:00:00Z"}, {"resulted_at", "2026-11-21T10:00:00Z"},
           {"result", "positive"}};
    bad.push_back(t.dump());                                           // inconsistent
    t["id"] = id(); t["resulted_at"] = "yesterday"; bad.push_back(t.dump());  // bad_time
    t["id"] = id(); t.erase("resulted_at"); t["result"] = "maybe"; bad.push_back(t.dump());
    t["id"] = id(); t["result"] = "positive"; t["kind"] = "pcr2"; bad.push_back(t.dump());
    t["id"] = id(); t.erase("kind"); t.erase("result"); bad.push_back(t.dump());
    t["id"] = id(); t["result"] = "negative"; t.erase("sampled_at"); bad.push_back(t.dump());
    Json d{{"type", "declaration"}, {"id", id()}, {"person", "P0004"},
           {"ts", "2026-11-22T10:00:00Z"}, {"onset", "2026-11-22T11:00:00+00:00"}};
    bad.push_back(d.dump());                                           // inconsistent
    d["id"] = id(); d["onset"] = "2026-11-21T11:00:00Z"; d["symptoms"] = Json::array();
    for (int i = 0; i < 17; ++i) d["symptoms"].push_back("s");
    bad.push_back(d.dump());                                           // bad_field:symptoms
    bad.resize(std::min(bad.size(), static_cast<size_t>(std::max(0, o_.bad_lines))));
    for (const std::string& line : bad) {
      lines->insert(lines->begin() + static_cast<std::ptrdiff_t>(Uniform(0, lines->size())), line);
    }
  }

  const TownOptions& o_;
  std::mt19937_64 rng_;
  std::vector<std::string> people_;
  std::vector<std::string> venues_;
  std::vector<std::vector<int>> favourites_;
  std::vector<std::string> good_;
  std::vector<bool> is_checkout_;
  int64_t id_counter_ = 0;
};

}  // namespace

Town GenerateTown(const TownOptions& options) { return Builder(options).Build(); }

}  // namespace ctrace::test_support
