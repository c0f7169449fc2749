#include "raw_thread_attr.hpp"

#include <sched.h>

#include <tpb/runtime.hpp>

#include "host/cpus.hpp"
#include "host/sched.hpp"

namespace tpb::bench::detail {
namespace {

// The affinity part: true when `attr` carries one (glibc will start the thread stopped).
bool set_raw_affinity(pthread_attr_t& attr, int cpu) {
  // A thread inherits its creator's affinity: an equal one in the attributes would only cost
  // glibc a stopped start, so the cheapest raw way passes none (a creator already on `cpu`).
  if (cpu < 0 || host::own_affinity_is(host::CpuSet({cpu}))) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_attr_setaffinity_np(&attr, sizeof set, &set);
  return true;
}

void set_explicit_fifo(pthread_attr_t& attr, int rt_priority) {
  pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
  pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
  sched_param param{};
  param.sched_priority = rt_priority;
  pthread_attr_setschedparam(&attr, &param);
}

}  // namespace

void RawSelfPriority::apply() const {
  if (raise) {
    sched_param param{};
    param.sched_priority = rt_priority;
    pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
  }
  if (set_nice) host::set_thread_nice(0, nice);
}

std::optional<int> init_raw_attr(pthread_attr_t& attr, int cpu, int kpriority) {
  pthread_attr_init(&attr);
  set_raw_affinity(attr, cpu);
  const HostPriority host = host_priority_for(kpriority);
  if (host.policy == HostPriority::Policy::fifo) {
    set_explicit_fifo(attr, host.rt_priority);
    return std::nullopt;
  }
  if (host.nice != 0) return host.nice;
  return std::nullopt;
}

RawSelfPriority init_raw_start(pthread_attr_t& attr, int cpu, int kpriority) {
  pthread_attr_init(&attr);
  const bool stopped = set_raw_affinity(attr, cpu);
  const HostPriority host = host_priority_for(kpriority);
  RawSelfPriority self;
  if (host.policy == HostPriority::Policy::fifo) {
    if (stopped) {
      set_explicit_fifo(attr, host.rt_priority);
    } else {
      self.raise = true;
      self.rt_priority = host.rt_priority;
    }
  } else if (host.nice != 0) {
    self.set_nice = true;
    self.nice = host.nice;
  }
  return self;
}

}  // namespace tpb::bench::detail
