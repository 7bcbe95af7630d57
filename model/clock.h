// Where `now` comes from. Whatever needs the time takes a Clock; nothing reads the system clock
// directly, so tests and replays control time.
//
// Thread-safety: every Clock may be called from any thread.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "model/time.h"

namespace ctrace {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs Now() const = 0;
  // Told of each accepted event's time; only the event clock uses it.
  virtual void Observe(TimeMs /*event_time*/) {}
};

// The system's real-time clock.
class SystemClock final : public Clock {
 public:
  TimeMs Now() const override;
};

// A clock that stands still until Set() moves it (fixed clocks, and tests).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs now) : now_(now) {}
  TimeMs Now() const override { return now_.load(std::memory_order_relaxed); }
  void Set(TimeMs now) { now_.store(now, std::memory_order_relaxed); }
  void Advance(DurationMs d) { now_.fetch_add(d, std::memory_order_relaxed); }

 private:
  std::atomic<TimeMs> now_;
};

// Follows the largest event time observed so far (replays and simulations). Before any event
// it reads `initial`.
class EventClock final : public Clock {
 public:
  explicit EventClock(TimeMs initial) : now_(initial) {}
  TimeMs Now() const override { return now_.load(std::memory_order_relaxed); }
  void Observe(TimeMs event_time) override;

 private:
  std::atomic<TimeMs> now_;
};

// Makes a clock from the --clock flag: "system", "fixed:TIME" or "event". On a bad spec returns
// nullptr and sets *error to a one-line reason.
// "fixed:TIME" is a ManualClock at TIME; "event" is an EventClock starting at 0 (the epoch), so
// it depends on the events alone: until an event is observed, `now` reads 1970-01-01.
std::unique_ptr<Clock> MakeClock(std::string_view spec, std::string* error);

}  // namespace ctrace
