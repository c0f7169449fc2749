// From a run record to what compare judges: per benchmark, one gated value per repetition.
#include <cmath>
#include <limits>

#include <fmt/format.h>
#include <tpb/compare.hpp>

namespace tpb::compare {
namespace {

// Nanoseconds per Google Benchmark time unit.
double ns_per(const std::string& unit) {
  if (unit == "ns") return 1;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  return 0;
}

// The record's value for one repetition: p50_ns where reported, else real_time in ns; NaN when
// neither is a finite number.
double gated_value(const report::BenchmarkEntry& entry, std::string& metric) {
  if (const auto p50 = entry.counters.find("p50_ns"); p50 != entry.counters.end()) {
    metric = "p50_ns";
    return p50->second;
  }
  metric = "real_time";
  const double scale = ns_per(entry.time_unit);
  return scale > 0 ? entry.real_time * scale : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

Direction direction_of(const std::string& counter) {
  return counter.ends_with("_per_second") ? Direction::kHigherIsBetter : Direction::kLowerIsBetter;
}

SampleSet samples_from_record(const report::RunRecord& record, const std::string& source) {
  SampleSet out;
  bool any_aggregate = false;
  for (const auto& entry : record.benchmarks) {
    if (entry.run_type == "aggregate") {
      any_aggregate = true;
      continue;
    }
    const std::string& name = entry.run_name.empty() ? entry.name : entry.run_name;
    Samples& samples = out[name];
    if (entry.error_occurred) {
      samples.invalid = "failed: " + entry.error_message.value_or("error_occurred");
      continue;
    }
    std::string metric;
    const double value = gated_value(entry, metric);
    samples.metric = metric;
    samples.direction = direction_of(metric);
    if (!std::isfinite(value) || value <= 0) {
      samples.invalid = fmt::format("repetition {}: {} is not a positive finite number",
                                    entry.repetition_index, metric);
      continue;
    }
    samples.values.push_back(value);
  }
  if (out.empty())
    throw CompareInputError(
        source + (any_aggregate ? ": aggregates only, no per-repetition entries to compare "
                                  "(record every repetition)"
                                : ": no benchmarks"));
  return out;
}

}  // namespace tpb::compare
