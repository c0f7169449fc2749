#include "progress_reporter.hpp"

#include <algorithm>
#include <iostream>

#include <fmt/format.h>

namespace tpb::cli {
namespace {

std::string clock_text(double seconds) {
  const int s = static_cast<int>(seconds + 0.5);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

ProgressReporter::ProgressReporter(benchmark::BenchmarkReporter& sink, std::size_t total, bool show)
    : sink_(sink), total_(total), show_(show) {}

bool ProgressReporter::ReportContext(const Context& context) {
  start_ = std::chrono::steady_clock::now();
  if (show_) draw("");
  return sink_.ReportContext(context);
}

void ProgressReporter::ReportRuns(const std::vector<Run>& reports) {
  sink_.ReportRuns(reports);
  // Google Benchmark reports a benchmark's repetitions, then (separately) its aggregates, both
  // under one run name: count names, not calls.
  if (reports.empty() || !done_.insert(reports.front().run_name.str()).second) return;
  if (show_) draw(reports.front().run_name.str());
}

void ProgressReporter::Finalize() {
  sink_.Finalize();
  if (show_) std::cout << "\r\033[K" << std::flush;
}

void ProgressReporter::draw(const std::string& last_name) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::size_t done = done_.size();
  const std::size_t total = std::max(total_, done);
  std::string left = "?";
  if (done > 0)
    left = clock_text(elapsed / static_cast<double>(done) * static_cast<double>(total - done));
  std::string line =
      fmt::format("[{}/{}] {} elapsed, ~{} left", done, total, clock_text(elapsed), left);
  if (!last_name.empty()) line += "  " + last_name;
  if (line.size() > 110) line.resize(110);
  std::cout << "\r\033[K" << line << std::flush;
}

}  // namespace tpb::cli
