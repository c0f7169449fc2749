// A benchmark's name split into what it says: "creation/start_latency/backend:pool/wake:spin/
// placement:same_cpu/priority:8/manual_time" is suite "creation", case "start_latency", the
// key:value segments in order (backend, wake, placement, priority) and the bare flags Google
// Benchmark appends (manual_time). Every report reads names through this one parser.
//
// Thread-safety: plain values and free functions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tpb::report {

struct BenchmarkName {
  std::string suite;  // first segment
  std::string kase;   // second segment ("case" is a keyword)
  std::vector<std::pair<std::string, std::string>> segments;  // key:value, in name order
  std::vector<std::string> flags;  // segments without a colon after the second (manual_time)

  // The value of segment `key`, or "" when the name has none.
  std::string value(std::string_view key) const;
  std::string suite_case() const { return suite + "/" + kase; }
};

BenchmarkName parse_benchmark_name(std::string_view name);

// Segments Google Benchmark adds by itself (iterations:20, repeats:3, manual_time): they say how
// a benchmark was run, not what it measured, so scenarios and rankings ignore them.
bool is_runner_segment(std::string_view key);

}  // namespace tpb::report
