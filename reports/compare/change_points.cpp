// E-divisive means change-point detection with a seeded permutation test.
//
// For a segment split at tau into X (before) and Y (after), the energy statistic is
//   Q(tau) = m k / (m + k) * (2/(m k) sum|x - y| - mean|x - x'| - mean|y - y'|)
// which grows when the two sides' distributions differ. The best split of every current segment
// is a candidate; the largest is tested by permuting the values inside each segment (which
// destroys any step while keeping the segments' contents) and recomputing the largest statistic:
// p = (1 + permutations reaching the observed value) / (1 + permutations). Accepted candidates
// split their segment and the search repeats; it stops at the first candidate with p > alpha.
// Every split of a segment is scored in O(L^2) by moving one point at a time from Y to X.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include <tpb/compare.hpp>

namespace tpb::compare {
namespace {

struct Split {
  double statistic = -1;
  std::size_t index = 0;  // absolute index of the first point of Y
};

// splitmix64: a small generator whose sequence is fixed by its seed on every platform.
class Random {
 public:
  explicit Random(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  void shuffle(double* first, std::size_t count) {
    for (std::size_t i = count; i > 1; --i) std::swap(first[i - 1], first[next() % i]);
  }

 private:
  std::uint64_t state_;
};

Split best_split(const double* v, std::size_t length, std::size_t offset, std::size_t min_segment) {
  Split best;
  if (length < 2 * min_segment) return best;
  const auto distance = [&](std::size_t i, std::size_t j) { return std::abs(v[i] - v[j]); };
  double within_x = 0;
  double within_y = 0;
  double between = 0;
  const std::size_t first = min_segment;
  for (std::size_t i = 0; i < length; ++i)
    for (std::size_t j = i + 1; j < length; ++j) {
      const double d = distance(i, j);
      if (j < first)
        within_x += d;
      else if (i >= first)
        within_y += d;
      else
        between += d;
    }
  for (std::size_t tau = first;; ++tau) {
    const double m = static_cast<double>(tau);
    const double k = static_cast<double>(length - tau);
    const double statistic = m * k / (m + k) *
                             ((2.0 * between / (m * k)) - (within_x / (m * (m - 1) / 2.0)) -
                              (within_y / (k * (k - 1) / 2.0)));
    if (statistic > best.statistic) best = {statistic, offset + tau};
    if (tau + 1 > length - min_segment) break;
    // Point `tau` moves from Y to X.
    double to_x = 0;
    double to_y = 0;
    for (std::size_t i = 0; i < tau; ++i) to_x += distance(i, tau);
    for (std::size_t j = tau + 1; j < length; ++j) to_y += distance(tau, j);
    within_x += to_x;
    within_y -= to_y;
    between += to_y - to_x;
  }
  return best;
}

// The best split over every segment between consecutive bounds.
Split best_over_segments(const std::vector<double>& values, const std::vector<std::size_t>& bounds,
                         std::size_t min_segment) {
  Split best;
  for (std::size_t s = 0; s + 1 < bounds.size(); ++s) {
    const Split split =
        best_split(values.data() + bounds[s], bounds[s + 1] - bounds[s], bounds[s], min_segment);
    if (split.statistic > best.statistic) best = split;
  }
  return best;
}

}  // namespace

std::vector<DetectedChange> detect_change_points(const std::vector<double>& series,
                                                 const ChangePointOptions& options) {
  const std::size_t min_segment = std::max<std::size_t>(options.min_segment, 2);
  std::vector<std::size_t> bounds = {0, series.size()};
  std::vector<DetectedChange> found;
  Random random(options.seed);
  std::vector<double> shuffled;
  for (;;) {
    const Split candidate = best_over_segments(series, bounds, min_segment);
    if (candidate.statistic <= 0) break;
    int reached = 0;
    for (int r = 0; r < options.permutations; ++r) {
      shuffled = series;
      for (std::size_t s = 0; s + 1 < bounds.size(); ++s)
        random.shuffle(shuffled.data() + bounds[s], bounds[s + 1] - bounds[s]);
      if (best_over_segments(shuffled, bounds, min_segment).statistic >= candidate.statistic)
        ++reached;
    }
    const double p = (1.0 + reached) / (1.0 + options.permutations);
    if (p > options.alpha) break;
    found.push_back({candidate.index, 0, p});
    bounds.insert(std::upper_bound(bounds.begin(), bounds.end(), candidate.index), candidate.index);
  }
  std::sort(found.begin(), found.end(),
            [](const DetectedChange& a, const DetectedChange& b) { return a.index < b.index; });
  for (auto& change : found) {
    const auto at = std::find(bounds.begin(), bounds.end(), change.index);
    const auto begin = series.begin() + static_cast<std::ptrdiff_t>(*(at - 1));
    const auto split = series.begin() + static_cast<std::ptrdiff_t>(*at);
    const auto end = series.begin() + static_cast<std::ptrdiff_t>(*(at + 1));
    const double before = median(std::vector<double>(begin, split));
    const double after = median(std::vector<double>(split, end));
    change.step = before != 0 ? after / before - 1.0 : 0.0;
  }
  return found;
}

}  // namespace tpb::compare
