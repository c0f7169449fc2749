#include "benchmark_name.hpp"

#include <array>

namespace tpb::report {

std::string BenchmarkName::value(std::string_view key) const {
  for (const auto& [k, v] : segments)
    if (k == key) return v;
  return {};
}

BenchmarkName parse_benchmark_name(std::string_view name) {
  BenchmarkName out;
  std::size_t index = 0;
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t slash = std::min(name.find('/', start), name.size());
    const std::string_view segment = name.substr(start, slash - start);
    const std::size_t colon = segment.find(':');
    if (index == 0 && colon == std::string_view::npos) {
      out.suite = segment;
    } else if (index == 1 && colon == std::string_view::npos) {
      out.kase = segment;
    } else if (colon == std::string_view::npos) {
      if (!segment.empty()) out.flags.emplace_back(segment);
    } else {
      out.segments.emplace_back(segment.substr(0, colon), segment.substr(colon + 1));
    }
    ++index;
    start = slash + 1;
  }
  return out;
}

bool is_runner_segment(std::string_view key) {
  static constexpr std::array<std::string_view, 8> kRunnerKeys = {
      "iterations", "repeats",     "min_time",     "min_warmup_time",
      "threads",    "manual_time", "process_time", "real_time"};
  for (auto k : kRunnerKeys)
    if (k == key) return true;
  return false;
}

}  // namespace tpb::report
