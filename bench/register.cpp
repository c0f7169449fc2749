// The explicit table: a Selection becomes Google Benchmark registrations, suite by suite, each
// suite's references first. Nothing registers itself (a static library would drop it).
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include <tpb/topology.hpp>

#include "common.hpp"

namespace tpb::bench {

namespace {

using RegisterFn = void (*)(const detail::Plan&, Registration&);

struct SuiteRow {
  SuiteInfo info;
  RegisterFn add;
};

const std::vector<SuiteRow>& suite_table() {
  static const std::vector<SuiteRow> table = {
      {{"creation",
        "system thread creation: create to first instruction, full round trip, bursts, DDI "
        "flavours",
        {"start_latency", "round_trip", "burst", "ddi"}},
       &detail::register_creation},
      {{"ctxswitch",
        "one-way wake-up between two system threads: KEVENT, futex, condvar, pipe, per placement",
        {"pingpong"}},
       &detail::register_ctxswitch},
      {{"c2c", "cache-line ping-pong latency for every pair of logical CPUs", {"line"}},
       &detail::register_c2c},
      {{"inversion",
        "three-thread priority inversion on one CPU: none, inherit and ceiling protocols",
        {"three_thread"}},
       &detail::register_inversion},
  };
  return table;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::vector<detail::BackendConfig> backend_configs(const Selection& selection) {
  for (const std::string& name : selection.backends)
    if (name != "reference" && find_backend(name) == nullptr)
      throw std::invalid_argument(
          fmt::format("unknown backend '{}' (known: {})", name, backend_names()));
  std::vector<detail::BackendConfig> out;
  for (const BackendEntry& entry : backend_registry()) {
    const std::string name(entry.name);
    if (!selection.backends.empty() && !contains(selection.backends, name)) continue;
    if (entry.variants.empty()) {
      out.push_back({name, "backend:" + name, BackendOptions{}, entry.capabilities});
      continue;
    }
    for (const BackendVariant& variant : entry.variants) {
      BackendOptions options;
      variant.apply(options);
      out.push_back({name, fmt::format("backend:{}/{}:{}", name, variant.key, variant.value),
                     options, entry.capabilities});
    }
  }
  return out;
}

}  // namespace

const std::vector<SuiteInfo>& suites() {
  static const std::vector<SuiteInfo> infos = [] {
    std::vector<SuiteInfo> v;
    for (const auto& row : suite_table()) v.push_back(row.info);
    return v;
  }();
  return infos;
}

Registration register_benchmarks(const Selection& selection) {
  for (const std::string& s : selection.suites) {
    const auto& table = suite_table();
    if (std::none_of(table.begin(), table.end(),
                     [&](const SuiteRow& r) { return r.info.name == s; }))
      throw std::invalid_argument(
          fmt::format("unknown suite '{}' (known: creation, ctxswitch, c2c, inversion)", s));
  }
  for (const std::string& p : selection.placements)
    if (!contains(placement_names(), p))
      throw std::invalid_argument(
          fmt::format("unknown placement '{}' (known: {})", p, fmt::join(placement_names(), ", ")));
  for (int p : selection.priorities)
    if (p < 0 || p > 31)
      throw std::invalid_argument(fmt::format("priority {} is outside KPRIORITY 0..31", p));

  detail::Plan plan;
  plan.selection = selection;
  plan.quick = selection.quick;
  plan.backends = backend_configs(selection);
  detail::set_slowdown_pct(selection.inject_slowdown_pct);

  Registration reg;
  for (const auto& row : suite_table()) {
    if (!selection.suites.empty() && !contains(selection.suites, row.info.name)) continue;
    row.add(plan, reg);
  }
  const bool perf = detail::SwitchCounters().perf();
  detail::update_facts([perf](RunFacts& facts) { facts.bench.perf_events = perf; });
  return reg;
}

std::atomic<bool>& stop_requested() {
  static std::atomic<bool> flag{false};
  return flag;
}

}  // namespace tpb::bench
