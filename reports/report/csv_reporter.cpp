// CSV: one row per entry of the record's "benchmarks" (each repetition and each aggregate), with
// every key:value segment of the name in its own column (columns in the order the keys first
// appear), the bare flags, Google Benchmark's fields and every counter (sorted by name). Quoting
// and line ends follow RFC 4180; an absent value is an empty field.
#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include <tpb/record.hpp>
#include <tpb/report.hpp>

#include "benchmark_name.hpp"
#include "reporters.hpp"

namespace tpb::report {
namespace {

std::string csv_field(std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(field);
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string number(double value) {
  return std::isfinite(value) ? fmt::format("{}", value) : std::string();
}

void append_row(std::string& out, const std::vector<std::string>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    out += csv_field(fields[i]);
  }
  out += "\r\n";
}

class CsvReporter : public Reporter {
 public:
  std::string render(const RunRecord& record, const ReportSettings&) const override {
    std::vector<std::string> segment_keys;
    std::set<std::string> counter_keys;
    std::vector<BenchmarkName> names;
    names.reserve(record.benchmarks.size());
    for (const auto& entry : record.benchmarks) {
      names.push_back(parse_benchmark_name(entry.run_name));
      for (const auto& [key, value] : names.back().segments)
        if (std::find(segment_keys.begin(), segment_keys.end(), key) == segment_keys.end())
          segment_keys.push_back(key);
      for (const auto& [key, value] : entry.counters) counter_keys.insert(key);
    }
    static constexpr std::array<std::string_view, 8> kFields = {
        "flags",     "iterations", "real_time",      "cpu_time",
        "time_unit", "label",      "error_occurred", "error_message"};
    std::vector<std::string> header = {
        "name", "run_name", "run_type", "aggregate_name", "repetition_index", "suite", "case"};
    // A segment named like a field (Google Benchmark's iterations:5) gets a "name_" prefix, so
    // every column name is unique.
    for (const auto& key : segment_keys) {
      const bool clashes = std::find(kFields.begin(), kFields.end(), key) != kFields.end() ||
                           std::find(header.begin(), header.end(), key) != header.end() ||
                           counter_keys.count(key) > 0;
      header.push_back(clashes ? "name_" + key : key);
    }
    header.insert(header.end(), kFields.begin(), kFields.end());
    header.insert(header.end(), counter_keys.begin(), counter_keys.end());

    std::string out;
    append_row(out, header);
    for (std::size_t i = 0; i < record.benchmarks.size(); ++i) {
      const BenchmarkEntry& e = record.benchmarks[i];
      const BenchmarkName& n = names[i];
      std::vector<std::string> row = {
          e.name,
          e.run_name,
          e.run_type,
          e.aggregate_name.value_or(""),
          e.run_type == "iteration" ? std::to_string(e.repetition_index) : std::string(),
          n.suite,
          n.kase};
      for (const auto& key : segment_keys) row.push_back(n.value(key));
      std::string flags;
      for (const auto& f : n.flags) flags += (flags.empty() ? "" : "/") + f;
      row.push_back(flags);
      row.push_back(std::to_string(e.iterations));
      row.push_back(number(e.real_time));
      row.push_back(number(e.cpu_time));
      row.push_back(e.time_unit);
      row.push_back(e.label.value_or(""));
      row.push_back(e.error_occurred ? "true" : "false");
      row.push_back(e.error_message.value_or(""));
      for (const auto& key : counter_keys) {
        const auto it = e.counters.find(key);
        row.push_back(it == e.counters.end() ? std::string() : number(it->second));
      }
      append_row(out, row);
    }
    return out;
  }
};

}  // namespace

std::unique_ptr<Reporter> make_csv_reporter() {
  return std::make_unique<CsvReporter>();
}

}  // namespace tpb::report
