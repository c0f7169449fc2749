// `tpbench history --machine all`: where two machines' series of the same benchmark disagree.
// Each machine is compared with the reference machine (the first fingerprint in order) over the
// benchmarks both have, one value per run (the median of its repetitions, so that the spread is
// the between-run spread), with compare_samples (tpb/compare.hpp): Mann-Whitney U, the
// Hodges-Lehmann change, Holm over the benchmarks of that pair. They disagree where the verdict is
// a regression or an improvement: one machine is slower or faster by more than the threshold, and
// significantly so. Machines often differ for good reasons (CPU, kernel, virtualisation); a
// disagreement says which series must not be pooled, not that either machine is wrong.
#pragma once

#include <string>
#include <vector>

#include <tpb/compare.hpp>
#include <tpb/history.hpp>

namespace tpb::cli {

struct MachineDisagreement {
  std::string benchmark;
  std::string reference;              // fingerprint
  std::string other;                  // fingerprint
  compare::BenchmarkVerdict verdict;  // base: the reference; new: the other machine
};

// `series` as query_series returns them (by benchmark, then fingerprint). Deterministic.
std::vector<MachineDisagreement> machine_disagreements(const std::vector<history::Series>& series,
                                                       const compare::CompareOptions& options);

// "creation/x: machine 3f2a... is 12.3% slower than 9c1b... (median 1.2 us vs 1.1 us, p 0.001)"
std::string disagreement_line(const MachineDisagreement& disagreement);

}  // namespace tpb::cli
