// tpb/runtime.hpp - building contract runtimes explicitly, and reading what they did.
//
// A Runtime is one emulated kernel: its own handle table, system process, drivers, adapters and
// backend. The DDI routines of <systhread/wdm.h> act on the calling thread's runtime: the one that
// created the calling system thread, else the innermost RuntimeScope on this thread, else the
// process default runtime (Runtime::default_runtime()).
//
// Options are a value type with chained setters, in the shape of oneTBB's
// task_arena::constraints: every field has an "automatic" default.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <systhread/wdm.h>
#include <tpb/backend.hpp>

namespace tpb {

namespace detail {
class RuntimeState;
}

// What to do with a priority the process may not apply on the host.
enum class PriorityPolicy {
  best_effort,  // apply the nearest priority the process may use, and record it
  strict,       // fail: STATUS_PRIVILEGE_NOT_HELD, no thread created
};

// Where new system threads go.
struct ThreadPlacement {
  enum class Kind { inherit, spread, cpu };
  Kind kind = Kind::inherit;
  int cpu = -1;  // Linux CPU number, for Kind::cpu
  static ThreadPlacement inherit() { return {}; }
  // Round-robin over the allowed CPUs in hwloc order, each thread pinned to one.
  static ThreadPlacement spread() { return {Kind::spread, -1}; }
  // Every thread pinned to this CPU.
  static ThreadPlacement on_cpu(int cpu) { return {Kind::cpu, cpu}; }
};

class RuntimeOptions {
 public:
  // Backend registry name; empty: SYSTHREAD_BACKEND, else "pthread".
  RuntimeOptions& backend(std::string name) {
    backend_ = std::move(name);
    return *this;
  }
  RuntimeOptions& backend_options(BackendOptions o) {
    backend_options_ = std::move(o);
    return *this;
  }
  RuntimeOptions& priority_policy(PriorityPolicy p) {
    priority_policy_ = p;
    return *this;
  }
  RuntimeOptions& placement(ThreadPlacement p) {
    placement_ = p;
    return *this;
  }
  // Live system threads per CPU (Ps/Io); 0: unlimited.
  RuntimeOptions& per_cpu_limit(unsigned n) {
    per_cpu_limit_ = n;
    return *this;
  }
  // Live threads per StorPort adapter; 0: the logical processor count.
  RuntimeOptions& adapter_thread_limit(unsigned n) {
    adapter_thread_limit_ = n;
    return *this;
  }
  RuntimeOptions& system_process_base_priority(KPRIORITY p) {
    process_base_ = p;
    return *this;
  }
  // KPRIORITY of new threads, 0..31 (0 is stored as 1, as KeSetPriorityThread does).
  RuntimeOptions& initial_thread_priority(KPRIORITY p) {
    initial_priority_ = p;
    return *this;
  }
  // Softer misuse reports (docs/contracts.md 6); default: SYSTHREAD_VERIFIER=1.
  RuntimeOptions& verifier(bool on) {
    verifier_ = on ? 1 : 0;
    return *this;
  }
  // How long destruction waits for live system threads before reporting and abandoning them.
  RuntimeOptions& shutdown_timeout(std::chrono::milliseconds t) {
    shutdown_timeout_ = t;
    return *this;
  }
  RuntimeOptions& stack_size(std::size_t bytes) {
    stack_size_ = bytes;
    return *this;
  }

  const std::string& backend() const { return backend_; }
  const BackendOptions& backend_options() const { return backend_options_; }
  PriorityPolicy priority_policy() const { return priority_policy_; }
  ThreadPlacement placement() const { return placement_; }
  unsigned per_cpu_limit() const { return per_cpu_limit_; }
  unsigned adapter_thread_limit() const { return adapter_thread_limit_; }
  KPRIORITY system_process_base_priority() const { return process_base_; }
  KPRIORITY initial_thread_priority() const { return initial_priority_; }
  int verifier() const { return verifier_; }  // -1: from the environment
  std::chrono::milliseconds shutdown_timeout() const { return shutdown_timeout_; }
  std::size_t stack_size() const { return stack_size_; }

 private:
  std::string backend_;
  BackendOptions backend_options_;
  PriorityPolicy priority_policy_ = PriorityPolicy::best_effort;
  ThreadPlacement placement_;
  unsigned per_cpu_limit_ = 0;
  unsigned adapter_thread_limit_ = 0;
  KPRIORITY process_base_ = 8;
  KPRIORITY initial_priority_ = 8;
  int verifier_ = -1;
  std::chrono::milliseconds shutdown_timeout_{2000};
  std::size_t stack_size_ = 0;
};

// The host scheduling a KPRIORITY maps to (docs/contracts.md 6): 1..15 SCHED_OTHER with
// nice 19..-10 (8 is nice 0), 16..31 SCHED_FIFO 1..76. The one table; reported in every run's
// context.
HostPriority host_priority_for(KPRIORITY priority);

// What this process may apply on the host, probed once.
struct HostSchedulingRights {
  bool rt_permitted = false;  // SCHED_FIFO could be set
  int max_rt_priority = 0;    // highest SCHED_FIFO priority allowed (0: none)
  int min_nice = 0;           // lowest (most favourable) nice value allowed
  std::string detail;         // why, in words
};
const HostSchedulingRights& host_scheduling_rights();

// What a thread asked for and what the host got.
struct HostPriorityState {
  // applied: the host runs the thread at `requested`. nearest: best-effort policy applied the
  // closest level the process may use. arena_level: the backend applies one level per priority
  // class. unsupported: the backend applies none. pending: not started yet.
  enum class Outcome { applied, nearest, arena_level, unsupported, pending };
  KPRIORITY priority = 0;  // what the contract holds
  HostPriority requested;  // host_priority_for(priority)
  HostPriority effective;  // what was applied (== requested when applied)
  Outcome outcome = Outcome::pending;
};
const char* to_string(HostPriorityState::Outcome o);

struct RuntimeStats {
  std::uint64_t live_objects = 0;  // thread, process, driver, device and adapter objects
  std::uint64_t open_handles = 0;
  std::uint64_t live_threads = 0;  // started and not yet ended
  std::uint64_t threads_created = 0;
};

class Runtime {
 public:
  explicit Runtime(RuntimeOptions options = {});
  // Waits up to options().shutdown_timeout() for live system threads; those still running are
  // reported on stderr by name and id and the runtime's state is abandoned (kept alive) for them.
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // The process default runtime, created on first use.
  static Runtime& default_runtime();

  const RuntimeOptions& options() const;
  std::string_view backend_name() const;
  Capabilities capabilities() const;
  RuntimeStats stats() const;
  // Host priority state of a thread object of this runtime (any thread, ended ones included).
  HostPriorityState host_priority(PKTHREAD thread) const;
  // Host (Linux) tid that ran / runs the thread; 0 before it started.
  long host_tid(PKTHREAD thread) const;
  // Every verifier report so far, oldest first (also written to stderr).
  std::vector<std::string> verifier_reports() const;
  // Waits until no system thread of this runtime is alive and, where the backend starts a host
  // thread per system thread (not Capabilities::reuses_host_threads), until the host threads of
  // the most recent 64 ended ones have left the host, so that their exit work cannot run inside
  // what the caller measures next; false on timeout.
  bool wait_idle(std::chrono::milliseconds timeout) const;

  detail::RuntimeState& state() const { return *state_; }

 private:
  friend class RuntimeScope;
  explicit Runtime(std::shared_ptr<detail::RuntimeState> state);
  std::shared_ptr<detail::RuntimeState> state_;
};

// Routes this thread's DDI calls to `runtime` while alive. Scopes nest; not movable.
class RuntimeScope {
 public:
  explicit RuntimeScope(Runtime& runtime);
  ~RuntimeScope();
  RuntimeScope(const RuntimeScope&) = delete;
  RuntimeScope& operator=(const RuntimeScope&) = delete;

 private:
  detail::RuntimeState* previous_;
};

}  // namespace tpb
