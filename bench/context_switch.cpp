// ctxswitch: one-way wake-up latency between two system threads, per mechanism and placement.
//
// Two threads pass a token back and forth (pingpong.hpp): side 0 signals side 1 and blocks until
// side 1 signals back; a sample is one round trip, halved. The mechanisms are the contract's KEVENT
// (KeSetEvent / KeWaitForSingleObject on SynchronizationEvents), a raw futex (always the
// FUTEX_WAKE syscall), a condition variable, and a pipe carrying one int each way — exactly what
// `perf bench sched pipe -T` does, so mechanism:pipe at placement:same_cpu is comparable with it
// run under `taskset -c 0` (perf reports the round trip per op: see round_trip_p50_ns). The two
// system threads come from the backend under test (PsCreateSystemThread, creator pinned to the
// target CPU, and KeSetSystemAffinityThreadEx inside the routine); the reference runs the same
// exchange on raw pinned threads. Placements are the CPU pairs hwloc shows this machine has (same
// CPU, SMT siblings, same L3, other L3, other NUMA node); absent ones are recorded with the reason.
// Per one-way op the case also reports context switches and migrations of both threads from
// perf_event_open software counters (getrusage RUSAGE_THREAD when perf is refused).
#include <fmt/format.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include <systhread/wdm.h>
#include <tpb/topology.hpp>

#include "common.hpp"
#include "host/command.hpp"
#include "pingpong.hpp"

namespace tpb::bench::detail {

std::string futex_wake_key(int cpu_a, int cpu_b) {
  return fmt::format("ctxswitch/futex/cpus:{}-{}", cpu_a, cpu_b);
}

namespace {

constexpr int kStartTimeoutMs = 5000;
constexpr int kBatchTimeoutMs = 10000;
constexpr int kSamplesPerBatch = 16;

struct Pair {
  std::string placement;
  int a = -1, b = -1;
};

std::string reference_key(Mechanism m, const Pair& pair) {
  return fmt::format("ctxswitch/{}/cpus:{}-{}", to_string(m), pair.a, pair.b);
}

// Two raw threads, each pinning itself before entering its side.
class RawSides {
 public:
  RawSides(PingPong& pp, const Pair& pair) : pp_(pp) {
    const int cpus[2] = {pair.a, pair.b};
    for (int side = 0; side < 2; ++side)
      threads_[side] = std::thread([&pp, side, cpu = cpus[side]] {
        PinGuard pin(cpu);
        pp.body(side);
      });
  }
  ~RawSides() {
    pp_.stop();
    for (auto& t : threads_) t.join();
  }
  RawSides(const RawSides&) = delete;
  RawSides& operator=(const RawSides&) = delete;

 private:
  PingPong& pp_;
  std::thread threads_[2];
};

struct SideContext {
  PingPong* pp;
  int side;
  int cpu;
};

void side_routine(PVOID raw) {
  auto* ctx = static_cast<SideContext*>(raw);
  const KAFFINITY previous = KeSetSystemAffinityThreadEx(cpu_mask(ctx->cpu));
  ctx->pp->body(ctx->side);
  // Pool workers outlive the system thread: give them back their own affinity.
  KeRevertToUserAffinityThreadEx(previous);
}

// Two system threads of the calling thread's runtime.
class SystemSides {
 public:
  SystemSides(PingPong& pp, const Pair& pair) : pp_(pp) {
    const int cpus[2] = {pair.a, pair.b};
    for (int side = 0; side < 2; ++side) {
      contexts_[side] = {&pp, side, cpus[side]};
      // Pinned creator: backends that place by the creator (inherit) start the thread there.
      PinGuard pin(cpus[side]);
      const NTSTATUS st = PsCreateSystemThread(&handles_[side], THREAD_ALL_ACCESS, nullptr, nullptr,
                                               nullptr, &side_routine, &contexts_[side]);
      if (!NT_SUCCESS(st)) {
        error_ = fmt::format("PsCreateSystemThread returned 0x{:08X}", static_cast<unsigned>(st));
        handles_[side] = nullptr;
        break;
      }
    }
  }
  ~SystemSides() {
    pp_.stop();
    LARGE_INTEGER timeout;
    timeout.QuadPart = -50'000'000;  // 5 s
    for (HANDLE h : handles_)
      if (h != nullptr) {
        ZwWaitForSingleObject(h, FALSE, &timeout);
        ZwClose(h);
      }
  }
  SystemSides(const SystemSides&) = delete;
  SystemSides& operator=(const SystemSides&) = delete;
  const std::string& error() const { return error_; }

 private:
  PingPong& pp_;
  SideContext contexts_[2]{};
  HANDLE handles_[2]{nullptr, nullptr};
  std::string error_;
};

PingPong::Options pingpong_options(const Pair& pair, std::int64_t delay) {
  PingPong::Options o;
  o.cpu[0] = pair.a;
  o.cpu[1] = pair.b;
  o.round_trips_per_sample = 1;
  o.samples_per_batch = kSamplesPerBatch;
  o.delay_ns = delay;
  return o;
}

// The external anchor: `perf bench sched pipe -T` on one CPU, run once per process. perf writes
// and reads one int each way between two threads and reports the mean round trip per op. One
// short run is at the mercy of whatever else wakes on that CPU: take the median of five.
double perf_pipe_round_trip_ns(int cpu) {
  static const double value = [cpu] {
    // Run without a shell: the arguments reach taskset as they are.
    const std::vector<std::string> argv = {
        "taskset", "-c",   std::to_string(cpu), "perf", "bench", "sched", "pipe", "-T",
        "-l",      "10000"};
    std::string command;
    for (const auto& arg : argv) command += (command.empty() ? "" : " ") + arg;
    std::vector<double> runs;
    for (int i = 0; i < 5; ++i) {
      const auto out = host::command_output(argv);
      if (!out) break;
      double usecs = 0;
      std::istringstream lines(*out);
      for (std::string line; std::getline(lines, line);)
        if (line.find("usecs/op") != std::string::npos) usecs = std::strtod(line.c_str(), nullptr);
      if (usecs <= 0) break;
      runs.push_back(usecs * 1000);
    }
    const double median = runs.size() == 5 ? summarize(runs).p50 : 0;
    update_facts([&](RunFacts& facts) {
      facts.bench.perf_pipe =
          report::PerfPipeAnchor{command, runs, median,
                                 median > 0 ? "median of 5 runs; each a mean round trip per op"
                                            : "perf unavailable or refused: no anchor"};
    });
    return median;
  }();
  return value;
}

// The measured loop, shared by references and backends. Returns the median one-way latency.
double measure(benchmark::State& state, PingPong& pp, double reference_median_ns) {
  if (!pp.wait_ready(kStartTimeoutMs)) {
    state.SkipWithError("the two threads did not start within 5 s");
    return 0;
  }
  std::vector<double> samples;
  for (auto _ : state) {
    if (interrupted(state)) break;
    PingPong::Batch batch;
    if (!pp.run_batch(batch, kBatchTimeoutMs) ||
        batch.one_way_ns.size() != static_cast<std::size_t>(kSamplesPerBatch)) {
      state.SkipWithError("ping-pong stalled: a side stopped answering");
      break;
    }
    samples.insert(samples.end(), batch.one_way_ns.begin(), batch.one_way_ns.end());
    state.SetIterationTime(batch.elapsed_ns * 1e-9);
  }
  if (samples.empty()) return 0;
  const Summary s = summarize(samples);
  report_latency(state, s, reference_median_ns > 0 ? reference_median_ns : s.p50);
  // Counted in one extra batch outside the samples: open counters slow every switch.
  PingPong::Batch counted;
  if (!state.error_occurred() && pp.run_batch(counted, kBatchTimeoutMs, true) &&
      !counted.one_way_ns.empty()) {
    // A sample is a round trip: two one-way operations.
    const double ops = 2.0 * static_cast<double>(counted.one_way_ns.size());
    state.counters["ctx_switches_per_op"] = counted.context_switches / ops;
    state.counters["migrations_per_op"] = counted.migrations < 0 ? -1 : counted.migrations / ops;
  }
  state.counters["round_trip_p50_ns"] = 2 * s.p50;
  state.counters["round_trip_mean_ns"] = 2 * s.mean;
  state.counters["perf_events"] = pp.perf_counters() ? 1 : 0;
  state.counters["placement_held"] = pp.placement_held() ? 1 : 0;
  if (!pp.placement_held()) state.SetLabel("a thread ran off its CPU: placement not honoured");
  return s.p50;
}

// Pipe on one CPU is what perf measures: show the ratio of mean round trips.
void add_perf_anchor(benchmark::State& state, Mechanism m, const Pair& pair) {
  if (m != Mechanism::pipe || pair.a != pair.b || state.error_occurred()) return;
  const auto it = state.counters.find("round_trip_mean_ns");
  if (it == state.counters.end()) return;
  const double perf = perf_pipe_round_trip_ns(pair.a);
  if (perf > 0) state.counters["vs_perf"] = it->second.value / perf;
}

std::vector<double> raw_samples(Mechanism m, const Pair& pair, int count) {
  auto channel = make_channel(m);
  PingPong pp(*channel, pingpong_options(pair, 0));
  std::vector<double> out;
  {
    RawSides sides(pp, pair);
    if (!pp.wait_ready(kStartTimeoutMs)) return out;
    while (static_cast<int>(out.size()) < count) {
      PingPong::Batch batch;
      if (!pp.run_batch(batch, kBatchTimeoutMs) || batch.one_way_ns.empty()) break;
      out.insert(out.end(), batch.one_way_ns.begin(), batch.one_way_ns.end());
    }
  }
  return out;
}

void run_reference(benchmark::State& state, Mechanism m, const Pair& pair) {
  if (interrupted(state)) return;
  auto channel = make_channel(m);
  PingPong pp(*channel, pingpong_options(pair, 0));
  double median = 0;
  {
    RawSides sides(pp, pair);
    median = measure(state, pp, 0);
  }
  add_perf_anchor(state, m, pair);
  if (median > 0) store_reference_median(reference_key(m, pair), median);
}

void run_backend(benchmark::State& state, const BackendConfig& config, Mechanism m,
                 const Pair& pair, bool quick) {
  if (interrupted(state)) return;
  // KEVENT has no raw counterpart: its reference is the raw futex it must be built on.
  const Mechanism ref_mech = m == Mechanism::kevent ? Mechanism::futex : m;
  const std::string key = reference_key(ref_mech, pair);
  const int count = quick ? 64 : 256;
  const auto calibrate = [=] { return raw_samples(ref_mech, pair, count); };
  const double ref_median = reference_median(key, calibrate);
  const std::int64_t delay = slowdown_ns(key, calibrate);

  Runtime runtime(config.runtime_options());
  on_host_thread([&] {
    RuntimeScope scope(runtime);
    auto channel = make_channel(m);
    PingPong pp(*channel, pingpong_options(pair, delay));
    SystemSides sides(pp, pair);
    if (!sides.error().empty()) {
      state.SkipWithError(sides.error().c_str());
      return;
    }
    measure(state, pp, ref_median);
  });
  add_perf_anchor(state, m, pair);
  if (delay > 0) state.counters["injected_ns"] = static_cast<double>(delay);
}

std::vector<Pair> placement_pairs(const Plan& plan, Registration& reg) {
  std::vector<Pair> pairs;
  for (const PlacementPair& p : Topology::host().placements()) {
    const std::string name = tpb::to_string(p.placement);
    if (!plan.wants_placement(name)) continue;
    if (!p.available) {
      reg.skipped.push_back({fmt::format("ctxswitch/*/placement:{}", name), p.skipped_reason});
      continue;
    }
    pairs.push_back({name, p.cpu_a, p.cpu_b});
  }
  return pairs;
}

std::vector<int> pinned_cpus(const Pair& pair) {
  if (pair.a == pair.b) return {pair.a};
  return {pair.a, pair.b};
}

}  // namespace

// The raw futex wake one way between two CPUs, for other experiments' targets.
std::vector<double> futex_wake_samples(int cpu_a, int cpu_b, int count) {
  return raw_samples(Mechanism::futex, Pair{"", cpu_a, cpu_b}, count);
}

void register_ctxswitch(const Plan& plan, Registration& reg) {
  const std::vector<Pair> pairs = placement_pairs(plan, reg);
  // Preset (no explicit placement list), sized for a one-minute default run: every mechanism on
  // one CPU, where the contract's own cost is largest and perf is the anchor; across CPUs the
  // contract's KEVENT and the raw futex it rests on, with the raw futex and pipe references.
  const bool all = !plan.selection.placements.empty();
  const auto wanted = [&](const Pair& pair, Mechanism m, bool reference) {
    if (all || pair.placement == "same_cpu") return true;
    if (reference) return m == Mechanism::futex || m == Mechanism::pipe;
    return m == Mechanism::kevent || m == Mechanism::futex;
  };

  for (const Pair& pair : pairs)
    for (Mechanism m : {Mechanism::futex, Mechanism::condvar, Mechanism::pipe}) {
      if (!wanted(pair, m, true)) continue;
      add_benchmark(
          reg,
          fmt::format("ctxswitch/pingpong/backend:reference/placement:{}/mechanism:{}",
                      pair.placement, to_string(m)),
          [m, pair](benchmark::State& state) { run_reference(state, m, pair); }, pinned_cpus(pair));
    }

  for (const BackendConfig& config : plan.backends)
    for (const Pair& pair : pairs)
      for (Mechanism m :
           {Mechanism::kevent, Mechanism::futex, Mechanism::condvar, Mechanism::pipe}) {
        if (!wanted(pair, m, false)) continue;
        const bool quick = plan.quick;
        add_benchmark(
            reg,
            fmt::format("ctxswitch/pingpong/{}/placement:{}/mechanism:{}", config.segments,
                        pair.placement, to_string(m)),
            [config, m, pair, quick](benchmark::State& state) {
              run_backend(state, config, m, pair, quick);
            },
            pinned_cpus(pair));
      }
}

}  // namespace tpb::bench::detail
