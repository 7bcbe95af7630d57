// Latency samples and their summary (nearest-rank percentiles), for the end-to-end benchmarks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace ctrace::bench {

class Latency {
 public:
  void Add(double ms) { samples_.push_back(ms); }
  size_t count() const { return samples_.size(); }

  // The nearest-rank percentile, q in (0, 1]: the smallest sample with at least q of the
  // samples at or below it. 0 when there are no samples.
  double Percentile(double q) const {
    if (samples_.empty()) return 0;
    std::vector<double> sorted = samples_;
    std::sort(sorted.begin(), sorted.end());
    const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
  }

  double Mean() const {
    if (samples_.empty()) return 0;
    return std::accumulate(samples_.begin(), samples_.end(), 0.0) / static_cast<double>(samples_.size());
  }

  double Max() const { return samples_.empty() ? 0 : *std::max_element(samples_.begin(), samples_.end()); }

 private:
  std::vector<double> samples_;
};

}  // namespace ctrace::bench
