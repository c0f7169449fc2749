// tpb/compare.hpp - deciding whether two runs differ, and where a history changed.
//
// Samples. Every repetition of a record (tpb/record.hpp) is one sample (entries with run_type
// "iteration"; aggregates are ignored). Whether two records come from comparable machines is the
// record's machine identity (report::machine_differences). The gated metric of a repetition is its
// `p50_ns` counter (the median of that repetition's timed operations, in ns) where the benchmark
// reports one, else its `real_time` converted to ns by `time_unit`. Lower is better for both; a
// counter named
// `*_per_second` would be higher-is-better (direction_of says so per counter name).
//
// Two-sample verdicts (compare_samples). Per benchmark: the change is the Hodges-Lehmann estimate
// of the shift of log(value) (the median of all pairwise log-ratios new/base), reported as a
// relative change with its distribution-free confidence interval at 1 - alpha; significance is a
// two-sided Mann-Whitney U test (exact distribution when both sides have at most 50 samples and
// no ties, else the normal approximation with tie and continuity corrections). The p-values of
// all judged benchmarks are adjusted with Holm's step-down method: a gate fails when any one
// benchmark is flagged, so the error that matters is family-wise (the chance that a gate of an
// unchanged build fails at all), which Holm bounds by alpha under any dependence between
// benchmarks; Benjamini-Hochberg bounds only the expected share of false flags.
//   regression   the change is worse than the threshold AND Holm-significant at alpha
//   improvement  the change is better than the threshold AND Holm-significant at alpha
//   unchanged    neither of those, and the change's interval is narrower than +-threshold (so a
//                change of the threshold's size would have been seen)
//   too noisy    cannot be judged: so few samples that no result could be significant at alpha,
//                or, when not a regression or an improvement, an interval wider than
//                +-threshold (the spread of the samples hides a change of that size)
//   invalid      missing on one side, failed (error_occurred), or a non-finite value
// Everything is deterministic: the same samples give the same verdicts and the same bytes out.
//
// Change points (detect_change_points): E-divisive means (energy statistic, Matteson and James
// 2014, as Apache Otava uses it) over a series of run values, each candidate accepted only when a
// seeded permutation test gives p <= alpha; found recursively in the segments left and right.
// E-divisive needs runs on both sides of a split, so at the end of a growing history it sees a
// step late; the newest-runs test sees it two runs after it: the mean log value of the last m
// runs against the runs of the last segment before them, Student's t with that window's spread
// (exact for Gaussian log values), two-sided, Bonferroni over the m tried. It is accepted only
// when every run of the tail is nearer the tail's level than the window's: a step moves every
// run, one outlier moves only the tail's mean, and a single run is never a tail. Its change point
// names the first run of the tail, like E-divisive's.
//
// Thread-safety: plain values and pure functions. Errors: CompareInputError for unusable input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <tpb/record.hpp>

namespace tpb::compare {

// An input file that cannot be compared at all (exit 2): the message names the file and why.
class CompareInputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class Direction { kLowerIsBetter, kHigherIsBetter };
Direction direction_of(const std::string& counter);  // "p50_ns" lower, "items_per_second" higher

// One benchmark's samples in one run.
struct Samples {
  std::string metric = "p50_ns";  // the gated counter
  Direction direction = Direction::kLowerIsBetter;
  std::vector<double> values;  // one per repetition, in ns for times
  std::string invalid;         // why these cannot be judged; empty when they can
};
using SampleSet = std::map<std::string, Samples>;  // by benchmark name

// Samples of every benchmark of a record. Throws CompareInputError naming `source` when the
// record has no per-repetition entries (aggregates only, or no benchmarks).
SampleSet samples_from_record(const report::RunRecord& record, const std::string& source);

// --- statistics ----------------------------------------------------------------------------

struct RankTest {
  double u = 0;            // Mann-Whitney U of the second sample (large: second sample larger)
  double p_two_sided = 1;  // P(|U - mn/2| >= observed) under no difference
  double p_greater = 1;    // one-sided: the second sample tends to be larger
  bool exact = false;      // exact distribution (else normal approximation)
};
RankTest mann_whitney(const std::vector<double>& x, const std::vector<double>& y);

// The smallest two-sided p-value the exact test can give with m and n samples.
double min_p_two_sided(std::size_t m, std::size_t n);

// Relative change of y against x: exp(Hodges-Lehmann shift of the logs) - 1, and its
// distribution-free interval at `confidence` (bounds +-infinity when the samples are too few).
// Values must be positive.
struct Shift {
  double estimate = 0;
  double low = 0;
  double high = 0;
};
Shift hodges_lehmann(const std::vector<double>& x, const std::vector<double>& y, double confidence);

// Holm's step-down adjusted p-values, in the order given.
std::vector<double> holm_adjust(const std::vector<double>& p);

// 1.4826 * median absolute deviation / median: a robust relative standard deviation.
double relative_spread(const std::vector<double>& values);

double median(std::vector<double> values);

// Mean and sample standard deviation (0 for one value) of log(values); values must be positive.
struct LogMoments {
  double mean = 0;
  double sd = 0;
};
LogMoments log_moments(const std::vector<double>& values);

// --- verdicts ------------------------------------------------------------------------------

enum class Verdict { kRegression, kImprovement, kUnchanged, kTooNoisy, kInvalid };
const char* verdict_name(Verdict verdict);  // "regression", ..., "too noisy", "invalid"

struct CompareOptions {
  double threshold = 0.05;  // relative change that matters (5%)
  double alpha = 0.01;      // family-wise error rate (Holm)
};

struct BenchmarkVerdict {
  std::string name;
  std::string metric;
  Direction direction = Direction::kLowerIsBetter;
  Verdict verdict = Verdict::kInvalid;
  std::string reason;  // one line: why this verdict
  std::size_t base_count = 0;
  std::size_t new_count = 0;
  double base_median = 0;
  double new_median = 0;
  Shift change;
  double p_value = 1;     // two-sided Mann-Whitney
  double p_adjusted = 1;  // Holm over every judged benchmark
};

struct Comparison {
  CompareOptions options;
  std::vector<BenchmarkVerdict> benchmarks;  // by name
  std::size_t count(Verdict verdict) const;
};

// Matches benchmarks by name; a name on one side only is invalid (named in its reason).
Comparison compare_samples(const SampleSet& base, const SampleSet& next,
                           const CompareOptions& options);

// Whether a comparison made by compare_samples could have found any regression: false when,
// for every benchmark the rank test judged, the smallest p-value its repetition counts allow,
// times the number judged (Holm's first bound), is above alpha; e.g. 3 baseline repetitions
// against any number over 110 benchmarks. Such a comparison's passes mean nothing.
bool regression_reachable(const Comparison& comparison);

// Against a history: `history` holds, per benchmark, one value per earlier run (the median of its
// repetitions), `runs` one value per process of the new build (the gate's run and its re-runs).
// Between-run variance is what a history shows and one process cannot: the test is Student's t
// on the logs, with the between-run standard deviation s pooled over the H history runs and the
// k new runs (df = H + k - 2):
//   t = (mean log runs - mean log history) / (s * sqrt(1/H + 1/k)).
// A regression (improvement) also needs every new run past the threshold against the history's
// median, so that one slow process never fails a gate.
// Fewer than kMinHistoryRuns history runs is too noisy (stated). Verdicts, threshold, interval
// (the t interval at 1 - alpha) and Holm's adjustment are as in compare_samples.
inline constexpr std::size_t kMinHistoryRuns = 5;
using RunValues = std::map<std::string, std::vector<double>>;
Comparison compare_with_history(const RunValues& history, const RunValues& runs,
                                const CompareOptions& options);

// True when the change is worse (better) than the threshold in the metric's direction.
bool worse_than_threshold(const BenchmarkVerdict& verdict, double threshold);
bool better_than_threshold(const BenchmarkVerdict& verdict, double threshold);

// The verdict of a judged benchmark whose p_adjusted (Holm) is set, by the order every
// comparison shares: Holm-significant at alpha and `worse` (`better`) than the threshold by the
// comparison's own rule is a regression (improvement); else an interval wider than the threshold
// either way is too noisy, since a change of the threshold's size would not have been seen (never
// a pass); else unchanged. `change` describes the change in the reasons; `noisy` and `unchanged`
// are the comparison's own reasons for those two verdicts.
void settle_verdict(BenchmarkVerdict& out, const CompareOptions& options, bool worse, bool better,
                    const std::string& change, std::string noisy, std::string unchanged);

// --- outputs (byte-identical for the same comparison) --------------------------------------

std::string console_table(const Comparison& comparison);
// GitHub-flavoured Markdown under `max_bytes`: rows beyond it are dropped, regressions first, and
// the truncation is stated.
std::string markdown_report(const Comparison& comparison,
                            std::size_t max_bytes = std::size_t{64} * 1024);
// JUnit XML: one testcase per benchmark; failure = regression, skipped = too noisy,
// error = invalid.
std::string junit_report(const Comparison& comparison);
nlohmann::json json_report(const Comparison& comparison);

// --- change points -------------------------------------------------------------------------

struct ChangePointOptions {
  double alpha = 0.005;         // permutation p-value needed to accept a change point
  int permutations = 399;       // per candidate
  std::size_t min_segment = 2;  // points on each side of a change point
  std::uint64_t seed = 0x7470626eULL;
  // The newest-runs test: the last min_segment..newest_runs runs against the runs of their
  // segment before them, accepted at newest_alpha family-wise (Bonferroni over the tails tried),
  // and tried only when at least newest_window runs precede the tail.
  std::size_t newest_runs = 2;
  double newest_alpha = 0.002;
  std::size_t newest_window = 10;
};

struct DetectedChange {
  std::size_t index = 0;  // the first point after the step
  double step = 0;        // median after / median before - 1, within the adjacent segments
  double p_value = 1;
};

// Change points of `series`, ordered by index. Deterministic for a given seed.
std::vector<DetectedChange> detect_change_points(const std::vector<double>& series,
                                                 const ChangePointOptions& options = {});

}  // namespace tpb::compare
