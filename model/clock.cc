#include "model/clock.h"

#include <chrono>

namespace ctrace {

TimeMs SystemClock::Now() const {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
}

void EventClock::Observe(TimeMs event_time) {
  TimeMs current = now_.load(std::memory_order_relaxed);
  // On failure compare_exchange reloads `current`; stop once someone else has moved it past us.
  while (event_time > current &&
         !now_.compare_exchange_weak(current, event_time, std::memory_order_relaxed)) {
  }
}

// "event" starts at 0 (the epoch), not at the system time: the clock then depends on the
// events alone, so a replay of the same log gives the same answers on any machine and day.
// Until the first event is observed `now` is 1970-01-01, so a caller that judges `in_future`
// against it must Observe() an event's time before (or instead of) that check.
std::unique_ptr<Clock> MakeClock(std::string_view spec, std::string* error) {
  if (spec == "system") return std::make_unique<SystemClock>();
  if (spec == "event") return std::make_unique<EventClock>(0);
  constexpr std::string_view kFixedPrefix = "fixed:";
  if (spec.starts_with(kFixedPrefix)) {
    const std::string_view time_text = spec.substr(kFixedPrefix.size());
    const std::optional<TimeMs> time = ParseRfc3339(time_text);
    if (!time) {
      if (error) {
        *error = "--clock fixed:TIME needs an RFC 3339 time with seconds and a zone, like "
                 "fixed:2026-11-27T00:00:00Z (got \"" + std::string(time_text) + "\")";
      }
      return nullptr;
    }
    return std::make_unique<ManualClock>(*time);
  }
  if (error) {
    *error = "--clock must be system, fixed:TIME or event (got \"" + std::string(spec) + "\")";
  }
  return nullptr;
}

}  // namespace ctrace
