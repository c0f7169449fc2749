// Verdicts against a history of runs, where the unit of evidence is a run, not a repetition.
#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <boost/math/distributions/students_t.hpp>
#include <tpb/compare.hpp>

namespace tpb::compare {

LogMoments log_moments(const std::vector<double>& values) {
  LogMoments out;
  for (double v : values) out.mean += std::log(v);
  out.mean /= static_cast<double>(values.size());
  double squares = 0;
  for (double v : values) squares += (std::log(v) - out.mean) * (std::log(v) - out.mean);
  out.sd = values.size() > 1 ? std::sqrt(squares / static_cast<double>(values.size() - 1)) : 0;
  return out;
}

namespace {

bool positive_finite(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(),
                     [](double v) { return std::isfinite(v) && v > 0; });
}

}  // namespace

Comparison compare_with_history(const RunValues& history, const RunValues& runs,
                                const CompareOptions& options) {
  // Build the same sample sets compare_samples would see, then replace the test.
  Comparison comparison;
  comparison.options = options;
  std::vector<std::size_t> judged;
  std::vector<double> p_values;
  for (const auto& [name, values] : runs) {
    BenchmarkVerdict out;
    out.name = name;
    out.new_count = values.size();
    out.new_median = values.empty() ? 0 : median(values);
    const auto past = history.find(name);
    if (values.empty() || !positive_finite(values)) {
      out.verdict = Verdict::kInvalid;
      out.reason = "no valid value in the new run";
    } else if (past == history.end() || past->second.size() < kMinHistoryRuns ||
               !positive_finite(past->second)) {
      out.verdict = Verdict::kTooNoisy;
      out.reason = fmt::format("history holds {} run(s) of it; {} needed",
                               past == history.end() ? 0 : past->second.size(), kMinHistoryRuns);
    } else {
      out.base_count = past->second.size();
      out.base_median = median(past->second);
      const auto base = log_moments(past->second);
      const auto next = log_moments(values);
      const double h = static_cast<double>(out.base_count);
      const double k = static_cast<double>(out.new_count);
      const double difference = next.mean - base.mean;
      // The new runs' own spread joins the history's (pooled), so a history that happened to be
      // flat cannot make any difference look certain.
      const double pooled = std::sqrt(
          ((h - 1.0) * base.sd * base.sd + (k - 1.0) * next.sd * next.sd) / (h + k - 2.0));
      const double se = pooled * std::sqrt(1.0 / h + 1.0 / k);
      const boost::math::students_t t_distribution(h + k - 2.0);
      out.change.estimate = std::expm1(difference);
      if (se > 0) {
        const double t = difference / se;
        out.p_value = 2.0 * boost::math::cdf(boost::math::complement(t_distribution, std::abs(t)));
        const double half =
            boost::math::quantile(boost::math::complement(t_distribution, options.alpha / 2.0)) *
            se;
        out.change.low = std::expm1(difference - half);
        out.change.high = std::expm1(difference + half);
      } else {
        out.p_value = difference == 0 ? 1.0 : 0.0;
        out.change.low = out.change.high = out.change.estimate;
      }
      judged.push_back(comparison.benchmarks.size());
      p_values.push_back(out.p_value);
    }
    comparison.benchmarks.push_back(std::move(out));
  }
  const auto adjusted = holm_adjust(p_values);
  for (std::size_t i = 0; i < judged.size(); ++i) {
    auto& out = comparison.benchmarks[judged[i]];
    out.p_adjusted = adjusted[i];
    const std::string change =
        fmt::format("{:+.1f}% vs {} runs", out.change.estimate * 100, out.base_count);
    // One slow process is not a regression: every run of the new build must be past the
    // threshold against the history's median, each re-run being a fresh process.
    const auto& values = runs.at(out.name);
    const auto every_run = [&](auto past) {
      return std::all_of(values.begin(), values.end(), [&](double v) {
        BenchmarkVerdict single;
        single.direction = out.direction;
        single.change.estimate = v / out.base_median - 1.0;
        return past(single, options.threshold);
      });
    };
    settle_verdict(
        out, options,
        worse_than_threshold(out, options.threshold) && every_run(worse_than_threshold),
        better_than_threshold(out, options.threshold) && every_run(better_than_threshold), change,
        fmt::format("between-run interval {:+.1f}%..{:+.1f}% is wider than +-{:.1f}%",
                    out.change.low * 100, out.change.high * 100, options.threshold * 100),
        fmt::format("{} (Holm p {:.2g})", change, out.p_adjusted));
  }
  return comparison;
}

}  // namespace tpb::compare
