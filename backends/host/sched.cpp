#include "host/sched.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace tpb::host {

long current_tid() {
  return static_cast<long>(syscall(SYS_gettid));
}

int set_thread_nice(long tid, int nice) {
  // On Linux, PRIO_PROCESS with a tid sets that one thread's nice value (0: the caller).
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(tid), nice) != 0) return errno;
  return 0;
}

int apply_host_priority(pthread_t thread, long tid, const HostPriority& priority) {
  sched_param param{};
  int policy = SCHED_OTHER;
  if (priority.policy == HostPriority::Policy::fifo) {
    policy = SCHED_FIFO;
    param.sched_priority = priority.rt_priority;
  }
  if (int rc = pthread_setschedparam(thread, policy, &param); rc != 0) return rc;
  if (policy == SCHED_OTHER) return set_thread_nice(tid, priority.nice);
  // Threads this one creates must not inherit SCHED_FIFO: a library it calls may spawn helpers
  // (oneTBB creates workers lazily from whichever worker wakes them), and an RT thread nobody
  // meant to make could starve a CPU. glibc's cached policy (set above) stays plain SCHED_FIFO.
  const pid_t target = tid == 0 ? 0 : static_cast<pid_t>(tid);
  if (sched_setscheduler(target, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) != 0) return errno;
  return 0;
}

int apply_own_priority(const HostPriority& priority) {
  return apply_host_priority(pthread_self(), 0, priority);
}

int read_host_priority(long tid, HostPriority& out) {
  int policy = (sched_getscheduler(static_cast<pid_t>(tid)) & ~SCHED_RESET_ON_FORK);
  if (policy < 0) return errno;
  if (policy == SCHED_FIFO || policy == SCHED_RR) {
    sched_param param{};
    if (sched_getparam(static_cast<pid_t>(tid), &param) != 0) return errno;
    out = {HostPriority::Policy::fifo, 0, param.sched_priority};
    return 0;
  }
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(tid == 0 ? current_tid() : tid));
  if (nice == -1 && errno != 0) return errno;
  out = {HostPriority::Policy::other, nice, 0};
  return 0;
}

std::size_t default_thread_stack_size() {
  pthread_attr_t attr;
  std::size_t size = 0;
  if (pthread_attr_init(&attr) == 0) {
    pthread_attr_getstacksize(&attr, &size);
    pthread_attr_destroy(&attr);
  }
  return size;
}

}  // namespace tpb::host
