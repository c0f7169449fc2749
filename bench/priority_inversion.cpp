// inversion: does a backend keep a high-priority system thread's wait bounded by a critical
// section, whatever a medium-priority thread does?
//
// The deterministic three-thread group of rt-tests' pi_stress, on one CPU. Four system threads are
// created through PsCreateSystemThread in a runtime whose placement pins every thread to the same
// CPU, and raise themselves with KeSetPriorityThread to real-time KPRIORITY: low 16, medium 20,
// high 24, and a controller 28 above them all (SCHED_FIFO 1, 21, 41, 61 by the contract's map).
// Each run, the controller releases low, which takes the lock and holds it for C (wall clock,
// default 2 ms); once low holds it the controller (preempting low) releases high and medium and
// blocks. High runs first and blocks on the lock; medium, above low, spins for S >> C (default
// 20 ms). The lock protocol decides what happens next: with PTHREAD_PRIO_NONE medium starves low,
// and high waits about S (unbounded); with PTHREAD_PRIO_INHERIT low runs at high's priority and
// high waits at most C (bounded); with PTHREAD_PRIO_PROTECT (ceiling = high's host priority) low
// runs above medium from the moment it locks. High's wait is timed from the controller's release to
// high acquiring the lock. Threads are sequenced with semaphores only: glibc condition variables
// are not priority-inheritance aware and would add inversions of their own.
// Safety (docs/design.md 5): all four threads are pinned; every spin ends at a wall-clock deadline
// or on the watchdog's abort flag; a SCHED_FIFO watchdog on another CPU, kicked each run, aborts
// and demotes the group when a run overruns; between runs the CPU idles for a quarter of a run,
// well inside sched_rt_runtime_us; after the case no SCHED_FIFO thread may be left (checked). A run
// whose wait exceeds S + C + 10 ms is marked disturbed (RT throttling or a host hiccup).
#include <fmt/format.h>
#include <pthread.h>
#include <semaphore.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include <systhread/wdm.h>

#include "common.hpp"

namespace tpb::bench::detail {
namespace {

enum class Protocol { none, inherit, ceiling };
const char* to_string(Protocol p) {
  switch (p) {
    case Protocol::none:
      return "none";
    case Protocol::inherit:
      return "inherit";
    case Protocol::ceiling:
      return "ceiling";
  }
  return "?";
}

enum Role { kController = 0, kLow = 1, kMedium = 2, kHigh = 3, kRoles = 4 };
constexpr KPRIORITY kRolePriority[kRoles] = {28, 16, 20, 24};
constexpr const char* kRoleName[kRoles] = {"controller", "low", "medium", "high"};

struct Params {
  std::int64_t critical_ns;
  std::int64_t spin_ns;
  int runs;
};

// Runs per repetition: the CLI repeats each benchmark (5 times by default, 3 quick), so a default
// run makes 20 runs per case; 100 of 100 takes --repetitions 25. Quick keeps S = 10 C at half the
// scale.
Params params_for(bool quick) {
  if (quick) return {1'000'000, 10'000'000, 5};
  return {2'000'000, 20'000'000, 4};
}

struct Group {
  pthread_mutex_t lock{};
  sem_t go[kRoles]{};
  sem_t ready{}, low_locked{}, done{}, run_done{};
  std::atomic<bool> quit{false};
  const std::atomic<bool>* abort = nullptr;
  RtWatchdog* watchdog = nullptr;
  Params params{};
  int lock_error = 0;            // from low's pthread_mutex_lock, when it failed
  std::int64_t release_ns = 0;   // controller: high released
  std::int64_t acquired_ns = 0;  // high: lock acquired
  bool aborted_spin = false;
  // Per role, filled at start: what the host applied.
  PKTHREAD thread[kRoles]{};
  int policy[kRoles]{};
  int host_priority[kRoles]{};
  int cpu[kRoles]{};
  int glibc_policy[kRoles]{};
};

struct RoleContext {
  Group* group;
  Role role;
};

void controller_run(Group& g) {
  sem_post(&g.go[kLow]);
  sem_wait(&g.low_locked);
  g.release_ns = now_ns();
  sem_post(&g.go[kHigh]);
  sem_post(&g.go[kMedium]);
  for (int i = 0; i < 3; ++i) sem_wait(&g.done);
  sem_post(&g.run_done);
}

void low_run(Group& g) {
  const int rc = pthread_mutex_lock(&g.lock);
  const std::int64_t locked = now_ns();
  if (rc != 0) g.lock_error = rc;
  sem_post(&g.low_locked);
  if (!spin_until(locked + g.params.critical_ns, g.abort)) g.aborted_spin = true;
  if (rc == 0) pthread_mutex_unlock(&g.lock);
  sem_post(&g.done);
}

void medium_run(Group& g) {
  if (!spin_until(now_ns() + g.params.spin_ns, g.abort)) g.aborted_spin = true;
  sem_post(&g.done);
}

void high_run(Group& g) {
  const int rc = pthread_mutex_lock(&g.lock);
  g.acquired_ns = now_ns();
  if (rc == 0) pthread_mutex_unlock(&g.lock);
  sem_post(&g.done);
}

void role_routine(PVOID raw) {
  auto* ctx = static_cast<RoleContext*>(raw);
  Group& g = *ctx->group;
  const Role role = ctx->role;
  g.thread[role] = KeGetCurrentThread();
  g.watchdog->watch(gettid_now());
  KeSetPriorityThread(KeGetCurrentThread(), kRolePriority[role]);
  // The kernel's view, by syscall: glibc's pthread_getschedparam answers from a cache that a
  // priority change by tid (sched_setscheduler from another thread) does not update.
  sched_param param{};
  g.policy[role] = (sched_getscheduler(0) & ~SCHED_RESET_ON_FORK);
  sched_getparam(0, &param);
  g.host_priority[role] = param.sched_priority;
  sched_param cached{};
  pthread_getschedparam(pthread_self(), &g.glibc_policy[role], &cached);
  g.cpu[role] = current_cpu();
  sem_post(&g.ready);
  for (;;) {
    sem_wait(&g.go[role]);
    if (g.quit.load()) break;
    switch (role) {
      case kController:
        controller_run(g);
        break;
      case kLow:
        low_run(g);
        break;
      case kMedium:
        medium_run(g);
        break;
      case kHigh:
        high_run(g);
        break;
      default:
        break;
    }
  }
  // Pool workers outlive the system thread: leave them as they were.
  KeSetPriorityThread(KeGetCurrentThread(), 8);
}

bool timed_wait(sem_t* sem, std::int64_t timeout_ns) {
  timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  const std::int64_t total = deadline.tv_nsec + timeout_ns % 1'000'000'000;
  deadline.tv_sec += static_cast<time_t>(timeout_ns / 1'000'000'000 + total / 1'000'000'000);
  deadline.tv_nsec = static_cast<long>(total % 1'000'000'000);
  while (sem_timedwait(sem, &deadline) != 0)
    if (errno != EINTR) return false;
  return true;
}

std::string init_mutex(pthread_mutex_t* m, Protocol protocol) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  int rc = 0;
  switch (protocol) {
    case Protocol::none:
      rc = pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_NONE);
      break;
    case Protocol::inherit:
      rc = pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
      break;
    case Protocol::ceiling:
      rc = pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_PROTECT);
      if (rc == 0)
        rc = pthread_mutexattr_setprioceiling(&attr,
                                              host_priority_for(kRolePriority[kHigh]).rt_priority);
      break;
  }
  if (rc == 0) rc = pthread_mutex_init(m, &attr);
  pthread_mutexattr_destroy(&attr);
  return rc == 0 ? std::string()
                 : fmt::format("mutex protocol {}: {}", to_string(protocol),
                               std::generic_category().message(rc));
}

void run_inversion(benchmark::State& state, const BackendConfig& config, Protocol protocol,
                   const Params& params) {
  if (interrupted(state)) return;
  if (auto why = rt_unavailable_reason(kRolePriority[kController])) {
    state.SkipWithError(why->c_str());
    return;
  }
  clear_rt_leftovers(
      fmt::format("inversion/three_thread/{}/protocol:{}", config.segments, to_string(protocol)));
  const std::vector<int> cpus = allowed_cpus();
  const int cpu = cpus.back();

  Group g;
  g.params = params;
  if (std::string error = init_mutex(&g.lock, protocol); !error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto& s : g.go) sem_init(&s, 0, 0);
  for (sem_t* s : {&g.ready, &g.low_locked, &g.done, &g.run_done}) sem_init(s, 0, 0);

  std::vector<double> waits;
  int bounded = 0, unbounded = 0, disturbed = 0;
  std::string error, label;
  bool priorities_applied = true;
  {
    RtWatchdog watchdog(cpu);
    g.watchdog = &watchdog;
    g.abort = &watchdog.aborted();
    RuntimeOptions options = config.runtime_options();
    options.placement(ThreadPlacement::on_cpu(cpu));
    Runtime runtime(options);
    on_host_thread([&] {
      // The controlling thread and the watchdog stay off the experiment's CPU when there is
      // another.
      std::optional<PinGuard> pin;
      if (cpus.size() > 1) pin.emplace(std::vector<int>(cpus.begin(), cpus.end() - 1));
      RuntimeScope scope(runtime);
      RoleContext contexts[kRoles];
      HANDLE handles[kRoles]{};
      int created = 0;
      for (; created < kRoles; ++created) {
        contexts[created] = {&g, static_cast<Role>(created)};
        const NTSTATUS st =
            PsCreateSystemThread(&handles[created], THREAD_ALL_ACCESS, nullptr, nullptr, nullptr,
                                 &role_routine, &contexts[created]);
        if (!NT_SUCCESS(st)) {
          error = fmt::format("PsCreateSystemThread ({}) returned 0x{:08X}", kRoleName[created],
                              static_cast<unsigned>(st));
          break;
        }
      }
      int ready = 0;
      while (error.empty() && ready < created && timed_wait(&g.ready, 5'000'000'000)) ++ready;
      if (error.empty() && ready < created) error = "the group did not start within 5 s";

      if (error.empty()) {
        std::string seen;
        bool one_cpu = true;
        for (int r = 0; r < kRoles; ++r) {
          const HostPriority want = host_priority_for(kRolePriority[r]);
          if (g.policy[r] != SCHED_FIFO || g.host_priority[r] != want.rt_priority)
            priorities_applied = false;
          if (g.cpu[r] != cpu) one_cpu = false;
          seen += fmt::format("{}{} {}:{} on CPU {}", r == 0 ? "" : ", ", kRoleName[r],
                              g.policy[r] == SCHED_FIFO ? "fifo" : "other", g.host_priority[r],
                              g.cpu[r]);
        }
        const Capabilities caps = runtime.capabilities();
        if (!priorities_applied || !one_cpu) {
          const HostPriorityState hs = runtime.host_priority(g.thread[kHigh]);
          label = fmt::format(
              "{}{}(backend capabilities: priority {}, affinity {}; runtime says high {} -> {}; "
              "threads saw {}): the verdict shows the backend, not the protocol",
              priorities_applied ? "" : "host priorities not applied ",
              one_cpu ? "" : fmt::format("not all on CPU {} ", cpu), tpb::to_string(caps.priority),
              caps.affinity, tpb::to_string(hs.outcome), tpb::to_string(hs.effective), seen);
          priorities_applied = priorities_applied && one_cpu;
        }
      }

      const std::int64_t run_ns = params.critical_ns + params.spin_ns;
      const std::int64_t budget = 4 * run_ns + 250'000'000;
      const std::int64_t breathe = run_ns / 4 + 1'000'000;
      if (error.empty()) {
        for (auto _ : state) {
          if (interrupted(state)) break;
          g.acquired_ns = g.release_ns = 0;
          watchdog.kick(std::chrono::nanoseconds(budget));
          sem_post(&g.go[kController]);
          const bool finished = timed_wait(&g.run_done, budget + 1'000'000'000);
          watchdog.disarm();
          if (!finished || watchdog.fired() || g.aborted_spin) {
            error = "watchdog: a run overran its bound; the group was aborted and demoted";
            break;
          }
          if (g.lock_error != 0) {
            std::string why;
            if (!priorities_applied)
              why = " (it does not run SCHED_FIFO: " + label + ")";
            else if (g.glibc_policy[kLow] != g.policy[kLow])
              why = fmt::format(
                  " (the kernel runs it SCHED_FIFO {} but glibc's cached policy differs: its "
                  "scheduling was changed by tid, and glibc computes the ceiling from its cache)",
                  g.host_priority[kLow]);
            error = fmt::format("low could not take the {} mutex: {}{}", to_string(protocol),
                                std::generic_category().message(g.lock_error), why);
            break;
          }
          const auto wait = static_cast<double>(g.acquired_ns - g.release_ns);
          waits.push_back(wait);
          state.SetIterationTime(wait * 1e-9);
          if (wait > static_cast<double>(run_ns + 10'000'000)) {
            ++disturbed;
          } else if (wait <= static_cast<double>(params.critical_ns) * 1.5) {
            ++bounded;
          } else if (wait >= static_cast<double>(params.spin_ns) * 0.9) {
            ++unbounded;
          }
          // Let the CPU idle: RT throttling would otherwise land in the next run.
          sleep_ns(breathe);
        }
      }
      // Every exit path ends here: release the group and wait for it.
      g.quit.store(true);
      for (auto& s : g.go) sem_post(&s);
      LARGE_INTEGER timeout;
      timeout.QuadPart = -50'000'000;
      for (int r = 0; r < created; ++r) {
        if (ZwWaitForSingleObject(handles[r], FALSE, &timeout) == STATUS_TIMEOUT && error.empty())
          error = fmt::format("the {} thread did not end within 5 s", kRoleName[r]);
        ZwClose(handles[r]);
      }
    });
  }
  const auto left = demote_leftover_rt_threads();
  if (!left.empty() && error.empty()) error = describe_leftovers(left);
  pthread_mutex_destroy(&g.lock);
  for (auto& s : g.go) sem_destroy(&s);
  for (sem_t* s : {&g.ready, &g.low_locked, &g.done, &g.run_done}) sem_destroy(s);

  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  if (waits.empty()) return;
  const Summary s = summarize(waits);
  report_latency(state, s, 0);
  const int clean = static_cast<int>(waits.size()) - disturbed;
  state.counters["high_wait_p50_ns"] = s.p50;
  state.counters["critical_section_ns"] = static_cast<double>(params.critical_ns);
  state.counters["medium_spin_ns"] = static_cast<double>(params.spin_ns);
  state.counters["bounded"] = clean > 0 ? static_cast<double>(bounded) / clean : 0;
  state.counters["unbounded"] = clean > 0 ? static_cast<double>(unbounded) / clean : 0;
  state.counters["disturbed"] = disturbed;
  state.counters["priority_applied"] = priorities_applied ? 1 : 0;
  const std::string verdict =
      bounded == clean ? fmt::format("bounded {}/{}", bounded, clean)
      : unbounded == clean
          ? fmt::format("unbounded {}/{}", unbounded, clean)
          : fmt::format("mixed: bounded {}, unbounded {} of {}", bounded, unbounded, clean);
  state.SetLabel(label.empty() ? verdict : verdict + "; " + label);
}

}  // namespace

void register_inversion(const Plan& plan, Registration& reg) {
  const Params params = params_for(plan.quick);
  update_facts([&params](RunFacts& facts) {
    facts.bench.inversion = report::InversionParameters{params.critical_ns,
                                                        params.spin_ns,
                                                        params.runs,
                                                        {{"controller", kRolePriority[kController]},
                                                         {"high", kRolePriority[kHigh]},
                                                         {"medium", kRolePriority[kMedium]},
                                                         {"low", kRolePriority[kLow]}}};
  });
  if (!plan.wants_placement("same_cpu")) {
    reg.skipped.push_back({"inversion", "runs on one CPU only (placement same_cpu not selected)"});
    return;
  }
  const auto rt_refused = rt_unavailable_reason(kRolePriority[kController]);
  for (const BackendConfig& config : plan.backends)
    for (Protocol protocol : {Protocol::none, Protocol::inherit, Protocol::ceiling}) {
      const std::string name =
          fmt::format("inversion/three_thread/{}/placement:same_cpu/protocol:{}", config.segments,
                      to_string(protocol));
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
      add_benchmark(reg, name,
                    [config, protocol, params](benchmark::State& state) {
                      run_inversion(state, config, protocol, params);
                    },
                    {allowed_cpus().back()})
          ->Iterations(params.runs);
    }
}

}  // namespace tpb::bench::detail
