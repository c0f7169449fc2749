// The runs the history concurrency tests append: each one's content is a function of its id's
// writer and index, so a test can say exactly what must be stored.
#pragma once

#include <algorithm>
#include <string>

#include <tpb/history.hpp>

namespace tpb::test {

// Runs every writer uploads (the same id and content from each).
inline constexpr int kSharedRuns = 3;
inline constexpr int kConcurrencyBenchmarks = 12;
inline constexpr int kConcurrencyRepetitions = 5;
inline constexpr int kConcurrencyMachines = 4;

inline history::Run concurrency_run(const std::string& run_id, int writer, int index) {
  history::Run run;
  const int second = index % 60;
  run.info = {run_id,
              "rev-" + run_id,
              "main",
              "2026-01-01T00:" + std::string(writer < 10 ? "0" : "") + std::to_string(writer) +
                  ":" + (second < 10 ? "0" : "") + std::to_string(second) + "Z",
              "0.1.0",
              "fp" + std::to_string(writer % kConcurrencyMachines)};
  run.machine_facts = R"({"cpu":"concurrency test"})";
  for (int b = 0; b < kConcurrencyBenchmarks; ++b) {
    // Each writer lists the benchmarks from a different starting point.
    const int which = (b + writer) % kConcurrencyBenchmarks;
    history::BenchmarkResult result{"concurrency/bench" + std::to_string(which), {}};
    for (int rep = 0; rep < kConcurrencyRepetitions; ++rep) {
      const double value = 1000.0 + writer * 10 + index + rep / 8.0;
      result.repetitions.push_back({rep, value, {{"p50_ns", value}}});
    }
    run.benchmarks.push_back(std::move(result));
  }
  return run;
}

}  // namespace tpb::test
