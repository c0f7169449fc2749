// From a run record to what compare judges: per benchmark, one gated value per repetition; and
// the machine facts two records must share.
#include <cmath>
#include <cstdint>

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
// neither is a finite positive number.
double gated_value(const nlohmann::json& entry, std::string& metric) {
  const auto number = [&](const char* key) {
    const auto it = entry.find(key);
    return it != entry.end() && it->is_number() ? it->get<double>()
                                                : std::numeric_limits<double>::quiet_NaN();
  };
  if (entry.contains("p50_ns")) {
    metric = "p50_ns";
    return number("p50_ns");
  }
  metric = "real_time";
  const double scale = ns_per(entry.value("time_unit", std::string("ns")));
  return number("real_time") * (scale > 0 ? scale : std::numeric_limits<double>::quiet_NaN());
}

}  // namespace

Direction direction_of(const std::string& counter) {
  return counter.ends_with("_per_second") ? Direction::kHigherIsBetter : Direction::kLowerIsBetter;
}

SampleSet samples_from_record(const nlohmann::json& record, const std::string& source) {
  if (!record.is_object() || !record.contains("benchmarks") || !record["benchmarks"].is_array())
    throw CompareInputError(source + ": not a Google Benchmark record (no \"benchmarks\" array)");
  SampleSet out;
  bool any_aggregate = false;
  for (const auto& entry : record["benchmarks"]) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string())
      throw CompareInputError(source + ": a benchmark entry without a name");
    if (entry.value("run_type", std::string("iteration")) == "aggregate") {
      any_aggregate = true;
      continue;
    }
    const std::string name = entry.value("run_name", entry["name"].get<std::string>());
    Samples& samples = out[name];
    if (entry.value("error_occurred", false)) {
      samples.invalid = "failed: " + entry.value("error_message", std::string("error_occurred"));
      continue;
    }
    std::string metric;
    const double value = gated_value(entry, metric);
    samples.metric = metric;
    samples.direction = direction_of(metric);
    if (!std::isfinite(value) || value <= 0) {
      samples.invalid = fmt::format("repetition {}: {} is not a positive finite number",
                                    entry.value("repetition_index", 0), metric);
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

std::map<std::string, std::string> machine_facts(const nlohmann::json& record) {
  std::map<std::string, std::string> facts;
  if (!record.is_object() || !record.contains("tpbench") || !record["tpbench"].is_object())
    return facts;
  const auto& block = record["tpbench"];
  const auto text = [](const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : value.dump();
  };
  if (block.contains("machine") && block["machine"].is_object()) {
    for (const auto& [key, value] : block["machine"].items())
      if (key != "fingerprint") facts[key] = text(value);
    return facts;
  }
  // Records made before the machine block: the same facts, read from where they were kept.
  const auto field = [&](const char* key) {
    return block.contains(key) ? block[key] : nlohmann::json(nullptr);
  };
  const auto topology = field("topology");
  if (topology.is_object())
    for (const char* key : {"packages", "numa_nodes", "l3_groups", "cores", "logical_cpus"})
      facts[std::string("topology.") + key] = text(topology.value(key, nlohmann::json(nullptr)));
  const auto kernel = field("kernel");
  if (kernel.is_object())
    facts["kernel"] = text(kernel.value("release", nlohmann::json(nullptr))) + " " +
                      text(kernel.value("machine", nlohmann::json(nullptr)));
  const auto virt = field("virtualisation");
  if (virt.is_object()) facts["virtualisation"] = text(virt.value("vm", nlohmann::json(nullptr)));
  std::string backends;
  for (const auto& backend : field("backends"))
    if (backend.is_object()) backends += (backends.empty() ? "" : ",") + text(backend["name"]);
  facts["backends"] = backends;
  facts["priority_map"] = machine_fingerprint({{"map", field("priority_map").dump()}});
  return facts;
}

std::string machine_fingerprint(const std::map<std::string, std::string>& facts) {
  // FNV-1a, 64 bits, over "key=value\n" in key order: stable across builds and platforms.
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  const auto mix = [&](std::string_view text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 0x100000001b3ULL;
    }
  };
  for (const auto& [key, value] : facts) {
    mix(key);
    mix("=");
    mix(value);
    mix("\n");
  }
  return fmt::format("{:016x}", hash);
}

std::vector<std::string> machine_differences(const std::map<std::string, std::string>& base,
                                             const std::map<std::string, std::string>& next) {
  std::vector<std::string> out;
  auto b = base.begin();
  auto n = next.begin();
  const auto shorten = [](const std::string& v) {
    return v.size() > 60 ? v.substr(0, 57) + "..." : v;
  };
  while (b != base.end() || n != next.end()) {
    if (n == next.end() || (b != base.end() && b->first < n->first)) {
      out.push_back(fmt::format("{}: {} vs (absent)", b->first, shorten(b->second)));
      ++b;
    } else if (b == base.end() || n->first < b->first) {
      out.push_back(fmt::format("{}: (absent) vs {}", n->first, shorten(n->second)));
      ++n;
    } else {
      if (b->second != n->second)
        out.push_back(
            fmt::format("{}: {} vs {}", b->first, shorten(b->second), shorten(n->second)));
      ++b;
      ++n;
    }
  }
  return out;
}

}  // namespace tpb::compare
