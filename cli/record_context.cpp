#include "record_context.hpp"

#include <tpb/runtime.hpp>
#include <tpb/topology.hpp>

#include "describe.hpp"
#include "host_facts.hpp"

namespace tpb::cli {
namespace {

std::vector<report::PriorityMapping> priority_map() {
  std::vector<report::PriorityMapping> out;
  for (KPRIORITY k = 0; k <= 31; ++k) {
    const HostPriority host = host_priority_for(k);
    out.push_back({k, host.policy == HostPriority::Policy::fifo ? "fifo" : "other", host.nice,
                   host.rt_priority, to_string(host)});
  }
  return out;
}

report::RtPermission rt_permission() {
  const HostSchedulingRights& rights = host_scheduling_rights();
  return {rights.rt_permitted, rights.max_rt_priority, rights.min_nice, rights.detail};
}

}  // namespace

report::RecordedOptions to_record(const RunOptions& options) {
  const bench::Selection& s = options.selection;
  return {s.backends,       s.suites,
          s.placements,     s.priorities,
          s.quick,          s.inject_slowdown_pct,
          options.filter,   options.repetitions,
          options.min_time, options.out.string()};
}

report::RunContext build_record_context(const Invocation& invocation, const RunOptions& options,
                                        const bench::Registration& registration,
                                        const bench::RunFacts& facts,
                                        const std::vector<Finding>& findings) {
  report::RunContext c;
  c.command_line = invocation.argv;
  c.git_revision = git_revision();
  c.version = TPB_VERSION;
  c.options = to_record(options);
  c.cpu_model = cpu_model();
  c.backends = backend_infos();
  c.topology = topology_info(Topology::host());
  c.kernel = kernel_info();
  c.virtualisation = to_record(detect_virtualisation());
  c.scheduler = scheduler_settings();
  c.priority_map = priority_map();
  c.rt = rt_permission();
  c.skipped = registration.skipped;
  c.c2c = facts.c2c;
  c.doctor = to_record(findings);
  c.bench = facts.bench;
  return c;
}

}  // namespace tpb::cli
