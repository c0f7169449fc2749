// The inversion suite's cases: per protocol, the raw-pthread reference first
// (inversion/three_thread/backend:reference/placement:same_cpu/protocol:P), then every selected
// backend. A backend's vs_ref is its high-priority wait over the reference's, same protocol, same
// C and S; the reference's own is 1.
#include <fmt/format.h>

#include "priority_inversion.hpp"

namespace tpb::bench::detail {
namespace {

using inversion::Params;
using inversion::Protocol;

constexpr const char* kPlacement = "same_cpu";

std::string case_name(const std::string& backend_segments, Protocol protocol) {
  return fmt::format("inversion/three_thread/{}/placement:{}/protocol:{}", backend_segments,
                     kPlacement, inversion::to_string(protocol));
}

std::string reference_key(Protocol protocol) {
  return fmt::format("inversion/three_thread/{}/{}", kPlacement, inversion::to_string(protocol));
}

// The reference's runs when it did not run first (filtered out): its waits, none on failure.
std::vector<double> calibrate_reference(Protocol protocol, const Params& params) {
  int left = params.runs;
  std::vector<double> waits;
  const auto starter = inversion::raw_threads();
  const auto result = inversion::run_group(
      *starter, case_name("backend:reference", protocol), protocol, params,
      [&left] { return left-- > 0 && !stop_requested().load(); },
      [&waits](double wait) { waits.push_back(wait); });
  return result.error.empty() ? waits : std::vector<double>{};
}

// One benchmark's group: `next_run` follows the benchmark's iterations and the stop flag.
inversion::GroupResult run_measured(benchmark::State& state, inversion::ThreadStarter& starter,
                                    const std::string& name, Protocol protocol,
                                    const Params& params) {
  return inversion::run_group(
      starter, name, protocol, params,
      [&state] { return state.KeepRunning() && !interrupted(state); },
      [&state](double wait) { state.SetIterationTime(wait * 1e-9); });
}

void run_reference(benchmark::State& state, Protocol protocol, const Params& params) {
  if (interrupted(state)) return;
  if (auto why = rt_unavailable_reason(inversion::kRolePriority[inversion::kController])) {
    state.SkipWithError(why->c_str());
    return;
  }
  const auto starter = inversion::raw_threads();
  const auto result =
      run_measured(state, *starter, case_name("backend:reference", protocol), protocol, params);
  const double median =
      result.error.empty() && !result.waits.empty() ? summarize(result.waits).p50 : 0;
  if (median > 0) store_reference_median(reference_key(protocol), median);
  inversion::report_group(state, result, params, median);
}

void run_backend(benchmark::State& state, const BackendConfig& config, Protocol protocol,
                 const Params& params) {
  if (interrupted(state)) return;
  if (auto why = rt_unavailable_reason(inversion::kRolePriority[inversion::kController])) {
    state.SkipWithError(why->c_str());
    return;
  }
  const double ref_median = reference_median(reference_key(protocol), [protocol, params] {
    return calibrate_reference(protocol, params);
  });
  const auto starter = inversion::contract_threads(config);
  const auto result =
      run_measured(state, *starter, case_name(config.segments, protocol), protocol, params);
  inversion::report_group(state, result, params, ref_median);
}

}  // namespace

void register_inversion(const Plan& plan, Registration& reg) {
  using inversion::kController;
  using inversion::kHigh;
  using inversion::kLow;
  using inversion::kMedium;
  using inversion::kRolePriority;
  const Params params = inversion::params_for(plan.quick);
  update_facts([&params](RunFacts& facts) {
    facts.bench.inversion = report::InversionParameters{params.critical_ns,
                                                        params.spin_ns,
                                                        params.runs,
                                                        {{"controller", kRolePriority[kController]},
                                                         {"high", kRolePriority[kHigh]},
                                                         {"medium", kRolePriority[kMedium]},
                                                         {"low", kRolePriority[kLow]}}};
  });
  if (!plan.wants_placement(kPlacement)) {
    reg.skipped.push_back({"inversion", "runs on one CPU only (placement same_cpu not selected)"});
    return;
  }
  const auto rt_refused = rt_unavailable_reason(kRolePriority[kController]);
  const std::vector<int> cpus = {allowed_cpus().back()};
  // References first, so their medians are measured before any backend needs them.
  for (Protocol protocol : inversion::kProtocols) {
    const std::string name = case_name("backend:reference", protocol);
    if (rt_refused) {
      reg.skipped.push_back({name, *rt_refused});
      continue;
    }
    add_benchmark(
        reg, name,
        [protocol, params](benchmark::State& state) { run_reference(state, protocol, params); },
        cpus)
        ->Iterations(params.runs);
  }
  for (const BackendConfig& config : plan.backends)
    for (Protocol protocol : inversion::kProtocols) {
      const std::string name = case_name(config.segments, protocol);
      if (rt_refused) {
        reg.skipped.push_back({name, *rt_refused});
        continue;
      }
      // glibc's PTHREAD_PRIO_PROTECT refuses (EINVAL) a thread whose cached priority is above
      // the ceiling, and a backend without per-thread host priorities runs the roles at whatever
      // level its thread last had: the case cannot run there, and it would leave glibc's
      // bookkeeping on a reused worker.
      if (protocol == Protocol::ceiling &&
          config.capabilities.priority != Capabilities::Priority::applied) {
        reg.skipped.push_back(
            {name, fmt::format("the backend applies no per-thread host priority (priority {}): "
                               "a PTHREAD_PRIO_PROTECT mutex needs each role at its own level",
                               tpb::to_string(config.capabilities.priority))});
        continue;
      }
      add_benchmark(
          reg, name,
          [config, protocol, params](benchmark::State& state) {
            run_backend(state, config, protocol, params);
          },
          cpus)
          ->Iterations(params.runs);
    }
}

}  // namespace tpb::bench::detail
