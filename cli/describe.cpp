#include "describe.hpp"

#include <tpb/bench.hpp>

namespace tpb::cli {

nlohmann::json to_json(const Capabilities& c) {
  return {{"priority", to_string(c.priority)},    {"affinity", c.affinity},
          {"unpinned_window", c.unpinned_window}, {"per_cpu_limit", c.per_cpu_limit},
          {"termination", c.termination},         {"reuses_host_threads", c.reuses_host_threads}};
}

nlohmann::json backends_json() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& entry : backend_registry()) {
    nlohmann::json variants = nlohmann::json::array();
    for (const auto& v : entry.variants)
      variants.push_back({{"key", std::string(v.key)}, {"value", std::string(v.value)}});
    out.push_back({{"name", std::string(entry.name)},
                   {"summary", std::string(entry.summary)},
                   {"capabilities", to_json(entry.capabilities)},
                   {"variants", variants}});
  }
  return out;
}

nlohmann::json suites_json() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& suite : bench::suites())
    out.push_back({{"name", suite.name}, {"summary", suite.summary}, {"cases", suite.cases}});
  return out;
}

nlohmann::json topology_json(const Topology& topology) {
  nlohmann::json cpus = nlohmann::json::array();
  for (const auto& c : topology.cpus())
    cpus.push_back({{"os_index", c.os_index},
                    {"core", c.core},
                    {"l3", c.l3},
                    {"numa", c.numa},
                    {"package", c.package}});
  nlohmann::json placements = nlohmann::json::array();
  for (const auto& p : topology.plan()) {
    nlohmann::json row = {{"placement", p.name}, {"available", p.available}};
    if (p.available)
      row["cpus"] = p.cpus;
    else
      row["skipped_reason"] = p.skipped_reason;
    placements.push_back(row);
  }
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& pair : topology.c2c_pairs())
    pairs.push_back({{"cpus", {pair.cpu_a, pair.cpu_b}}, {"placement", to_string(pair.placement)}});
  const nlohmann::json c2c = {{"sampled", topology.c2c_sampled()},
                              {"all_pairs_limit", Topology::kC2cAllPairsLimit},
                              {"pairs", pairs}};
  return {{"summary", topology.summary()},
          {"packages", topology.packages()},
          {"numa_nodes", topology.numa_nodes()},
          {"l3_groups", topology.l3_groups()},
          {"cores", topology.cores()},
          {"logical_cpus", topology.logical_cpus()},
          {"smt", topology.smt()},
          {"cpus", cpus},
          {"excluded_cpus", topology.excluded_cpus()},
          {"placements", placements},
          {"c2c", c2c}};
}

}  // namespace tpb::cli
