// The three-thread priority-inversion experiment (priority_inversion.cpp), shared by its two
// kinds of cases: the backends' (threads through PsCreateSystemThread, priorities through
// KeSetPriorityThread: priority_inversion_contract.cpp) and the raw-OS reference (pthread_create
// with explicit SCHED_FIFO attributes: priority_inversion_reference.cpp). Only how the four role
// threads are created and put at their priorities differs; the role bodies, the run loop, the
// safety rules and the verdicts are the experiment's. Registration:
// priority_inversion_register.cpp.
//
// Units: ns. Thread-safety: a Group is shared by its four role threads and the controlling thread,
// which sequence it with its semaphores only.
#pragma once

#include <pthread.h>
#include <semaphore.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <systhread/wdm.h>

#include "common.hpp"

namespace tpb::bench::detail::inversion {

enum class Protocol { none, inherit, ceiling };
const char* to_string(Protocol p);  // the benchmark name's protocol segment
inline constexpr Protocol kProtocols[] = {Protocol::none, Protocol::inherit, Protocol::ceiling};

enum Role { kController = 0, kLow = 1, kMedium = 2, kHigh = 3, kRoles = 4 };
// Each role's KPRIORITY. Its host priority is always the contract's map of it (host_priority_for),
// whoever creates the thread.
inline constexpr KPRIORITY kRolePriority[kRoles] = {28, 16, 20, 24};
inline constexpr const char* kRoleName[kRoles] = {"controller", "low", "medium", "high"};

// C (low's critical section) and S (medium's spin), wall clock, and runs per repetition.
struct Params {
  std::int64_t critical_ns;
  std::int64_t spin_ns;
  int runs;
};
Params params_for(bool quick);

class ThreadStarter;

struct Group {
  pthread_mutex_t lock{};
  sem_t go[kRoles]{};
  sem_t ready{}, low_locked{}, done{}, run_done{};
  std::atomic<bool> quit{false};
  const std::atomic<bool>* abort = nullptr;
  RtWatchdog* watchdog = nullptr;
  ThreadStarter* starter = nullptr;
  Params params{};
  int lock_error = 0;            // from low's pthread_mutex_lock, when it failed
  std::int64_t release_ns = 0;   // controller: high released
  std::int64_t acquired_ns = 0;  // high: lock acquired
  bool aborted_spin = false;
  // Per role, filled as it starts: what the host applied (kernel's view, and glibc's cache).
  int policy[kRoles]{};
  int host_priority[kRoles]{};
  int cpu[kRoles]{};
  int glibc_policy[kRoles]{};
};

// The body of every role thread, whoever created it: watched by the group's watchdog, put at its
// priority by the starter, records what the host applied, reports ready, then plays its role each
// run until the group quits.
void role_main(Group& g, Role role);

// How a case gets its four role threads; every thread it starts runs role_main and nothing else.
class ThreadStarter {
 public:
  virtual ~ThreadStarter() = default;
  // Runs `experiment` where threads pinned to `cpu` can be started (a backend's runtime, say),
  // and returns after it.
  virtual void within(int cpu, const std::function<void()>& experiment) = 0;
  // Starts `role`'s thread pinned to `cpu`. Returns an error text, or "" when it started.
  virtual std::string start(Group& g, Role role, int cpu) = 0;
  // On the role's own thread, before it reports ready: put it at its role's priority.
  virtual void raise_self(Role role) = 0;
  // On the role's own thread, as it leaves role_main.
  virtual void lower_self() = 0;
  // Why the roles may not run at their host priority or CPU, as the starter knows it, for the
  // label ("backend capabilities: ...; "); "" when it knows nothing more.
  virtual std::string explain() const = 0;
  // After the group quit: waits up to 5 s per thread. Error naming the first that did not end.
  virtual std::string join_all() = 0;
};
std::unique_ptr<ThreadStarter> contract_threads(const BackendConfig& config);
std::unique_ptr<ThreadStarter> raw_threads();

struct GroupResult {
  std::vector<double> waits;  // high's wait per clean or disturbed run
  int bounded = 0, unbounded = 0, disturbed = 0;
  bool priorities_applied = true;  // every role at its host priority, all on one CPU
  std::string label;               // why not, when not
  std::string error;               // the case failed (nothing of it is a measurement)
};

// One group, under the safety rules of priority_inversion.cpp: before each run asks `next_run`
// (false ends the group), after it hands high's wait to `on_wait`. The caller has checked that
// SCHED_FIFO may be used. `case_name` names the case in the run's RT-leftover facts.
GroupResult run_group(ThreadStarter& starter, const std::string& case_name, Protocol protocol,
                      const Params& params, const std::function<bool()>& next_run,
                      const std::function<void(double)>& on_wait);

// Puts a finished group on the benchmark: latency counters (vs_ref against
// `reference_median_ns` when > 0), the verdict counters and the label; or the error.
void report_group(benchmark::State& state, const GroupResult& result, const Params& params,
                  double reference_median_ns);

}  // namespace tpb::bench::detail::inversion
