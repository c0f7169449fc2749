#include "host/cpus.hpp"

#include <unistd.h>

#include <cerrno>

namespace tpb::host {
namespace {
// glibc answers _SC_NPROCESSORS_CONF by reading sysfs (an open, a read and a close, several us
// under virtualisation), and the possible CPUs are fixed at boot: ask once, not per CpuSet, which
// a thread launch builds.
int configured_cpus() {
  static const int count = [] {
    long n = sysconf(_SC_NPROCESSORS_CONF);
    return n > 0 ? static_cast<int>(n) + 64 : 1024;  // room for sparse CPU numbers
  }();
  return count;
}
}  // namespace

CpuSet::CpuSet() : count_(configured_cpus()) {
  set_ = CPU_ALLOC(count_);
  bytes_ = CPU_ALLOC_SIZE(count_);
  CPU_ZERO_S(bytes_, set_);
}

CpuSet::CpuSet(const std::vector<int>& cpus) : CpuSet() {
  assign(cpus);
}

void CpuSet::add(int cpu) {
  if (cpu >= 0 && cpu < count_) CPU_SET_S(cpu, bytes_, set_);
}

void CpuSet::assign(const std::vector<int>& cpus) {
  CPU_ZERO_S(bytes_, set_);
  for (int cpu : cpus) add(cpu);
}

bool CpuSet::operator==(const CpuSet& other) const {
  return bytes_ == other.bytes_ && CPU_EQUAL_S(bytes_, set_, other.set_);
}

CpuSet::~CpuSet() {
  CPU_FREE(set_);
}

std::vector<int> CpuSet::cpus() const {
  std::vector<int> out;
  for (int cpu = 0; cpu < count_; ++cpu)
    if (CPU_ISSET_S(cpu, bytes_, set_)) out.push_back(cpu);
  return out;
}

int set_thread_affinity(long tid, const CpuSet& set) {
  if (sched_setaffinity(static_cast<pid_t>(tid), set.size(), set.get()) != 0) return errno;
  return 0;
}

int get_thread_affinity(long tid, CpuSet& set) {
  if (sched_getaffinity(static_cast<pid_t>(tid), set.size(), set.get()) != 0) return errno;
  return 0;
}

int set_thread_affinity(long tid, const std::vector<int>& cpus) {
  return set_thread_affinity(tid, CpuSet(cpus));
}

int get_thread_affinity(long tid, std::vector<int>& cpus) {
  CpuSet set;
  if (int rc = get_thread_affinity(tid, set); rc != 0) return rc;
  cpus = set.cpus();
  return 0;
}

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  get_thread_affinity(0, cpus);
  return cpus;
}

bool own_affinity_is(const CpuSet& cpus) {
  CpuSet own;
  return get_thread_affinity(0, own) == 0 && own == cpus;
}

int ensure_own_affinity(const std::vector<int>& cpus) {
  CpuSet wanted(cpus);
  return own_affinity_is(wanted) ? 0 : set_thread_affinity(0, wanted);
}

int current_cpu() {
  return sched_getcpu();
}

PinGuard::PinGuard(const std::vector<int>& cpus) : previous_(allowed_cpus()) {
  ok_ = set_thread_affinity(0, cpus) == 0;
}

PinGuard::~PinGuard() {
  if (ok_) set_thread_affinity(0, previous_);
}

}  // namespace tpb::host
