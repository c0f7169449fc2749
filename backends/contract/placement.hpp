// Placement and per-CPU limits of one runtime (docs/contracts.md 6, "Per-CPU placement and
// limits"): which CPUs a new system thread may run on, and the live-thread slot it holds on its
// CPU until it ends. Creating past a full CPU fails with STATUS_INSUFFICIENT_RESOURCES and holds
// nothing.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include <systhread/wdm.h>
#include <tpb/runtime.hpp>
#include <tpb/topology.hpp>

namespace tpb::detail {

// Where one new system thread goes.
struct PlacedThread {
  std::vector<int> cpus;  // Linux CPU numbers it may run on; empty: inherit the creator's
  int home = -1;          // the CPU it is counted on (a pool picks its worker group there)
  int charged = -1;       // the per-CPU slot it holds, or -1 when there is no limit
};

class Placement {
 public:
  Placement(ThreadPlacement policy, unsigned per_cpu_limit, const Topology& topology);

  // Chooses the CPUs by the policy and takes a slot on the home CPU (spread: on the first CPU
  // from the round-robin start that has one). STATUS_INSUFFICIENT_RESOURCES when none has.
  NTSTATUS place(PlacedThread& out);
  // Gives back a slot place() took; -1 holds none.
  void uncharge(int cpu);

 private:
  bool charge(int cpu, PlacedThread& out);

  const ThreadPlacement policy_;
  const unsigned limit_;  // 0: unlimited
  const Topology& topology_;
  // Live system threads per CPU, indexed by Linux CPU number.
  std::unique_ptr<std::atomic<unsigned>[]> load_;
  int slots_ = 0;
  std::atomic<unsigned> spread_next_{0};
};

}  // namespace tpb::detail
