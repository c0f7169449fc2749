// A Google Benchmark reporter that keeps every run it is given, for tests that read what a
// registration measured.
#pragma once

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

}  // namespace tpb::test
