// The simulator's random numbers: one std::mt19937_64 turned into numbers by our own helpers
// rather than the implementation-defined std:: distributions, so that a seed gives the same
// town with any standard library. Internal to app/simulate.cc.
//
// Thread-safety: none; one SimRandom per generator.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace ctrace {

class SimRandom {
 public:
  explicit SimRandom(uint64_t seed) : engine_(seed) {}

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

// Picks an item from a fixed list with fixed weights (cumulative table + binary search).
class WeightedPicker {
 public:
  void Add(int item, double weight) {
    total_ += weight;
    items_.push_back(item);
    cumulative_.push_back(total_);
  }
  bool empty() const { return items_.empty(); }
  double total() const { return total_; }
  // -1 when empty.
  int Pick(SimRandom& random) const {
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

}  // namespace ctrace
