// inversion: does a backend keep a high-priority system thread's wait bounded by a critical
// section, whatever a medium-priority thread does?
//
// The deterministic three-thread group of rt-tests' pi_stress, on one CPU. Four threads, all
// pinned to the same CPU, run at real-time KPRIORITY: low 16, medium 20, high 24, and a controller
// 28 above them all (SCHED_FIFO 1, 21, 41, 61 by the contract's map). A backend's case creates
// them through PsCreateSystemThread and they raise themselves with KeSetPriorityThread
// (priority_inversion_contract.cpp); the raw-OS reference creates them with pthread_create at
// those SCHED_FIFO priorities by explicit attributes (priority_inversion_reference.cpp). This file
// is what both share: the role bodies, the run loop, the safety rules and the verdicts.
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
#include "priority_inversion.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <optional>
#include <system_error>

namespace tpb::bench::detail::inversion {

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

// Runs per repetition: the CLI repeats each benchmark (5 times by default, 3 quick), so a default
// run makes 20 runs per case; 100 of 100 takes --repetitions 25. Quick keeps S = 10 C at half the
// scale.
Params params_for(bool quick) {
  if (quick) return {1'000'000, 10'000'000, 5};
  return {2'000'000, 20'000'000, 4};
}

namespace {

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

// After every role reported ready: did the host run each at its role's host priority, all on
// `cpu`? When not, the label says what was seen and why, as far as the starter knows.
void check_roles(const Group& g, int cpu, GroupResult& result) {
  std::string seen;
  bool applied = true, one_cpu = true;
  for (int r = 0; r < kRoles; ++r) {
    const HostPriority want = host_priority_for(kRolePriority[r]);
    if (g.policy[r] != SCHED_FIFO || g.host_priority[r] != want.rt_priority) applied = false;
    if (g.cpu[r] != cpu) one_cpu = false;
    seen += fmt::format("{}{} {}:{} on CPU {}", r == 0 ? "" : ", ", kRoleName[r],
                        g.policy[r] == SCHED_FIFO ? "fifo" : "other", g.host_priority[r], g.cpu[r]);
  }
  result.priorities_applied = applied && one_cpu;
  if (result.priorities_applied) return;
  result.label = fmt::format(
      "{}{}({}threads saw {}): the verdict shows the backend, not the protocol",
      applied ? "" : "host priorities not applied ",
      one_cpu ? "" : fmt::format("not all on CPU {} ", cpu), g.starter->explain(), seen);
}

// low's lock failed: the error, with the likely cause.
std::string lock_failure(const Group& g, Protocol protocol, const GroupResult& result) {
  std::string why;
  if (!result.priorities_applied)
    why = " (it does not run SCHED_FIFO: " + result.label + ")";
  else if (g.glibc_policy[kLow] != g.policy[kLow])
    why = fmt::format(
        " (the kernel runs it SCHED_FIFO {} but glibc's cached policy differs: its "
        "scheduling was changed by tid, and glibc computes the ceiling from its cache)",
        g.host_priority[kLow]);
  return fmt::format("low could not take the {} mutex: {}{}", to_string(protocol),
                     std::generic_category().message(g.lock_error), why);
}

// The runs of a started, checked group, until `next_run` says stop or a run fails.
void measure_runs(Group& g, RtWatchdog& watchdog, const Params& params, Protocol protocol,
                  const std::function<bool()>& next_run, const std::function<void(double)>& on_wait,
                  GroupResult& result) {
  const std::int64_t run_ns = params.critical_ns + params.spin_ns;
  const std::int64_t budget = 4 * run_ns + 250'000'000;
  const std::int64_t breathe = run_ns / 4 + 1'000'000;
  while (next_run()) {
    g.acquired_ns = g.release_ns = 0;
    watchdog.kick(std::chrono::nanoseconds(budget));
    sem_post(&g.go[kController]);
    const bool finished = timed_wait(&g.run_done, budget + 1'000'000'000);
    watchdog.disarm();
    if (!finished || watchdog.fired() || g.aborted_spin) {
      result.error = "watchdog: a run overran its bound; the group was aborted and demoted";
      return;
    }
    if (g.lock_error != 0) {
      result.error = lock_failure(g, protocol, result);
      return;
    }
    const auto wait = static_cast<double>(g.acquired_ns - g.release_ns);
    result.waits.push_back(wait);
    on_wait(wait);
    if (wait > static_cast<double>(run_ns + 10'000'000)) {
      ++result.disturbed;
    } else if (wait <= static_cast<double>(params.critical_ns) * 1.5) {
      ++result.bounded;
    } else if (wait >= static_cast<double>(params.spin_ns) * 0.9) {
      ++result.unbounded;
    }
    // Let the CPU idle: RT throttling would otherwise land in the next run.
    sleep_ns(breathe);
  }
}

}  // namespace

void role_main(Group& g, Role role) {
  g.watchdog->watch(gettid_now());
  g.starter->raise_self(role);
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
  g.starter->lower_self();
}

GroupResult run_group(ThreadStarter& starter, const std::string& case_name, Protocol protocol,
                      const Params& params, const std::function<bool()>& next_run,
                      const std::function<void(double)>& on_wait) {
  GroupResult result;
  clear_rt_leftovers(case_name);
  const std::vector<int> cpus = allowed_cpus();
  const int cpu = cpus.back();

  Group g;
  g.params = params;
  g.starter = &starter;
  result.error = init_mutex(&g.lock, protocol);
  if (!result.error.empty()) return result;
  for (auto& s : g.go) sem_init(&s, 0, 0);
  for (sem_t* s : {&g.ready, &g.low_locked, &g.done, &g.run_done}) sem_init(s, 0, 0);
  {
    RtWatchdog watchdog(cpu);
    g.watchdog = &watchdog;
    g.abort = &watchdog.aborted();
    starter.within(cpu, [&] {
      // The controlling thread and the watchdog stay off the experiment's CPU when there is
      // another.
      std::optional<PinGuard> pin;
      if (cpus.size() > 1) pin.emplace(std::vector<int>(cpus.begin(), cpus.end() - 1));
      int created = 0;
      for (; created < kRoles; ++created) {
        result.error = starter.start(g, static_cast<Role>(created), cpu);
        if (!result.error.empty()) break;
      }
      int ready = 0;
      while (result.error.empty() && ready < created && timed_wait(&g.ready, 5'000'000'000))
        ++ready;
      if (result.error.empty() && ready < created)
        result.error = "the group did not start within 5 s";
      if (result.error.empty()) check_roles(g, cpu, result);
      if (result.error.empty())
        measure_runs(g, watchdog, params, protocol, next_run, on_wait, result);
      // Every exit path ends here: release the group and wait for it.
      g.quit.store(true);
      for (auto& s : g.go) sem_post(&s);
      if (std::string late = starter.join_all(); !late.empty() && result.error.empty())
        result.error = late;
    });
  }
  const auto left = demote_leftover_rt_threads();
  if (!left.empty() && result.error.empty()) result.error = describe_leftovers(left);
  pthread_mutex_destroy(&g.lock);
  for (auto& s : g.go) sem_destroy(&s);
  for (sem_t* s : {&g.ready, &g.low_locked, &g.done, &g.run_done}) sem_destroy(s);
  return result;
}

void report_group(benchmark::State& state, const GroupResult& result, const Params& params,
                  double reference_median_ns) {
  if (!result.error.empty()) {
    state.SkipWithError(result.error.c_str());
    return;
  }
  if (result.waits.empty()) return;
  const Summary s = summarize(result.waits);
  report_latency(state, s, reference_median_ns);
  const int clean = static_cast<int>(result.waits.size()) - result.disturbed;
  state.counters["high_wait_p50_ns"] = s.p50;
  state.counters["critical_section_ns"] = static_cast<double>(params.critical_ns);
  state.counters["medium_spin_ns"] = static_cast<double>(params.spin_ns);
  state.counters["bounded"] = clean > 0 ? static_cast<double>(result.bounded) / clean : 0;
  state.counters["unbounded"] = clean > 0 ? static_cast<double>(result.unbounded) / clean : 0;
  state.counters["disturbed"] = result.disturbed;
  state.counters["priority_applied"] = result.priorities_applied ? 1 : 0;
  const std::string verdict =
      result.bounded == clean     ? fmt::format("bounded {}/{}", result.bounded, clean)
      : result.unbounded == clean ? fmt::format("unbounded {}/{}", result.unbounded, clean)
                                  : fmt::format("mixed: bounded {}, unbounded {} of {}",
                                                result.bounded, result.unbounded, clean);
  state.SetLabel(result.label.empty() ? verdict : verdict + "; " + result.label);
}

}  // namespace tpb::bench::detail::inversion
