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
// Then the newest-runs test (tpb/compare.hpp) looks at the end of the last segment.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include <boost/math/distributions/students_t.hpp>

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

// The tail of the series whose shift against the runs of the last segment before it is the most
// significant, when that is significant at newest_alpha after Bonferroni over the tails tried.
// `segment_begin` is where the last segment starts.
bool newest_runs_change(const std::vector<double>& series, std::size_t segment_begin,
                        std::size_t min_tail, const ChangePointOptions& options,
                        DetectedChange& change) {
  const auto at = [&](std::size_t i) { return series.begin() + static_cast<std::ptrdiff_t>(i); };
  if (!std::all_of(at(segment_begin), series.end(),
                   [](double v) { return std::isfinite(v) && v > 0; }))
    return false;  // logs need positive values
  const std::size_t n = series.size();
  double best_p = 1;
  std::size_t best_split = 0;
  std::size_t tried = 0;
  for (std::size_t m = min_tail; m <= options.newest_runs; ++m) {
    if (n < segment_begin + options.newest_window + m) break;
    const std::size_t split = n - m;
    const std::vector<double> before(at(segment_begin), at(split));
    const LogMoments window = log_moments(before);
    const double tail_mean = log_moments(std::vector<double>(at(split), series.end())).mean;
    ++tried;
    if (!(window.sd > 0)) continue;
    const double shift = tail_mean - window.mean;
    const double runs = static_cast<double>(before.size());
    const double t = shift / (window.sd * std::sqrt(1.0 / static_cast<double>(m) + 1.0 / runs));
    const boost::math::students_t distribution(runs - 1.0);
    const double p = 2.0 * boost::math::cdf(boost::math::complement(distribution, std::abs(t)));
    const double midpoint = window.mean + shift / 2;
    const bool every_run_moved = std::all_of(
        at(split), series.end(), [&](double v) { return (std::log(v) - midpoint) * shift > 0; });
    if (every_run_moved && p < best_p) {
      best_p = p;
      best_split = split;
    }
  }
  const double adjusted = std::min(1.0, best_p * static_cast<double>(tried));
  if (best_split == 0 || adjusted > options.newest_alpha) return false;
  change = {best_split, 0, adjusted};
  return true;
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
  if (DetectedChange newest;
      newest_runs_change(series, bounds[bounds.size() - 2], min_segment, options, newest)) {
    found.push_back(newest);
    bounds.insert(bounds.end() - 1, newest.index);
  }
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
