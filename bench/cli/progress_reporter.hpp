// The display reporter of a run: forwards everything to the reporter that builds the record
// (Google Benchmark's JSONReporter writing to memory) and, on a terminal, keeps one progress line
// up to date: benchmark i of N, time elapsed, estimated time left.
#pragma once

#include <chrono>
#include <cstddef>
#include <set>
#include <string>

#include <benchmark/benchmark.h>

namespace tpb::cli {

class ProgressReporter : public benchmark::BenchmarkReporter {
 public:
  // `sink` receives every call and must outlive this object. `total` is the expected number of
  // benchmarks (an estimate: Google Benchmark applies the filter). `show`: draw the line.
  ProgressReporter(benchmark::BenchmarkReporter& sink, std::size_t total, bool show);

  bool ReportContext(const Context& context) override;
  void ReportRuns(const std::vector<Run>& reports) override;
  void Finalize() override;

  std::size_t completed() const { return done_.size(); }

 private:
  void draw(const std::string& last_name);

  benchmark::BenchmarkReporter& sink_;
  std::size_t total_;
  bool show_;
  std::set<std::string> done_;  // run names reported so far
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace tpb::cli
