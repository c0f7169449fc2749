// The raw-OS references' thread attributes: what a plain pthread_create needs to start a thread on
// a given CPU at the host priority the contract's map gives a KPRIORITY (host_priority_for), so a
// reference and a backend's system thread run at the same placement and priority.
#pragma once

#include <pthread.h>

#include <optional>

namespace tpb::bench::detail {

// What a raw reference thread applies to itself first thing, before its first timed instruction.
struct RawSelfPriority {
  bool set_nice = false;  // nice is per thread on Linux and no attribute carries it
  int nice = 0;
  bool raise = false;  // SCHED_FIFO at `rt_priority`, from inside (pthread_setschedparam)
  int rt_priority = 0;
  void apply() const;
};

// Initializes `attr` (the caller destroys it): pinned to `cpu` (none when negative); for a
// real-time KPRIORITY, SCHED_FIFO at its host priority by explicit attributes
// (PTHREAD_EXPLICIT_SCHED), so the thread never runs below it (the inversion reference needs that).
// Returns the nice value the new thread must set itself (as the pthread backend does, so both pay
// the same), or nullopt when it has none to set.
std::optional<int> init_raw_attr(pthread_attr_t& attr, int cpu, int kpriority);

// The cheapest raw start at that placement and priority, as the creation references time it: an
// explicit policy costs glibc a stopped start (the creator applies it before the thread may run),
// so SCHED_FIFO goes in the attributes only when an affinity stops the thread anyway; otherwise
// the thread raises itself first thing, as the pthread backend does. Returns what the thread
// applies to itself.
RawSelfPriority init_raw_start(pthread_attr_t& attr, int cpu, int kpriority);

}  // namespace tpb::bench::detail
