// The display reporter of a run: forwards everything to the reporter that records the current
// pass (Google Benchmark's JSONReporter writing to memory) and, on a terminal, keeps one progress
// line up to date: benchmarks done of N, time elapsed, estimated time left, the last one done.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>

#include <benchmark/benchmark.h>

namespace tpb::cli {

class ProgressReporter : public benchmark::BenchmarkReporter {
 public:
  // `total`: benchmark runs expected over every pass (an estimate: Google Benchmark applies the
  // filter). `show`: draw the line.
  ProgressReporter(std::size_t total, bool show);

  // The reporter of the next pass; it must outlive the pass.
  void set_sink(benchmark::BenchmarkReporter* sink) { sink_ = sink; }

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& reports) override;
  void Finalize() override;

  // Erases the progress line (before printing anything else).
  void clear();

  // Wall-clock seconds spent per case ("suite/case"), over every pass so far.
  const std::map<std::string, double>& wall_seconds_by_case() const { return by_case_; }

 private:
  void draw(const std::string& last_name);

  benchmark::BenchmarkReporter* sink_ = nullptr;
  std::size_t total_;
  bool show_;
  std::size_t done_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;  // end of the previous benchmark
  std::map<std::string, double> by_case_;
};

}  // namespace tpb::cli
