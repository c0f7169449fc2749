#include "contract/priority_boost.hpp"

#include <ctime>

#include <algorithm>
#include <mutex>

#include "contract/objects.hpp"

namespace tpb::detail {
namespace {

// CPU time thread `tid` has used, in ns, or -1 once it is gone. The clock id is Linux's
// per-thread CPU clock for a tid (safe for a thread that has exited, unlike a pthread_t).
long long cpu_time_ns(long tid) {
  clockid_t clock = tid == 0 ? CLOCK_THREAD_CPUTIME_ID
                             : static_cast<clockid_t>((~static_cast<unsigned>(tid) << 3) | 6U);
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return -1;
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
}

}  // namespace

void boost_after_wait(ThreadRecord& self, KPRIORITY increment) {
  std::lock_guard lock(self.sched_mutex);
  KPRIORITY now = decayed_priority(self);
  if (now >= LOW_REALTIME_PRIORITY) return;
  KPRIORITY boosted =
      std::min<KPRIORITY>(self.base_priority + increment, LOW_REALTIME_PRIORITY - 1);
  if (boosted <= now) return;
  // The decay ends at the base priority, never below it (Microsoft's scheduling page).
  self.boost_floor = self.base_priority;
  self.boosted = true;
  self.boost_peak = boosted;
  self.boost_cpu_ns = cpu_time_ns(0);
  self.priority = boosted;
}

KPRIORITY decayed_priority(ThreadRecord& thread) {
  if (!thread.boosted) return thread.priority;
  long long used = -1;
  if (thread.started && !thread.ended) used = cpu_time_ns(thread.host_tid);
  if (used < 0) return thread.priority;
  long long quanta = std::max(0LL, used - thread.boost_cpu_ns) / kBoostQuantumNs;
  KPRIORITY level = thread.boost_peak - static_cast<KPRIORITY>(std::min<long long>(quanta, 31));
  if (level <= thread.boost_floor) {
    thread.priority = thread.boost_floor;
    thread.boosted = false;
  } else {
    thread.priority = level;
  }
  return thread.priority;
}

void end_boost(ThreadRecord& thread) {
  thread.boosted = false;
}

}  // namespace tpb::detail
