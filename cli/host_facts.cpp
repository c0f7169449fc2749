#include "host_facts.hpp"

#include <cpuid.h>
#include <sys/utsname.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "host/command.hpp"

namespace tpb::cli {

using host::command_output;

namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

void read_cpuid(Virtualisation& v) {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) v.hypervisor_flag = (ecx >> 31) & 1;
  if (!v.hypervisor_flag) return;
  // Leaf 0x40000000 holds the hypervisor's vendor in EBX, ECX, EDX.
  __cpuid(0x40000000, eax, ebx, ecx, edx);
  char vendor[13] = {};
  std::memcpy(vendor, &ebx, 4);
  std::memcpy(vendor + 4, &ecx, 4);
  std::memcpy(vendor + 8, &edx, 4);
  v.hypervisor = trim(vendor);
#else
  (void)v;
#endif
}

std::string vm_from_vendor(const std::string& vendor) {
  if (vendor.rfind("KVMKVMKVM", 0) == 0) return "kvm";
  if (vendor == "Microsoft Hv") return "microsoft";
  if (vendor == "VMwareVMware") return "vmware";
  if (vendor.rfind("XenVMM", 0) == 0) return "xen";
  if (vendor == "TCGTCGTCGTCG") return "qemu";
  return vendor.empty() ? "unknown" : vendor;
}

}  // namespace

std::optional<std::string> read_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  return trim(line);
}

std::optional<long> read_long(const std::string& path) {
  const auto line = read_line(path);
  if (!line || line->empty()) return std::nullopt;
  try {
    std::size_t used = 0;
    const long value = std::stol(*line, &used);
    if (used != line->size()) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

Virtualisation detect_virtualisation() {
  Virtualisation v;
  read_cpuid(v);
  // systemd-detect-virt exits non-zero and prints "none" when it finds nothing.
  if (auto vm = command_output({"systemd-detect-virt", "--vm"}); vm && *vm != "none") {
    v.vm = *vm;
    v.method = "systemd-detect-virt";
  } else if (v.hypervisor_flag) {
    v.vm = vm_from_vendor(v.hypervisor);
    v.method = "cpuid";
  } else if (auto product = read_line("/sys/class/dmi/id/sys_vendor")) {
    for (const char* name : {"QEMU", "VMware", "Xen", "Microsoft Corporation", "innotek"})
      if (product->find(name) != std::string::npos) {
        v.vm = *product;
        v.method = "/sys/class/dmi/id/sys_vendor";
      }
  }
  if (auto container = command_output({"systemd-detect-virt", "--container"});
      container && *container != "none")
    v.container = *container;
  else if (std::filesystem::exists("/.dockerenv"))
    v.container = "docker";
  if (v.method.empty()) v.method = "systemd-detect-virt, cpuid, /sys/class/dmi/id";
  return v;
}

report::VirtualisationInfo to_record(const Virtualisation& v) {
  const auto or_null = [](const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
  };
  return {v.virtualised(),   or_null(v.vm),         or_null(v.container),
          v.hypervisor_flag, or_null(v.hypervisor), v.method};
}

std::optional<report::KernelInfo> kernel_info() {
  struct utsname u {};
  if (::uname(&u) != 0) return std::nullopt;
  return report::KernelInfo{u.sysname, u.release, u.version, u.machine};
}

report::SchedulerSettings scheduler_settings() {
  const auto value = [](const char* path) -> std::optional<std::int64_t> {
    if (const auto v = read_long(path)) return *v;
    return std::nullopt;
  };
  return {value("/proc/sys/kernel/sched_rt_runtime_us"),
          value("/proc/sys/kernel/sched_rt_period_us")};
}

std::optional<std::string> cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon != std::string::npos) return trim(line.substr(colon + 1));
  }
  return std::nullopt;
}

std::optional<std::string> git_revision() {
  const std::filesystem::path source = TPB_SOURCE_DIR;
  std::error_code ec;
  if (std::filesystem::exists(source / ".git", ec))
    if (auto rev = command_output({"git", "-C", source.string(), "rev-parse", "HEAD"})) return rev;
  const std::string configured = TPB_CONFIGURE_GIT_REVISION;
  if (!configured.empty()) return configured;
  return std::nullopt;
}

}  // namespace tpb::cli
