// Each check reads the kernel's own view (sysfs, procfs, a probe syscall) rather than a tool's
// output, so the doctor runs the same in a container, a VM and on bare metal.
#include "doctor_checks.hpp"

#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <system_error>

#include <fmt/format.h>

#include <tpb/rt_refusal.hpp>
#include <tpb/runtime.hpp>

#include "host_facts.hpp"
#include "wake_probe.hpp"

namespace tpb::cli {
namespace {

using Severity = Finding::Severity;
const std::string kCpuDir = "/sys/devices/system/cpu";

Finding check_governor() {
  std::set<std::string> governors;
  for (int cpu = 0; cpu < 4096; ++cpu) {
    const auto dir = fmt::format("{}/cpu{}", kCpuDir, cpu);
    if (!std::filesystem::exists(dir)) break;
    if (auto g = read_line(dir + "/cpufreq/scaling_governor")) governors.insert(*g);
  }
  if (governors.empty())
    return {"governor", Severity::info,
            "no cpufreq interface: the frequency is set by firmware or, in a VM, by the host",
            "on a VM, ask for a host with a fixed frequency; nothing to do here"};
  std::string list;
  for (const auto& g : governors) list += (list.empty() ? "" : ", ") + g;
  if (governors.size() == 1 && *governors.begin() == "performance")
    return {"governor", Severity::ok, "scaling governor: performance", ""};
  return {"governor", Severity::warning, "scaling governor: " + list,
          "sudo cpupower frequency-set -g performance (or write 'performance' to "
          "/sys/devices/system/cpu/cpu*/cpufreq/scaling_governor)"};
}

Finding check_boost() {
  if (auto boost = read_long(kCpuDir + "/cpufreq/boost")) {
    if (*boost == 0) return {"boost", Severity::ok, "frequency boost off", ""};
    return {"boost", Severity::warning, "frequency boost on: clock speed follows temperature",
            "echo 0 | sudo tee /sys/devices/system/cpu/cpufreq/boost"};
  }
  if (auto no_turbo = read_long(kCpuDir + "/intel_pstate/no_turbo")) {
    if (*no_turbo == 1) return {"boost", Severity::ok, "turbo off (intel_pstate)", ""};
    return {"boost", Severity::warning, "turbo on (intel_pstate): clock speed follows temperature",
            "echo 1 | sudo tee /sys/devices/system/cpu/intel_pstate/no_turbo"};
  }
  return {"boost", Severity::info, "no boost control visible (VM or firmware-managed)", ""};
}

Finding check_smt() {
  const auto control = read_line(kCpuDir + "/smt/control");
  const auto active = read_long(kCpuDir + "/smt/active");
  if (active && *active == 1)
    return {"smt", Severity::warning,
            "SMT on: hardware threads of one core share its execution units",
            "pin benchmarks to distinct cores, or echo off | sudo tee "
            "/sys/devices/system/cpu/smt/control"};
  return {"smt", Severity::ok, fmt::format("SMT off (control: {})", control.value_or("absent")),
          ""};
}

Finding check_isolation() {
  const auto isolated = read_line(kCpuDir + "/isolated").value_or("");
  const auto nohz = read_line(kCpuDir + "/nohz_full").value_or("");
  if (isolated.empty() && (nohz.empty() || nohz == "(null)"))
    return {"isolation", Severity::info,
            "no isolated CPUs and no nohz_full: other tasks and the tick share the benchmark CPUs",
            "for the quietest numbers boot with isolcpus=<cpus> nohz_full=<cpus> and pin there"};
  return {"isolation", Severity::ok,
          fmt::format("isolated CPUs: {}; nohz_full: {}", isolated.empty() ? "none" : isolated,
                      nohz.empty() ? "none" : nohz),
          ""};
}

Finding check_virtualisation() {
  const Virtualisation v = detect_virtualisation();
  const WakeProbe probe = measure_wake_latency();
  std::string wake = fmt::format("same-CPU wake {:.1f} us", probe.same_cpu_us);
  if (probe.other_cpu_us)
    wake += fmt::format(", cross-CPU wake {:.1f} us ({:.1f}x)", *probe.other_cpu_us,
                        probe.inflation().value_or(0));
  const std::string where = v.virtualised() ? "virtual machine (" + v.vm + ")" : "bare metal";
  const std::string container = v.container.empty() ? "" : ", in a " + v.container + " container";
  const bool inflated = probe.inflation() && *probe.inflation() > 4;
  if (v.virtualised() || inflated)
    return {"virtualisation", Severity::warning, where + container + "; " + wake,
            "compare cross-CPU results only with runs on the same kind of machine (the run "
            "record says which); use bare metal for absolute numbers"};
  return {"virtualisation", Severity::ok, where + container + "; " + wake, ""};
}

// The cause of a refusal, not just the refusal: a capability, RLIMIT_RTPRIO, a cgroup's or the
// global RT runtime each have their own fix.
Finding check_rt_rights() {
  const HostSchedulingRights& rights = host_scheduling_rights();
  const bench::RtVerdict& verdict = bench::rt_verdict();
  if (rights.rt_permitted)
    return {"rt", Severity::ok,
            fmt::format("{}; up to priority {}", verdict.observed, rights.max_rt_priority), ""};
  return {"rt", Severity::warning,
          fmt::format("SCHED_FIFO refused ({}): {}; real-time experiments are skipped and "
                      "KPRIORITY 16..31 falls back to the nearest allowed priority",
                      to_string(verdict.cause), verdict.observed),
          verdict.fix};
}

Finding check_rt_throttling() {
  const auto runtime = read_long("/proc/sys/kernel/sched_rt_runtime_us");
  const auto period = read_long("/proc/sys/kernel/sched_rt_period_us");
  if (!runtime || !period)
    return {"rt_throttling", Severity::info, "RT throttling settings unreadable", ""};
  if (*runtime < 0)
    return {"rt_throttling", Severity::ok, "RT throttling off (sched_rt_runtime_us = -1)", ""};
  return {"rt_throttling", Severity::info,
          fmt::format("RT throttling on: {} of every {} us; an RT spin past the budget stalls "
                      "every RT thread on that CPU (up to ~50 ms)",
                      *runtime, *period),
          "RT experiments bound their spins below it; to lift it: sudo sysctl "
          "kernel.sched_rt_runtime_us=-1 (only with a watchdog)"};
}

Finding check_perf_counters() {
  const auto paranoid = read_long("/proc/sys/kernel/perf_event_paranoid");
  perf_event_attr attr{};
  attr.type = PERF_TYPE_SOFTWARE;
  attr.size = sizeof(attr);
  attr.config = PERF_COUNT_SW_CONTEXT_SWITCHES;
  attr.disabled = 1;
  attr.exclude_kernel = 1;
  attr.exclude_hv = 1;
  const long fd = ::syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
  const int error = errno;
  const std::string level =
      paranoid ? fmt::format("perf_event_paranoid {}", *paranoid) : "perf_event_paranoid unknown";
  if (fd >= 0) {
    ::close(static_cast<int>(fd));
    return {"perf_counters", Severity::ok, level + "; software counters work", ""};
  }
  return {"perf_counters", Severity::warning,
          fmt::format("{}; perf_event_open(context-switches) failed: {}; context switches and "
                      "migrations fall back to getrusage (coarser, no migrations)",
                      level, std::error_code(error, std::generic_category()).message()),
          "sudo sysctl kernel.perf_event_paranoid=1 (in a container also allow perf_event_open "
          "in its seccomp profile)"};
}

Finding check_load() {
  double load[3] = {};
  if (::getloadavg(load, 3) < 1) return {"load", Severity::info, "load average unreadable", ""};
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  const std::string observed =
      fmt::format("load average {:.2f} {:.2f} {:.2f} on {} CPUs", load[0], load[1], load[2], cpus);
  if (load[0] > std::max(0.5, 0.25 * static_cast<double>(cpus)))
    return {"load", Severity::warning, observed + ": other work competes for the CPUs",
            "stop other jobs (builds, tests, browsers) and run again when the 1-minute load is "
            "near 0"};
  return {"load", Severity::ok, observed, ""};
}

Finding check_aslr() {
  const auto aslr = read_long("/proc/sys/kernel/randomize_va_space");
  if (!aslr) return {"aslr", Severity::info, "ASLR setting unreadable", ""};
  if (*aslr == 0) return {"aslr", Severity::ok, "ASLR off", ""};
  return {"aslr", Severity::info,
          fmt::format("ASLR on (randomize_va_space {}): memory layout, and so cache and TLB "
                      "behaviour, changes from run to run",
                      *aslr),
          "for run-to-run repeatability: setarch -R tpbench run ..."};
}

}  // namespace

const char* to_string(Finding::Severity severity) {
  switch (severity) {
    case Severity::ok:
      return "ok";
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
  }
  return "?";
}

std::vector<Finding> run_doctor_checks() {
  return {check_governor(),       check_boost(),     check_smt(),           check_isolation(),
          check_virtualisation(), check_rt_rights(), check_rt_throttling(), check_perf_counters(),
          check_load(),           check_aslr()};
}

std::vector<report::DoctorFinding> to_record(const std::vector<Finding>& findings) {
  std::vector<report::DoctorFinding> out;
  out.reserve(findings.size());
  for (const auto& f : findings)
    out.push_back({f.check, to_string(f.severity), f.observed,
                   f.fix.empty() ? std::nullopt : std::optional<std::string>(f.fix)});
  return out;
}

nlohmann::json to_json(const std::vector<Finding>& findings) {
  return to_record(findings);
}

}  // namespace tpb::cli
