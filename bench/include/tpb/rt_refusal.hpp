// tpb/rt_refusal.hpp - why this process may not use SCHED_FIFO, told apart by cause, each with its
// fix. One owner for the words the doctor, the run record's rt block and every RT skip reason use.
//
// Causes, in the order the kernel checks them for sched_setscheduler(SCHED_FIFO):
//   no_capability   uid 0 without CAP_SYS_NICE (a container started without SYS_NICE, setpriv)
//   rlimit_rtprio   an unprivileged process whose RLIMIT_RTPRIO is 0
//   cgroup_runtime  the cpu cgroup (cgroup v1, RT group scheduling) grants 0 us of RT runtime
//   global_runtime  kernel.sched_rt_runtime_us is 0: no RT thread may ever run
//   unknown         refused for none of the above (a seccomp filter, an LSM)
// classify_rt_refusal is pure, so tests inject readings; read_rt_readings reads this process.
#pragma once

#include <optional>
#include <string>

namespace tpb::bench {

struct RtReadings {
  bool rt_permitted = false;              // the runtime's probe could set SCHED_FIFO
  bool root = false;                      // effective uid 0
  bool cap_sys_nice = false;              // CAP_SYS_NICE in the effective set
  long rlimit_rtprio = 0;                 // soft RLIMIT_RTPRIO (RLIM_INFINITY as -1)
  std::optional<long> global_runtime_us;  // /proc/sys/kernel/sched_rt_runtime_us (-1: unlimited)
  std::string cgroup_fs;                  // statfs type of /sys/fs/cgroup: "cgroup2fs", "tmpfs"
  std::string cgroup_path;                // this process's cpu cgroup, "/" for the root
  std::optional<long> cgroup_runtime_us;  // its cpu.rt_runtime_us; nullopt without RT groups
};

enum class RtCause {
  permitted,
  no_capability,
  rlimit_rtprio,
  cgroup_runtime,
  global_runtime,
  unknown
};
const char* to_string(RtCause cause);

struct RtVerdict {
  RtCause cause = RtCause::unknown;
  std::string observed;  // what was read, in words, with numbers
  std::string fix;       // what to do; empty when permitted
  // "SCHED_FIFO refused: <observed>; fix: <fix>", or the permitted observation.
  std::string sentence() const;
};

RtVerdict classify_rt_refusal(const RtReadings& readings);
RtReadings read_rt_readings();
// classify_rt_refusal(read_rt_readings()), computed once per process.
const RtVerdict& rt_verdict();

}  // namespace tpb::bench
