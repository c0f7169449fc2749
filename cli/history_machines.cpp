#include "history_machines.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include <fmt/format.h>

namespace tpb::cli {
namespace {

compare::Samples run_medians(const history::Series& series) {
  compare::Samples samples;
  for (const auto& point : series.points)
    if (!point.values.empty()) samples.values.push_back(compare::median(point.values));
  return samples;
}

}  // namespace

std::vector<MachineDisagreement> machine_disagreements(const std::vector<history::Series>& series,
                                                       const compare::CompareOptions& options) {
  // (reference, other) -> the two sample sets of the benchmarks they share.
  std::map<std::pair<std::string, std::string>, std::pair<compare::SampleSet, compare::SampleSet>>
      pairs;
  std::map<std::string, const history::Series*> reference_of;  // by benchmark: its first machine
  for (const auto& one : series) {
    const auto [first, inserted] = reference_of.emplace(one.benchmark, &one);
    if (inserted) continue;
    auto& sets = pairs[{first->second->fingerprint, one.fingerprint}];
    sets.first[one.benchmark] = run_medians(*first->second);
    sets.second[one.benchmark] = run_medians(one);
  }
  std::vector<MachineDisagreement> found;
  for (const auto& [machines, sets] : pairs) {
    for (const auto& verdict :
         compare::compare_samples(sets.first, sets.second, options).benchmarks)
      if (verdict.verdict == compare::Verdict::kRegression ||
          verdict.verdict == compare::Verdict::kImprovement)
        found.push_back({verdict.name, machines.first, machines.second, verdict});
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return std::tie(a.benchmark, a.other) < std::tie(b.benchmark, b.other);
  });
  return found;
}

std::string disagreement_line(const MachineDisagreement& disagreement) {
  const auto& verdict = disagreement.verdict;
  const double change = verdict.change.estimate;
  return fmt::format(
      "{}: machine {} is {:.1f}% {} than machine {} (median {:.1f} ns vs {:.1f} ns over {} and {} "
      "runs, p {:.3g})",
      disagreement.benchmark, disagreement.other.substr(0, 12), std::fabs(change) * 100,
      change > 0 ? "slower" : "faster", disagreement.reference.substr(0, 12), verdict.new_median,
      verdict.base_median, verdict.new_count, verdict.base_count, verdict.p_adjusted);
}

}  // namespace tpb::cli
