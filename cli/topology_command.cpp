// tpbench topology: a machine as hwloc sees it (this host restricted to the CPUs this process may
// use, or an hwloc XML export, or a synthetic description) and the placement plan for it: the CPUs
// each placement would use, with the reason for each one it cannot, and the c2c pairs.
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "command.hpp"
#include "describe.hpp"
#include "options.hpp"

namespace tpb::cli {
namespace {

// "0-3,8,10,11": three or more consecutive CPUs as a range, so a 384-PU spread stays one line.
std::string cpu_list(const std::vector<int>& cpus) {
  if (cpus.empty()) return "none (unpinned)";
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (j < i + 2) j = i;  // a pair reads better as "0,1"
    out += (out.empty() ? "" : ",") +
           (j > i ? fmt::format("{}-{}", cpus[i], cpus[j]) : std::to_string(cpus[i]));
    i = j + 1;
  }
  return out;
}

void print_text(const Topology& topology) {
  std::cout << topology.summary() << (topology.smt() ? ", SMT on" : ", no SMT") << "\n";
  if (!topology.excluded_cpus().empty())
    std::cout << fmt::format("excluded (offline, disallowed or outside the affinity): {}\n",
                             cpu_list(topology.excluded_cpus()));
  std::cout << fmt::format("\n  {:>4} {:>5} {:>4} {:>5} {:>8}\n", "PU", "core", "L3", "NUMA",
                           "package");
  for (const auto& c : topology.cpus())
    std::cout << fmt::format("  {:>4} {:>5} {:>4} {:>5} {:>8}\n", c.os_index, c.core, c.l3, c.numa,
                             c.package);
  std::cout << "\nPlacements (CPUs)\n";
  for (const auto& p : topology.plan()) {
    if (p.available)
      std::cout << fmt::format("  {:<12} {}\n", p.name, cpu_list(p.cpus));
    else
      std::cout << fmt::format("  {:<12} skipped: {}\n", p.name, p.skipped_reason);
  }
  const std::vector<CpuPair> pairs = topology.c2c_pairs();
  const long n = topology.logical_cpus();
  if (topology.c2c_sampled())
    std::cout << fmt::format(
        "\nc2c pairs: {} of {} sampled (more than {} PUs: the lowest CPU with every other, and "
        "CPU i with CPU i + n/2)\n",
        pairs.size(), n * (n - 1) / 2, Topology::kC2cAllPairsLimit);
  else
    std::cout << fmt::format("\nc2c pairs: all {}\n", pairs.size());
  std::string line;
  for (const auto& pair : pairs) {
    const std::string item =
        fmt::format("{}-{}:{}", pair.cpu_a, pair.cpu_b, to_string(pair.placement));
    if (!line.empty() && line.size() + item.size() > 96) {
      std::cout << " " << line << '\n';
      line.clear();
    }
    line += " " + item;
  }
  if (!line.empty()) std::cout << " " << line << '\n';
}

}  // namespace

int run_topology(const Invocation& invocation) {
  po::options_description options = option_table();
  options.add_options()                                                                     //
      ("xml", po::value<std::string>(), "read an hwloc XML export (lstopo --of xml FILE)")  //
      ("synthetic", po::value<std::string>(),
       "build hwloc's synthetic topology, e.g. \"pack:2 numa:2 l3:2 core:4 pu:2\"")  //
      ("json", flag(), "print JSON instead of text");
  po::variables_map values;
  if (!parse_options(invocation,
                     {"topology", "[--xml FILE | --synthetic DESC] [--json]",
                      "Shows packages, NUMA nodes, L3 groups, cores and PUs, the per-PU table, the "
                      "CPUs each placement would use (or why it cannot run) and the c2c pairs, "
                      "for this machine (the CPUs this process may use) or for the topology "
                      "given."},
                     options, values))
    return kExitSuccess;

  if (values.count("xml") != 0 && values.count("synthetic") != 0)
    throw UsageError(fmt::format("{} and {} cannot be combined", option_source(invocation, "xml"),
                                 option_source(invocation, "synthetic")));
  std::optional<Topology> given;
  try {
    if (values.count("xml") != 0)
      given = Topology::from_xml(values["xml"].as<std::string>());
    else if (values.count("synthetic") != 0)
      given = Topology::from_synthetic(values["synthetic"].as<std::string>());
  } catch (const std::runtime_error& e) {
    throw UsageError(fmt::format(
        "{}: {}", option_source(invocation, values.count("xml") ? "xml" : "synthetic"), e.what()));
  }
  const Topology& topology = given ? *given : Topology::host();
  if (values["json"].as<bool>())
    std::cout << topology_json(topology).dump(2) << '\n';
  else
    print_text(topology);
  return kExitSuccess;
}

}  // namespace tpb::cli
