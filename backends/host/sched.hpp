// host/sched.hpp - thread ids, scheduling policy and nice by Linux tid (0: the calling thread),
// and the default stack size. Functions returning int give 0 or an errno value.
#pragma once

#include <pthread.h>

#include <chrono>
#include <cstddef>
#include <optional>

#include <tpb/backend.hpp>

namespace tpb::host {

// The calling thread's Linux tid (gettid).
long current_tid();
// Waits, yielding the CPU, until thread `tid` of this process has left the host: the kernel has
// released it (tgkill(getpid(), tid, 0) answers ESRCH), after its stack was given back and its
// exit work done. True when it has (or never existed), false when `timeout` passed first.
bool wait_thread_gone(long tid, std::chrono::nanoseconds timeout);
// The stack size a thread created with default attributes gets (RLIMIT_STACK, glibc's default).
std::size_t default_thread_stack_size();
// On Linux, a nice value belongs to one thread, not to the process.
int set_thread_nice(long tid, int nice);
// Sets policy and level (and nice, for SCHED_OTHER) of a running thread, given as its pthread_t
// and Linux tid. The policy goes through pthread_setschedparam so glibc's cached copy (which
// PTHREAD_PRIO_PROTECT mutexes and pthread_getschedparam read) stays true.
int apply_host_priority(pthread_t thread, long tid, const HostPriority& priority);
// The same for the calling thread.
int apply_own_priority(const HostPriority& priority);
// apply_own_priority, but only what differs from what the calling thread has now: one read
// (sched_getattr, about 0.15 us here) instead of a policy change that costs the kernel a dequeue
// and requeue (about 1.3 us here) when nothing changes. For launch paths, where a new or reused
// thread usually has the priority already.
int ensure_own_priority(const HostPriority& priority);
// The scheduling a thread created now by the calling thread starts with (it inherits its
// creator's policy, level and nice; SCHED_RESET_ON_FORK turns SCHED_FIFO into SCHED_OTHER and lifts
// a negative nice to 0); nullopt for a class HostPriority does not name (SCHED_RR, SCHED_BATCH,
// ...) or when the host would not say. One sched_getattr (about 0.15 us here).
std::optional<HostPriority> priority_a_new_thread_inherits();
// Reads the policy and level of thread `tid`.
int read_host_priority(long tid, HostPriority& out);

}  // namespace tpb::host
