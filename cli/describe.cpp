#include "describe.hpp"

#include <tpb/bench.hpp>

namespace tpb::cli {

std::vector<report::BackendInfo> backend_infos() {
  std::vector<report::BackendInfo> out;
  for (const auto& entry : backend_registry()) {
    const Capabilities& c = entry.capabilities;
    report::BackendInfo info{std::string(entry.name),
                             std::string(entry.summary),
                             {to_string(c.priority), c.affinity, c.unpinned_window, c.per_cpu_limit,
                              c.termination, c.reuses_host_threads},
                             {}};
    for (const auto& v : entry.variants)
      info.variants.push_back({std::string(v.key), std::string(v.value)});
    out.push_back(std::move(info));
  }
  return out;
}

report::TopologyInfo topology_info(const Topology& topology) {
  report::TopologyInfo out;
  out.summary = topology.summary();
  out.packages = topology.packages();
  out.numa_nodes = topology.numa_nodes();
  out.l3_groups = topology.l3_groups();
  out.cores = topology.cores();
  out.logical_cpus = topology.logical_cpus();
  out.smt = topology.smt();
  for (const auto& c : topology.cpus())
    out.cpus.push_back({c.os_index, c.core, c.l3, c.numa, c.package});
  out.excluded_cpus = topology.excluded_cpus();
  for (const auto& p : topology.plan()) {
    report::PlacementInfo row{p.name, p.available, std::nullopt, std::nullopt};
    if (p.available)
      row.cpus = p.cpus;
    else
      row.skipped_reason = p.skipped_reason;
    out.placements.push_back(std::move(row));
  }
  return out;
}

nlohmann::json backends_json() {
  nlohmann::json out = backend_infos();
  // `list` shows every capability of the registry row; the run record's capability block does
  // not carry this one, so it is added here from the same row.
  const auto& registry = backend_registry();
  for (std::size_t i = 0; i < registry.size(); ++i)
    out[i]["capabilities"]["names_host_threads"] = registry[i].capabilities.names_host_threads;
  return out;
}

nlohmann::json suites_json() {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& suite : bench::suites())
    out.push_back({{"name", suite.name}, {"summary", suite.summary}, {"cases", suite.cases}});
  return out;
}

nlohmann::json topology_json(const Topology& topology) {
  nlohmann::json out = topology_info(topology);
  nlohmann::json pairs = nlohmann::json::array();
  for (const auto& pair : topology.c2c_pairs())
    pairs.push_back({{"cpus", {pair.cpu_a, pair.cpu_b}}, {"placement", to_string(pair.placement)}});
  out["c2c"] = {{"sampled", topology.c2c_sampled()},
                {"all_pairs_limit", Topology::kC2cAllPairsLimit},
                {"pairs", pairs}};
  return out;
}

}  // namespace tpb::cli
