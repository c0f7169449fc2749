// tbb: oneTBB task_arenas per NUMA node and priority class; a system thread is an enqueued task.
//
// oneTBB does the scheduling; this adapter only picks an arena, bounds what it admits, and keeps
// host priority and affinity where the arena's class wants them.
//
// What it guarantees
// - Two arenas per NUMA node (bound to it with task_arena::constraints on machines with more than
//   one node, when oneTBB's tbbbind is available, and not in AddressSanitizer builds: oneTBB 2021.8
//   loads tbbbind with RTLD_DEEPBIND, which ASan aborts on): `variable`, whose workers run at
//   SCHED_OTHER nice 0, and `realtime` (task_arena::priority::high), whose tasks run at
//   SCHED_FIFO 1, the lowest real-time level (KPRIORITY 16). A task_scheduler_observer keeps
//   workers at SCHED_OTHER nice 0 as they enter and leave an arena; a realtime task raises its
//   worker to the class level for exactly its own duration, because oneTBB lets workers linger
//   (spin) in an arena after its work is done and no idle worker may hold an RT priority
//   (Capabilities::Priority::arena_level: the launch's own level inside its class is not applied).
//   A launch with apply_priority and a SCHED_FIFO priority goes to `realtime`, every other to
//   `variable`. Without the right to use SCHED_FIFO the realtime workers stay at SCHED_OTHER.
// - Placement is NUMA-level only (Capabilities::affinity is false): Launch::cpus, else home_cpu,
//   else the caller's CPU, chooses the node; the task runs on any CPU of that node.
// - After each system thread the worker is put back to SCHED_OTHER nice 0 and its node's CPUs:
//   the runtime may change a worker's priority or affinity by tid while the system thread runs.
//
// Settings (BackendOptions key): `capacity`, system threads admitted per CPU on average (default
// kDefaultCapacityPerCpu; 0 counts as 1).
//
// The per-CPU limit, and why it is large
// - System threads block for long (they wait on events), and a blocked task holds its oneTBB
//   worker. Each arena therefore gets max_concurrency = node CPUs x `capacity`, no
//   slot reserved for external threads, and the backend raises oneTBB's worker limit
//   (global_control::max_allowed_parallelism) to all CPUs x `capacity` + 1, so every
//   admitted system thread has a worker of its own and blocked ones cannot starve the others.
// - Admission: at most node CPUs x `capacity` live system threads per NUMA node, both
//   classes together (an atomic count against that limit). Past it launch() fails at once with
//   no_resources rather than queueing behind blocked tasks. The bound is per node, not per CPU
//   (Capabilities::per_cpu_limit is false): on average `capacity` per CPU, but all of
//   a node's threads may run on one of its CPUs. A smaller max_allowed_parallelism set elsewhere
//   in the process (the smallest active value wins) scales the limits down to the workers there
//   are.
//
// Limits
// - Stacks are oneTBB's worker stacks (global_control::thread_stack_size); a launch asking for a
//   larger stack gets no_resources. Launch::name is not applied (workers keep oneTBB's names).
// - A realtime worker that runs out of work idles inside oneTBB (a bounded spin, then it leaves the
//   arena and is restored) at SCHED_FIFO 1; RT throttling bounds what that can take from
//   SCHED_OTHER.
//
// Thread-safety: launch() may be called from any thread. Destruction waits for tasks that are
// finishing their epilogue; precondition: no system thread is running and no launch() is in
// progress.
#pragma once

#include <memory>

#include <tpb/backend.hpp>

namespace tpb {

Capabilities tbb_capabilities();
std::unique_ptr<ThreadBackend> make_tbb_backend(const BackendOptions& options,
                                                const Topology& topology);

}  // namespace tpb
