// c2c: core-to-core latency, the hardware floor under every cross-CPU wake-up.
//
// Two raw threads pinned to CPUs a and b spin on one 64-byte cache line: a writes "yours", b sees
// it and writes "yours" back (pingpong.hpp, Mechanism::line). A sample is 100 round trips, timed
// together so the clock read (about 24 ns here) stays out of a ~100 ns exchange, and reported as
// one-way latency (round trip / 2). Every pair of logical CPUs is measured (a sample of pairs above
// 64 CPUs: CPU 0 against all, and each CPU against its opposite half). The medians also go into
// run_context() as {"cpus": [...], "matrix_ns": [[...]]}, diagonal 0, unmeasured pairs null. No
// backend is involved — it is the machine's reference (backend:reference) — and no spin is RT.
#include <fmt/format.h>

#include <tpb/topology.hpp>

#include "common.hpp"
#include "pingpong.hpp"

namespace tpb::bench::detail {
namespace {

constexpr int kRoundTripsPerSample = 100;

struct CpuPair {
  int a, b;
  std::string placement;
};

std::string relation(const Topology& topo, int a, int b) {
  const LogicalCpu* x = topo.find(a);
  const LogicalCpu* y = topo.find(b);
  if (x == nullptr || y == nullptr) return "unknown";
  if (a == b) return tpb::to_string(Placement::same_cpu);
  if (x->core == y->core) return tpb::to_string(Placement::smt_sibling);
  if (x->l3 == y->l3) return tpb::to_string(Placement::same_l3);
  if (x->numa == y->numa) return tpb::to_string(Placement::other_l3);
  return tpb::to_string(Placement::other_numa);
}

std::vector<CpuPair> cpu_pairs(const std::vector<int>& cpus) {
  const Topology& topo = Topology::host();
  std::vector<CpuPair> pairs;
  const std::size_t n = cpus.size();
  const auto add = [&](std::size_t i, std::size_t j) {
    if (i == j) return;
    for (const auto& p : pairs)
      if ((p.a == cpus[i] && p.b == cpus[j]) || (p.a == cpus[j] && p.b == cpus[i])) return;
    pairs.push_back({cpus[i], cpus[j], relation(topo, cpus[i], cpus[j])});
  };
  if (n <= 64) {
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j) add(i, j);
  } else {
    for (std::size_t j = 1; j < n; ++j) add(0, j);
    for (std::size_t i = 1; i < n / 2; ++i) add(i, i + n / 2);
  }
  return pairs;
}

// The matrix lives in the context; each finished pair fills its two cells.
class Matrix {
 public:
  static Matrix& instance() {
    static Matrix m;
    return m;
  }
  void reset(const std::vector<int>& cpus) {
    std::lock_guard lock(mutex_);
    cpus_ = cpus;
    cells_.assign(cpus.size(), std::vector<nlohmann::json>(cpus.size(), nullptr));
    for (std::size_t i = 0; i < cpus.size(); ++i) cells_[i][i] = 0.0;
    publish();
  }
  void set(int a, int b, double ns) {
    std::lock_guard lock(mutex_);
    const auto ia = index(a), ib = index(b);
    if (ia < 0 || ib < 0) return;
    cells_[ia][ib] = ns;
    cells_[ib][ia] = ns;
    publish();
  }

 private:
  long index(int cpu) const {
    for (std::size_t i = 0; i < cpus_.size(); ++i)
      if (cpus_[i] == cpu) return static_cast<long>(i);
    return -1;
  }
  void publish() { context_set("c2c", {{"cpus", cpus_}, {"matrix_ns", cells_}}); }
  std::mutex mutex_;
  std::vector<int> cpus_;
  std::vector<std::vector<nlohmann::json>> cells_;
};

void run_pair(benchmark::State& state, const CpuPair& pair) {
  if (interrupted(state)) return;
  auto channel = make_channel(Mechanism::line);
  PingPong::Options o;
  o.cpu[0] = pair.a;
  o.cpu[1] = pair.b;
  o.round_trips_per_sample = kRoundTripsPerSample;
  o.samples_per_batch = 16;
  PingPong pp(*channel, o);
  std::vector<double> samples;
  {
    std::thread sides[2];
    const int cpus[2] = {pair.a, pair.b};
    for (int side = 0; side < 2; ++side)
      sides[side] = std::thread([&pp, side, cpu = cpus[side]] {
        PinGuard pin(cpu);
        pp.body(side);
      });
    if (!pp.wait_ready(5000)) {
      state.SkipWithError("the two threads did not start within 5 s");
    } else {
      for (auto _ : state) {
        if (interrupted(state)) break;
        PingPong::Batch batch;
        if (!pp.run_batch(batch, 10000) || batch.one_way_ns.empty()) {
          state.SkipWithError("cache-line ping-pong stalled");
          break;
        }
        samples.insert(samples.end(), batch.one_way_ns.begin(), batch.one_way_ns.end());
        state.SetIterationTime(batch.elapsed_ns * 1e-9);
      }
    }
    pp.stop();
    for (auto& t : sides) t.join();
  }
  if (samples.empty()) return;
  const Summary s = summarize(samples);
  report_latency(state, s, s.p50);
  state.counters["round_trips_per_sample"] = kRoundTripsPerSample;
  state.counters["placement_held"] = pp.placement_held() ? 1 : 0;
  Matrix::instance().set(pair.a, pair.b, s.p50);
}

}  // namespace

void register_c2c(const Plan& plan, Registration& reg) {
  const std::vector<int> cpus = allowed_cpus();
  Matrix::instance().reset(cpus);
  const std::vector<CpuPair> pairs = cpu_pairs(cpus);
  if (pairs.empty())
    reg.skipped.push_back({"c2c/line", "the process may run on one CPU only: no pair to measure"});
  for (const CpuPair& pair : pairs) {
    if (!plan.wants_placement(pair.placement)) continue;
    add_benchmark(reg,
                  fmt::format("c2c/line/backend:reference/placement:{}/cpus:{}-{}", pair.placement,
                              pair.a, pair.b),
                  [pair](benchmark::State& state) { run_pair(state, pair); });
  }
}

}  // namespace tpb::bench::detail
