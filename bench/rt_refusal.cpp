// Why SCHED_FIFO is refused here; see tpb/rt_refusal.hpp.
#include "tpb/rt_refusal.hpp"

#include <sys/resource.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <tpb/runtime.hpp>

namespace tpb::bench {
namespace {

constexpr int kCapSysNice = 23;  // linux/capability.h
constexpr long kCgroup2Magic = 0x63677270;
constexpr long kTmpfsMagic = 0x01021994;

std::optional<long> read_number(const std::string& path) {
  std::ifstream in(path);
  long value = 0;
  if (in >> value) return value;
  return std::nullopt;
}

bool effective_cap(int cap) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
    return ((mask >> cap) & 1ULL) != 0;
  }
  return false;
}

// The path of this process's cgroup for the v1 cpu controller, or of its unified cgroup on v2.
std::string own_cgroup(bool v2) {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find(':');
    const auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos) continue;
    const std::string controllers = line.substr(first + 1, second - first - 1);
    std::string path = line.substr(second + 1);
    if (v2 && line.rfind("0::", 0) == 0) return path;
    if (v2) continue;
    std::stringstream list(controllers);
    std::string c;
    while (std::getline(list, c, ','))
      if (c == "cpu") return path;
  }
  return "/";
}

// Where the v1 cpu controller is mounted: "cpu" or the joined "cpu,cpuacct".
std::optional<long> v1_runtime(const std::string& path) {
  for (const char* mount : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"})
    if (auto v = read_number(fmt::format("{}{}/cpu.rt_runtime_us", mount, path))) return v;
  return std::nullopt;
}

std::string limit_text(long rlimit) {
  return rlimit < 0 ? std::string("unlimited") : std::to_string(rlimit);
}

}  // namespace

const char* to_string(RtCause cause) {
  switch (cause) {
    case RtCause::permitted:
      return "permitted";
    case RtCause::no_capability:
      return "no_capability";
    case RtCause::rlimit_rtprio:
      return "rlimit_rtprio";
    case RtCause::cgroup_runtime:
      return "cgroup_runtime";
    case RtCause::global_runtime:
      return "global_runtime";
    case RtCause::unknown:
      return "unknown";
  }
  return "unknown";
}

std::string RtVerdict::sentence() const {
  if (cause == RtCause::permitted) return observed;
  return fmt::format("SCHED_FIFO refused: {}; fix: {}", observed, fix);
}

RtVerdict classify_rt_refusal(const RtReadings& r) {
  const std::string cgroup_note =
      r.cgroup_fs == "cgroup2fs"
          ? "cgroup v2 (no RT group controller: RT bandwidth is the global setting only)"
          : fmt::format("cgroup v1, cpu cgroup {} with cpu.rt_runtime_us {}", r.cgroup_path,
                        r.cgroup_runtime_us ? std::to_string(*r.cgroup_runtime_us) : "absent");
  if (r.rt_permitted)
    return {RtCause::permitted,
            fmt::format("SCHED_FIFO permitted ({}, RLIMIT_RTPRIO {}, {})",
                        r.cap_sys_nice ? "CAP_SYS_NICE" : "no CAP_SYS_NICE",
                        limit_text(r.rlimit_rtprio), cgroup_note),
            ""};
  // The kernel asks for the right first: CAP_SYS_NICE, or a non-zero RLIMIT_RTPRIO.
  if (!r.cap_sys_nice && r.rlimit_rtprio == 0) {
    if (r.root)
      return {RtCause::no_capability, "running as root without CAP_SYS_NICE (RLIMIT_RTPRIO 0)",
              "keep CAP_SYS_NICE (docker run --cap-add=SYS_NICE; sudo setcap cap_sys_nice+ep "
              "tpbench) or raise the limit (ulimit -r 99)"};
    return {RtCause::rlimit_rtprio, "RLIMIT_RTPRIO is 0 and the process lacks CAP_SYS_NICE",
            "ulimit -r 99 (or rtprio in /etc/security/limits.conf), or sudo setcap "
            "cap_sys_nice+ep tpbench"};
  }
  // Then RT group scheduling: a cgroup with no RT runtime refuses even root.
  const bool global_zero = r.global_runtime_us && *r.global_runtime_us == 0;
  if (r.cgroup_runtime_us && *r.cgroup_runtime_us == 0 && !(r.cgroup_path == "/" && global_zero))
    return {
        RtCause::cgroup_runtime,
        fmt::format("the cpu cgroup {} grants no RT runtime (cpu.rt_runtime_us 0)", r.cgroup_path),
        fmt::format("echo 950000 > /sys/fs/cgroup/cpu{}/cpu.rt_runtime_us (its parents "
                    "first), or docker run --cpu-rt-runtime=950000",
                    r.cgroup_path)};
  if (global_zero)
    return {RtCause::global_runtime, "kernel.sched_rt_runtime_us is 0: no RT thread may run",
            "sudo sysctl kernel.sched_rt_runtime_us=950000"};
  return {RtCause::unknown,
          fmt::format("the right is there ({}, RLIMIT_RTPRIO {}) and {} (a seccomp filter or "
                      "security module may refuse it)",
                      r.cap_sys_nice ? "CAP_SYS_NICE" : "no CAP_SYS_NICE",
                      limit_text(r.rlimit_rtprio), cgroup_note),
          "check the container's seccomp profile and security module for sched_setscheduler"};
}

RtReadings read_rt_readings() {
  RtReadings r;
  r.rt_permitted = host_scheduling_rights().rt_permitted;
  r.root = ::geteuid() == 0;
  r.cap_sys_nice = effective_cap(kCapSysNice);
  rlimit limit{};
  if (::getrlimit(RLIMIT_RTPRIO, &limit) == 0)
    r.rlimit_rtprio = limit.rlim_cur == RLIM_INFINITY ? -1 : static_cast<long>(limit.rlim_cur);
  r.global_runtime_us = read_number("/proc/sys/kernel/sched_rt_runtime_us");
  struct statfs fs {};
  if (::statfs("/sys/fs/cgroup", &fs) == 0)
    r.cgroup_fs = static_cast<long>(fs.f_type) == kCgroup2Magic ? "cgroup2fs"
                  : static_cast<long>(fs.f_type) == kTmpfsMagic ? "tmpfs"
                                                                : "other";
  const bool v2 = r.cgroup_fs == "cgroup2fs";
  r.cgroup_path = own_cgroup(v2);
  r.cgroup_runtime_us = v2 ? read_number(fmt::format("/sys/fs/cgroup{}/cpu.rt_runtime_us",
                                                     r.cgroup_path == "/" ? "" : r.cgroup_path))
                           : v1_runtime(r.cgroup_path == "/" ? "" : r.cgroup_path);
  return r;
}

const RtVerdict& rt_verdict() {
  static const RtVerdict verdict = classify_rt_refusal(read_rt_readings());
  return verdict;
}

}  // namespace tpb::bench
