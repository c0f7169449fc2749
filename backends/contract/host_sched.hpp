// Host scheduling primitives shared by the runtime and the backends: CPU sets, per-thread nice,
// policy and affinity by Linux tid (0 = the calling thread). Each returns 0 or an errno value.
#pragma once

#include <pthread.h>
#include <sched.h>
#include <sys/types.h>

#include <vector>

#include <tpb/backend.hpp>

namespace tpb {

// A cpu_set_t sized for the machine, built from Linux CPU numbers.
class CpuSet {
 public:
  CpuSet();
  explicit CpuSet(const std::vector<int>& cpus);
  ~CpuSet();
  CpuSet(const CpuSet&) = delete;
  CpuSet& operator=(const CpuSet&) = delete;
  cpu_set_t* get() const { return set_; }
  std::size_t size() const { return bytes_; }
  std::vector<int> cpus() const;

 private:
  cpu_set_t* set_;
  std::size_t bytes_;
  int count_;
};

long current_tid();
// The stack size a thread created with default attributes gets (RLIMIT_STACK, glibc's default).
std::size_t default_thread_stack_size();
int set_thread_nice(long tid, int nice);
// Sets policy and level (and nice, for SCHED_OTHER) of a running thread, given as its pthread_t
// and Linux tid. The policy goes through pthread_setschedparam so glibc's cached copy (which
// PTHREAD_PRIO_PROTECT mutexes and pthread_getschedparam read) stays true.
int apply_host_priority(pthread_t thread, long tid, const HostPriority& priority);
// The same for the calling thread.
int apply_own_priority(const HostPriority& priority);
// Reads the policy and level of thread `tid`.
int read_host_priority(long tid, HostPriority& out);
int set_thread_affinity(long tid, const std::vector<int>& cpus);
int get_thread_affinity(long tid, std::vector<int>& cpus);

}  // namespace tpb
