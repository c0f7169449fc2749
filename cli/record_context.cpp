#include "record_context.hpp"

#include <algorithm>
#include <cmath>

#include <tpb/rt_refusal.hpp>
#include <tpb/runtime.hpp>
#include <tpb/topology.hpp>

#include "describe.hpp"
#include "host_facts.hpp"
#include "redact.hpp"

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
  // The detail names the cause of a refusal and its fix (tpb/rt_refusal.hpp).
  return {rights.rt_permitted, rights.max_rt_priority, rights.min_nice,
          bench::rt_verdict().sentence()};
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
  c.command_line = redact_passwords(invocation.argv);
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

std::map<std::string, report::Dispersion> dispersion_of(
    const std::vector<report::BenchmarkEntry>& benchmarks) {
  std::map<std::string, std::vector<double>> values;
  for (const report::BenchmarkEntry& e : benchmarks) {
    if (e.run_type != "iteration" || e.error_occurred) continue;
    double ns = 0;
    if (const auto p50 = e.counters.find("p50_ns");
        p50 != e.counters.end() && std::isfinite(p50->second))
      ns = p50->second;
    else if (std::isfinite(e.real_time))
      ns = e.real_time * (e.time_unit == "us"   ? 1e3
                          : e.time_unit == "ms" ? 1e6
                          : e.time_unit == "s"  ? 1e9
                                                : 1.0);
    else
      continue;
    values[e.run_name].push_back(ns);
  }
  std::map<std::string, report::Dispersion> out;
  for (auto& [name, v] : values) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    double sum = 0;
    for (double x : v) sum += x;
    const double mean = sum / static_cast<double>(n);
    double sq = 0;
    for (double x : v) sq += (x - mean) * (x - mean);
    const double sd = n > 1 ? std::sqrt(sq / static_cast<double>(n - 1)) : 0;
    out[name] = {static_cast<int>(n), n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2, v.front(),
                 v.back(), mean > 0 ? sd / mean : 0};
  }
  return out;
}

}  // namespace tpb::cli
