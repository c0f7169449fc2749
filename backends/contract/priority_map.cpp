#include "contract/priority_map.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "host/cpus.hpp"
#include "host/sched.hpp"

namespace tpb {

HostPriority host_priority_for(KPRIORITY priority) {
  KPRIORITY p = std::clamp<KPRIORITY>(priority, 1, 31);  // 0 is stored as 1
  if (p >= LOW_REALTIME_PRIORITY)
    return {HostPriority::Policy::fifo, 0, 1 + 5 * (p - LOW_REALTIME_PRIORITY)};
  // Linear on each side of 8 (nice 0): 1 -> 19, 15 -> -10.
  double nice = p <= 8 ? 19.0 * (8 - p) / 7.0 : -10.0 * (p - 8) / 7.0;
  return {HostPriority::Policy::other, static_cast<int>(std::lround(nice)), 0};
}

const char* to_string(HostPriorityState::Outcome o) {
  switch (o) {
    case HostPriorityState::Outcome::applied:
      return "applied";
    case HostPriorityState::Outcome::nearest:
      return "nearest";
    case HostPriorityState::Outcome::arena_level:
      return "arena-level";
    case HostPriorityState::Outcome::unsupported:
      return "unsupported";
    case HostPriorityState::Outcome::pending:
      return "pending";
  }
  return "?";
}

namespace {
// Tries the levels on a throwaway thread so no caller's scheduling is touched.
HostSchedulingRights probe_rights() {
  HostSchedulingRights rights;
  std::thread probe([&rights] {
    for (int level : {sched_get_priority_max(SCHED_FIFO), 76, 1}) {
      sched_param param{};
      param.sched_priority = level;
      if (sched_setscheduler(0, SCHED_FIFO, &param) == 0) {
        rights.rt_permitted = true;
        rights.max_rt_priority = level;
        break;
      }
    }
    if (!rights.rt_permitted) {
      rlimit rl{};
      if (getrlimit(RLIMIT_RTPRIO, &rl) == 0 && rl.rlim_cur > 0) {
        sched_param param{};
        param.sched_priority = static_cast<int>(std::min<rlim_t>(rl.rlim_cur, 99));
        if (sched_setscheduler(0, SCHED_FIFO, &param) == 0) {
          rights.rt_permitted = true;
          rights.max_rt_priority = param.sched_priority;
        }
      }
    }
    sched_param other{};
    sched_setscheduler(0, SCHED_OTHER, &other);
    rights.min_nice = 0;
    for (int nice = -20; nice < 0; ++nice) {
      if (host::set_thread_nice(0, nice) == 0) {
        rights.min_nice = nice;
        break;
      }
    }
  });
  probe.join();
  rights.detail = rights.rt_permitted
                      ? "SCHED_FIFO up to " + std::to_string(rights.max_rt_priority) +
                            ", nice down to " + std::to_string(rights.min_nice)
                      : "SCHED_FIFO refused (needs CAP_SYS_NICE or RLIMIT_RTPRIO); nice down to " +
                            std::to_string(rights.min_nice);
  return rights;
}
}  // namespace

const HostSchedulingRights& host_scheduling_rights() {
  static const HostSchedulingRights rights = probe_rights();
  return rights;
}

namespace detail {

bool permitted(const HostPriority& p, const HostSchedulingRights& rights) {
  if (p.policy == HostPriority::Policy::fifo)
    return rights.rt_permitted && p.rt_priority <= rights.max_rt_priority;
  return p.nice >= rights.min_nice;
}

HostPriority nearest_permitted(const HostPriority& p, const HostSchedulingRights& rights) {
  if (p.policy == HostPriority::Policy::fifo) {
    if (rights.rt_permitted)
      return {HostPriority::Policy::fifo, 0, std::min(p.rt_priority, rights.max_rt_priority)};
    return {HostPriority::Policy::other, rights.min_nice, 0};
  }
  return {HostPriority::Policy::other, std::max(p.nice, rights.min_nice), 0};
}

}  // namespace detail
}  // namespace tpb
