// c2c: core-to-core latency, the hardware floor under every cross-CPU wake-up.
//
// Two raw threads pinned to CPUs a and b spin on one 64-byte cache line: a writes "yours", b sees
// it and writes "yours" back (pingpong.hpp, Mechanism::line). A sample is 100 round trips, timed
// together so the clock read (about 24 ns here) stays out of a ~100 ns exchange, and reported as
// one-way latency (round trip / 2). The pairs are Topology::c2c_pairs(): every pair of the CPUs the
// process may use, a sample above 64. The medians also go into the run's facts as the c2c matrix
// (cpus and matrix_ns: diagonal 0, unmeasured pairs empty). No
// backend is involved — it is the machine's reference (backend:reference) — and no spin is RT.
#include <fmt/format.h>

#include <tpb/topology.hpp>

#include "common.hpp"
#include "pingpong.hpp"

namespace tpb::bench::detail {
namespace {

constexpr int kRoundTripsPerSample = 100;

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
    cells_.assign(cpus.size(), std::vector<std::optional<double>>(cpus.size()));
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
  void publish() {
    update_facts([this](RunFacts& facts) { facts.c2c = report::C2cMatrix{cpus_, cells_}; });
  }
  std::mutex mutex_;
  std::vector<int> cpus_;
  std::vector<std::vector<std::optional<double>>> cells_;
};

void run_pair(benchmark::State& state, const CpuPair& pair) {
  if (interrupted(state)) return;
  auto channel = make_channel(Mechanism::line);
  PingPong::Options o;
  o.cpu[0] = pair.cpu_a;
  o.cpu[1] = pair.cpu_b;
  o.round_trips_per_sample = kRoundTripsPerSample;
  o.samples_per_batch = 16;
  PingPong pp(*channel, o);
  std::vector<double> samples;
  {
    std::thread sides[2];
    const int cpus[2] = {pair.cpu_a, pair.cpu_b};
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
  Matrix::instance().set(pair.cpu_a, pair.cpu_b, s.p50);
}

}  // namespace

void register_c2c(const Plan& plan, Registration& reg) {
  const std::vector<int> cpus = allowed_cpus();
  Matrix::instance().reset(cpus);
  const std::vector<CpuPair> pairs = Topology::host().c2c_pairs();
  if (pairs.empty())
    reg.skipped.push_back({"c2c/line", "the process may run on one CPU only: no pair to measure"});
  for (const CpuPair& pair : pairs) {
    const std::string placement = tpb::to_string(pair.placement);
    if (!plan.wants_placement(placement)) continue;
    add_benchmark(reg,
                  fmt::format("c2c/line/backend:reference/placement:{}/cpus:{}-{}", placement,
                              pair.cpu_a, pair.cpu_b),
                  [pair](benchmark::State& state) { run_pair(state, pair); },
                  {pair.cpu_a, pair.cpu_b});
  }
}

}  // namespace tpb::bench::detail
