// Facts about the host that a run record carries and the doctor judges: kernel, virtualisation,
// scheduler settings, the source tree's git revision. Each reads files or runs a short command;
// a fact that cannot be learned is empty / nullopt, never guessed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <tpb/record.hpp>

namespace tpb::cli {

// The first line of a file, trimmed; nullopt when it cannot be read.
std::optional<std::string> read_line(const std::string& path);
// A file holding one integer; nullopt when absent or not a number.
std::optional<long> read_long(const std::string& path);

struct Virtualisation {
  std::string vm;                // "kvm", "vmware", ...; empty on bare metal or when unknown
  std::string container;         // "docker", "lxc", ...; empty when none
  std::string hypervisor;        // CPUID hypervisor vendor string, e.g. "KVMKVMKVM"
  bool hypervisor_flag = false;  // CPUID.1:ECX bit 31
  std::string method;            // how it was learned
  bool virtualised() const { return !vm.empty() || hypervisor_flag; }
};
Virtualisation detect_virtualisation();
report::VirtualisationInfo to_record(const Virtualisation& v);

std::optional<report::KernelInfo> kernel_info();  // uname; nullopt if it fails
report::SchedulerSettings scheduler_settings();   // /proc/sys/kernel/sched_rt_*
std::optional<std::string> cpu_model();           // /proc/cpuinfo "model name" of the first CPU

// `git rev-parse HEAD` in the source tree tpbench was built from, else the revision recorded at
// configure time, else nullopt.
std::optional<std::string> git_revision();

}  // namespace tpb::cli
