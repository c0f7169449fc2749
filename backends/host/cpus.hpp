// host/cpus.hpp - CPU sets and thread affinity, by Linux CPU number and Linux tid (0: the calling
// thread). Functions returning int give 0 or an errno value.
#pragma once

#include <sched.h>

#include <cstddef>
#include <vector>

namespace tpb::host {

// A cpu_set_t sized for the machine (not CPU_SETSIZE: CPU numbers may exceed 1023), built from
// Linux CPU numbers. Allocates only in its constructor, so filling it on a hot path does not.
class CpuSet {
 public:
  CpuSet();
  explicit CpuSet(const std::vector<int>& cpus);
  ~CpuSet();
  CpuSet(const CpuSet&) = delete;
  CpuSet& operator=(const CpuSet&) = delete;
  cpu_set_t* get() const { return set_; }
  std::size_t size() const { return bytes_; }
  int capacity() const { return count_; }  // CPU numbers 0..capacity()-1 fit
  std::vector<int> cpus() const;
  void add(int cpu);                          // ignored when out of range
  void assign(const std::vector<int>& cpus);  // clears, then adds each; allocates nothing
  bool operator==(const CpuSet& other) const;

 private:
  cpu_set_t* set_;
  std::size_t bytes_;
  int count_;
};

int set_thread_affinity(long tid, const std::vector<int>& cpus);
int get_thread_affinity(long tid, std::vector<int>& cpus);
// The same with a CpuSet made beforehand: these allocate nothing (a pool's launch path).
int set_thread_affinity(long tid, const CpuSet& set);
int get_thread_affinity(long tid, CpuSet& set);
// The CPUs the calling thread may run on, ascending; empty if the host would not say.
std::vector<int> allowed_cpus();
// Whether the calling thread's affinity is exactly `cpus` (a new thread inherits it, so a launch
// may skip setting it). One sched_getaffinity, about 0.2 us here; false when it fails.
bool own_affinity_is(const CpuSet& cpus);
// Sets the calling thread's affinity only when it differs: setting an equal mask still costs the
// kernel about 1 us here.
int ensure_own_affinity(const std::vector<int>& cpus);
// The CPU the calling thread runs on now (sched_getcpu), or -1.
int current_cpu();

// Pins the calling thread to `cpus` while alive, then restores its previous affinity.
class PinGuard {
 public:
  explicit PinGuard(const std::vector<int>& cpus);
  explicit PinGuard(int cpu) : PinGuard(std::vector<int>{cpu}) {}
  ~PinGuard();
  PinGuard(const PinGuard&) = delete;
  PinGuard& operator=(const PinGuard&) = delete;
  bool ok() const { return ok_; }

 private:
  std::vector<int> previous_;
  bool ok_ = false;
};

}  // namespace tpb::host
