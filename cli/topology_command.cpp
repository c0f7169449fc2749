// tpbench topology: the machine as hwloc sees it (restricted to the CPUs this process may use)
// and the placements the benchmarks can use here, with the reason for each one they cannot.
#include <iostream>

#include <fmt/format.h>

#include "command.hpp"
#include "describe.hpp"
#include "options.hpp"

namespace tpb::cli {

int run_topology(const Invocation& invocation) {
  po::options_description options = option_table();
  options.add_options()("json", flag(), "print JSON instead of text");
  po::variables_map values;
  if (!parse_options(invocation,
                     {"topology", "[--json]",
                      "Shows packages, NUMA nodes, L3 groups, cores and PUs, the "
                      "per-PU table, and the placements this machine offers."},
                     options, values))
    return kExitSuccess;

  const Topology& topology = Topology::host();
  if (values["json"].as<bool>()) {
    std::cout << topology_json(topology).dump(2) << '\n';
    return kExitSuccess;
  }
  std::cout << topology.summary() << (topology.smt() ? ", SMT on" : ", no SMT") << "\n\n";
  std::cout << fmt::format("  {:>4} {:>5} {:>4} {:>5} {:>8}\n", "PU", "core", "L3", "NUMA",
                           "package");
  for (const auto& c : topology.cpus())
    std::cout << fmt::format("  {:>4} {:>5} {:>4} {:>5} {:>8}\n", c.os_index, c.core, c.l3, c.numa,
                             c.package);
  std::cout << "\nPlacements\n";
  for (const auto& p : topology.placements()) {
    if (p.available)
      std::cout << fmt::format("  {:<12} available (CPUs {} and {})\n", to_string(p.placement),
                               p.cpu_a, p.cpu_b);
    else
      std::cout << fmt::format("  {:<12} skipped: {}\n", to_string(p.placement), p.skipped_reason);
  }
  return kExitSuccess;
}

}  // namespace tpb::cli
