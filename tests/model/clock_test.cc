#include "model/clock.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace ctrace {
namespace {

TimeMs ChronoNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(SystemClockTest, ReadsTheSystemTime) {
  SystemClock clock;
  const TimeMs before = ChronoNowMs();
  const TimeMs now = clock.Now();
  const TimeMs after = ChronoNowMs();
  EXPECT_LE(before, now);
  EXPECT_LE(now, after);
}

TEST(ManualClockTest, MovesOnlyWhenTold) {
  ManualClock clock(1000);
  EXPECT_EQ(clock.Now(), 1000);
  clock.Observe(5000);  // only the event clock follows events
  EXPECT_EQ(clock.Now(), 1000);
  clock.Advance(kMinute);
  EXPECT_EQ(clock.Now(), 1000 + kMinute);
  clock.Set(42);
  EXPECT_EQ(clock.Now(), 42);
}

TEST(EventClockTest, FollowsTheLargestObservedTime) {
  EventClock clock(100);
  EXPECT_EQ(clock.Now(), 100);
  clock.Observe(50);
  EXPECT_EQ(clock.Now(), 100);
  clock.Observe(300);
  EXPECT_EQ(clock.Now(), 300);
  clock.Observe(200);
  EXPECT_EQ(clock.Now(), 300);
  clock.Observe(300);
  EXPECT_EQ(clock.Now(), 300);
}

TEST(EventClockTest, ConcurrentObserversKeepTheMaximum) {
  EventClock clock(0);
  constexpr int kThreads = 4;
  constexpr TimeMs kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
    threads.emplace_back([&clock, thread_idx] {
      // Interleaved sequences, so every thread both raises the clock and loses races.
      for (TimeMs step = 0; step < kPerThread; ++step) clock.Observe(step * kThreads + thread_idx);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(clock.Now(), (kPerThread - 1) * kThreads + (kThreads - 1));
}

TEST(MakeClockTest, System) {
  std::string error;
  std::unique_ptr<Clock> clock = MakeClock("system", &error);
  ASSERT_NE(clock, nullptr);
  EXPECT_NE(dynamic_cast<SystemClock*>(clock.get()), nullptr);
  EXPECT_TRUE(error.empty());
}

TEST(MakeClockTest, FixedStandsStill) {
  std::string error;
  std::unique_ptr<Clock> clock = MakeClock("fixed:2026-11-27T00:00:00Z", &error);
  ASSERT_NE(clock, nullptr) << error;
  EXPECT_EQ(clock->Now(), 1795737600 * kSecond);
  clock->Observe(1795737600 * kSecond + kDay);
  EXPECT_EQ(clock->Now(), 1795737600 * kSecond);

  clock = MakeClock("fixed:2026-11-27T07:00:00.5+07:00", &error);
  ASSERT_NE(clock, nullptr) << error;
  EXPECT_EQ(clock->Now(), 1795737600 * kSecond + 500);
}

TEST(MakeClockTest, EventStartsAtTheEpochAndFollowsEvents) {
  std::string error;
  std::unique_ptr<Clock> clock = MakeClock("event", &error);
  ASSERT_NE(clock, nullptr) << error;
  EXPECT_EQ(clock->Now(), 0);
  clock->Observe(1795737600 * kSecond);
  EXPECT_EQ(clock->Now(), 1795737600 * kSecond);
}

TEST(MakeClockTest, RejectsBadSpecsWithAOneLineReason) {
  for (const char* spec : {"", "System", "sys", "fixed", "fixed:", "fixed:2026-11-27",
                           "fixed:2026-11-27T00:00:00", "fixed 2026-11-27T00:00:00Z", "event:1",
                           "manual"}) {
    std::string error;
    EXPECT_EQ(MakeClock(spec, &error), nullptr) << spec;
    EXPECT_NE(error.find("--clock"), std::string::npos) << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  }
  EXPECT_EQ(MakeClock("bogus", nullptr), nullptr);
  EXPECT_EQ(MakeClock("fixed:bogus", nullptr), nullptr);
}

}  // namespace
}  // namespace ctrace
