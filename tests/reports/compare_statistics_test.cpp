// Comparison statistics (tpb/compare.hpp): the Mann-Whitney U test agrees with published values
// (exact distribution, and the normal approximation with tie and continuity corrections, as
// scipy.stats.mannwhitneyu computes them); the Hodges-Lehmann shift and its interval; Holm's
// adjustment; the robust spread; verdicts against a history of runs; and the change-point detector
// finds steps at the right run (also a step in the newest two runs, but not one outlier there) and
// none in a stationary series, the same for the same seed.
#include <cmath>
#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

#include <tpb/compare.hpp>

namespace tpb::test {
namespace {

using namespace tpb::compare;

// Exact test, no ties: complete separation of 5 and 5 has p = 2 / C(10, 5).
TEST(MannWhitney, ExactCompleteSeparation) {
  const auto r = mann_whitney({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10});
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 25);
  EXPECT_NEAR(r.p_two_sided, 2.0 / 252.0, 1e-12);
  EXPECT_NEAR(r.p_greater, 1.0 / 252.0, 1e-12);
  EXPECT_NEAR(mann_whitney({6, 7, 8}, {1, 2, 3}).p_greater, 1.0, 1e-12);
}

// Three against three can never be significant below 0.1: the noise rule relies on this bound.
TEST(MannWhitney, SmallestPossibleP) {
  EXPECT_NEAR(min_p_two_sided(3, 3), 0.1, 1e-12);
  EXPECT_NEAR(min_p_two_sided(5, 5), 2.0 / 252.0, 1e-12);
  EXPECT_NEAR(mann_whitney({1, 2, 3}, {4, 5, 6}).p_two_sided, 0.1, 1e-12);
}

// Ties use the normal approximation with tie correction; values from scipy 1.10.
TEST(MannWhitney, NormalApproximationWithTies) {
  const std::vector<double> x = {10, 12, 12, 14, 15, 15, 15, 18, 20, 21};
  const std::vector<double> y = {13, 15, 16, 17, 19, 19, 22, 23, 25, 26, 27};
  const auto r = mann_whitney(x, y);
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u, 88.5);
  EXPECT_NEAR(r.p_two_sided, 0.01965355227883675, 1e-9);
  EXPECT_NEAR(r.p_greater, 0.009826776139418375, 1e-9);
}

// Beyond 50 samples a side the normal approximation is used even without ties (scipy value).
TEST(MannWhitney, LargeSamplesNormal) {
  std::vector<double> a;
  std::vector<double> b;
  for (int i = 1; i <= 60; ++i) {
    a.push_back(i);
    b.push_back(i + 7.5);
  }
  const auto r = mann_whitney(a, b);
  EXPECT_FALSE(r.exact);
  EXPECT_NEAR(r.p_two_sided, 0.02694585619564296, 1e-9);
}

// Identical samples: no evidence at all.
TEST(MannWhitney, IdenticalSamples) {
  EXPECT_DOUBLE_EQ(mann_whitney({5, 5, 5, 5}, {5, 5, 5, 5}).p_two_sided, 1.0);
}

// A 10% slower copy is estimated at +10%, inside an interval that excludes 0.
TEST(HodgesLehmann, RelativeShiftAndInterval) {
  std::vector<double> base;
  std::vector<double> slower;
  for (int i = 0; i < 20; ++i) {
    const double v = 1000 + ((i * 37) % 11);
    base.push_back(v);
    slower.push_back(v * 1.10);
  }
  const auto shift = hodges_lehmann(base, slower, 0.99);
  EXPECT_NEAR(shift.estimate, 0.10, 1e-9);
  EXPECT_GT(shift.low, 0.05);
  EXPECT_LE(shift.low, shift.estimate);
  EXPECT_GE(shift.high, shift.estimate);
}

// Too few samples for the confidence asked: the interval is unbounded, never invented.
TEST(HodgesLehmann, TooFewSamplesUnbounded) {
  const auto shift = hodges_lehmann({1, 2, 3}, {2, 3, 4}, 0.99);
  EXPECT_TRUE(std::isinf(shift.low));
  EXPECT_TRUE(std::isinf(shift.high));
}

// Holm's step-down adjustment, worked by hand.
TEST(Holm, StepDownAdjustment) {
  const auto adjusted = holm_adjust({0.01, 0.04, 0.03, 0.005});
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_NEAR(adjusted[0], 0.03, 1e-12);
  EXPECT_NEAR(adjusted[1], 0.06, 1e-12);
  EXPECT_NEAR(adjusted[2], 0.06, 1e-12);
  EXPECT_NEAR(adjusted[3], 0.02, 1e-12);
}

// The spread ignores one wild repetition (a warm-up outlier) but not a wide sample.
TEST(Spread, RobustToOneOutlier) {
  EXPECT_LT(relative_spread({20260, 8923, 9143}), 0.05);
  EXPECT_GT(relative_spread({100, 120, 80, 130, 70}), 0.1);
}

// Against a history of runs: a 20% slower build in every re-run is a regression; one slow
// process among three is not; a history too short to judge is too noisy, not passed.
TEST(BetweenRuns, HistoryVerdicts) {
  const std::vector<double> past = {1000, 1010, 990, 1005, 995, 1002, 998, 1008, 992, 1000};
  const CompareOptions options;
  auto verdict = [&](std::vector<double> history, std::vector<double> runs) {
    return compare_with_history({{"b", history}}, {{"b", runs}}, options).benchmarks.at(0).verdict;
  };
  EXPECT_EQ(verdict(past, {1200, 1210, 1195}), Verdict::kRegression);
  EXPECT_EQ(verdict(past, {800, 805, 798}), Verdict::kImprovement);
  EXPECT_EQ(verdict(past, {1001, 1003, 998}), Verdict::kUnchanged);
  EXPECT_NE(verdict(past, {1200, 1001, 999}), Verdict::kRegression);
  EXPECT_EQ(verdict({1000, 1000, 1000}, {1500, 1500}), Verdict::kTooNoisy);
  // A flat history does not make a small difference certain.
  EXPECT_NE(verdict(std::vector<double>(10, 1000), {1020}), Verdict::kRegression);
}

// A deterministic noisy series: level plus seeded Gaussian-like noise (sum of uniforms).
std::vector<double> series_with_step(std::size_t length, std::size_t step_at, double step,
                                     double noise, std::uint64_t seed) {
  std::vector<double> out;
  std::uint64_t state = seed;
  const auto uniform = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / 9007199254740992.0;
  };
  for (std::size_t i = 0; i < length; ++i) {
    double e = 0;
    for (int k = 0; k < 12; ++k) e += uniform();
    out.push_back(1000.0 * (i >= step_at ? 1.0 + step : 1.0) * (1.0 + noise * (e - 6.0)));
  }
  return out;
}

// Steps of 2%, 5% and 10% at run 60 of 100 (noise a fifth of the step) are found at run 60.
TEST(ChangePoints, StepsFoundAtTheirRun) {
  for (const double step : {0.02, 0.05, 0.10}) {
    const auto series = series_with_step(100, 60, step, step / 5, 42);
    const auto found = detect_change_points(series);
    ASSERT_EQ(found.size(), 1u) << "step " << step;
    EXPECT_EQ(found[0].index, 60u) << "step " << step;
    EXPECT_NEAR(found[0].step, step, step / 4) << "step " << step;
    EXPECT_LE(found[0].p_value, ChangePointOptions{}.alpha);
  }
}

// Samples of `count` benchmarks, each with `repetitions` values around `base`.
SampleSet sample_set(int count, std::size_t repetitions, double base) {
  SampleSet out;
  for (int b = 0; b < count; ++b) {
    Samples samples;
    for (std::size_t r = 0; r < repetitions; ++r)
      samples.values.push_back(base + static_cast<double>(r));
    out["bench" + std::to_string(b)] = samples;
  }
  return out;
}

// 3 baseline repetitions against 10 cannot pass Holm's bound over 110 benchmarks, even on a 50%
// slowdown; for 1 benchmark they can (smallest p 2/286), and 10 against 10 can over 110.
TEST(CompareSamples, RegressionReachableFollowsHolmsBound) {
  const CompareOptions options;
  const auto unreachable =
      compare_samples(sample_set(110, 3, 1000), sample_set(110, 10, 1500), options);
  EXPECT_EQ(unreachable.count(Verdict::kRegression), 0u);
  EXPECT_FALSE(regression_reachable(unreachable));
  const auto few = compare_samples(sample_set(1, 3, 1000), sample_set(1, 10, 1500), options);
  EXPECT_TRUE(regression_reachable(few));
  const auto enough =
      compare_samples(sample_set(110, 10, 1000), sample_set(110, 10, 1500), options);
  EXPECT_TRUE(regression_reachable(enough));
  EXPECT_EQ(enough.count(Verdict::kRegression), 110u);
}

// Two steps, up then down, are both found.
TEST(ChangePoints, TwoSteps) {
  auto series = series_with_step(90, 30, 0.10, 0.01, 7);
  for (std::size_t i = 60; i < series.size(); ++i) series[i] /= 1.10;
  const auto found = detect_change_points(series);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].index, 30u);
  EXPECT_EQ(found[1].index, 60u);
}

// A stationary series has no change point.
TEST(ChangePoints, StationaryHasNone) {
  EXPECT_TRUE(detect_change_points(series_with_step(100, 100, 0, 0.02, 3)).empty());
}

// A step of 3.5 sigma in the last 2 runs of a long stationary series is reported at the first run
// of the step, and the newest-runs test alone (E-divisive off) finds it there too.
TEST(ChangePoints, StepInTheNewestTwoRunsFoundAtItsFirstRun) {
  auto series = series_with_step(80, 80, 0, 0.02, 5);
  series.push_back(1000.0 * 1.07);
  series.push_back(1000.0 * 1.075);
  const auto found = detect_change_points(series);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].index, 80u);
  EXPECT_NEAR(found[0].step, 0.07, 0.02);
  ChangePointOptions newest_only;
  newest_only.alpha = 0;  // no permutation p-value is 0
  const auto alone = detect_change_points(series, newest_only);
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_EQ(alone[0].index, 80u);
  EXPECT_LE(alone[0].p_value, newest_only.newest_alpha);
}

// One outlier in the newest run is not a step, however large: a step moves every run of the tail,
// an outlier only the tail's mean; one normal run later, the same outlier is still not reported.
TEST(ChangePoints, OutlierInTheNewestRunIsNotAStep) {
  auto series = series_with_step(80, 80, 0, 0.02, 5);
  series.push_back(1000.0 * 1.5);
  EXPECT_TRUE(detect_change_points(series).empty());
  series.push_back(1000.0);
  EXPECT_TRUE(detect_change_points(series).empty());
}

// With longer tails allowed, a step 3 runs from the end is named at its first run, the p-value
// carrying the Bonferroni factor of the tails tried.
TEST(ChangePoints, LongerTailsNameTheFirstRunOfTheStep) {
  auto series = series_with_step(80, 80, 0, 0.02, 9);
  series.back() = 990;  // the run before the step clearly at the old level
  for (const double factor : {1.06, 1.065, 1.058}) series.push_back(1000.0 * factor);
  ChangePointOptions options;
  options.newest_runs = 4;
  options.alpha = 0;  // E-divisive off: the newest-runs test alone
  const auto found = detect_change_points(series, options);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].index, 80u);
  EXPECT_LE(found[0].p_value, options.newest_alpha);
}

// The same series and seed give the same answer.
TEST(ChangePoints, Deterministic) {
  const auto series = series_with_step(80, 40, 0.03, 0.02, 11);
  const auto a = detect_change_points(series);
  const auto b = detect_change_points(series);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].index, b[i].index);
    EXPECT_EQ(a[i].p_value, b[i].p_value);
  }
}

}  // namespace
}  // namespace tpb::test
