#include "record_context.hpp"

#include <fmt/format.h>

#include <tpb/runtime.hpp>
#include <tpb/topology.hpp>

#include "describe.hpp"
#include "host_facts.hpp"

namespace tpb::cli {
namespace {

nlohmann::json priority_map_json() {
  nlohmann::json out = nlohmann::json::array();
  for (KPRIORITY k = 0; k <= 31; ++k) {
    const HostPriority host = host_priority_for(k);
    out.push_back({{"kpriority", k},
                   {"policy", host.policy == HostPriority::Policy::fifo ? "fifo" : "other"},
                   {"nice", host.nice},
                   {"rt_priority", host.rt_priority},
                   {"host", to_string(host)}});
  }
  return out;
}

nlohmann::json rights_json() {
  const HostSchedulingRights& rights = host_scheduling_rights();
  return {{"permitted", rights.rt_permitted},
          {"max_rt_priority", rights.max_rt_priority},
          {"min_nice", rights.min_nice},
          {"detail", rights.detail}};
}

nlohmann::json skipped_json(const bench::Registration& registration, const Topology& topology) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : topology.placements())
    if (!p.available)
      out.push_back({{"what", fmt::format("placement:{}", to_string(p.placement))},
                     {"reason", p.skipped_reason},
                     {"source", "topology"}});
  for (const auto& s : registration.skipped)
    out.push_back({{"what", s.what}, {"reason", s.reason}, {"source", "bench"}});
  return out;
}

}  // namespace

report::RunContext build_record_context(const Invocation& invocation, const RunOptions& options,
                                        const bench::Registration& registration,
                                        const std::vector<Finding>& findings) {
  const Topology& topology = Topology::host();
  report::RunContext c;
  c.command_line = invocation.argv;
  c.git_revision = git_revision();
  c.version = TPB_VERSION;
  c.options = options.to_json();
  c.backends = backends_json();
  c.topology = topology_json(topology);
  c.kernel = kernel_json();
  c.virtualisation = to_json(detect_virtualisation());
  c.scheduler = scheduler_json();
  c.priority_map = priority_map_json();
  c.rt = rights_json();
  c.skipped = skipped_json(registration, topology);
  c.doctor = to_json(findings);
  c.bench = bench::run_context();
  if (c.bench.is_object() && c.bench.contains("c2c")) c.c2c = c.bench["c2c"];
  return c;
}

}  // namespace tpb::cli
