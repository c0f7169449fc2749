// A run record turned into what a history store keeps.
#include <cmath>
#include <ctime>

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

std::string text_or_empty(const nlohmann::json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_string()) return {};
  return object[key].get<std::string>();
}

}  // namespace

Run run_from_record(const nlohmann::json& record, const std::string& source,
                    const std::string& branch) {
  if (!record.is_object() || !record.contains("tpbench") || !record["tpbench"].is_object())
    throw HistoryError(source + ": not a tpbench record (no tpbench block)");
  const auto& block = record["tpbench"];
  Run run;
  const auto facts = compare::machine_facts(record);
  nlohmann::json facts_json = nlohmann::json::object();
  for (const auto& [key, value] : facts) facts_json[key] = value;
  run.machine_facts = facts_json.dump();
  run.info.fingerprint =
      text_or_empty(block.value("machine", nlohmann::json::object()), "fingerprint");
  if (run.info.fingerprint.empty()) run.info.fingerprint = compare::machine_fingerprint(facts);
  run.info.run_id = text_or_empty(block, "run_id");
  if (run.info.run_id.empty())
    run.info.run_id = compare::machine_fingerprint({{"record", record.dump()}});
  run.info.revision = text_or_empty(block, "git_revision");
  run.info.branch = branch.empty() ? text_or_empty(block, "branch") : branch;
  run.info.time =
      utc_time(text_or_empty(record.value("context", nlohmann::json::object()), "date"));
  run.info.tpbench_version = text_or_empty(block, "version");

  compare::SampleSet samples;
  try {
    samples = compare::samples_from_record(record, source);
  } catch (const compare::CompareInputError& e) {
    throw HistoryError(e.what());
  }
  std::map<std::string, BenchmarkResult> results;
  for (const auto& entry : record["benchmarks"]) {
    if (entry.value("run_type", std::string("iteration")) == "aggregate") continue;
    const std::string name = entry.value("run_name", entry.value("name", std::string()));
    const auto found = samples.find(name);
    if (found == samples.end() || !found->second.invalid.empty()) continue;  // nothing to keep
    Repetition repetition;
    repetition.index = entry.value("repetition_index", 0);
    for (const auto& [key, value] : entry.items())
      if (value.is_number()) repetition.counters[key] = value.get<double>();
    auto& result = results[name];
    result.name = name;
    repetition.value = found->second.values.at(result.repetitions.size());
    result.repetitions.push_back(std::move(repetition));
  }
  for (auto& [name, result] : results) run.benchmarks.push_back(std::move(result));
  return run;
}

}  // namespace tpb::history
