// pool: pre-spawned workers pinned per CPU; a system thread borrows an idle worker.
//
// What it guarantees
// - Workers are created up front, in the constructor: `capacity` of them for each CPU
//   of the topology (hwloc order), each pinned to its CPU and at SCHED_OTHER from its pthread
//   attributes, nice 0. launch() creates no OS thread while an idle worker exists.
// - launch() hands the trampoline to an idle worker of the group of `Launch::home_cpu` (when it is
//   -1 or not in the topology: of the CPU the caller runs on). Claiming the worker is one CAS,
//   publishing the job one atomic exchange, and a parked worker costs one futex wake. That path
//   takes no lock and allocates nothing.
// - No idle worker in that group: by default (`max` 0) the launch borrows an idle worker of
//   another group, then one started earlier past the constructor's, then has the spawner start a
//   new one; Ps/Io creation has no per-CPU limit unless one is configured (docs/contracts.md 6).
//   LaunchStatus::no_resources only when the host refuses a thread. With `max` n > 0 the pool
//   starts n workers per CPU, uses the home group only and answers no_resources past it: live
//   system threads per CPU group never exceed n.
// - While a worker runs a system thread it runs on `Launch::cpus` (empty: the creator's CPUs, read
//   in launch() with one sched_getaffinity; a creator pinned to the worker's own CPU costs the
//   worker no syscall), at `Launch::priority` when `apply_priority`, under `Launch::name`. Before
//   it takes the next one it goes back to its own CPU, SCHED_OTHER nice 0 and its own name,
//   unconditionally: the runtime may have changed the worker's priority or affinity by tid while
//   the system thread ran.
// - Wake strategies (PoolOptions::wake): `park`, the idle worker sleeps on a futex word at
//   once; `spin`, it polls its word for `spin` first, then parks. A worker spins only after
//   restoring its own SCHED_OTHER priority, and never longer than `spin`: a SCHED_FIFO
//   spinner could starve its CPU.
// - The trampoline must return (the runtime catches PsTerminateSystemThread's unwinding), so a
//   worker outlives every system thread it runs and host tids repeat.
//
// Limits
// - A worker is free again only after its trampoline has returned and it has restored itself (a
//   few syscalls, microseconds). A system thread's end is visible to waiters from inside the
//   trampoline, so a launch right after joining the last thread a full group had may still get
//   no_resources; callers that need the slot back retry briefly.
// - Workers have the default pthread stack size; a launch asking for a larger stack gets
//   no_resources.
// - A worker that cannot restore its own priority or affinity (lowering nice back to 0 needs
//   CAP_SYS_NICE or RLIMIT_NICE) retires: it exits, and the spawner starts a new host thread in its
//   slot, so no later system thread inherits a foreign priority and the pool never loses
//   capacity. New workers inherit their creator's nice value (no attribute carries it), so only
//   the constructor and the spawner, a pool thread that never runs system threads, create them.
//
// Thread-safety: launch() may be called from any thread, system threads included. Destruction
// stops and joins every worker; precondition: no system thread is running and no launch() is in
// progress. The constructor throws std::system_error when a worker cannot be created.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include <tpb/backend.hpp>

namespace tpb {

// The pool's settings, read from BackendOptions by these keys:
//   wake      "park" | "spin" (default park); the registry's variants set it
//   spin_us   microseconds an idle worker polls before it parks, with wake=spin (default 50)
//   capacity  workers started per CPU (default kDefaultCapacityPerCpu; 0 counts as 1)
//   max       0 (default): no limit, the pool borrows and grows; n > 0: at most n live system
//             threads per CPU group, n workers per CPU, no borrowing
struct PoolOptions {
  enum class Wake { park, spin };
  Wake wake = Wake::park;
  std::chrono::nanoseconds spin{std::chrono::microseconds(50)};
  unsigned capacity_per_cpu = kDefaultCapacityPerCpu;
  unsigned max_per_cpu = 0;  // 0: unlimited
  // Throws std::invalid_argument, naming the key, for a value it cannot read.
  static PoolOptions from(const BackendOptions& options);
};

Capabilities pool_capabilities();
std::unique_ptr<ThreadBackend> make_pool_backend(const BackendOptions& options,
                                                 const Topology& topology);
// The registry's variants: {"wake", "park"} and {"wake", "spin"}.
std::vector<BackendVariant> pool_variants();

}  // namespace tpb
