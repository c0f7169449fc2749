// Rank statistics for two samples: Mann-Whitney U (exact and normal), the Hodges-Lehmann shift
// with its distribution-free interval, Holm's adjustment, and a robust spread.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <utility>

#include <boost/math/distributions/normal.hpp>
#include <tpb/compare.hpp>

namespace tpb::compare {
namespace {

// Larger samples, or ties, use the normal approximation.
constexpr std::size_t kExactLimit = 50;

// Frequencies of U = 0..m*n for sample sizes m and n with no ties: the count of arrangements of
// m x's and n y's with U inversions, by the recurrence f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u).
// Cached: a comparison asks for the same few sizes over and over.
const std::vector<double>& u_distribution(std::size_t m, std::size_t n) {
  static std::mutex mutex;
  static std::map<std::pair<std::size_t, std::size_t>, std::vector<double>> cache;
  const std::scoped_lock lock(mutex);
  if (auto it = cache.find({m, n}); it != cache.end()) return it->second;
  // rows[j] holds f(i, j, .) for the current i.
  std::vector<std::vector<double>> rows(n + 1);
  for (std::size_t j = 0; j <= n; ++j) rows[j] = {1.0};  // f(0, j, 0) = 1
  for (std::size_t i = 1; i <= m; ++i) {
    std::vector<std::vector<double>> next(n + 1);
    next[0] = {1.0};  // f(i, 0, 0) = 1
    for (std::size_t j = 1; j <= n; ++j) {
      next[j].assign(i * j + 1, 0.0);
      for (std::size_t u = 0; u < rows[j].size(); ++u) next[j][u + j] += rows[j][u];
      for (std::size_t u = 0; u < next[j - 1].size(); ++u) next[j][u] += next[j - 1][u];
    }
    rows = std::move(next);
  }
  std::vector<double> cumulative = rows[n];
  const double total = std::accumulate(cumulative.begin(), cumulative.end(), 0.0);
  double running = 0;
  for (double& c : cumulative) {
    running += c;
    c = running / total;  // P(U <= u)
  }
  return cache.emplace(std::pair{m, n}, std::move(cumulative)).first->second;
}

// Midranks of the pooled sample; `tie_term` gets sum(t^3 - t) over tie groups.
std::vector<double> midranks(const std::vector<double>& pooled, double& tie_term) {
  std::vector<std::size_t> order(pooled.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return pooled[a] < pooled[b]; });
  std::vector<double> ranks(pooled.size());
  tie_term = 0;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && pooled[order[j + 1]] == pooled[order[i]]) ++j;
    const double rank = (static_cast<double>(i + j) / 2.0) + 1.0;
    for (std::size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    const double t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    i = j + 1;
  }
  return ranks;
}

}  // namespace

double median(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
}

double relative_spread(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double center = median(values);
  std::vector<double> deviations;
  deviations.reserve(values.size());
  for (double v : values) deviations.push_back(std::abs(v - center));
  return center == 0 ? 0 : 1.4826 * median(deviations) / std::abs(center);
}

double min_p_two_sided(std::size_t m, std::size_t n) {
  if (m == 0 || n == 0) return 1;
  // 2 / C(m + n, m), computed in logs to stay finite.
  double log_choose = 0;
  for (std::size_t i = 1; i <= m; ++i)
    log_choose += std::log(static_cast<double>(n + i) / static_cast<double>(i));
  return std::min(1.0, 2.0 * std::exp(-log_choose));
}

RankTest mann_whitney(const std::vector<double>& x, const std::vector<double>& y) {
  RankTest result;
  const std::size_t m = x.size();
  const std::size_t n = y.size();
  if (m == 0 || n == 0) return result;
  std::vector<double> pooled(x);
  pooled.insert(pooled.end(), y.begin(), y.end());
  double tie_term = 0;
  const auto ranks = midranks(pooled, tie_term);
  const double rank_sum_y =
      std::accumulate(ranks.begin() + static_cast<std::ptrdiff_t>(m), ranks.end(), 0.0);
  const double dn = static_cast<double>(n);
  const double dm = static_cast<double>(m);
  result.u = rank_sum_y - (dn * (dn + 1) / 2.0);
  if (tie_term == 0 && m <= kExactLimit && n <= kExactLimit) {
    const auto& cdf = u_distribution(m, n);
    const auto u = static_cast<std::size_t>(std::llround(result.u));
    const double lower = cdf[u];                        // P(U <= u)
    const double upper = 1.0 - (u ? cdf[u - 1] : 0.0);  // P(U >= u)
    result.p_greater = upper;
    result.p_two_sided = std::min(1.0, 2.0 * std::min(lower, upper));
    result.exact = true;
    return result;
  }
  const double total = dm + dn;
  const double variance = dm * dn / 12.0 * ((total + 1.0) - tie_term / (total * (total - 1.0)));
  if (variance <= 0) return result;  // every value equal: no evidence of a difference
  const double sigma = std::sqrt(variance);
  const double centered = result.u - (dm * dn / 2.0);
  const boost::math::normal standard;
  const double z_two = std::max(0.0, std::abs(centered) - 0.5) / sigma;
  result.p_two_sided =
      std::min(1.0, 2.0 * boost::math::cdf(boost::math::complement(standard, z_two)));
  const double z_greater = (centered - 0.5) / sigma;
  result.p_greater = boost::math::cdf(boost::math::complement(standard, z_greater));
  return result;
}

Shift hodges_lehmann(const std::vector<double>& x, const std::vector<double>& y,
                     double confidence) {
  Shift shift;
  if (x.empty() || y.empty()) return shift;
  std::vector<double> differences;
  differences.reserve(x.size() * y.size());
  for (double b : x)
    for (double a : y) differences.push_back(std::log(a) - std::log(b));
  std::sort(differences.begin(), differences.end());
  shift.estimate = std::expm1(median(differences));

  // The interval's ends are the k-th smallest and k-th largest differences, k the largest count
  // with P(U < k) <= (1 - confidence) / 2 under no shift.
  const std::size_t m = x.size();
  const std::size_t n = y.size();
  const double tail = (1.0 - confidence) / 2.0;
  std::size_t k = 0;
  if (m <= kExactLimit && n <= kExactLimit) {
    const auto& cdf = u_distribution(m, n);
    while (k < cdf.size() && cdf[k] <= tail) ++k;  // cdf[k] = P(U <= k) = P(U < k + 1)
  } else {
    const double dm = static_cast<double>(m);
    const double dn = static_cast<double>(n);
    const double z = boost::math::quantile(boost::math::normal(), 1.0 - tail);
    const double bound = (dm * dn / 2.0) - (z * std::sqrt(dm * dn * (dm + dn + 1.0) / 12.0));
    k = bound > 0 ? static_cast<std::size_t>(std::floor(bound)) : 0;
  }
  constexpr double kInfinity = std::numeric_limits<double>::infinity();
  if (k == 0 || k > differences.size() / 2) {
    shift.low = -kInfinity;
    shift.high = kInfinity;
  } else {
    shift.low = std::expm1(differences[k - 1]);
    shift.high = std::expm1(differences[differences.size() - k]);
  }
  return shift;
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> adjusted(p.size());
  double running = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const double scaled = static_cast<double>(p.size() - i) * p[order[i]];
    running = std::max(running, std::min(1.0, scaled));
    adjusted[order[i]] = running;
  }
  return adjusted;
}

}  // namespace tpb::compare
