// The raw-OS references' thread attributes: what a plain pthread_create needs to start a thread on
// a given CPU at the host priority the contract's map gives a KPRIORITY (host_priority_for), so a
// reference and a backend's system thread run at the same placement and priority.
#pragma once

#include <pthread.h>

#include <optional>

namespace tpb::bench::detail {

// Initializes `attr` (the caller destroys it): pinned to `cpu` (none when negative); for a
// real-time KPRIORITY, SCHED_FIFO at its host priority by explicit attributes
// (PTHREAD_EXPLICIT_SCHED). Nice is per thread on Linux and no attribute carries it: returns the
// nice value the new thread must set itself (as the pthread backend does, so both pay the same),
// or nullopt when it has none to set.
std::optional<int> init_raw_attr(pthread_attr_t& attr, int cpu, int kpriority);

}  // namespace tpb::bench::detail
