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

bool wait_thread_gone(long tid, std::chrono::nanoseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto pid = static_cast<long>(getpid());
  while (syscall(SYS_tgkill, pid, tid, 0) == 0 || errno != ESRCH) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    sched_yield();
  }
  return true;
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

std::optional<int> nice_a_new_thread_inherits() {
  const int raw_policy = sched_getscheduler(0);
  if (raw_policy < 0 || (raw_policy & ~SCHED_RESET_ON_FORK) != SCHED_OTHER) return std::nullopt;
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, 0);
  if (nice == -1 && errno != 0) return std::nullopt;
  return (raw_policy & SCHED_RESET_ON_FORK) != 0 && nice < 0 ? 0 : nice;
}

int ensure_own_priority(const HostPriority& priority) {
  const int raw_policy = sched_getscheduler(0);
  if (raw_policy < 0) return apply_own_priority(priority);
  const int policy = raw_policy & ~SCHED_RESET_ON_FORK;
  if (priority.policy == HostPriority::Policy::other && policy == SCHED_OTHER) {
    errno = 0;
    const int nice = getpriority(PRIO_PROCESS, 0);
    if (nice == -1 && errno != 0) return errno;
    return nice == priority.nice ? 0 : set_thread_nice(0, priority.nice);
  }
  // RT threads also carry SCHED_RESET_ON_FORK (apply_host_priority): equal only with it.
  if (priority.policy == HostPriority::Policy::fifo &&
      raw_policy == (SCHED_FIFO | SCHED_RESET_ON_FORK)) {
    sched_param param{};
    if (sched_getparam(0, &param) == 0 && param.sched_priority == priority.rt_priority) return 0;
  }
  return apply_own_priority(priority);
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
