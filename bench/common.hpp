// Shared helpers of the experiments (internal to tpb_bench): clocks and bounded spins, latency
// distributions, per-thread context-switch counters, CPU pinning, the RT watchdog, the backend
// configurations a selection expands to, reference medians, and the run's context.
//
// Thread-safety: update_facts, the reference medians and RtWatchdog are thread-safe; the rest are
// owned by one thread unless a member says otherwise.
//
// Test hook: TPB_TEST_WATCHDOG_BUDGET_NS=N (N > 0, nanoseconds) caps every RtWatchdog budget at N,
// so a test can force a real-time case to overrun its bound and drive the watchdog's abort path
// (abort flag, demotion, the case's error). Read once, here only; unset, budgets are the
// experiments' own.
#pragma once

#include <benchmark/benchmark.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <tpb/backend.hpp>
#include <tpb/bench.hpp>
#include <tpb/runtime.hpp>

#include "host/cpus.hpp"
#include "host/sched.hpp"

namespace tpb::bench::detail {

// ---- time --------------------------------------------------------------------------------------
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}
// Busy-waits `ns` (the injected slowdown). Never blocks, never longer than asked.
void spin_for_ns(std::int64_t ns);
// Busy-waits until `deadline_ns` or until *abort is set; returns false when aborted.
bool spin_until(std::int64_t deadline_ns, const std::atomic<bool>* abort);
void sleep_ns(std::int64_t ns);

// ---- latency distributions ---------------------------------------------------------------------
struct Summary {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  std::size_t samples = 0;
};
Summary summarize(std::vector<double> samples_ns);

// Sets p50_ns p90_ns p99_ns max_ns mean_ns samples, and vs_ref when reference_median_ns > 0.
void report_latency(benchmark::State& state, const Summary& s, double reference_median_ns);

// ---- context switches and migrations -----------------------------------------------------------
// Per-thread software counters: PERF_COUNT_SW_CONTEXT_SWITCHES and PERF_COUNT_SW_CPU_MIGRATIONS
// of thread `tid` (0: the calling thread); read() may be called from any thread. Without
// perf_event_open, falls back to getrusage (RUSAGE_THREAD: ru_nvcsw + ru_nivcsw, no migrations),
// which reads the calling thread only. Counting is not free: an open software event adds about
// 0.4 us to every context switch here, so experiments count in batches they do not time.
class SwitchCounters {
 public:
  struct Reading {
    double context_switches = 0;
    double migrations = 0;
  };
  explicit SwitchCounters(long tid = 0);
  ~SwitchCounters();
  SwitchCounters(const SwitchCounters&) = delete;
  SwitchCounters& operator=(const SwitchCounters&) = delete;
  bool perf() const { return ctx_fd_ >= 0; }
  // With perf: any thread. Fallback: the owning thread only.
  Reading read() const;

 private:
  int ctx_fd_ = -1;
  int mig_fd_ = -1;
};

// ---- CPUs
// ----------------------------------------------------------------------------------------
// The host's affinity primitives, under the names the experiments use.
using host::allowed_cpus;
using host::current_cpu;
using host::PinGuard;
// A KAFFINITY mask of one CPU, or 0 when it does not fit group 0.
std::uint64_t cpu_mask(int cpu);

// ---- real-time safety --------------------------------------------------------------------------
// docs/design.md 5: a thread at a higher SCHED_FIFO priority on another CPU. Each kick() sets a new
// deadline; when a deadline passes without a kick (or disarm), it sets aborted(), and demotes every
// watched thread to SCHED_OTHER so a runaway spin cannot hold the CPU. Destruction stops it. A
// budget is capped by TPB_TEST_WATCHDOG_BUDGET_NS when set (see the top of this file).
class RtWatchdog {
 public:
  // `avoid_cpu`: the CPU the experiment uses; the watchdog runs elsewhere when it can.
  explicit RtWatchdog(int avoid_cpu);
  ~RtWatchdog();
  RtWatchdog(const RtWatchdog&) = delete;
  RtWatchdog& operator=(const RtWatchdog&) = delete;
  void kick(std::chrono::nanoseconds budget);
  void disarm();
  void watch(long tid);  // thread-safe
  const std::atomic<bool>& aborted() const { return aborted_; }
  bool fired() const { return aborted_.load(); }
  bool running_rt() const { return rt_; }

 private:
  void run();
  void demote_all();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::int64_t deadline_ns_ = 0;  // 0: disarmed
  bool stop_ = false;
  bool rt_ = false;
  std::vector<long> tids_;
  std::atomic<bool> aborted_{false};
  std::thread thread_;
};
inline long gettid_now() {
  return host::current_tid();
}
// Threads of this process still SCHED_FIFO/SCHED_RR (other than the caller). Demotes them and
// returns their tids: leaving one behind is a bug the caller reports.
std::vector<long> demote_leftover_rt_threads();
// "2 SCHED_FIFO thread(s) left behind after the case (demoted): 123 'name', ...".
std::string describe_leftovers(const std::vector<long>& tids);
// Before an RT case: demotes RT threads an earlier case left (a backend's idle workers, say) so the
// case's own check blames only itself, and records them in the run's facts (rt_leftovers).
void clear_rt_leftovers(const std::string& before_case);

// ---- backends -----------------------------------------------------------------------------------
// One registry row, or one variant of it.
struct BackendConfig {
  std::string backend;   // registry name
  std::string segments;  // "backend:pool/wake:spin"
  BackendOptions options;
  Capabilities capabilities;
  RuntimeOptions runtime_options() const;  // backend + backend options, best-effort priorities
};
struct Plan {
  Selection selection;
  std::vector<BackendConfig> backends;  // selected, table order
  bool quick = false;
  bool wants_placement(const std::string& placement) const;
  bool wants_priority(int priority) const;
};

// Registers `fn` under `name` with manual time, and records it with the CPUs its threads are
// pinned to (empty: unpinned).
benchmark::internal::Benchmark* add_benchmark(Registration& reg, const std::string& name,
                                              std::function<void(benchmark::State&)> fn,
                                              std::vector<int> cpus = {});

// Runs `fn` on a fresh host thread and waits for it. A host thread that calls the DDI gets a
// foreign thread object in that runtime, released only when the host thread ends; running the
// DDI side of a benchmark on a thread that ends before its Runtime is destroyed keeps that
// object from outliving its runtime (and the benchmark thread's own state clean). `fn` may use
// the benchmark::State: the calling thread only waits meanwhile.
void on_host_thread(const std::function<void()>& fn);

// Sets `target` and `target_met` where the issue states a target for `name` (targets.cpp).
void apply_targets(const std::string& name, benchmark::State& state);

// True (after SkipWithError("interrupted")) when the run was asked to stop.
bool interrupted(benchmark::State& state);

// Why an RT priority cannot be used here, or nullopt when it can.
std::optional<std::string> rt_unavailable_reason(int kpriority);

// ---- reference medians and the slowdown ---------------------------------------------------------
// Medians of reference benchmarks, by key ("creation/start_latency/same_cpu/8"). A reference
// benchmark stores its median when it finishes; a backend benchmark that needs one before it ran
// (filtered out, or run in another order) calibrates it with `calibrate`.
double reference_median(const std::string& key,
                        const std::function<std::vector<double>()>& calibrate);
void store_reference_median(const std::string& key, double median_ns);
// The busy delay to add to each create or wake of a backend: inject_slowdown_pct of the reference
// median (0 when no slowdown was asked). Recorded in the run's facts.
std::int64_t slowdown_ns(const std::string& key,
                         const std::function<std::vector<double>()>& calibrate);
void set_slowdown_pct(double pct);

// ---- the run's facts ----------------------------------------------------------------------------
// Changes the facts run_facts() returns, under their lock. `change` must not block. Thread-safe.
void update_facts(const std::function<void(RunFacts&)>& change);

// ---- experiments (one file each) ----------------------------------------------------------------
void register_creation(const Plan& plan, Registration& reg);
void register_ctxswitch(const Plan& plan, Registration& reg);
void register_c2c(const Plan& plan, Registration& reg);
void register_inversion(const Plan& plan, Registration& reg);

}  // namespace tpb::bench::detail
