#include "app/venue_kinds.h"

#include <array>

namespace ctrace {
namespace {

constexpr uint8_t kDaily = 0x7f;
constexpr uint8_t kMondayToFriday = 0x3e;
constexpr uint8_t kMondayToSaturday = 0x7e;

constexpr DurationMs At(int hour, int minute = 0) { return hour * kHour + minute * kMinute; }

// The order and weights are part of the simulator's output: changing them changes every town.
constexpr std::array<VenueKind, 12> kKinds = {{
    {"CAFE", 3, false, true, {At(6), At(22), kDaily}},
    {"MARKET", 2, true, true, {At(5), At(18), kDaily}},
    {"SHOP", 3, true, false, {At(8), At(21), kDaily}},
    {"RESTAURANT", 2, true, true, {At(10), At(22), kDaily}},
    {"PHARMACY", 1, false, false, {At(7), At(21, 30), kDaily}},
    {"GYM", 1, false, false, {At(5, 30), At(21), kDaily}},
    {"BANK", 1, true, false, {At(8), At(16, 30), kMondayToSaturday}},
    {"SCHOOL", 1, true, false, {At(6, 30), At(17, 30), kMondayToFriday}},
    {"OFFICE", 2, true, false, {At(7), At(19), kMondayToFriday}},
    {"FACTORY", 1, true, false, {At(6), At(22), kMondayToSaturday}},
    {"CLINIC", 1, true, false, {At(7), At(20), kDaily}},
    {"PAGODA", 1, false, false, {At(5), At(21), kDaily}},
}};

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

bool OpeningHours::IsOpenAt(TimeMs t) const {
  if (!OpenOn(TownWeekday(t))) return false;
  const DurationMs since_midnight = t - TownMidnight(t);
  return since_midnight >= open && since_midnight < close;
}

std::span<const VenueKind> VenueKinds() { return kKinds; }

const VenueKind* FindVenueKind(std::string_view venue_id) {
  // "V-D" district(2) "-" KIND "-" number
  constexpr std::string_view kPrefix = "V-D";
  if (venue_id.substr(0, kPrefix.size()) != kPrefix || venue_id.size() < kPrefix.size() + 3) {
    return nullptr;
  }
  const std::string_view rest = venue_id.substr(kPrefix.size() + 3);
  const size_t dash = rest.find('-');
  if (dash == std::string_view::npos) return nullptr;
  const std::string_view name = rest.substr(0, dash);
  for (const VenueKind& kind : kKinds) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

int TownWeekday(TimeMs t) {
  const int64_t local_day = FloorDiv(t + kTownLocalOffset, kDay);
  return static_cast<int>(((local_day + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
}

TimeMs TownMidnight(TimeMs t) { return FloorDiv(t + kTownLocalOffset, kDay) * kDay - kTownLocalOffset; }

}  // namespace ctrace
