// A run record turned into what a history store keeps.
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>

#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <tpb/compare.hpp>
#include <tpb/history.hpp>

namespace tpb::history {
namespace {

// Google Benchmark's date ("2026-11-30T13:29:38+01:00") in UTC ("2026-11-30T12:29:38Z"); the
// text as given when it does not have that shape.
std::string utc_time(const std::string& date) {
  std::tm tm{};
  int offset_hours = 0;
  int offset_minutes = 0;
  char sign = '+';
  if (std::sscanf(date.c_str(), "%d-%d-%dT%d:%d:%d%c%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &sign, &offset_hours,
                  &offset_minutes) != 9 ||
      (sign != '+' && sign != '-'))
    return date;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  std::time_t t = timegm(&tm);
  const long offset = (offset_hours * 3600L) + (offset_minutes * 60L);
  t -= sign == '+' ? offset : -offset;
  std::tm utc{};
  gmtime_r(&t, &utc);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return out;
}

}  // namespace

Run run_from_record(const report::RunRecord& record, const std::string& source,
                    const std::string& branch) {
  // A slowed run measures the gate, not the build: in a history it would be a false step and
  // part of every later baseline.
  if (record.tpbench.options.inject_slowdown_pct > 0)
    throw HistoryError(
        fmt::format("{}: made with --inject-slowdown {}; a history holds only "
                    "real measurements",
                    source, record.tpbench.options.inject_slowdown_pct));
  Run run;
  const auto machine = report::machine_identity(record.tpbench);
  nlohmann::json parts = nlohmann::json::object();
  for (const auto& [name, value] : machine.parts) parts[name] = value;
  run.machine_facts = parts.dump();
  run.info.fingerprint = machine.fingerprint;
  // FNV-1a over the record as written: the same file gives the same id.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const unsigned char c : report::dump_record(record)) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  run.info.run_id = fmt::format("{:016x}", hash);
  run.info.revision = record.tpbench.git_revision.value_or("");
  run.info.branch = branch;
  run.info.time = utc_time(record.context.date);
  run.info.tpbench_version = record.tpbench.version;

  compare::SampleSet samples;
  try {
    samples = compare::samples_from_record(record, source);
  } catch (const compare::CompareInputError& e) {
    throw HistoryError(e.what());
  }
  std::map<std::string, BenchmarkResult> results;
  for (const auto& entry : record.benchmarks) {
    if (entry.run_type == "aggregate") continue;
    const std::string& name = entry.run_name.empty() ? entry.name : entry.run_name;
    const auto found = samples.find(name);
    if (found == samples.end() || !found->second.invalid.empty()) continue;  // nothing to keep
    auto& result = results[name];
    result.name = name;
    Repetition repetition;
    repetition.index = entry.repetition_index;
    repetition.value = found->second.values.at(result.repetitions.size());
    repetition.counters = entry.counters;
    repetition.counters["real_time"] = entry.real_time;
    repetition.counters["cpu_time"] = entry.cpu_time;
    repetition.counters["iterations"] = static_cast<double>(entry.iterations);
    result.repetitions.push_back(std::move(repetition));
  }
  for (auto& [name, result] : results) run.benchmarks.push_back(std::move(result));
  return run;
}

}  // namespace tpb::history
