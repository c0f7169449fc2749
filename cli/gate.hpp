// The gate's moving parts, shared by `tpbench gate` and its self-test: running `tpbench run` as a
// child process (each run its own process, so between-process drift is seen as it will be in
// CI), the baseline to judge against, and one gate decision with its re-runs.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <tpb/compare.hpp>
#include <tpb/record.hpp>

namespace tpb::cli {

// Runs `tpbench run ARGS --out OUT --no-progress` (this executable), its stdout to OUT.log.
// Returns the record. Throws UsageError when the run rejects its options (exit 2), and
// GateInterrupted when it was interrupted (exit 130).
report::RunRecord run_child(const std::vector<std::string>& run_args,
                            const std::filesystem::path& out);

struct GateInterrupted {};

// What a gate compares against: the repetitions of one record (--baseline), or, per benchmark,
// one value per earlier run of the same machine and branch (--db).
struct Baseline {
  std::optional<compare::SampleSet> record;
  compare::RunValues history;
};

// One value per benchmark for a run: the median of its valid repetitions.
compare::RunValues run_values(const compare::SampleSet& samples);

struct GateResult {
  std::vector<compare::Comparison> comparisons;  // one per baseline, with every sample
  report::RunRecord first_record;                // the gate's own run (before any re-run)
  compare::SampleSet first_samples;              // its samples
  std::size_t reruns = 0;                        // re-runs made
  std::vector<std::string> rerun_names;          // benchmarks re-run, at least once
};

// Runs the selection once, judges it, then re-runs only the suspects (a regression, or a change
// worse than the threshold that could not be judged yet) up to `max_reruns` times, each re-run one
// child process running all suspects interleaved pass by pass, and judges again with every
// sample. `extra_args` are appended to every run (e.g. --inject-slowdown).
// `make_baselines` is called with the first run's record (the history baseline depends on its
// machine); the suspects are the union over the baselines it returns (the self-test judges one
// run against several). Throws GateUntrusted from make_baselines' refusal.
using BaselineMaker = std::function<std::vector<Baseline>(const report::RunRecord& first_record)>;
struct GateUntrusted {
  std::string why;
};
GateResult gate_once(const BaselineMaker& make_baselines, const std::vector<std::string>& run_args,
                     const compare::CompareOptions& options, int max_reruns,
                     const std::filesystem::path& work_dir, const std::string& tag);

// The suspects of a comparison.
std::vector<std::string> suspects(const compare::Comparison& comparison, double threshold);

// Judges `samples` (one SampleSet merged over processes, and per-process values) against a
// baseline.
compare::Comparison judge(const Baseline& baseline, const compare::SampleSet& samples,
                          const compare::RunValues& per_run,
                          const compare::CompareOptions& options);

// Google Benchmark filter matching exactly these names.
std::string exact_filter(const std::vector<std::string>& names);

struct SelfTestOptions {
  int pairs = 3;
  int max_reruns = 2;
  std::size_t history_runs = 10;
  compare::CompareOptions compare;
  std::vector<std::string> run_args;
  std::string db;  // noise levels for the synthetic histories, when it holds runs
};
int run_gate_self_test(const SelfTestOptions& options);

}  // namespace tpb::cli
