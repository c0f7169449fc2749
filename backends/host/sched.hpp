// host/sched.hpp - thread ids, scheduling policy and nice by Linux tid (0: the calling thread),
// and the default stack size. Functions returning int give 0 or an errno value.
#pragma once

#include <pthread.h>

#include <cstddef>

#include <tpb/backend.hpp>

namespace tpb::host {

// The calling thread's Linux tid (gettid).
long current_tid();
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
// Reads the policy and level of thread `tid`.
int read_host_priority(long tid, HostPriority& out);

}  // namespace tpb::host
