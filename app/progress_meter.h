// Progress of a long-running tool on stderr: a bar redrawn in place when stderr is a terminal
// (done/total, items, items/s), plain log lines at an interval otherwise. Wall-clock time is
// read here only, for the rate and the pacing; none of it reaches a tool's results.
//
// Thread-safety: one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ctrace {

struct ProgressMeterOptions {
  // Draw a bar in place (a terminal) rather than log lines. Default: whether stderr is a tty.
  bool terminal = false;
  // Least time between two redraws of the bar. Default: 100 ms.
  std::chrono::milliseconds bar_interval{100};
  // Least time between two plain lines. Default: 5 s.
  std::chrono::milliseconds line_interval{5'000};
  // The `component=` of the plain lines. Default: "progress".
  std::string component = "progress";
};

class ProgressMeter {
 public:
  // `what` names the items ("events").
  ProgressMeter(std::string what, ProgressMeterOptions options);

  // Reports `done` of `total` positions and `items` processed; draws when the interval passed.
  void Update(uint64_t done, uint64_t total, uint64_t items);
  // Draws the final state and ends the bar's line.
  void Finish(uint64_t done, uint64_t total, uint64_t items);

  // Seconds since construction.
  double Elapsed() const;

 private:
  void Draw(uint64_t done, uint64_t total, uint64_t items, bool final);

  std::string what_;
  ProgressMeterOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
  uint64_t drawn_done_ = 0;  // `done` of the last plain line
};

// Whether stderr is a terminal.
bool StderrIsTerminal();

}  // namespace ctrace
