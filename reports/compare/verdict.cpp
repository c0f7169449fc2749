// Per-benchmark verdicts of two sample sets, with Holm's adjustment over every judged benchmark.
#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <tpb/compare.hpp>

namespace tpb::compare {

const char* verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::kRegression:
      return "regression";
    case Verdict::kImprovement:
      return "improvement";
    case Verdict::kUnchanged:
      return "unchanged";
    case Verdict::kTooNoisy:
      return "too noisy";
    case Verdict::kInvalid:
      return "invalid";
  }
  return "invalid";
}

std::size_t Comparison::count(Verdict verdict) const {
  return static_cast<std::size_t>(
      std::count_if(benchmarks.begin(), benchmarks.end(),
                    [&](const BenchmarkVerdict& b) { return b.verdict == verdict; }));
}

bool worse_than_threshold(const BenchmarkVerdict& verdict, double threshold) {
  return verdict.direction == Direction::kLowerIsBetter ? verdict.change.estimate > threshold
                                                        : verdict.change.estimate < -threshold;
}

bool better_than_threshold(const BenchmarkVerdict& verdict, double threshold) {
  return verdict.direction == Direction::kLowerIsBetter ? verdict.change.estimate < -threshold
                                                        : verdict.change.estimate > threshold;
}

void settle_verdict(BenchmarkVerdict& out, const CompareOptions& options, bool worse, bool better,
                    const std::string& change, std::string noisy, std::string unchanged) {
  const bool significant = out.p_adjusted <= options.alpha;
  if (significant && worse) {
    out.verdict = Verdict::kRegression;
    out.reason = fmt::format("{} worse than the {:.1f}% threshold, Holm p {:.2g}", change,
                             options.threshold * 100, out.p_adjusted);
  } else if (significant && better) {
    out.verdict = Verdict::kImprovement;
    out.reason = fmt::format("{} better than the {:.1f}% threshold, Holm p {:.2g}", change,
                             options.threshold * 100, out.p_adjusted);
  } else if (!(out.change.high - out.change.low <= 2 * options.threshold)) {
    out.verdict = Verdict::kTooNoisy;
    out.reason = std::move(noisy);
  } else {
    out.verdict = Verdict::kUnchanged;
    out.reason = std::move(unchanged);
  }
}

namespace {

// Fills the description and sets the verdict to invalid or too noisy when it cannot be judged;
// returns whether it can.
bool judgeable(BenchmarkVerdict& out, const Samples* base, const Samples* next,
               const CompareOptions& options) {
  if (!base || !next) {
    out.verdict = Verdict::kInvalid;
    out.reason = base ? "missing from the new record" : "missing from the baseline";
    return false;
  }
  out.metric = next->metric;
  out.direction = next->direction;
  out.base_count = base->values.size();
  out.new_count = next->values.size();
  if (!base->invalid.empty() || !next->invalid.empty()) {
    out.verdict = Verdict::kInvalid;
    out.reason = !base->invalid.empty() ? "baseline " + base->invalid : "new " + next->invalid;
    return false;
  }
  if (base->metric != next->metric) {
    out.verdict = Verdict::kInvalid;
    out.reason = fmt::format("metric differs: {} vs {}", base->metric, next->metric);
    return false;
  }
  out.base_median = median(base->values);
  out.new_median = median(next->values);
  out.change = hodges_lehmann(base->values, next->values, 1.0 - options.alpha);
  if (min_p_two_sided(out.base_count, out.new_count) > options.alpha) {
    out.verdict = Verdict::kTooNoisy;
    out.reason = fmt::format("{} vs {} repetitions cannot reach significance at alpha {}",
                             out.base_count, out.new_count, options.alpha);
    return false;
  }
  return true;
}

}  // namespace

Comparison compare_samples(const SampleSet& base, const SampleSet& next,
                           const CompareOptions& options) {
  Comparison comparison;
  comparison.options = options;
  std::vector<std::string> names;
  for (const auto& [name, samples] : base) names.push_back(name);
  for (const auto& [name, samples] : next)
    if (!base.contains(name)) names.push_back(name);
  std::sort(names.begin(), names.end());

  std::vector<std::size_t> judged;
  std::vector<double> p_values;
  for (const auto& name : names) {
    BenchmarkVerdict out;
    out.name = name;
    const auto b = base.find(name);
    const auto n = next.find(name);
    if (judgeable(out, b == base.end() ? nullptr : &b->second,
                  n == next.end() ? nullptr : &n->second, options)) {
      out.p_value = mann_whitney(b->second.values, n->second.values).p_two_sided;
      judged.push_back(comparison.benchmarks.size());
      p_values.push_back(out.p_value);
    }
    comparison.benchmarks.push_back(std::move(out));
  }

  const auto adjusted = holm_adjust(p_values);
  for (std::size_t i = 0; i < judged.size(); ++i) {
    auto& out = comparison.benchmarks[judged[i]];
    out.p_adjusted = adjusted[i];
    const bool significant = out.p_adjusted <= options.alpha;
    const std::string change = fmt::format("{:+.1f}%", out.change.estimate * 100);
    settle_verdict(
        out, options, worse_than_threshold(out, options.threshold),
        better_than_threshold(out, options.threshold), change,
        fmt::format("interval {:+.1f}%..{:+.1f}% is wider than +-{:.1f}%: a change of that size "
                    "would not be seen",
                    out.change.low * 100, out.change.high * 100, options.threshold * 100),
        significant
            ? fmt::format("{} is within the {:.1f}% threshold", change, options.threshold * 100)
            : fmt::format("{} not significant (Holm p {:.2g})", change, out.p_adjusted));
  }
  return comparison;
}

bool regression_reachable(const Comparison& comparison) {
  // The benchmarks compare_samples put in the Holm family: valid, and with enough repetitions
  // for the rank test to reach alpha at all.
  std::vector<double> smallest;
  for (const auto& b : comparison.benchmarks) {
    if (b.verdict == Verdict::kInvalid) continue;
    const double p = min_p_two_sided(b.base_count, b.new_count);
    if (p <= comparison.options.alpha) smallest.push_back(p);
  }
  const auto family = static_cast<double>(smallest.size());
  return std::any_of(smallest.begin(), smallest.end(),
                     [&](double p) { return p * family <= comparison.options.alpha; });
}

}  // namespace tpb::compare
