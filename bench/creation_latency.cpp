// creation: what it costs to get a system thread running, per backend, against raw pthread_create.
//
// start_latency times the creator's clock read just before PsCreateSystemThread to the first
// instruction of the start routine (a steady_clock read stored in the context); round_trip times
// create + the routine returning + ZwWaitForSingleObject on the handle + ZwClose, the whole life of
// a short thread as a driver sees it. burst creates N threads back to back and waits for all of
// them; its per-thread cost against N shows whether creation serialises. ddi runs start_latency
// through PsCreateSystemThread, IoCreateSystemThread (on a loaded driver) and
// StorPortCreateSystemThread (on an adapter) over one backend, so the contract layer's own cost is
// the difference between the rows. The reference (backend:reference) is the raw primitive at the
// same placement and host priority: pthread_create to first instruction, pthread_create + join;
// round_trip also has a wait:signal reference (see raw_signal_sample).
// Placements: inherit (creator pinned to its first allowed CPU, runtime placement inherit: the
// new thread inherits the creator's placement), same_cpu (creator and new
// thread on one CPU: the runtime's on_cpu placement), other_cpu (creator pinned to the first
// allowed CPU, new thread on the second). Each sample is one thread; an iteration is one sample,
// timed manually. Real-time priorities (16, 24) run pinned or briefly: the start routine returns at
// once, so no thread can spin; leftover RT threads are still checked and demoted after each case.
#include <fmt/format.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <numeric>
#include <optional>

#include <systhread/harness.h>
#include <systhread/storport.h>
#include <systhread/wdm.h>
#include <tpb/topology.hpp>

#include "common.hpp"
#include "host/futex.hpp"
#include "host/sched.hpp"
#include "raw_thread_attr.hpp"

namespace tpb::bench::detail {

// The futex wake reference of context_switch.cpp, for the pool's park target.
std::vector<double> futex_wake_samples(int cpu_a, int cpu_b, int count);
std::string futex_wake_key(int cpu_a, int cpu_b);

namespace {

enum class Case { start_latency, round_trip };
enum class Ddi { ps, io, storport };

const char* to_string(Case c) {
  return c == Case::start_latency ? "start_latency" : "round_trip";
}
const char* to_string(Ddi d) {
  switch (d) {
    case Ddi::ps:
      return "PsCreateSystemThread";
    case Ddi::io:
      return "IoCreateSystemThread";
    case Ddi::storport:
      return "StorPortCreateSystemThread";
  }
  return "?";
}

struct Where {
  std::string name;
  int creator = -1;  // -1: unpinned
  int target = -1;   // -1: inherit
  std::string skipped;
};

int first_allowed_cpu() {
  const std::vector<int> cpus = allowed_cpus();
  return cpus.empty() ? -1 : cpus.front();
}

// inherit, same_cpu and other_cpu as the topology plans them on the CPUs the process may use.
std::vector<Where> creation_placements() {
  std::vector<Where> out;
  for (const PlannedPlacement& p : Topology::host().plan()) {
    if (p.name != "inherit" && p.name != "same_cpu" && p.name != "other_cpu") continue;
    if (!p.available)
      out.push_back({p.name, -1, -1, p.skipped_reason});
    else if (p.name == "inherit")
      // Unpinned, the new thread started on the creator's CPU or on another, run by run in
      // changing shares, so a run's median jumped between the two modes (2x apart here). The
      // creator is pinned to the first CPU it may use, and the thread inherits that placement.
      out.push_back({p.name, first_allowed_cpu(), -1, {}});
    else
      out.push_back({p.name, p.cpus.front(), p.cpus.back(), {}});
  }
  return out;
}

// The CPUs a case's threads are pinned to: the creator's and the new thread's.
std::vector<int> pinned_cpus(const Where& where) {
  std::vector<int> cpus;
  if (where.creator >= 0) cpus.push_back(where.creator);
  if (where.target >= 0 && where.target != where.creator) cpus.push_back(where.target);
  return cpus;
}

ThreadPlacement runtime_placement(const Where& where) {
  return where.target < 0 ? ThreadPlacement::inherit() : ThreadPlacement::on_cpu(where.target);
}

int samples_for_calibration(bool quick) {
  return quick ? 50 : 200;
}

// ---- the reference: raw pthread_create
// -----------------------------------------------------------
struct RawProbe {
  std::atomic<std::int64_t> first{0};
  std::atomic<int> cpu{-1};  // where the new thread ran its first instruction
  long tid = 0;              // its host tid, as the runtime records a system thread's
  RawSelfPriority self;
};

void* raw_routine(void* raw) {
  auto* probe = static_cast<RawProbe*>(raw);
  // Before the first instruction is timed, as a system thread's routine starts at its priority.
  probe->self.apply();
  probe->first.store(now_ns(), std::memory_order_release);
  probe->cpu.store(current_cpu(), std::memory_order_relaxed);
  probe->tid = host::current_tid();
  return nullptr;
}

// One raw sample in ns (start_latency or round_trip), or a negative errno. `on_creator_cpu`, when
// given, says whether the new thread started on the CPU the creator ran on.
double raw_sample(Case c, const Where& where, int priority, bool* on_creator_cpu = nullptr) {
  pthread_attr_t attr;
  RawProbe probe;
  probe.self = init_raw_start(attr, where.target, priority);
  pthread_t thread;
  const int creator_cpu = current_cpu();
  const std::int64_t t0 = now_ns();
  const int rc = pthread_create(&thread, &attr, &raw_routine, &probe);
  pthread_attr_destroy(&attr);
  if (rc != 0) return -rc;
  pthread_join(thread, nullptr);
  const std::int64_t t1 = now_ns();
  // Untimed, as the backends' samples: join returns before the kernel has finished the thread's
  // exit; the next sample starts once it has.
  host::wait_thread_gone(probe.tid, std::chrono::seconds(5));
  if (on_creator_cpu != nullptr) *on_creator_cpu = probe.cpu.load() == creator_cpu;
  if (c == Case::round_trip) return static_cast<double>(t1 - t0);
  return static_cast<double>(probe.first.load(std::memory_order_acquire) - t0);
}

// The round trip as the contract defines it, with raw pthreads: the thread is detached and signals
// a futex as its last act; the creator waits on that futex, not on the thread's exit. Against
// create + join this shows what signalling a thread's end before its host teardown costs by itself
// (on one CPU the woken creator preempts the ending thread), apart from any runtime.
struct SignalProbe {
  std::atomic<std::uint32_t> done{0};
  long tid = 0;
  RawSelfPriority self;
};

void* signal_routine(void* raw) {
  auto* probe = static_cast<SignalProbe*>(raw);
  probe->self.apply();
  probe->tid = host::current_tid();
  probe->done.store(1, std::memory_order_release);
  host::futex_wake(probe->done, 1);
  return nullptr;
}

double raw_signal_sample(const Where& where, int priority) {
  pthread_attr_t attr;
  SignalProbe probe;
  probe.self = init_raw_start(attr, where.target, priority);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  const std::int64_t t0 = now_ns();
  const int rc = pthread_create(&thread, &attr, &signal_routine, &probe);
  pthread_attr_destroy(&attr);
  if (rc != 0) return -rc;
  while (probe.done.load(std::memory_order_acquire) == 0) host::futex_wait(probe.done, 0u);
  const std::int64_t t1 = now_ns();
  host::wait_thread_gone(probe.tid, std::chrono::seconds(5));  // untimed, as every sample
  return static_cast<double>(t1 - t0);
}

// Bursts in one sample. The runtime's spread placement goes on round-robin from burst to burst,
// so a burst of one thread on two CPUs alternated between starting beside its creator and across:
// two modes about 2x apart whose median jumped between runs. A sample is as many bursts as bring
// the rotation back to where it started (capped, for machines with many CPUs), so every sample
// holds every phase once.
int bursts_per_sample(int n, std::size_t cpus) {
  constexpr int kMaxBursts = 4;
  if (cpus == 0) return 1;
  const auto size = static_cast<int>(cpus);
  return std::min(kMaxBursts, size / std::gcd(n, size));
}

// Raw burst: creating n threads pinned round-robin over the allowed CPUs from `first` on, as the
// runtime's spread placement does, and joining them all. Returns the time in ns, or -1; returns
// once the threads have left the host (untimed), like every creation sample.
double raw_burst_sample(int n, const std::vector<int>& cpus, std::size_t first) {
  std::vector<pthread_t> threads(static_cast<std::size_t>(n));
  std::vector<RawProbe> probes(static_cast<std::size_t>(n));
  std::vector<pthread_attr_t> attrs(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    pthread_attr_init(&attrs[i]);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpus[(first + static_cast<std::size_t>(i)) % cpus.size()], &set);
    pthread_attr_setaffinity_np(&attrs[i], sizeof set, &set);
  }
  const std::int64_t t0 = now_ns();
  int made = 0;
  for (; made < n; ++made)
    if (pthread_create(&threads[made], &attrs[made], &raw_routine, &probes[made]) != 0) break;
  for (int i = 0; i < made; ++i) pthread_join(threads[i], nullptr);
  const std::int64_t t1 = now_ns();
  for (auto& attr : attrs) pthread_attr_destroy(&attr);
  for (int i = 0; i < made; ++i) host::wait_thread_gone(probes[i].tid, std::chrono::seconds(5));
  return made == n ? static_cast<double>(t1 - t0) : -1;
}

// One raw burst sample: per-thread cost over bursts_per_sample bursts; -1 when a creation failed.
// The caller pins the creator (itself) to the first allowed CPU, once, as the contract burst's
// creator is pinned.
double raw_burst_cycle(int n, const std::vector<int>& cpus) {
  const int bursts = bursts_per_sample(n, cpus.size());
  double total = 0;
  for (int b = 0; b < bursts; ++b) {
    const double v = raw_burst_sample(n, cpus, static_cast<std::size_t>(b) * n);
    if (v < 0) return -1;
    total += v;
  }
  return total / (bursts * n);
}

std::string reference_key(Case c, const Where& where, int priority) {
  return fmt::format("creation/{}/{}/{}", to_string(c), where.name, priority);
}

std::function<std::vector<double>()> raw_calibration(Case c, const Where& where, int priority,
                                                     int count) {
  return [=] {
    std::optional<PinGuard> pin;
    if (where.creator >= 0) pin.emplace(where.creator);
    std::vector<double> out;
    for (int i = 0; i < count; ++i) {
      const double v = raw_sample(c, where, priority);
      if (v >= 0) out.push_back(v);
    }
    return out;
  };
}

std::function<std::vector<double>()> raw_burst_calibration(int n, int count) {
  return [=] {
    const std::vector<int> cpus = allowed_cpus();
    if (cpus.empty()) return std::vector<double>{};
    PinGuard pin(cpus.front());
    std::vector<double> out;
    for (int i = 0; i < count; ++i) {
      const double v = raw_burst_cycle(n, cpus);
      if (v >= 0) out.push_back(v);
    }
    return out;
  };
}

void finish_rt_case(benchmark::State& state, int priority) {
  if (priority < 16) return;
  const auto left = demote_leftover_rt_threads();
  if (!left.empty() && !state.error_occurred())
    state.SkipWithError(describe_leftovers(left).c_str());
}

void start_rt_case(Case c, const Where& where, int priority, const std::string& backend) {
  if (priority >= 16)
    clear_rt_leftovers(fmt::format("creation/{}/{}/placement:{}/priority:{}", to_string(c), backend,
                                   where.name, priority));
}

// Where the inherit placement's threads started: a backend that does not honour the creator's
// placement shows here, with each mode's median apart, so a backend and its reference are still
// compared mode for mode: on_creator_cpu (share of samples), p50_on_creator_cpu_ns,
// p50_elsewhere_ns.
void report_inherit_modes(benchmark::State& state, const std::vector<double>& samples,
                          const std::vector<char>& on_creator_cpu) {
  if (samples.size() != on_creator_cpu.size() || samples.empty()) return;
  std::vector<double> here, elsewhere;
  for (std::size_t i = 0; i < samples.size(); ++i)
    (on_creator_cpu[i] != 0 ? here : elsewhere).push_back(samples[i]);
  state.counters["on_creator_cpu"] =
      static_cast<double>(here.size()) / static_cast<double>(samples.size());
  if (!here.empty()) state.counters["p50_on_creator_cpu_ns"] = summarize(here).p50;
  if (!elsewhere.empty()) state.counters["p50_elsewhere_ns"] = summarize(elsewhere).p50;
}

// The benchmark loop of a raw reference: one manually timed sample per iteration, the creator
// pinned as the case asks. Stops at the first failed pthread_create (the error is on the state).
template <class Sample>
std::vector<double> time_raw_samples(benchmark::State& state, const Where& where, int priority,
                                     Sample sample, std::vector<char>* on_creator_cpu = nullptr) {
  std::optional<PinGuard> pin;
  if (where.creator >= 0) pin.emplace(where.creator);
  std::vector<double> samples;
  for (auto _ : state) {
    if (interrupted(state)) break;
    bool here = false;
    const double v = sample(&here);
    if (v < 0) {
      state.SkipWithError(fmt::format("pthread_create failed: errno {}", -v).c_str());
      break;
    }
    samples.push_back(v);
    if (on_creator_cpu != nullptr) on_creator_cpu->push_back(here ? 1 : 0);
    state.SetIterationTime(v * 1e-9);
  }
  pin.reset();
  finish_rt_case(state, priority);
  return samples;
}

void run_reference(benchmark::State& state, Case c, const Where& where, int priority) {
  if (interrupted(state)) return;
  if (auto why = rt_unavailable_reason(priority)) {
    state.SkipWithError(why->c_str());
    return;
  }
  start_rt_case(c, where, priority, "backend:reference");
  std::vector<char> landed;
  const std::vector<double> samples = time_raw_samples(
      state, where, priority, [&](bool* here) { return raw_sample(c, where, priority, here); },
      &landed);
  if (samples.empty()) return;
  const Summary s = summarize(samples);
  store_reference_median(reference_key(c, where, priority), s.p50);
  report_latency(state, s, s.p50);
  if (where.target < 0) report_inherit_modes(state, samples, landed);
}

// The signal-wait reference row: vs_ref is against the create + join reference.
void run_signal_reference(benchmark::State& state, const Where& where, int priority, bool quick) {
  if (interrupted(state)) return;
  if (auto why = rt_unavailable_reason(priority)) {
    state.SkipWithError(why->c_str());
    return;
  }
  start_rt_case(Case::round_trip, where, priority, "backend:reference/wait:signal");
  const double join_median = reference_median(
      reference_key(Case::round_trip, where, priority),
      raw_calibration(Case::round_trip, where, priority, samples_for_calibration(quick)));
  const std::vector<double> samples = time_raw_samples(
      state, where, priority, [&](bool*) { return raw_signal_sample(where, priority); });
  if (samples.empty()) return;
  report_latency(state, summarize(samples), join_median);
}

// ---- through the contract
// ------------------------------------------------------------------------
struct Probe {
  std::atomic<std::int64_t> first{0};
  std::atomic<int> cpu{-1};  // where the start routine ran its first instruction
  sem_t* ran = nullptr;      // posted after `first`, when the creator has no handle to wait on
};

void probe_routine(PVOID context) {
  auto* probe = static_cast<Probe*>(context);
  probe->first.store(now_ns(), std::memory_order_release);
  probe->cpu.store(current_cpu(), std::memory_order_relaxed);
  if (probe->ran != nullptr) sem_post(probe->ran);
}

NTSTATUS driver_entry(PDRIVER_OBJECT, PUNICODE_STRING) {
  return STATUS_SUCCESS;
}

std::string status_text(const char* call, long status) {
  return fmt::format("{} returned 0x{:08X}", call, static_cast<std::uint32_t>(status));
}

// The Io and StorPort flavours need an owner object; it lives for one benchmark run.
class DdiOwner {
 public:
  explicit DdiOwner(Ddi ddi) : ddi_(ddi) {
    if (ddi_ == Ddi::io) status_ = SysThreadLoadDriver(&driver_entry, &driver_);
    if (ddi_ == Ddi::storport) status_ = SysThreadCreateAdapter(64, &adapter_);
  }
  ~DdiOwner() {
    if (driver_ != nullptr) SysThreadUnloadDriver(driver_);
    if (adapter_ != nullptr) SysThreadDestroyAdapter(adapter_);
  }
  DdiOwner(const DdiOwner&) = delete;
  DdiOwner& operator=(const DdiOwner&) = delete;
  NTSTATUS status() const { return status_; }

  // Starts probe_routine; on success *handle is a thread handle (NULL for StorPort).
  std::string create(Probe* probe, HANDLE* handle) {
    *handle = nullptr;
    switch (ddi_) {
      case Ddi::ps: {
        const NTSTATUS st = PsCreateSystemThread(handle, THREAD_ALL_ACCESS, nullptr, nullptr,
                                                 nullptr, &probe_routine, probe);
        return NT_SUCCESS(st) ? std::string() : status_text("PsCreateSystemThread", st);
      }
      case Ddi::io: {
        const NTSTATUS st = IoCreateSystemThread(driver_, handle, THREAD_ALL_ACCESS, nullptr,
                                                 nullptr, nullptr, &probe_routine, probe);
        return NT_SUCCESS(st) ? std::string() : status_text("IoCreateSystemThread", st);
      }
      case Ddi::storport: {
        PVOID context = nullptr;
        const ULONG st =
            StorPortCreateSystemThread(adapter_, &probe_routine, probe, nullptr, &context);
        return st == STOR_STATUS_SUCCESS ? std::string()
                                         : status_text("StorPortCreateSystemThread", st);
      }
    }
    return "unknown DDI";
  }

 private:
  Ddi ddi_;
  NTSTATUS status_ = STATUS_SUCCESS;
  PDRIVER_OBJECT driver_ = nullptr;
  PVOID adapter_ = nullptr;
};

constexpr int kBusyRetries = 10000;
constexpr const char* kBusyLabel =
    "creation refused (no resources) right after earlier threads ended; retried: busy_retries";
bool is_busy(const std::string& error) {
  return error.find("0xC000009A") != std::string::npos ||
         error.find("0xC1000001") != std::string::npos;
}

struct ContractCase {
  BackendConfig config;
  Case kind = Case::start_latency;
  Ddi ddi = Ddi::ps;
  Where where;
  int priority = 8;
  bool quick = false;
};

void run_contract(benchmark::State& state, const ContractCase& cc) {
  if (interrupted(state)) return;
  if (auto why = rt_unavailable_reason(cc.priority)) {
    state.SkipWithError(why->c_str());
    return;
  }
  const int calib = samples_for_calibration(cc.quick);
  const std::string ref_key = reference_key(cc.kind, cc.where, cc.priority);
  const auto ref_calibrate = raw_calibration(cc.kind, cc.where, cc.priority, calib);
  const double ref_median = reference_median(ref_key, ref_calibrate);
  const std::int64_t delay = slowdown_ns(ref_key, ref_calibrate);
  // The pool's park target compares creation with a raw futex wake at the same placement.
  double futex_median = 0;
  if (cc.kind == Case::start_latency && cc.where.target >= 0) {
    const int a = cc.where.creator, b = cc.where.target;
    futex_median =
        reference_median(futex_wake_key(a, b), [=] { return futex_wake_samples(a, b, calib); });
  }

  start_rt_case(cc.kind, cc.where, cc.priority, cc.config.segments);
  std::vector<double> samples, calls, paired;
  std::vector<char> landed;  // per sample: started on the creator's CPU
  double retries = 0;
  RuntimeOptions options = cc.config.runtime_options();
  options.placement(runtime_placement(cc.where)).initial_thread_priority(cc.priority);
  Runtime runtime(options);
  on_host_thread([&] {
    std::optional<PinGuard> pin;
    if (cc.where.creator >= 0) pin.emplace(cc.where.creator);
    RuntimeScope scope(runtime);
    DdiOwner owner(cc.ddi);
    sem_t ran;
    sem_init(&ran, 0, 0);
    struct SemGuard {
      sem_t* s;
      ~SemGuard() { sem_destroy(s); }
    } ran_guard{&ran};
    if (!NT_SUCCESS(owner.status())) {
      state.SkipWithError(status_text("creating the driver or adapter", owner.status()).c_str());
      return;
    }
    // The raw reference, one sample beside each of the backend's (before it on every other
    // sample, so neither always follows the other), from the same creator: the kernel's own share
    // drifts during a run (a new thread's setpriority to nice -10 cost 1.0 to 1.5 us in one
    // stretch, 2.2 to 2.4 us in another), so the reference row, measured earlier, compared
    // another kernel state (same_cpu at KPRIORITY 15 read 1.17 to 1.21x against it, 1.08 to 1.10x
    // against the samples taken alongside). Untimed; it ends with its thread gone too.
    // Backends whose workers outlive a system thread are left alone between samples: a raw
    // thread in between would lengthen the gap a worker waits through, and so decide whether the
    // next sample finds it still spinning or parked. They compare with the reference row.
    const bool pair = !runtime.capabilities().reuses_host_threads;
    const auto take_paired = [&] {
      if (!pair) return;
      if (const double raw = raw_sample(cc.kind, cc.where, cc.priority); raw >= 0)
        paired.push_back(raw);
    };
    for (auto _ : state) {
      if (interrupted(state)) break;
      const bool raw_first = samples.size() % 2 == 1;
      if (raw_first) take_paired();
      Probe probe;
      if (cc.ddi == Ddi::storport) probe.ran = &ran;
      HANDLE handle = nullptr;
      const int creator_cpu = current_cpu();
      const std::int64_t t0 = now_ns();
      spin_for_ns(delay);
      std::string error = owner.create(&probe, &handle);
      // A pool can refuse for a moment after a wait: the thread has ended but its worker is not
      // back yet. Retrying inside the sample keeps the cost a driver would see; the count shows it.
      for (int attempt = 0; is_busy(error) && attempt < kBusyRetries; ++attempt) {
        ++retries;
        std::this_thread::yield();
        error = owner.create(&probe, &handle);
      }
      const std::int64_t t_call = now_ns();
      if (!error.empty()) {
        state.SkipWithError(error.c_str());
        break;
      }
      std::int64_t t1 = 0;
      if (handle != nullptr) {
        ZwWaitForSingleObject(handle, FALSE, nullptr);
        ZwClose(handle);
        t1 = now_ns();
      }
      // No handle to wait on: block (a yield loop would hold a shared CPU from the new thread
      // until the next tick).
      if (cc.ddi == Ddi::storport || handle == nullptr) sem_wait(&ran);
      // Untimed: every sample starts with the previous thread gone from the host, as the
      // reference's do after their join; otherwise its exit work would run inside this sample.
      runtime.wait_idle(std::chrono::seconds(5));
      if (!raw_first) take_paired();
      const double sample = cc.kind == Case::round_trip
                                ? static_cast<double>(t1 - t0)
                                : static_cast<double>(probe.first.load() - t0);
      samples.push_back(sample);
      landed.push_back(probe.cpu.load() == creator_cpu ? 1 : 0);
      calls.push_back(static_cast<double>(t_call - t0));
      state.SetIterationTime(sample * 1e-9);
    }
  });
  finish_rt_case(state, cc.priority);
  if (samples.empty()) return;
  const Summary s = summarize(samples);
  double paired_median = 0;
  if (!paired.empty()) {
    paired_median = summarize(paired).p50;
    state.counters["ref_p50_ns"] = paired_median;
  }
  report_latency(state, s, paired_median > 0 ? paired_median : ref_median);
  if (cc.where.target < 0) report_inherit_modes(state, samples, landed);
  state.counters["call_p50_ns"] = summarize(calls).p50;
  if (futex_median > 0) state.counters["vs_futex_wake"] = s.p50 / futex_median;
  if (retries > 0) {
    state.counters["busy_retries"] = retries;
    state.SetLabel(
        "creation refused with STATUS_INSUFFICIENT_RESOURCES right after a thread ended; "
        "retried (busy_retries)");
  }
  if (delay > 0) state.counters["injected_ns"] = static_cast<double>(delay);
}

// ---- bursts
// --------------------------------------------------------------------------------------
void run_reference_burst(benchmark::State& state, int n) {
  if (interrupted(state)) return;
  const std::vector<int> cpus = allowed_cpus();
  if (cpus.empty()) {
    state.SkipWithError("the process may run on no CPU");
    return;
  }
  PinGuard pin(cpus.front());
  const int bursts = bursts_per_sample(n, cpus.size());
  std::vector<double> samples;
  for (auto _ : state) {
    if (interrupted(state)) break;
    const double v = raw_burst_cycle(n, cpus);
    if (v < 0) {
      state.SkipWithError("pthread_create failed in the burst");
      break;
    }
    samples.push_back(v);
    state.SetIterationTime(v * n * bursts * 1e-9);
  }
  if (samples.empty()) return;
  const Summary s = summarize(samples);
  store_reference_median(fmt::format("creation/burst/{}", n), s.p50);
  report_latency(state, s, s.p50);
  state.counters["burst_p50_ns"] = s.p50 * n;
}

void run_contract_burst(benchmark::State& state, const BackendConfig& config, int n, bool quick) {
  if (interrupted(state)) return;
  const std::string key = fmt::format("creation/burst/{}", n);
  const auto calibrate = raw_burst_calibration(n, quick ? 20 : 50);
  const double ref_median = reference_median(key, calibrate);
  const std::int64_t delay = slowdown_ns(key, calibrate);
  std::vector<double> samples;
  double retries = 0;
  RuntimeOptions options = config.runtime_options();
  options.placement(ThreadPlacement::spread());
  Runtime runtime(options);
  const std::vector<int> cpus = allowed_cpus();
  const int bursts = bursts_per_sample(n, cpus.size());
  on_host_thread([&] {
    std::optional<PinGuard> pin;
    if (!cpus.empty()) pin.emplace(cpus.front());  // as the reference's creator
    RuntimeScope scope(runtime);
    std::vector<Probe> probes(static_cast<std::size_t>(n));
    std::vector<HANDLE> handles(static_cast<std::size_t>(n));
    // One burst: its time in ns, or -1 with the failure in `error`. Returns once the threads
    // have left the host (untimed), like every creation sample.
    std::string error;
    const auto one_burst = [&]() -> std::int64_t {
      for (auto& p : probes) p.first.store(0);
      const std::int64_t t0 = now_ns();
      int made = 0;
      NTSTATUS st = STATUS_SUCCESS;
      for (; made < n; ++made) {
        spin_for_ns(delay);
        st = PsCreateSystemThread(&handles[made], THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                  &probe_routine, &probes[made]);
        // As in run_contract: a worker of the previous burst may not be back yet.
        for (int attempt = 0; st == STATUS_INSUFFICIENT_RESOURCES && attempt < kBusyRetries;
             ++attempt) {
          ++retries;
          std::this_thread::yield();
          st = PsCreateSystemThread(&handles[made], THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                    &probe_routine, &probes[made]);
        }
        if (!NT_SUCCESS(st)) break;
      }
      for (int i = 0; i < made; ++i) {
        ZwWaitForSingleObject(handles[i], FALSE, nullptr);
        ZwClose(handles[i]);
      }
      const std::int64_t t1 = now_ns();
      runtime.wait_idle(std::chrono::seconds(5));
      if (made != n) {
        error = fmt::format("thread {} of {}: {}", made + 1, n,
                            status_text("PsCreateSystemThread", st));
        return -1;
      }
      return t1 - t0;
    };
    for (auto _ : state) {
      if (interrupted(state)) break;
      std::int64_t total = 0;
      for (int burst = 0; burst < bursts && error.empty(); ++burst) {
        const std::int64_t elapsed = one_burst();
        if (elapsed >= 0) total += elapsed;
      }
      if (!error.empty()) {
        state.SkipWithError(error.c_str());
        break;
      }
      samples.push_back(static_cast<double>(total) / (bursts * n));
      state.SetIterationTime(static_cast<double>(total) * 1e-9);
    }
  });
  if (samples.empty()) return;
  const Summary s = summarize(samples);
  report_latency(state, s, ref_median);
  state.counters["burst_p50_ns"] = s.p50 * n;
  if (retries > 0) {
    state.counters["busy_retries"] = retries;
    state.SetLabel(kBusyLabel);
  }
}

// Bursts per repetition. A burst of one thread costs tens of microseconds, so 20 of them were a
// median of a handful of preemption-prone samples that moved 40-60% between two quick runs. A
// default run takes 100; quick takes 100 too while a sample creates few threads (every burst size
// on a small machine: n:8 at 20 moved 7-15% between two quick runs on 2 CPUs) and scales down to 20
// where one sample creates hundreds, to stay within the quick budget on large machines.
int burst_iterations(int n, bool quick) {
  constexpr int kIterations = 100;
  constexpr int kQuickThreadsPerRepetition = 800;
  constexpr int kQuickMinIterations = 20;
  if (!quick) return kIterations;
  const int threads_per_sample = n * bursts_per_sample(n, allowed_cpus().size());
  return std::clamp(kQuickThreadsPerRepetition / threads_per_sample, kQuickMinIterations,
                    kIterations);
}

}  // namespace

void register_creation(const Plan& plan, Registration& reg) {
  const std::vector<Where> places = creation_placements();
  std::vector<int> priorities = {8, 15, 16, 24};
  if (plan.quick) priorities = {8, 24};
  if (!plan.selection.priorities.empty()) priorities = plan.selection.priorities;
  // The presets keep a default run within a minute on two CPUs (the CLI runs each benchmark 5 x
  // 0.05 s, about 0.5 s with Google Benchmark's trial runs). An explicit placement or priority
  // list asks for the full cross product of what it names.
  const bool explicit_choice =
      !plan.selection.placements.empty() || !plan.selection.priorities.empty();
  const auto preset_skip = [&](Case c, const Where& w, int prio) {
    if (explicit_choice) return false;
    // create + wait + close is compared with raw create + join, both unpinned.
    if (c == Case::round_trip) return w.name != "inherit" || prio != 8;
    // start_latency at inherit/8 is the ddi:PsCreateSystemThread row.
    if (w.name == "inherit") return true;
    if (w.name == "other_cpu" || plan.quick) return prio != 8 && prio != 24;
    return false;
  };

  struct Item {
    Case kind;
    Where where;
    int priority;
  };
  // A priority this process may not use is not registered: it is skipped, with the reason.
  std::erase_if(priorities, [&](int prio) {
    const auto why = rt_unavailable_reason(prio);
    if (why) reg.skipped.push_back({fmt::format("creation/*/priority:{}", prio), *why});
    return why.has_value();
  });
  std::vector<Item> items;
  for (const Where& w : places)
    if (plan.wants_placement(w.name) && !w.skipped.empty())
      reg.skipped.push_back({fmt::format("creation/*/placement:{}", w.name), w.skipped});
  for (Case c : {Case::start_latency, Case::round_trip})
    for (const Where& w : places) {
      if (!plan.wants_placement(w.name) || !w.skipped.empty()) continue;
      for (int prio : priorities) {
        if (preset_skip(c, w, prio)) continue;
        items.push_back({c, w, prio});
      }
    }

  // The ddi rows are start_latency at inherit/8: their reference runs with the others.
  const bool ddi = plan.wants_placement("inherit") && plan.wants_priority(8);
  std::vector<Item> references = items;
  if (ddi && std::none_of(items.begin(), items.end(), [](const Item& it) {
        return it.kind == Case::start_latency && it.where.name == "inherit" && it.priority == 8;
      }))
    references.push_back({Case::start_latency, places.front(), 8});

  // References first, so their medians are measured before any backend needs them.
  for (const Item& it : references) {
    const std::string name = fmt::format("creation/{}/backend:reference/placement:{}/priority:{}",
                                         to_string(it.kind), it.where.name, it.priority);
    add_benchmark(
        reg, name,
        [it](benchmark::State& state) { run_reference(state, it.kind, it.where, it.priority); },
        pinned_cpus(it.where));
    if (it.kind == Case::round_trip) {
      const bool quick = plan.quick;
      add_benchmark(
          reg,
          fmt::format("creation/round_trip/backend:reference/wait:signal/placement:{}/"
                      "priority:{}",
                      it.where.name, it.priority),
          [it, quick](benchmark::State& state) {
            run_signal_reference(state, it.where, it.priority, quick);
          },
          pinned_cpus(it.where));
    }
  }
  const int max_n =
      static_cast<int>(kDefaultCapacityPerCpu) * static_cast<int>(allowed_cpus().size());
  std::vector<int> sizes;
  for (int n = 1; n < max_n; n *= 2) sizes.push_back(n);
  sizes.push_back(max_n);
  if (plan.quick) sizes = {1, max_n};
  const bool burst_placement = plan.wants_placement("spread");
  std::vector<int> spread_cpus;
  for (const PlannedPlacement& p : Topology::host().plan())
    if (p.name == "spread") spread_cpus = p.cpus;
  if (burst_placement)
    for (int n : sizes)
      add_benchmark(
          reg, fmt::format("creation/burst/backend:reference/placement:spread/n:{}", n),
          [n](benchmark::State& state) { run_reference_burst(state, n); }, spread_cpus)
          ->Iterations(burst_iterations(n, plan.quick));

  for (const BackendConfig& config : plan.backends) {
    for (const Item& it : items) {
      const std::string name =
          fmt::format("creation/{}/{}/placement:{}/priority:{}", to_string(it.kind),
                      config.segments, it.where.name, it.priority);
      ContractCase cc{config, it.kind, Ddi::ps, it.where, it.priority, plan.quick};
      add_benchmark(
          reg, name, [cc](benchmark::State& state) { run_contract(state, cc); },
          pinned_cpus(it.where));
    }
    if (burst_placement)
      for (int n : sizes) {
        const bool quick = plan.quick;
        add_benchmark(
            reg, fmt::format("creation/burst/{}/placement:spread/n:{}", config.segments, n),
            [config, n, quick](benchmark::State& state) {
              run_contract_burst(state, config, n, quick);
            },
            spread_cpus)
            ->Iterations(burst_iterations(n, quick));
      }
    if (ddi)
      for (Ddi flavour : {Ddi::ps, Ddi::io, Ddi::storport}) {
        const std::string name = fmt::format("creation/ddi/{}/ddi:{}/placement:inherit/priority:8",
                                             config.segments, to_string(flavour));
        ContractCase cc{config, Case::start_latency, flavour, places.front(), 8, plan.quick};
        add_benchmark(
            reg, name, [cc](benchmark::State& state) { run_contract(state, cc); },
            pinned_cpus(cc.where));
      }
  }
}

}  // namespace tpb::bench::detail
