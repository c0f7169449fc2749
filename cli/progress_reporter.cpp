#include "progress_reporter.hpp"

#include <algorithm>
#include <cmath>
#include <iostream>

#include <fmt/format.h>

namespace tpb::cli {
namespace {

std::string clock_text(double seconds) {
  const long s = std::lround(seconds);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

ProgressReporter::ProgressReporter(std::size_t total, bool show) : total_(total), show_(show) {}

bool ProgressReporter::ReportContext(const Context& context) {
  last_ = std::chrono::steady_clock::now();
  if (show_) draw("");
  return sink_ ? sink_->ReportContext(context) : true;
}

void ProgressReporter::ReportRuns(const std::vector<Run>& reports) {
  if (sink_) sink_->ReportRuns(reports);
  // One repetition per pass: Google Benchmark reports each benchmark once, without aggregates.
  if (reports.empty()) return;
  ++done_;
  const auto now = std::chrono::steady_clock::now();
  const std::string name = reports.front().run_name.str();
  const std::size_t suite_end = name.find('/');
  const std::size_t case_end = name.find('/', suite_end == std::string::npos ? 0 : suite_end + 1);
  by_case_[name.substr(0, case_end)] += std::chrono::duration<double>(now - last_).count();
  last_ = now;
  if (show_) draw(name);
}

void ProgressReporter::Finalize() {
  if (sink_) sink_->Finalize();
}

void ProgressReporter::clear() {
  if (show_) std::cout << "\r\033[K" << std::flush;
}

void ProgressReporter::draw(const std::string& last_name) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const std::size_t total = std::max(total_, done_);
  std::string left = "?";
  if (done_ > 0)
    left = clock_text(elapsed / static_cast<double>(done_) * static_cast<double>(total - done_));
  std::string line =
      fmt::format("[{}/{}] {} elapsed, ~{} left", done_, total, clock_text(elapsed), left);
  if (!last_name.empty()) line += "  " + last_name;
  if (line.size() > 110) line.resize(110);
  std::cout << "\r\033[K" << line << std::flush;
}

}  // namespace tpb::cli
