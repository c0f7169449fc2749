#include "raw_thread_attr.hpp"

#include <sched.h>

#include <tpb/runtime.hpp>

#include "host/cpus.hpp"

namespace tpb::bench::detail {

std::optional<int> init_raw_attr(pthread_attr_t& attr, int cpu, int kpriority) {
  pthread_attr_init(&attr);
  // A thread inherits its creator's affinity: an equal one in the attributes would only cost
  // glibc a stopped start, so the cheapest raw way passes none (a creator already on `cpu`).
  if (cpu >= 0 && !host::own_affinity_is(host::CpuSet({cpu}))) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_attr_setaffinity_np(&attr, sizeof set, &set);
  }
  const HostPriority host = host_priority_for(kpriority);
  if (host.policy == HostPriority::Policy::fifo) {
    pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
    pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
    sched_param param{};
    param.sched_priority = host.rt_priority;
    pthread_attr_setschedparam(&attr, &param);
    return std::nullopt;
  }
  if (host.nice != 0) return host.nice;
  return std::nullopt;
}

}  // namespace tpb::bench::detail
