// `tpbench run`'s options, parsed and checked before anything is measured: every bad value is a
// UsageError naming the option and what is wrong (exit 2), never a failure half-way through a run.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include <tpb/bench.hpp>

#include "command.hpp"

namespace tpb::cli {

// Defaults, chosen so the default run ends within 60 s and --quick within 30 s on a 2-CPU VM.
inline constexpr int kDefaultRepetitions = 5;
inline constexpr int kQuickRepetitions = 3;
inline constexpr double kDefaultMinTime = 0.01;  // seconds of measured time per repetition
inline constexpr double kQuickMinTime = 0.005;
inline constexpr double kMaxMinTime = 3600;  // seconds; more is refused (exit 2)

struct RunOptions {
  bench::Selection selection;
  std::string filter;  // Google Benchmark's --benchmark_filter; empty: all
  int repetitions = kDefaultRepetitions;
  double min_time = kDefaultMinTime;
  std::filesystem::path out;
  bool progress = true;  // draw the progress line (only on a terminal)
  std::string db;        // history store to append the run to; empty: none
  std::string branch;    // the branch the run is recorded under in the history
  bool dry_run = false;  // list what would be registered, measure nothing
  bool report = false;   // write the HTML and Markdown reports beside the record
};

// nullopt when --help was shown. Throws UsageError.
std::optional<RunOptions> parse_run_options(const Invocation& invocation);

// Where a record goes when no --out names a file: reports/out/run-<UTC timestamp>.json.
std::filesystem::path default_record_path();

}  // namespace tpb::cli
