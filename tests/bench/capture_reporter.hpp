// What the bench tests share to run a registration in-process: Google Benchmark set up with a
// short minimum time, and a reporter that keeps every run it is given.
#pragma once

#include <string>
#include <vector>

#include <benchmark/benchmark.h>

namespace tpb::test {

using BenchRun = benchmark::BenchmarkReporter::Run;

class CaptureReporter : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<BenchRun>& runs) override {
    for (const BenchRun& r : runs) this->runs.push_back(r);
  }
  std::vector<BenchRun> runs;
};

// benchmark::Initialize as `program --benchmark_min_time=0.01`: short repetitions, so a test
// measures every case it registers within its time limit.
inline void initialize_benchmark(std::string program) {
  std::string min_time = "--benchmark_min_time=0.01";
  char* argv[] = {program.data(), min_time.data()};
  int argc = 2;
  benchmark::Initialize(&argc, argv);
}

// Runs every benchmark registered now and returns its runs.
inline std::vector<BenchRun> run_registered() {
  CaptureReporter capture;
  benchmark::RunSpecifiedBenchmarks(&capture);
  return capture.runs;
}

}  // namespace tpb::test
