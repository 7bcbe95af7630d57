#include "app/progress_meter.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

namespace ctrace {

bool StderrIsTerminal() { return isatty(STDERR_FILENO) == 1; }

ProgressMeter::ProgressMeter(std::string what, ProgressMeterOptions options)
    : what_(std::move(what)), options_(options), start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

double ProgressMeter::Elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressMeter::Update(uint64_t done, uint64_t total, uint64_t items) {
  const auto now = std::chrono::steady_clock::now();
  const auto interval = options_.terminal ? options_.bar_interval : options_.line_interval;
  if (now - last_draw_ < interval) return;
  last_draw_ = now;
  Draw(done, total, items, false);
}

void ProgressMeter::Finish(uint64_t done, uint64_t total, uint64_t items) { Draw(done, total, items, true); }

void ProgressMeter::Draw(uint64_t done, uint64_t total, uint64_t items, bool final) {
  const double elapsed = Elapsed();
  const double rate = elapsed > 0 ? static_cast<double>(items) / elapsed : 0;
  const double share = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  if (!options_.terminal) {
    // A short run needs no progress line, and the last one is not repeated.
    if (final && (!drawn_ || drawn_done_ == done)) return;
    drawn_ = true;
    drawn_done_ = done;
    spdlog::info("component={} position={} end={} done_pct={:.1f} {}={} {}_per_s={:.0f} elapsed_s={:.1f}", options_.component, done,
                 total, share * 100, what_, items, what_, rate, elapsed);
    return;
  }
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(share * kWidth);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.append(static_cast<size_t>(kWidth - filled), '-');
  std::fprintf(stderr, "\r[%s] %5.1f%%  %llu/%llu  %llu %s  %.0f %s/s  %.1fs \x1b[K", bar.c_str(), share * 100,
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
               static_cast<unsigned long long>(items), what_.c_str(), rate, what_.c_str(), elapsed);
  if (final) std::fputc('\n', stderr);
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace ctrace
