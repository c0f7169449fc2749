#include "host/sched.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace tpb::host {
namespace {

// The kernel's struct sched_attr (SCHED_ATTR_SIZE_VER0); glibc 2.36 has no sched_getattr wrapper.
struct SchedAttr {
  std::uint32_t size;
  std::uint32_t sched_policy;
  std::uint64_t sched_flags;
  std::int32_t sched_nice;
  std::uint32_t sched_priority;
  std::uint64_t sched_runtime, sched_deadline, sched_period;
};
constexpr std::uint64_t kResetOnFork = 0x01;  // SCHED_FLAG_RESET_ON_FORK

// A thread's policy, flags, nice and level in one syscall (0: the caller); nullopt with errno set.
std::optional<SchedAttr> read_sched_attr(pid_t tid) {
  SchedAttr attr{};
  if (syscall(SYS_sched_getattr, tid, &attr, sizeof attr, 0) != 0) return std::nullopt;
  return attr;
}

}  // namespace

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

std::optional<HostPriority> priority_a_new_thread_inherits() {
  const std::optional<SchedAttr> attr = read_sched_attr(0);
  if (!attr) return std::nullopt;
  const bool reset = (attr->sched_flags & kResetOnFork) != 0;
  const int nice = reset && attr->sched_nice < 0 ? 0 : attr->sched_nice;
  if (attr->sched_policy == SCHED_OTHER) return HostPriority{HostPriority::Policy::other, nice, 0};
  if (attr->sched_policy != SCHED_FIFO) return std::nullopt;
  if (reset) return HostPriority{HostPriority::Policy::other, nice, 0};
  return HostPriority{HostPriority::Policy::fifo, attr->sched_nice,
                      static_cast<int>(attr->sched_priority)};
}

int ensure_own_priority(const HostPriority& priority) {
  const std::optional<SchedAttr> attr = read_sched_attr(0);
  if (!attr) return apply_own_priority(priority);
  if (priority.policy == HostPriority::Policy::other && attr->sched_policy == SCHED_OTHER)
    return attr->sched_nice == priority.nice ? 0 : set_thread_nice(0, priority.nice);
  // RT threads also carry SCHED_RESET_ON_FORK (apply_host_priority): equal only with it.
  if (priority.policy == HostPriority::Policy::fifo && attr->sched_policy == SCHED_FIFO &&
      (attr->sched_flags & kResetOnFork) != 0 &&
      static_cast<int>(attr->sched_priority) == priority.rt_priority)
    return 0;
  return apply_own_priority(priority);
}

int read_host_priority(long tid, HostPriority& out) {
  const std::optional<SchedAttr> attr = read_sched_attr(static_cast<pid_t>(tid));
  if (!attr) return errno;
  if (attr->sched_policy == SCHED_FIFO || attr->sched_policy == SCHED_RR)
    out = {HostPriority::Policy::fifo, 0, static_cast<int>(attr->sched_priority)};
  else
    out = {HostPriority::Policy::other, attr->sched_nice, 0};
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
